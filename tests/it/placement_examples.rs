//! The placement examples of the ECS documentation (ecs-semantics.md §1–3), as
//! scenario tests with the expected instances.

use crate::common::*;
use ecsim::sim::task::TaskStatus;

fn run_task(at: &str, family: &str, count: u32, extra: &str) -> String {
    format!(
        "[[timeline]]\nat = \"{at}\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", count = {count}{extra} }}\n"
    )
}

#[test]
fn binpack_memory_picks_the_least_remaining_memory_that_fits() {
    // Remaining memory 4000, 2000, 3000; each task needs 1500 MiB.
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i-a", "us-east-1a", 4096, 4000, ""),
        instance("i-b", "us-east-1a", 4096, 2000, ""),
        instance("i-c", "us-east-1a", 4096, 3000, ""),
        task_def("t", 10, 1500),
        run_task(
            "0s",
            "t",
            5,
            ", placementStrategy = [{ type = \"binpack\", field = \"memory\" }]"
        ),
    );
    let (o, _) = run_toml(&toml);
    // i-b (2000) first; then it has 500 left, so i-c (3000), then i-c again (1500 left
    // is the least that still fits), then i-a twice.
    assert_eq!(placements(&o), vec!["i-b", "i-c", "i-c", "i-a", "i-a"]);
}

#[test]
fn binpack_cpu_packs_on_cpu() {
    let toml = format!(
        "{HEADER}{}{}{}{}",
        instance("i-a", "us-east-1a", 2048, 8000, ""),
        instance("i-b", "us-east-1a", 1024, 8000, ""),
        task_def("t", 512, 10),
        run_task(
            "0s",
            "t",
            3,
            ", placementStrategy = [{ type = \"binpack\", field = \"cpu\" }]"
        ),
    );
    let (o, _) = run_toml(&toml);
    assert_eq!(placements(&o), vec!["i-b", "i-b", "i-a"]);
}

#[test]
fn spread_on_zones_balances_the_zones() {
    let mut toml = HEADER.to_string();
    for (id, az) in [
        ("a1", "us-east-1a"),
        ("a2", "us-east-1a"),
        ("a3", "us-east-1a"),
        ("b1", "us-east-1b"),
        ("c1", "us-east-1c"),
    ] {
        toml += &instance(id, az, 4096, 8000, "");
    }
    toml += &task_def("t", 10, 10);
    toml += &run_task(
        "0s",
        "t",
        9,
        ", placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }]",
    );
    let (o, _) = run_toml(&toml);
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
    let toml = format!(
        "{HEADER}{}{}{}{}{}{}",
        instance("a-big", "us-east-1a", 4096, 6000, ""),
        instance("a-small", "us-east-1a", 4096, 3000, ""),
        instance("b-big", "us-east-1b", 4096, 6000, ""),
        instance("b-small", "us-east-1b", 4096, 3000, ""),
        task_def("t", 10, 1000),
        run_task(
            "0s",
            "t",
            6,
            ", placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"binpack\", field = \"memory\" }]"
        ),
    );
    let (o, _) = run_toml(&toml);
    // Zones alternate; within a zone the tighter instance fills first (3 × 1000 MiB).
    assert_eq!(
        placements(&o),
        vec!["a-small", "b-small", "a-small", "b-small", "a-small", "b-small"]
    );
}

#[test]
fn spread_zone_then_instance_gives_each_instance_one_task() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("a1", "us-east-1a", 4096, 8000, ""),
        instance("a2", "us-east-1a", 4096, 8000, ""),
        instance("b1", "us-east-1b", 4096, 8000, ""),
        task_def("t", 10, 10),
        run_task(
            "0s",
            "t",
            3,
            ", placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"spread\", field = \"instanceId\" }]"
        ),
    );
    let (o, _) = run_toml(&toml);
    assert_eq!(
        live_per_instance(&o),
        vec![("a1".into(), 1), ("a2".into(), 1), ("b1".into(), 1)]
    );
}

#[test]
fn the_service_default_balances_zones_then_instances() {
    let toml = format!(
        "{HEADER}{}{}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 3\n",
        instance("a1", "us-east-1a", 4096, 8000, ""),
        instance("a2", "us-east-1a", 4096, 8000, ""),
        instance("b1", "us-east-1b", 4096, 8000, ""),
        task_def("t", 10, 10),
    );
    let (o, _) = run_toml(&toml);
    // Zone b has none after the first task goes to a; then zones tie and a2 has the fewest.
    assert_eq!(placements(&o), vec!["a1", "b1", "a2"]);
}

#[test]
fn spread_counts_only_the_tasks_of_the_same_group() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        instance("i2", "us-east-1a", 4096, 8000, ""),
        task_def("t", 10, 10),
        run_task(
            "0s",
            "t",
            3,
            ", group = \"other\", placementStrategy = [{ type = \"binpack\", field = \"memory\" }]"
        ),
        run_task(
            "1s",
            "t",
            2,
            ", group = \"mine\", placementStrategy = [{ type = \"spread\", field = \"instanceId\" }]"
        ),
    );
    let (o, _) = run_toml(&toml);
    // The three `other` tasks pack on i1; `mine` still spreads one per instance.
    assert_eq!(placements(&o), vec!["i1", "i1", "i1", "i1", "i2"]);
}

#[test]
fn distinct_instance_never_colocates_and_fails_with_the_ecs_reason() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        instance("i2", "us-east-1a", 4096, 8000, ""),
        instance("i3", "us-east-1b", 4096, 8000, ""),
        task_def("t", 10, 10),
        run_task(
            "0s",
            "t",
            5,
            ", placementConstraints = [{ type = \"distinctInstance\" }]"
        ),
    );
    let (o, rec) = run_toml(&toml);
    assert_eq!(
        live_per_instance(&o),
        vec![("i1".into(), 1), ("i2".into(), 1), ("i3".into(), 1)]
    );
    let call = rec.events.iter().find(|e| e["eventName"] == "RunTask").unwrap();
    let failures = call["responseElements"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(
        failures[0]["reason"],
        "DistinctInstance placement constraint unsatisfied"
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
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance(
            "gpu",
            "us-east-1a",
            4096,
            8000,
            "attributes = { accelerator = \"gpu\" }"
        ),
        instance("plain1", "us-east-1a", 4096, 8000, ""),
        instance("plain2", "us-east-1b", 4096, 8000, ""),
        task_def("t", 1000, 10),
        run_task(
            "0s",
            "t",
            6,
            ", placementConstraints = [{ type = \"memberOf\", expression = \"attribute:accelerator == gpu\" }]"
        ),
    );
    let (o, rec) = run_toml(&toml);
    // Four fit on the one matching instance (4 × 1000 CPU units); two fail.
    assert_eq!(live_per_instance(&o), vec![("gpu".into(), 4)]);
    let call = rec.events.iter().find(|e| e["eventName"] == "RunTask").unwrap();
    let reasons: Vec<&str> = call["responseElements"]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, vec!["MemberOf placement constraint unsatisfied"; 2]);
}

#[test]
fn a_task_definition_constraint_applies_to_every_task() {
    let toml = format!(
        "{HEADER}{}{}[[taskDefinitions]]\nfamily = \"t\"\nplacementConstraints = [{{ type = \"memberOf\", expression = \"ec2InstanceId in [i2]\" }}]\n[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\nmemory = 10\n{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        instance("i2", "us-east-1a", 4096, 8000, ""),
        run_task("0s", "t", 3, ""),
    );
    let (o, _) = run_toml(&toml);
    assert_eq!(placements(&o), vec!["i2", "i2", "i2"]);
}

#[test]
fn an_unplaceable_run_task_fails_with_the_resource_reason_and_creates_no_task() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i1", "us-east-1a", 1024, 2000, ""),
        task_def("huge", 10, 5000),
        task_def("hungry", 4096, 10),
        run_task("0s", "huge", 1, ""),
        run_task("1s", "hungry", 1, ""),
    );
    let (o, rec) = run_toml(&toml);
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
    let toml = format!(
        "{HEADER}{}{}{}[[timeline]]\nat = \"1m\"\napi = \"CreateService\"\nrequest = {{ serviceName = \"web\", taskDefinition = \"t\", desiredCount = 1 }}\n",
        instance("i1", "us-east-1a", 2048, 8000, ""),
        task_def("t", 1024, 10),
        run_task("0s", "t", 2, "") + "taskDuration = \"10m\"\n",
    );
    let (o, rec) = run_toml(&toml);
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
    let toml = format!(
        "{HEADER}{}{}[[workloads]]\nname = \"w\"\nrunTask = {{ taskDefinition = \"t\" }}\narrival = {{ process = \"fixed\", interval = \"1m\" }}\ntaskDuration = \"90s\"\nretry = {{ attempts = 3, backoff = \"20s\" }}\n",
        instance("i1", "us-east-1a", 1024, 8000, ""),
        task_def("t", 1024, 10),
    );
    let (o, _) = run_toml(&toml);
    // One task fits at a time, 90 s each, one call a minute: retries keep up only partly.
    assert!(o.summary.placement_failures.total() > 0);
    assert!(o.summary.tasks_placed > 30);
    let retried = o.tasks.iter().filter(|t| t.created_at > t.arrived_at).count();
    assert!(retried > 0);
}

#[test]
fn scale_in_with_binpack_stops_the_task_on_the_emptiest_instance() {
    let toml = format!(
        "{HEADER}{}{}{}[[services]]\nserviceName = \"s\"\ntaskDefinition = \"t\"\ndesiredCount = 3\nplacementStrategy = [{{ type = \"binpack\", field = \"memory\" }}]\n[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s\", desiredCount = 2 }}\n",
        instance("small", "us-east-1a", 4096, 2500, ""),
        instance("big", "us-east-1a", 4096, 8000, ""),
        task_def("t", 10, 1000),
    );
    let (o, _) = run_toml(&toml);
    // Service tasks: two on `small` (2500 → 500), one on `big`. Stopping the one on
    // `big` leaves it with the most memory, so that one goes.
    let stopped: Vec<String> = o
        .tasks
        .iter()
        .filter(|t| t.stop_code.is_some())
        .map(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
        .collect();
    assert_eq!(stopped, vec!["big"]);
}

fn stopped_on(o: &ecsim::sim::Outcome) -> Vec<String> {
    o.tasks
        .iter()
        .filter(|t| t.stop_code.is_some())
        .map(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
        .collect()
}

fn service_then_scale_in(strategy: &str, instances: &str, desired: u32, to: u32) -> String {
    format!(
        "{HEADER}{instances}{}[[services]]\nserviceName = \"s\"\ntaskDefinition = \"t\"\ndesiredCount = {desired}\n{strategy}\n[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s\", desiredCount = {to} }}\n",
        task_def("t", 10, 100),
    )
}

#[test]
fn scale_in_with_spread_keeps_the_zones_balanced() {
    // Zone a: a1, a2; zone b: b1. Spread on zones puts 3 tasks in a, 3 in b (6 tasks);
    // then 4 in a vs 3 in b after a 7th. Scaling 7 → 6 must stop one in zone a.
    let instances = instance("a1", "us-east-1a", 4096, 8000, "")
        + &instance("a2", "us-east-1a", 4096, 8000, "")
        + &instance("b1", "us-east-1b", 4096, 8000, "");
    let toml = service_then_scale_in(
        "placementStrategy = [{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }]",
        &instances,
        7,
        6,
    );
    let (o, _) = run_toml(&toml);
    let stopped = stopped_on(&o);
    assert_eq!(stopped.len(), 1);
    assert!(stopped[0].starts_with('a'), "{stopped:?}");
}

#[test]
fn scale_in_without_a_strategy_takes_the_busiest_zone_then_instance() {
    // The default places 5 tasks a1, b1, a2, b1, a1: zone a holds 3 (a1 two, a2 one),
    // zone b 2. Scaling in takes zone a, then its instance with the most: a1.
    let instances = instance("a1", "us-east-1a", 4096, 8000, "")
        + &instance("a2", "us-east-1a", 4096, 8000, "")
        + &instance("b1", "us-east-1b", 4096, 8000, "");
    let (o, _) = run_toml(&service_then_scale_in("", &instances, 5, 4));
    assert_eq!(placements(&o), vec!["a1", "b1", "a2", "b1", "a1"]);
    assert_eq!(stopped_on(&o), vec!["a1"]);
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
        assert!(r.summary.tasks_placed > 100, "{:?}", r.labels);
    }
    // firstFit fills i1 first; worstFit keeps both busy.
    assert!(rows[0].summary.instances_used_mean < rows[3].summary.instances_used_mean);
}
