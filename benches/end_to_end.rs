//! Whole runs: the default scenario (6 simulated hours, 12 instances), reported as
//! simulated tasks/s, and a larger synthetic day.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::load_scenario;
use ecsim::sim::records::Discard;
use std::path::Path;

fn default_scenario(c: &mut Criterion) {
    let sc = load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")).unwrap();
    let tasks = ecsim::sim::run(&sc, sc.seed, &mut Discard).summary.tasks_arrived;
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(tasks));
    g.bench_function("default_scenario", |b| {
        b.iter(|| ecsim::sim::run(&sc, sc.seed, &mut Discard))
    });
    g.finish();
}

criterion_group!(benches, default_scenario);
criterion_main!(benches);
