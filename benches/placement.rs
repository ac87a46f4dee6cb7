//! Placement decisions under churn: a cluster held at ~80 % reserved CPU, where each
//! step places one task (decide + allocate) and releases another. Reports
//! decisions/s for binpack(memory), spread(AZ), random, and the full chain
//! [spread(AZ), binpack(memory)] with a memberOf constraint, at 1k / 10k / 100k
//! instances; and one research heuristic (bestFit, a scan per decision) at 1k / 10k.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecsim::ecs::cluster::{Cluster, GroupId, InstanceId, InstanceSpec};
use ecsim::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use ecsim::ecs::task_definition::Reservation;
use ecsim::engine::{RngStreams, SimTime, StreamRng};
use ecsim::placement::plan::{Chain, PlanId};
use ecsim::placement::{Decision, Placer, TieBreak};
use rand::RngExt;
use std::collections::BTreeMap;

const STEPS: u64 = 2_000;

struct Bench {
    cluster: Cluster,
    placer: Placer,
    plan: PlanId,
    group: GroupId,
    live: Vec<(InstanceId, Reservation)>,
    rng: StreamRng,
}

fn task(rng: &mut StreamRng) -> Reservation {
    let cpu = [256, 512, 1024][rng.random_range(0..3)];
    let memory = [512, 1024, 2048, 4096][rng.random_range(0..4)];
    Reservation {
        cpu,
        memory,
        ..Default::default()
    }
}

impl Bench {
    fn new(n: usize, strategies: &str, constraints: &str) -> Bench {
        let mut cluster = Cluster::new("default");
        for i in 0..n {
            let mut attributes = BTreeMap::new();
            attributes.insert(
                "ecs.availability-zone".to_string(),
                format!("us-east-1{}", ['a', 'b', 'c'][i % 3]),
            );
            attributes.insert(
                "ecs.instance-type".to_string(),
                if i % 10 == 0 { "c5.xlarge" } else { "m5.xlarge" }.to_string(),
            );
            let mut spec = InstanceSpec::new(format!("i-{i}"), 4096, 15974);
            spec.attributes = attributes;
            cluster.register(spec, SimTime::ZERO);
        }
        let streams = RngStreams::new(42);
        let mut placer = Placer::new(TieBreak::Random, streams.stream(3, 0));
        let s: Vec<PlacementStrategy> = serde_json::from_str(strategies).unwrap();
        let k: Vec<PlacementConstraint> = serde_json::from_str(constraints).unwrap();
        let chain = Chain::compile(&[], &k, &s).unwrap();
        let plan = placer.plan(&cluster, &chain, ecsim::ecs::provider::Pool::Ec2);
        for id in cluster.ids() {
            placer.instance_changed(&cluster, id);
        }
        let group = cluster.group("family:bench");
        let mut b = Bench {
            cluster,
            placer,
            plan,
            group,
            live: Vec::new(),
            rng: streams.stream(1, 0),
        };
        // Fill to ~80 % of CPU.
        let target = (n as u64 * 4096) * 8 / 10;
        while b.cluster.reserved_totals().0 < target {
            if !b.place() {
                break;
            }
        }
        b
    }

    fn place(&mut self) -> bool {
        let res = task(&mut self.rng);
        match self.placer.decide(self.plan, &res, self.group, &self.cluster) {
            Decision::Placed(i) => {
                self.placer.allocate(&mut self.cluster, i, &res, self.group);
                self.live.push((i, res));
                true
            }
            Decision::Unplaced { .. } => false,
        }
    }

    fn release(&mut self) {
        let k = self.rng.random_range(0..self.live.len());
        let (i, res) = self.live.swap_remove(k);
        self.placer.release(&mut self.cluster, i, &res, self.group);
    }

    fn step(&mut self) {
        self.place();
        self.release();
    }
}

fn churn(c: &mut Criterion) {
    const ALL: &[usize] = &[1_000, 10_000, 100_000];
    let cases: [(&str, &str, &str, &[usize]); 5] = [
        ("binpack_memory", r#"[{"type":"binpack","field":"memory"}]"#, "[]", ALL),
        (
            "spread_az",
            r#"[{"type":"spread","field":"attribute:ecs.availability-zone"}]"#,
            "[]",
            ALL,
        ),
        ("random", r#"[{"type":"random"}]"#, "[]", ALL),
        (
            "spread_az_binpack_memory_memberof",
            r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"binpack","field":"memory"}]"#,
            r#"[{"type":"memberOf","expression":"attribute:ecs.instance-type =~ m5.*"}]"#,
            ALL,
        ),
        // A research heuristic: every decision scans every instance (no index).
        ("research_best_fit", r#"[{"type":"bestFit"}]"#, "[]", &ALL[..2]),
    ];
    for (name, strategies, constraints, sizes) in cases {
        let mut g = c.benchmark_group(format!("placement/{name}"));
        g.throughput(Throughput::Elements(STEPS));
        for &n in sizes {
            let mut b = Bench::new(n, strategies, constraints);
            g.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, _| {
                bench.iter(|| {
                    for _ in 0..STEPS {
                        b.step();
                    }
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = churn
}
criterion_main!(benches);
