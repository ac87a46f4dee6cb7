//! The capacity indexes choose exactly what a brute-force scan over every instance
//! chooses, through thousands of random allocate/release steps.

use ecsim::ecs::cluster::{Cluster, InstanceId, InstanceSpec, InstanceStatus};
use ecsim::ecs::provider::{Pool, ProviderId};
use ecsim::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use ecsim::ecs::task_definition::Reservation;
use ecsim::engine::{RngStreams, SimTime};
use ecsim::placement::{Decision, Placer, TieBreak};
use proptest::prelude::*;
use std::collections::BTreeMap;

const CHAINS: &[&str] = &[
    r#"[{"type":"binpack","field":"memory"}]"#,
    r#"[{"type":"binpack","field":"cpu"}]"#,
    r#"[{"type":"random"}]"#,
    r#"[]"#,
    r#"[{"type":"spread","field":"instanceId"}]"#,
    r#"[{"type":"spread","field":"attribute:ecs.availability-zone"}]"#,
    r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"binpack","field":"memory"}]"#,
    r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"spread","field":"instanceId"}]"#,
    r#"[{"type":"spread","field":"attribute:rack"},{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"binpack","field":"cpu"}]"#,
    r#"[{"type":"binpack","field":"memory"},{"type":"binpack","field":"cpu"}]"#,
    r#"[{"type":"spread","field":"instanceId"},{"type":"binpack","field":"memory"}]"#,
    r#"[{"type":"binpack","field":"cpu"},{"type":"spread","field":"attribute:ecs.availability-zone"}]"#,
    r#"[{"type":"firstFit"}]"#,
    r#"[{"type":"binpack","field":"memory"},{"type":"firstFit"}]"#,
    r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"firstFit"}]"#,
];
const CONSTRAINTS: &[&str] = &[
    r#"[]"#,
    r#"[{"type":"distinctInstance"}]"#,
    r#"[{"type":"memberOf","expression":"attribute:rack in [r1, r2]"}]"#,
    r#"[{"type":"memberOf","expression":"runningTasksCount <= 3"}]"#,
    r#"[{"type":"memberOf","expression":"attribute:ecs.availability-zone != az-b and not(task:group == g1)"}]"#,
];

fn cluster(sizes: &[(u32, u32, u8, u8)]) -> Cluster {
    let mut c = Cluster::new("default");
    for (i, &(cpu, mem, az, rack)) in sizes.iter().enumerate() {
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "ecs.availability-zone".to_string(),
            format!("az-{}", (b'a' + az) as char),
        );
        if rack > 0 {
            attributes.insert("rack".to_string(), format!("r{rack}"));
        }
        let mut spec = InstanceSpec::new(format!("i-{i}"), cpu, mem);
        spec.attributes = attributes;
        // Pools: every fifth instance is external, others belong to provider 0 or 1, or none.
        match i % 5 {
            0 => spec.external = true,
            1 => spec.provider = Some(ProviderId(0)),
            2 => spec.provider = Some(ProviderId(1)),
            _ => {}
        }
        c.register(spec, SimTime::ZERO);
    }
    c
}

#[derive(Debug, Clone)]
enum Step {
    Place { plan: usize, cpu: u32, mem: u32, group: u8 },
    Release(usize),
    Toggle(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            6 => (0..4usize, 1u32..1200, 1u32..3000, 0u8..3).prop_map(|(plan, cpu, mem, group)| Step::Place { plan, cpu, mem, group }),
            3 => any::<usize>().prop_map(Step::Release),
            1 => any::<usize>().prop_map(Step::Toggle),
        ],
        300..600,
    )
}

fn check(
    tie_break: TieBreak,
    sizes: Vec<(u32, u32, u8, u8)>,
    plans: Vec<(usize, usize, usize)>,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    let mut c = cluster(&sizes);
    let mut placer = Placer::new(tie_break, RngStreams::new(9).stream(3, 0));
    let mut plan_ids = Vec::new();
    for (chain, cons, pool) in &plans {
        let s: Vec<PlacementStrategy> = serde_json::from_str(CHAINS[*chain]).unwrap();
        let k: Vec<PlacementConstraint> = serde_json::from_str(CONSTRAINTS[*cons]).unwrap();
        let chain = ecsim::placement::plan::Chain::compile(&[], &k, &s).unwrap();
        plan_ids.push(placer.plan(&c, &chain, POOLS[*pool]));
    }
    for id in c.ids() {
        placer.instance_changed(&c, id);
    }
    let groups: Vec<_> = (0..3).map(|g| c.group(&format!("g{g}"))).collect();
    let mut live: Vec<(InstanceId, Reservation, ecsim::ecs::cluster::GroupId)> = Vec::new();
    for step in steps {
        match step {
            Step::Place { plan, cpu, mem, group } => {
                let plan = plan_ids[plan % plan_ids.len()];
                let res = Reservation {
                    cpu,
                    memory: mem,
                    ..Default::default()
                };
                let g = groups[group as usize];
                let scan = placer.scan(plan, &res, g, &c, false);
                match placer.decide(plan, &res, g, &c) {
                    Decision::Placed(i) => {
                        prop_assert!(scan.failure.is_none());
                        prop_assert!(
                            scan.finalists.contains(&i),
                            "chosen {:?} not among {:?}",
                            i,
                            scan.finalists
                        );
                        if tie_break == TieBreak::LowestId && !placer.plan_info(plan).ends_random {
                            prop_assert_eq!(Some(&i), scan.finalists.iter().min());
                        }
                        placer.allocate(&mut c, i, &res, g);
                        live.push((i, res, g));
                    }
                    Decision::Unplaced { reason, closest } => {
                        prop_assert_eq!(scan.failure, Some((reason, closest)));
                        // The indexes' reason, where they give one, is the scan's.
                        if let Some(quick) = placer.quick_reason(plan, &res, &c) {
                            prop_assert_eq!(quick, reason);
                        }
                    }
                }
            }
            Step::Release(k) if !live.is_empty() => {
                let (i, res, g) = live.swap_remove(k % live.len());
                placer.release(&mut c, i, &res, g);
            }
            Step::Toggle(k) => {
                let id = InstanceId((k % c.len()) as u32);
                let next = if c.status(id) == InstanceStatus::Active {
                    InstanceStatus::Draining
                } else {
                    InstanceStatus::Active
                };
                c.set_status(id, next, SimTime::ZERO);
                placer.instance_changed(&c, id);
            }
            Step::Release(_) => {}
        }
    }
    Ok(())
}

fn sizes() -> impl Strategy<Value = Vec<(u32, u32, u8, u8)>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![1024u32, 2048, 4096]),
            prop::sample::select(vec![2000u32, 3900, 8000, 16000]),
            0u8..3,
            0u8..4,
        ),
        1..40,
    )
}

fn plans() -> impl Strategy<Value = Vec<(usize, usize, usize)>> {
    prop::collection::vec((0..CHAINS.len(), 0..CONSTRAINTS.len(), 0..POOLS.len()), 1..5)
}

const POOLS: [Pool; 4] = [
    Pool::Ec2,
    Pool::External,
    Pool::Provider(ProviderId(0)),
    Pool::Provider(ProviderId(1)),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, .. ProptestConfig::default() })]

    #[test]
    fn indexes_choose_what_a_scan_chooses(sizes in sizes(), plans in plans(), steps in steps()) {
        check(TieBreak::LowestId, sizes, plans, steps)?;
    }

    #[test]
    fn random_ties_stay_among_the_best(sizes in sizes(), plans in plans(), steps in steps()) {
        check(TieBreak::Random, sizes, plans, steps)?;
    }
}

#[test]
fn the_indexes_name_cpu_then_memory_as_the_scan_does() {
    use ecsim::ecs::cluster::Shortfall;
    use ecsim::ecs::failure::Failure;
    // Two instances: a has 1024 CPU and 8000 MiB, b 4096 CPU and 2000 MiB.
    let mut c = cluster(&[(1024, 8000, 0, 0), (4096, 2000, 1, 0)]);
    let mut placer = Placer::new(TieBreak::LowestId, RngStreams::new(9).stream(3, 0));
    let s: Vec<PlacementStrategy> = serde_json::from_str(CHAINS[0]).unwrap();
    let chain = ecsim::placement::plan::Chain::compile(&[], &[], &s).unwrap();
    let plan = placer.plan(&c, &chain, Pool::External);
    for id in c.ids() {
        placer.instance_changed(&c, id);
    }
    let ask = |cpu, memory| Reservation {
        cpu,
        memory,
        ..Default::default()
    };
    // Only i-0 is external (every fifth instance): CPU first, then memory.
    assert_eq!(
        placer.quick_reason(plan, &ask(2048, 100), &c),
        Some(Failure::Resource(Shortfall::Cpu))
    );
    assert_eq!(
        placer.quick_reason(plan, &ask(512, 9000), &c),
        Some(Failure::Resource(Shortfall::Memory))
    );
    // With ports the indexes do not tell: the scan does.
    let mut ports = ask(512, 9000);
    ports.dynamic_ports = 1;
    assert_eq!(placer.quick_reason(plan, &ports, &c), None);
    let g = c.group("g");
    let placed = match placer.decide(plan, &ask(1024, 100), g, &c) {
        Decision::Placed(i) => i,
        other => panic!("{other:?}"),
    };
    placer.allocate(&mut c, placed, &ask(1024, 100), g);
    assert_eq!(
        placer.quick_reason(plan, &ask(1, 1), &c),
        Some(Failure::Resource(Shortfall::Cpu))
    );
}
