//! Faults and the container agent: zone outages, instance failures, agent
//! disconnects, and instance roles that keep instances out of work.

use crate::common::{run_toml, service_events, web_def, xlarge_group};
use ecsim::sim::task::{Reason, StopCode, TaskStatus};
use serde_json::Value;

/// `count` m5.xlarge over three zones, and a service of `desired` tasks of `cpu` units.
fn fleet(count: u32, desired: u32, cpu: u32, extra: &str) -> String {
    format!(
        r#"name = "f"
seed = 5
duration = "2h"
tieBreak = "lowestId"
taskStartLatency = "2s"
{}{}[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
{extra}"#,
        xlarge_group(count),
        web_def("web", "", "web", "web:1", cpu)
    )
}

fn outage(at: &str, duration: &str) -> String {
    format!(
        "[[faults]]\nat = \"{at}\"\ntype = \"azOutage\"\navailabilityZone = \"us-east-1a\"\nduration = \"{duration}\"\n"
    )
}

fn running_per_zone(o: &ecsim::sim::Outcome) -> Vec<usize> {
    ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .map(|z| {
            o.tasks
                .iter()
                .filter(|t| t.status == TaskStatus::Running)
                .filter(|t| o.cluster.instance(t.instance.unwrap()).spec.availability_zone == *z)
                .count()
        })
        .collect()
}

#[test]
fn after_a_zone_outage_the_service_recovers_in_the_other_zones_then_rebalances() {
    let (o, _) = run_toml(&fleet(9, 9, 1024, &outage("30m", "20m")));
    let f = &o.summary.faults;
    assert_eq!(
        (f.injected, f.tasks_stopped, f.replacements, f.unrecovered),
        (1, 3, 3, 0)
    );
    // Replacements start at once elsewhere: back to the desired count after the start latency.
    assert_eq!(f.recoveries_s, vec![2.0]);
    assert!((f.task_minutes_lost - 3.0 * 2.0 / 60.0).abs() < 1e-9);
    let during: Vec<_> = o
        .service_samples
        .iter()
        .filter(|s| (1860..3000).contains(&(s.time.millis() / 1000)))
        .collect();
    assert!(during.iter().all(|s| s.running == 9), "{during:?}");
    // The zone's instances come back, and rebalancing restores three per zone.
    assert_eq!(running_per_zone(&o), vec![3, 3, 3]);
    assert_eq!(o.summary.service_shortfall_at_end, 0);
}

#[test]
fn without_spare_capacity_a_zone_outage_leaves_a_shortfall_until_it_ends() {
    // Two 2-vCPU tasks per instance: the six instances are full at twelve tasks.
    let (o, rec) = run_toml(&fleet(6, 12, 2048, &outage("30m", "20m")));
    let mid = o
        .service_samples
        .iter()
        .find(|s| s.time.millis() == 40 * 60_000)
        .unwrap();
    assert_eq!((mid.desired, mid.running, mid.waiting), (12, 8, 4));
    let warned: Vec<&Value> = service_events(&rec, "SERVICE_TASK_PLACEMENT_FAILURE");
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0]["detail"]["reason"], "RESOURCE:CPU");
    // When the zone returns, so do the tasks: recovery took the outage plus the start.
    assert_eq!(o.summary.faults.recoveries_s, vec![20.0 * 60.0 + 2.0]);
    assert_eq!(o.summary.service_shortfall_at_end, 0);
    // An outage that outlasts the run leaves the shortfall, reported.
    let (o, _) = run_toml(&fleet(6, 12, 2048, &outage("30m", "5h")));
    assert_eq!(o.summary.service_shortfall_at_end, 4);
    assert_eq!(o.summary.faults.unrecovered, 1);
    assert!((o.summary.faults.task_minutes_lost - 4.0 * 90.0).abs() < 1e-9);
}

#[test]
fn a_failed_instance_leaves_and_its_tasks_are_replaced() {
    let f = "[[faults]]\nat = \"10m\"\ntype = \"instanceFailure\"\nec2InstanceId = \"g-1\"\n";
    let (o, _) = run_toml(&fleet(3, 3, 1024, f));
    let g1 = o
        .cluster
        .ids()
        .find(|&i| o.cluster.instance(i).spec.ec2_instance_id == "g-1")
        .unwrap();
    assert_eq!(o.cluster.status(g1).as_str(), "INACTIVE");
    let stopped: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| t.stop_code == Some(StopCode::TerminationNotice))
        .collect();
    assert_eq!(stopped.len(), 1);
    assert_eq!(o.summary.faults.replacements, 1);
    assert_eq!(o.tasks.iter().filter(|t| t.status == TaskStatus::Running).count(), 3);
}

#[test]
fn random_faults_are_reproducible_and_depend_on_the_seed() {
    let f = "[[faults]]\nratePerHour = 0.5\ntype = \"instanceFailure\"\n";
    let text = fleet(9, 6, 1024, f);
    let (a, _) = run_toml(&text);
    let (b, _) = run_toml(&text);
    assert_eq!(a.summary, b.summary);
    assert!(a.summary.faults.injected > 0);
    let (c, _) = run_toml(&text.replace("seed = 5", "seed = 6"));
    assert_ne!(a.summary.faults, c.summary.faults);
}

#[test]
fn a_disconnected_agent_keeps_its_tasks_until_the_timeout() {
    let short = "[[faults]]\nat = \"10m\"\ntype = \"agentDisconnect\"\nec2InstanceId = \"g-1\"\nduration = \"5m\"\n";
    let (o, rec) = run_toml(&fleet(3, 3, 1024, short));
    // Shorter than the 15-minute timeout: nothing stops, nothing moves.
    assert_eq!(o.summary.faults.tasks_stopped, 0);
    assert_eq!(o.tasks.len(), 3);
    let connected: Vec<bool> = rec
        .events
        .iter()
        .filter(|e| e["detail-type"] == "ECS Container Instance State Change" && e["detail"]["ec2InstanceId"] == "g-1")
        .map(|e| e["detail"]["agentConnected"].as_bool().unwrap())
        .collect();
    assert_eq!(connected, vec![true, false, true]);
    // Longer: at the timeout the service counts g-1's task lost and replaces it.
    let long = short.replace("5m", "40m");
    let (o, _) = run_toml(&fleet(3, 3, 1024, &long));
    let lost: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| matches!(t.reason, Some(Reason::AgentDisconnected(_))))
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].stopped_at.get().unwrap().millis(), 25 * 60_000);
    let replacement = o.tasks.iter().find(|t| t.created_at.millis() > 0).unwrap();
    assert_ne!(
        o.cluster.instance(replacement.instance.unwrap()).spec.ec2_instance_id,
        "g-1"
    );
    // While away, g-1 took no task; after it came back it is usable again.
    let (o, _) = run_toml(&format!(
        "{}[[timeline]]\nat = \"20m\"\napi = \"UpdateService\"\nrequest = {{ service = \"web\", desiredCount = 12 }}\n",
        fleet(3, 3, 1024, short.replace("5m", "20m").as_str())
    ));
    let on_g1: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| {
            t.instance
                .is_some_and(|i| o.cluster.instance(i).spec.ec2_instance_id == "g-1")
        })
        .map(|t| t.created_at)
        .collect();
    assert!(
        on_g1
            .iter()
            .all(|c| c.millis() < 10 * 60_000 || c.millis() >= 30 * 60_000),
        "{on_g1:?}"
    );
}

#[test]
fn without_ecs_poll_an_instance_never_runs_a_task_and_the_event_says_why() {
    let roles = r#"
[[instanceGroups]]
name = "locked"
instanceType = "m5.xlarge"
count = 2
iamActions = ["ecs:RegisterContainerInstance", "ecs:CreateCluster"]
"#;
    let (o, rec) = run_toml(&fleet(1, 8, 1024, roles));
    let locked: Vec<_> = o
        .cluster
        .ids()
        .filter(|&i| o.cluster.instance(i).spec.ec2_instance_id.starts_with("locked"))
        .collect();
    assert_eq!(locked.len(), 2);
    assert!(locked.iter().all(|&i| o.cluster.tasks_placed(i) == 0));
    assert!(locked.iter().all(|&i| !o.cluster.agent_connected(i)));
    let denied: Vec<&Value> = rec
        .events
        .iter()
        .filter(|e| e["errorCode"] == "AccessDeniedException")
        .collect();
    assert_eq!(denied.len(), 2);
    assert!(
        denied
            .iter()
            .all(|e| e["errorMessage"].as_str().unwrap().contains("ecs:Poll"))
    );
    assert_eq!(o.summary.instances_unusable, (0, 2));
    // The one usable instance takes what fits: four 1-vCPU tasks; the rest wait.
    assert_eq!(o.tasks.iter().filter(|t| t.status == TaskStatus::Running).count(), 4);
}

#[test]
fn an_agent_creates_its_cluster_only_if_its_role_allows() {
    let group = |actions: &str| {
        format!(
            "[[instanceGroups]]\nname = \"other\"\ninstanceType = \"m5.large\"\ncount = 1\nuserData = \"ECS_CLUSTER=batch\"\n{actions}\n"
        )
    };
    let (o, rec) = run_toml(&fleet(1, 1, 1024, &group("")));
    assert_eq!(o.clusters, vec!["default", "batch"]);
    let created: Vec<&Value> = rec
        .events
        .iter()
        .filter(|e| e["eventName"] == "CreateCluster" && e["userAgent"] == "ecs-agent")
        .collect();
    assert_eq!(created.len(), 1);
    let without = group("iamActions = [\"ecs:RegisterContainerInstance\", \"ecs:Poll\"]");
    let (o, rec) = run_toml(&fleet(1, 1, 1024, &without));
    assert_eq!(o.clusters, vec!["default"]);
    assert_eq!(o.summary.instances_unusable, (1, 0));
    let failed = rec
        .events
        .iter()
        .find(|e| e["eventName"] == "RegisterContainerInstance" && e.get("errorCode").is_some())
        .unwrap();
    assert_eq!(failed["errorCode"], "ClusterNotFoundException");
    assert!(failed["errorMessage"].as_str().unwrap().contains("ecs:CreateCluster"));
}

#[test]
fn an_instance_that_fails_while_a_task_is_stopping_ends_it_at_once() {
    let text = fleet(3, 3, 1024, "").replace(
        "taskStartLatency = \"2s\"",
        "taskStartLatency = \"2s\"\ntaskStopLatency = \"25s\"",
    ) + "[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", desiredCount = 2 }\n"
        + "[[faults]]\nat = \"10m10s\"\ntype = \"instanceFailure\"\nec2InstanceId = \"g-3\"\n"
        + "[[faults]]\nat = \"20m\"\ntype = \"agentDisconnect\"\nec2InstanceId = \"g-1\"\nduration = \"1h\"\n"
        + "[[timeline]]\nat = \"21m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", desiredCount = 0 }\n";
    let (o, _) = run_toml(&text);
    // Scale-in picked a task that began stopping at 600 s; the failure ended it at 610 s.
    let stopping: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| t.stopping_at.get().is_some_and(|s| s.millis() == 600_000))
        .collect();
    assert_eq!(stopping.len(), 1);
    let host = o
        .cluster
        .instance(stopping[0].instance.unwrap())
        .spec
        .ec2_instance_id
        .clone();
    let expected = if host == "g-3" { 610_000 } else { 625_000 };
    assert_eq!(stopping[0].stopped_at.get().unwrap().millis(), expected, "on {host}");
    // No SIGTERM reaches a disconnected agent: its task stops at once.
    let on_g1: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id == "g-1")
        .filter(|t| t.stopping_at.get().is_some_and(|s| s.millis() == 1_260_000))
        .collect();
    assert!(on_g1.iter().all(|t| t.stopped_at == t.stopping_at), "{on_g1:?}");
}
