//! `ecsim pack` throughput: items placed per second, largest first, with first fit
//! (FFD) and ECS's binpack(memory) (best fit on a 1-D instance: BFD), on the largest
//! BPPLIB instances (Falkenauer U, 1,000 items, bins of 150) when ../shared is beside
//! the clone, else on instances of the same shape drawn here (uniform sizes 20–100,
//! as Falkenauer generated them); and the custom strategy of
//! examples/custom_strategy.rs, to show a strategy of one's own benches like the
//! built-in ones.

#[path = "../examples/custom_strategy.rs"]
mod example;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::engine::RngStreams;
use ecsim::pack::{Format, ItemOrder, PackInstance, SortKey, format::parse, item_order, pack, parse_strategy};
use rand::RngExt;
use std::path::Path;

/// Falkenauer U's 1,000-item instances, or 20 of the same shape.
fn instances() -> Vec<PackInstance> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/bpplib-1d/Falkenauer/Falkenauer_U");
    let mut found: Vec<PackInstance> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().contains("u1000_"))
                .map(|p| {
                    parse(
                        &p.display().to_string(),
                        &std::fs::read_to_string(&p).unwrap(),
                        Format::Bpp,
                    )
                    .unwrap()
                })
                .collect()
        })
        .unwrap_or_default();
    if found.is_empty() {
        eprintln!(
            "note: ../shared/benchmarks/bpplib-1d is not beside the clone; packing drawn instances of Falkenauer U's shape"
        );
        let mut rng = RngStreams::new(1).stream(0, 0);
        found = (0..20)
            .map(|i| {
                let sizes: Vec<String> = (0..1000).map(|_| rng.random_range(20..=100u32).to_string()).collect();
                parse(
                    &format!("u1000_{i}.txt"),
                    &format!("1000\n150\n{}\n", sizes.join("\n")),
                    Format::Bpp,
                )
                .unwrap()
            })
            .collect();
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn bench(c: &mut Criterion) {
    example::register_zone_then_best_fit().unwrap();
    let insts = instances();
    let items: u64 = insts.iter().map(|i| i.len() as u64).sum();
    let orders: Vec<Vec<u32>> = insts
        .iter()
        .map(|i| item_order(i, ItemOrder::Decreasing(SortKey::Max)))
        .collect();
    let mut g = c.benchmark_group("pack");
    g.sample_size(10);
    g.throughput(Throughput::Elements(items));
    for (label, strategy) in [
        ("FFD firstFit", "firstFit"),
        ("BFD binpack(memory)", "binpack:memory"),
        ("BFD bestFit", "bestFit"),
        ("zoneThenBestFit (custom)", "zoneThenBestFit"),
    ] {
        let s = parse_strategy(strategy).unwrap();
        g.bench_with_input(BenchmarkId::new(label, "Falkenauer U 1000"), &s, |b, s| {
            b.iter(|| {
                insts
                    .iter()
                    .zip(&orders)
                    .map(|(i, o)| pack(i, s, o, 1).unwrap())
                    .sum::<u64>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
