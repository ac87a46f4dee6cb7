//! The placement examples of the ECS documentation (ecs-semantics.md §1–3), as
//! scenario tests with the expected instances.

use crate::common::*;
use ecsim::sim::Outcome;
use ecsim::sim::journal::Collect;
use ecsim::sim::task::TaskStatus;

const A: &str = "us-east-1a";
const B: &str = "us-east-1b";
const BINPACK_MEMORY: &str = "{ type = \"binpack\", field = \"memory\" }";
const BINPACK_CPU: &str = "{ type = \"binpack\", field = \"cpu\" }";
const SPREAD_ZONE: &str = "{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }";
const SPREAD_INSTANCE: &str = "{ type = \"spread\", field = \"instanceId\" }";

fn run_task(at: &str, family: &str, count: u32, extra: &str) -> String {
    format!(
        "[[timeline]]\nat = \"{at}\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", count = {count}{extra} }}\n"
    )
}

/// A request's `placementStrategy` member (to follow other members).
fn strategy(items: &[&str]) -> String {
    format!(", placementStrategy = [{}]", items.join(", "))
}

/// A request's `placementConstraints` member (to follow other members).
fn constraints(items: &str) -> String {
    format!(", placementConstraints = [{items}]")
}

/// Instances `(ec2 id, zone, cpu, memory)`, each a group of its own.
fn fleet(specs: &[(&str, &str, u32, u32)]) -> String {
    specs
        .iter()
        .map(|&(id, az, cpu, mem)| instance(id, az, cpu, mem, ""))
        .collect()
}

/// Runs [`HEADER`] followed by `parts`.
fn run_parts(parts: &[String]) -> (Outcome, Collect) {
    run_toml(&(HEADER.to_string() + &parts.concat()))
}

/// The EC2 ids, in creation order, where `count` RunTask tasks of `cpu` units and
/// `memory` MiB land on `instances` with `extra` request members.
fn placed(instances: &[(&str, &str, u32, u32)], (cpu, memory): (u32, u32), count: u32, extra: &str) -> Vec<String> {
    let (o, _) = run_parts(&[
        fleet(instances),
        task_def("t", cpu, memory),
        run_task("0s", "t", count, extra),
    ]);
    placements(&o)
}

#[test]
fn binpack_memory_picks_the_least_remaining_memory_that_fits() {
    // Remaining memory 4000, 2000, 3000; each task needs 1500 MiB.
    let got = placed(
        &[("i-a", A, 4096, 4000), ("i-b", A, 4096, 2000), ("i-c", A, 4096, 3000)],
        (10, 1500),
        5,
        &strategy(&[BINPACK_MEMORY]),
    );
    // i-b (2000) first; then it has 500 left, so i-c (3000), then i-c again (1500 left
    // is the least that still fits), then i-a twice.
    assert_eq!(got, ["i-b", "i-c", "i-c", "i-a", "i-a"]);
}

#[test]
fn binpack_cpu_packs_on_cpu() {
    let got = placed(
        &[("i-a", A, 2048, 8000), ("i-b", A, 1024, 8000)],
        (512, 10),
        3,
        &strategy(&[BINPACK_CPU]),
    );
    assert_eq!(got, ["i-b", "i-b", "i-a"]);
}

#[test]
fn spread_on_zones_balances_the_zones() {
    let (o, _) = run_parts(&[
        fleet(&[("a1", A, 4096, 8000), ("a2", A, 4096, 8000), ("a3", A, 4096, 8000)]),
        fleet(&[("b1", B, 4096, 8000), ("c1", "us-east-1c", 4096, 8000)]),
        task_def("t", 10, 10),
        run_task("0s", "t", 9, &strategy(&[SPREAD_ZONE])),
    ]);
    let mut per_zone = std::collections::BTreeMap::new();
    for t in &o.tasks {
        *per_zone
            .entry(o.cluster.instance(t.instance.unwrap()).spec.availability_zone.clone())
            .or_insert(0) += 1;
    }
    assert_eq!(per_zone.values().copied().collect::<Vec<_>>(), vec![3, 3, 3]);
}

#[test]
fn spread_zone_then_binpack_memory_packs_within_each_zone() {
    let got = placed(
        &[
            ("a-big", A, 4096, 6000),
            ("a-small", A, 4096, 3000),
            ("b-big", B, 4096, 6000),
            ("b-small", B, 4096, 3000),
        ],
        (10, 1000),
        6,
        &strategy(&[SPREAD_ZONE, BINPACK_MEMORY]),
    );
    // Zones alternate; within a zone the tighter instance fills first (3 × 1000 MiB).
    assert_eq!(got, ["a-small", "b-small", "a-small", "b-small", "a-small", "b-small"]);
}

/// Two instances in zone a, one in zone b.
const TWO_ZONES: [(&str, &str, u32, u32); 3] = [("a1", A, 4096, 8000), ("a2", A, 4096, 8000), ("b1", B, 4096, 8000)];

#[test]
fn spread_zone_then_instance_gives_each_instance_one_task() {
    let got = placed(&TWO_ZONES, (10, 10), 3, &strategy(&[SPREAD_ZONE, SPREAD_INSTANCE]));
    assert_eq!(got, ["a1", "b1", "a2"]);
}

#[test]
fn the_service_default_balances_zones_then_instances() {
    let service = "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 3\n";
    let (o, _) = run_parts(&[fleet(&TWO_ZONES), task_def("t", 10, 10), service.to_string()]);
    // Zone b has none after the first task goes to a; then zones tie and a2 has the fewest.
    assert_eq!(placements(&o), ["a1", "b1", "a2"]);
}

#[test]
fn spread_counts_only_the_tasks_of_the_same_group() {
    let (o, _) = run_parts(&[
        fleet(&[("i1", A, 4096, 8000), ("i2", A, 4096, 8000)]),
        task_def("t", 10, 10),
        run_task(
            "0s",
            "t",
            3,
            &format!(", group = \"other\"{}", strategy(&[BINPACK_MEMORY])),
        ),
        run_task(
            "1s",
            "t",
            2,
            &format!(", group = \"mine\"{}", strategy(&[SPREAD_INSTANCE])),
        ),
    ]);
    // The three `other` tasks pack on i1; `mine` still spreads one per instance.
    assert_eq!(placements(&o), ["i1", "i1", "i1", "i1", "i2"]);
}

#[test]
fn distinct_instance_never_colocates_and_fails_with_the_ecs_reason() {
    let (o, rec) = run_parts(&[
        fleet(&[("i1", A, 4096, 8000), ("i2", A, 4096, 8000), ("i3", B, 4096, 8000)]),
        task_def("t", 10, 10),
        run_task("0s", "t", 5, &constraints("{ type = \"distinctInstance\" }")),
    ]);
    assert_eq!(
        live_per_instance(&o),
        vec![("i1".into(), 1), ("i2".into(), 1), ("i3".into(), 1)]
    );
    assert_eq!(
        failure_reasons(&rec),
        ["DistinctInstance placement constraint unsatisfied."; 2]
    );
    assert_eq!(o.summary.placement_failures.total(), 2);
    assert_eq!(
        o.summary.get("placementFailures[DistinctInstance]").as_deref(),
        Some("2")
    );
    assert_eq!(o.summary.tasks_rejected, 2);
}

#[test]
fn member_of_places_only_on_matching_instances() {
    let (o, rec) = run_parts(&[
        instance("gpu", A, 4096, 8000, "attributes = { accelerator = \"gpu\" }"),
        fleet(&[("plain1", A, 4096, 8000), ("plain2", B, 4096, 8000)]),
        task_def("t", 1000, 10),
        run_task(
            "0s",
            "t",
            6,
            &constraints("{ type = \"memberOf\", expression = \"attribute:accelerator == gpu\" }"),
        ),
    ]);
    // Four fit on the one matching instance (4 × 1000 CPU units); two fail.
    assert_eq!(live_per_instance(&o), vec![("gpu".into(), 4)]);
    assert_eq!(failure_reasons(&rec), ["MemberOf placement constraint unsatisfied."; 2]);
}

#[test]
fn a_task_definition_constraint_applies_to_every_task() {
    let (o, _) = run_parts(&[
        fleet(&[("i1", A, 4096, 8000), ("i2", A, 4096, 8000)]),
        memory_def(
            "t",
            10,
            "placementConstraints = [{ type = \"memberOf\", expression = \"ec2InstanceId in [i2]\" }]",
        ),
        run_task("0s", "t", 3, ""),
    ]);
    assert_eq!(placements(&o), ["i2", "i2", "i2"]);
}

#[test]
fn an_unplaceable_run_task_fails_with_the_resource_reason_and_creates_no_task() {
    let (o, rec) = run_parts(&[
        fleet(&[("i1", A, 1024, 2000)]),
        task_def("huge", 10, 5000),
        task_def("hungry", 4096, 10),
        run_task("0s", "huge", 1, ""),
        run_task("1s", "hungry", 1, ""),
    ]);
    let calls: Vec<_> = rec.events.iter().filter(|e| e["eventName"] == "RunTask").collect();
    assert_eq!(calls[0]["responseElements"]["failures"][0]["reason"], "RESOURCE:MEMORY");
    assert_eq!(calls[1]["responseElements"]["failures"][0]["reason"], "RESOURCE:CPU");
    assert!(
        calls[0]["responseElements"]["failures"][0]["arn"]
            .as_str()
            .unwrap()
            .contains("container-instance/default/")
    );
    assert!(calls[0]["responseElements"]["tasks"].as_array().unwrap().is_empty());
    assert_eq!(o.summary.tasks_placed, 0);
    assert_eq!(o.summary.tasks_arrived, 2);
    assert!(o.tasks.is_empty());
    assert_eq!(o.requests.len(), 2);
    assert!(!rec.events.iter().any(|e| e["detail-type"] == "ECS Task State Change"));
}

#[test]
fn an_unplaceable_service_task_starts_when_capacity_frees() {
    let (o, rec) = run_parts(&[
        fleet(&[("i1", A, 2048, 8000)]),
        task_def("t", 1024, 10),
        run_task("0s", "t", 2, "") + "taskDuration = \"10m\"\n",
        "[[timeline]]\nat = \"1m\"\napi = \"CreateService\"\nrequest = { serviceName = \"web\", taskDefinition = \"t\", desiredCount = 1 }\n".to_string(),
    ]);
    let svc_task = o
        .tasks
        .iter()
        .find(|t| matches!(t.origin, ecsim::sim::task::Origin::Service(_)))
        .unwrap();
    assert_eq!(svc_task.arrived_at.millis(), 60_000);
    // The batch tasks exit at 10 min; the service task is placed at that instant.
    assert_eq!(svc_task.created_at.millis(), 600_000);
    assert_eq!(svc_task.status, TaskStatus::Running);
    assert!(
        rec.events
            .iter()
            .any(|e| e["detail-type"] == "ECS Service Action" && e["detail"]["reason"] == "RESOURCE:CPU")
    );
    assert_eq!(o.summary.get("waitP99S").as_deref(), Some("540.000"));
}

#[test]
fn a_client_retry_places_the_task_when_capacity_frees() {
    let (o, _) = run_parts(&[
        fleet(&[("i1", A, 1024, 8000)]),
        task_def("t", 1024, 10),
        "[[workloads]]\nname = \"w\"\nrunTask = { taskDefinition = \"t\" }\narrival = { process = \"fixed\", interval = \"1m\" }\ntaskDuration = \"90s\"\nretry = { attempts = 3, backoff = \"20s\" }\n".to_string(),
    ]);
    // One task fits at a time, 90 s each, one call a minute: retries keep up only partly.
    assert!(o.summary.placement_failures.total() > 0);
    assert!(o.summary.tasks_placed > 30);
    let retried = o.tasks.iter().filter(|t| t.created_at > t.arrived_at).count();
    assert!(retried > 0);
}

/// Where the tasks a scale-in stopped ran.
fn stopped_on(o: &Outcome) -> Vec<String> {
    o.tasks
        .iter()
        .filter(|t| t.stop_code.is_some())
        .map(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
        .collect()
}

/// A service of `desired` tasks (with `strategy` lines) on `instances`, scaled to `to`
/// at ten minutes.
fn service_then_scale_in(
    strategy: &str,
    instances: &[(&str, &str, u32, u32)],
    desired: u32,
    to: u32,
) -> (Outcome, Collect) {
    let toml = format!(
        "{HEADER}{}{}[[services]]\nserviceName = \"s\"\ntaskDefinition = \"t\"\ndesiredCount = {desired}\n{strategy}\n[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s\", desiredCount = {to} }}\n",
        fleet(instances),
        task_def("t", 10, 1000),
    );
    run_toml(&toml)
}

#[test]
fn scale_in_with_binpack_stops_the_task_on_the_emptiest_instance() {
    let binpack = format!("placementStrategy = [{BINPACK_MEMORY}]");
    let (o, _) = service_then_scale_in(&binpack, &[("small", A, 4096, 2500), ("big", A, 4096, 8000)], 3, 2);
    // Service tasks: two on `small` (2500 → 500), one on `big`. Stopping the one on
    // `big` leaves it with the most memory, so that one goes.
    assert_eq!(stopped_on(&o), ["big"]);
}

#[test]
fn scale_in_with_spread_keeps_the_zones_balanced() {
    // Zone a: a1, a2; zone b: b1. Spread on zones puts 3 tasks in a, 3 in b (6 tasks);
    // then 4 in a vs 3 in b after a 7th. Scaling 7 → 6 must stop one in zone a.
    let (o, _) = service_then_scale_in(&format!("placementStrategy = [{SPREAD_ZONE}]"), &TWO_ZONES, 7, 6);
    let stopped = stopped_on(&o);
    assert_eq!(stopped.len(), 1);
    assert!(stopped[0].starts_with('a'), "{stopped:?}");
}

#[test]
fn scale_in_without_a_strategy_takes_the_busiest_zone_then_instance() {
    // The default places 5 tasks a1, b1, a2, b1, a1: zone a holds 3 (a1 two, a2 one),
    // zone b 2. Scaling in takes zone a, then its instance with the most: a1.
    let (o, _) = service_then_scale_in("", &TWO_ZONES, 5, 4);
    assert_eq!(placements(&o), ["a1", "b1", "a2", "b1", "a1"]);
    assert_eq!(stopped_on(&o), ["a1"]);
}

#[test]
fn research_heuristics_run_in_scenarios_and_sweeps_like_ecs_strategies() {
    let mut toml = format!(
        "{HEADER}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        instance("i2", "us-east-1b", 4096, 8000, ""),
        task_def("t", 512, 1000),
    );
    toml += "[[workloads]]\nname = \"w\"\nrunTask = { taskDefinition = \"t\", placementStrategy = [{ type = \"bestFit\" }] }\narrival = { process = \"fixed\", interval = \"30s\" }\ntaskDuration = \"5m\"\n";
    toml += "[sweep]\nseeds = [1]\n[[sweep.axes]]\nname = \"heuristic\"\npath = \"workloads[0].runTask.placementStrategy\"\nvalues = [";
    let kinds = [
        "firstFit",
        "nextFit",
        "bestFit",
        "worstFit",
        "dotProduct",
        "l2Norm",
        "fragmentation",
        "powerOfTwoChoices",
        "sampled",
    ];
    toml += &kinds
        .iter()
        .map(|k| format!("[{{ type = \"{k}\" }}]"))
        .collect::<Vec<_>>()
        .join(", ");
    toml += "]\n";
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("h.toml");
    std::fs::write(&file, &toml).unwrap();
    let sweep = ecsim::sweep::load_sweep(&file).unwrap();
    let rows = ecsim::sweep::run_sweep(&sweep, Some(1), false).unwrap();
    assert_eq!(rows.len(), kinds.len());
    for r in &rows {
        assert!(r.number("tasksPlaced") > 100.0, "run {}", r.run);
    }
    // firstFit fills i1 first; worstFit keeps both busy.
    assert!(rows[0].number("instancesUsedMean") < rows[3].number("instancesUsedMean"));
}
