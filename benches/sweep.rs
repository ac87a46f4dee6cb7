//! What a sweep spends outside its runs: 200 runs of the default scenario (5
//! configurations × 40 seeds) run one after another with nothing else, against the
//! same runs as `ecsim sweep --jobs 1` does them — each appended to the record file as
//! it finishes, then sweep.csv written. The difference is the sweep's own cost
//! (target: under 5 % of the time, docs/PERFORMANCE.md); sharding adds none per run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::sim::journal::SummaryOnly;
use ecsim::sweep::store::Records;
use ecsim::sweep::{Shard, load_sweep, run_sweep_with, write_sweep_csv};
use std::path::Path;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let text = std::fs::read_to_string(&base).unwrap();
    let seeds: Vec<String> = (1..=40).map(|s| s.to_string()).collect();
    let text = text.replace("seeds = [1, 2, 3]", &format!("seeds = [{}]", seeds.join(", ")));
    assert!(
        text.contains("seeds = [1, 2, 3, 4,"),
        "the default scenario's [sweep] seeds changed"
    );
    let file = dir.path().join("default.toml");
    std::fs::write(&file, text).unwrap();
    let sweep = load_sweep(&file).unwrap();
    let layout = sweep.layout();
    let runs = layout.runs() as u64;
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(runs));
    g.bench_function("200 runs alone", |b| {
        b.iter(|| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            pool.install(|| {
                (0..layout.runs())
                    .map(|r| {
                        let (v, seed) = layout.run(r);
                        ecsim::sim::run(&sweep.scenarios[v], seed, &mut SummaryOnly)
                            .summary
                            .events
                    })
                    .sum::<u64>()
            })
        })
    });
    let records = dir.path().join("sweep.runs.jsonl");
    g.bench_function("200 runs as a recorded sweep", |b| {
        b.iter(|| {
            let (rec, _) = Records::open(&records, &layout, Shard::ALL, false).unwrap();
            let rows = run_sweep_with(
                &sweep,
                Shard::ALL,
                &Default::default(),
                Some(1),
                &|r| rec.append(r),
                &|| {},
            )
            .unwrap();
            write_sweep_csv(std::io::sink(), &layout, &rows).unwrap();
            rec.remove().unwrap();
            rows.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
