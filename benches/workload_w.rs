//! Workload W, the speed benchmark shared with other simulators (its definition:
//! docs/PERFORMANCE.md), with outputs off: N identical hosts (4096 CPU units, 16384 MiB),
//! Poisson arrivals at λ = 0.8 · N · 16384 / (3174.4 · 600) per second, 20 task sizes
//! (CPU 256–2048 × memory 512–8192 MiB, uniform), exponential durations of mean 600 s,
//! binpack(memory), no retry. Reported as simulated tasks/s at 1k, 10k and 100k hosts;
//! the 10k and 100k runs are shorter than W's 1M and 2M tasks (the same work per task
//! once the hosts fill, after about half an hour of simulated time). `overloaded` offers
//! twice W's load at 10k hosts, so that almost half the tasks fail to place. The
//! `records_` runs render every events.jsonl record (as the CLI does, each RunTask
//! failure naming its closest instance) into a buffer that is emptied, not written: the
//! cost of the records without the cost of the disk.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecsim::scenario::load::Format;
use ecsim::scenario::{Scenario, scenario_from_str};
use ecsim::sim::journal::{Recorder, SummaryOnly};
use std::path::Path;
use std::time::Duration;

/// W with `hosts` hosts, about `tasks` arrivals, and `load` times its arrival rate.
pub fn workload_w(hosts: u32, tasks: u64, load: f64) -> Scenario {
    let lam = load * 0.8 * hosts as f64 * 16384.0 / (3174.4 * 600.0);
    let seconds = (tasks as f64 / lam) as u64 + 1;
    let mut text = format!(
        "name = \"w-{hosts}\"\nseed = 1\nduration = \"{seconds}s\"\nsampleInterval = \"10m\"\n\
         [[instanceGroups]]\nname = \"host\"\ninstanceType = \"m5.xlarge\"\ncount = {hosts}\n\
         availabilityZones = [\"us-east-1a\"]\ntotalResources = {{ cpu = 4096, memory = 16384 }}\n"
    );
    for cpu in [256, 512, 1024, 2048] {
        for mem in [512, 1024, 2048, 4096, 8192] {
            let f = format!("t{cpu}x{mem}");
            text += &format!(
                "[[taskDefinitions]]\nfamily = \"{f}\"\nnetworkMode = \"bridge\"\ncpu = \"{cpu}\"\nmemory = \"{mem}\"\n\
                 containerDefinitions = [{{ name = \"main\", image = \"busybox\", essential = true }}]\n\
                 [[workloads]]\nname = \"{f}\"\n\
                 runTask = {{ taskDefinition = \"{f}\", count = 1, placementStrategy = [{{ type = \"binpack\", field = \"memory\" }}] }}\n\
                 arrival = {{ process = \"poisson\", ratePerMinute = {:.6} }}\n\
                 taskDuration = {{ distribution = \"exponential\", mean = \"600s\" }}\n",
                lam * 60.0 / 20.0
            );
        }
    }
    scenario_from_str(&text, Format::Toml, "w.toml", Path::new(".")).expect("W is a valid scenario")
}

/// A recorder that renders every events.jsonl record, as the CLI's does (task state
/// changes from their frames, on this thread), and keeps none.
#[derive(Default)]
struct Rendered {
    lines: Vec<u8>,
    expander: ecsim::sim::journal::frame::Expander,
    bytes: u64,
}

impl Recorder for Rendered {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, record: serde_json::Value) {
        self.bytes += record.to_string().len() as u64 + 1;
    }
    fn takes_frames(&self) -> bool {
        true
    }
    fn frames(&mut self, mut buf: Vec<u8>) -> Vec<u8> {
        self.expander.expand(&buf, &mut self.lines);
        self.bytes += self.lines.len() as u64;
        self.lines.clear();
        buf.clear();
        buf
    }
    fn wants_tasks(&self) -> bool {
        false
    }
}

fn bench(c: &mut Criterion, name: &str, sc: &Scenario, seconds: u64) {
    let tasks = ecsim::sim::run(sc, sc.seed, &mut SummaryOnly).summary.tasks_arrived;
    let mut g = c.benchmark_group("workload_w");
    g.sample_size(10).measurement_time(Duration::from_secs(seconds));
    g.throughput(Throughput::Elements(tasks));
    g.bench_function(name, |b| b.iter(|| ecsim::sim::run(sc, sc.seed, &mut SummaryOnly)));
    g.bench_function(format!("records_{name}"), |b| {
        b.iter(|| {
            let mut rec = Rendered::default();
            ecsim::sim::run(sc, sc.seed, &mut rec);
            rec.bytes
        })
    });
    g.finish();
}

fn w(c: &mut Criterion) {
    bench(c, "hosts_1k_tasks_200k", &workload_w(1_000, 200_000, 1.0), 10);
    bench(c, "hosts_10k_tasks_400k", &workload_w(10_000, 400_000, 1.0), 20);
    bench(c, "hosts_100k_tasks_1M", &workload_w(100_000, 1_000_000, 1.0), 60);
    bench(
        c,
        "overloaded_hosts_10k_tasks_400k",
        &workload_w(10_000, 400_000, 2.0),
        20,
    );
}

criterion_group!(benches, w);
criterion_main!(benches);
