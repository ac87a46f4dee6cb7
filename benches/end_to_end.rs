//! Whole runs, reported as simulated tasks/s: the default scenario (6 simulated
//! hours, 12 instances), and a managed-scaling day that grows to about 2,000
//! instances and a million tasks (scenarios/bench-day.toml).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::load_scenario;
use ecsim::sim::records::Discard;
use std::path::Path;
use std::time::Duration;

fn run_scenario(c: &mut Criterion, name: &str, file: &str, samples: usize) {
    let sc = load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let tasks = ecsim::sim::run(&sc, sc.seed, &mut Discard).summary.tasks_arrived;
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(samples).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(tasks));
    g.bench_function(name, |b| b.iter(|| ecsim::sim::run(&sc, sc.seed, &mut Discard)));
    g.finish();
}

fn scenarios(c: &mut Criterion) {
    run_scenario(c, "default_scenario", "scenarios/default.toml", 50);
    run_scenario(
        c,
        "managed_scaling_day_2000_instances_1M_tasks",
        "scenarios/bench-day.toml",
        10,
    );
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
