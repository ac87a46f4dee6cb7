//! Whole runs, reported as simulated tasks/s: the default scenario (6 simulated
//! hours, 12 instances); a managed-scaling day that grows to about 2,000 instances
//! and a million tasks (scenarios/bench-day.toml); and that day with ten services,
//! steady and with a rolling deployment of every service each simulated hour —
//! deployments must not slow steady state (within 20 %, docs/PERFORMANCE.md).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::load::Format;
use ecsim::scenario::{Scenario, load_scenario, scenario_from_str};
use ecsim::sim::journal::Discard;
use std::path::Path;
use std::time::Duration;

fn bench(c: &mut Criterion, name: &str, sc: &Scenario, samples: usize) {
    let tasks = ecsim::sim::run(sc, sc.seed, &mut Discard).summary.tasks_arrived;
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(samples).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(tasks));
    g.bench_function(name, |b| b.iter(|| ecsim::sim::run(sc, sc.seed, &mut Discard)));
    g.finish();
}

fn file(name: &str) -> Scenario {
    load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// bench-day with ten services of 20 tasks each; with `deploy`, each service rolls to
/// the other task definition revision every hour.
fn day_with_services(deploy: bool) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-day.toml");
    let mut text = std::fs::read_to_string(path).unwrap();
    for rev in ["1", "2"] {
        text += &format!(
            "[[taskDefinitions]]\nfamily = \"svc\"\ncpu = \"512\"\nmemory = \"1024\"\n[[taskDefinitions.containerDefinitions]]\nname = \"svc\"\nimage = \"svc:{rev}\"\n"
        );
    }
    for s in 0..10 {
        text += &format!("[[services]]\nserviceName = \"s{s}\"\ntaskDefinition = \"svc:1\"\ndesiredCount = 20\n");
    }
    if deploy {
        for hour in 1..24 {
            for s in 0..10 {
                text += &format!(
                    "[[timeline]]\nat = \"{hour}h\"\napi = \"UpdateService\"\nrequest = {{ service = \"s{s}\", taskDefinition = \"svc:{}\" }}\n",
                    hour % 2 + 1
                );
            }
        }
    }
    scenario_from_str(&text, Format::Toml, "bench-day+services", Path::new(".")).unwrap()
}

fn scenarios(c: &mut Criterion) {
    bench(c, "default_scenario", &file("scenarios/default.toml"), 50);
    bench(
        c,
        "managed_scaling_day_2000_instances_1M_tasks",
        &file("scenarios/bench-day.toml"),
        10,
    );
    bench(c, "day_with_10_services_steady", &day_with_services(false), 10);
    bench(
        c,
        "day_with_10_services_hourly_rolling_deployments",
        &day_with_services(true),
        10,
    );
}

criterion_group!(benches, scenarios);
criterion_main!(benches);
