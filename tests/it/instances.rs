//! Container instances over time: DAEMON services following instances, draining
//! within the deployment bounds, registration and deregistration on the timeline,
//! and clusters that keep their instances to themselves.

use crate::common::{run_toml, task_def, web_def, xlarge_group};
use ecsim::sim::ids::ServiceId;
use ecsim::sim::task::{Origin, Reason, TaskStatus};

/// Three m5.xlarge over three zones, a small `agent` and a `web` task definition.
fn base() -> String {
    format!(
        "name = \"i\"\nseed = 2\nduration = \"1h\"\ntieBreak = \"lowestId\"\ntaskStartLatency = \"1s\"\n{}{}{}",
        xlarge_group(3),
        task_def("agent", 256, 256),
        web_def("web", "", "web", "web:1", 1024)
    )
}

const DAEMON: &str = r#"[[services]]
serviceName = "logs"
taskDefinition = "agent"
schedulingStrategy = "DAEMON"
"#;

const WEB: &str = r#"[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 3
"#;

fn register(at: &str, id: &str) -> String {
    format!(
        r#"[[timeline]]
at = "{at}"
api = "RegisterContainerInstance"
request = {{ instanceIdentityDocument = '{{"instanceId": "{id}", "instanceType": "m5.xlarge", "availabilityZone": "us-east-1a"}}' }}
"#
    )
}

fn state(at: &str, id: &str, status: &str) -> String {
    format!(
        "[[timeline]]\nat = \"{at}\"\napi = \"UpdateContainerInstancesState\"\nrequest = {{ containerInstances = [\"{id}\"], status = \"{status}\" }}\n"
    )
}

fn ec2(o: &ecsim::sim::Outcome, t: &ecsim::sim::task::Task) -> String {
    o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone()
}

#[test]
fn a_daemon_runs_one_task_per_instance_and_follows_new_ones_first() {
    let base = base();
    let text = format!("{base}{DAEMON}{WEB}{}", register("20m", "i-new"));
    let (o, _) = run_toml(&text);
    let daemon: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| t.origin == Origin::Service(ServiceId(0)))
        .collect();
    let mut hosts: Vec<String> = daemon.iter().map(|t| ec2(&o, t)).collect();
    hosts.sort();
    assert_eq!(hosts, vec!["g-1", "g-2", "g-3", "i-new"]);
    assert_eq!(o.services[0].desired, 4);
    // At time 0 the daemon's tasks were created before the replica service's.
    let first_web = o
        .tasks
        .iter()
        .position(|t| t.origin == Origin::Service(ServiceId(1)))
        .unwrap();
    let first_daemons = o.tasks[..first_web]
        .iter()
        .filter(|t| t.origin == Origin::Service(ServiceId(0)))
        .count();
    assert_eq!(
        first_daemons,
        daemon.iter().filter(|t| t.created_at.millis() == 0).count(),
        "every daemon task of time 0 comes before the first replica task"
    );
}

#[test]
fn draining_replaces_service_tasks_first_and_stops_the_daemon_last() {
    let base = base();
    let standalone = "[[timeline]]\nat = \"1m\"\napi = \"RunTask\"\nrequest = { taskDefinition = \"web\", placementConstraints = [{ type = \"memberOf\", expression = \"ec2InstanceId == g-1\" }] }\n";
    let text = format!("{base}{DAEMON}{WEB}{standalone}{}", state("10m", "g-1", "DRAINING"));
    let (o, rec) = run_toml(&text);
    let web_on_g1 = o
        .tasks
        .iter()
        .find(|t| t.origin == Origin::Service(ServiceId(1)) && ec2(&o, t) == "g-1")
        .unwrap();
    assert!(matches!(web_on_g1.reason, Some(Reason::Draining(_))));
    // Its replacement ran (healthy) before it stopped: max 200 % allows the extra task.
    let replacement = o
        .tasks
        .iter()
        .find(|t| t.origin == Origin::Service(ServiceId(1)) && t.created_at.millis() == 600_000)
        .unwrap();
    assert_ne!(ec2(&o, replacement), "g-1");
    assert!(replacement.started_at.get().unwrap() < web_on_g1.stopped_at.get().unwrap());
    assert_eq!(web_on_g1.stopped_at.get().unwrap().millis(), 600_000 + 1_000 + 40_000);
    // The standalone task is not touched; the daemon task stays while it runs there.
    let single = o
        .tasks
        .iter()
        .find(|t| matches!(t.origin, Origin::Timeline(_)))
        .unwrap();
    assert_eq!(single.status, TaskStatus::Running);
    let daemon_g1 = o
        .tasks
        .iter()
        .find(|t| t.origin == Origin::Service(ServiceId(0)) && ec2(&o, t) == "g-1")
        .unwrap();
    assert_eq!(daemon_g1.status, TaskStatus::Running);
    assert_eq!(o.services[0].desired, 2);
    // Nothing new went to g-1 after it began draining.
    assert!(
        o.tasks
            .iter()
            .filter(|t| t.instance.is_some() && ec2(&o, t) == "g-1")
            .all(|t| t.created_at.millis() < 600_000)
    );
    let drained = rec.events.iter().any(|e| {
        e["detail-type"] == "ECS Container Instance State Change"
            && e["detail"]["ec2InstanceId"] == "g-1"
            && e["detail"]["status"] == "DRAINING"
    });
    assert!(drained);
}

#[test]
fn a_drained_instance_loses_its_daemon_task_once_empty_and_can_return() {
    let base = base();
    let text = format!(
        "{base}{DAEMON}{WEB}{}{}",
        state("10m", "g-1", "DRAINING"),
        state("30m", "g-1", "ACTIVE")
    );
    let (o, _) = run_toml(&text);
    let on_g1: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| t.origin == Origin::Service(ServiceId(0)) && ec2(&o, t) == "g-1")
        .collect();
    // The first daemon task stopped after the web task left; a new one came back with ACTIVE.
    assert_eq!(on_g1.len(), 2);
    assert_eq!(on_g1[0].stopped_at.get().unwrap().millis(), 641_000);
    assert_eq!(on_g1[1].created_at.millis(), 1_800_000);
    assert_eq!(o.services[0].desired, 3);
}

#[test]
fn deregistering_with_force_orphans_the_tasks_and_services_replace_them() {
    let base = base();
    let dereg = |force: bool| {
        format!(
            "[[timeline]]\nat = \"5m\"\napi = \"DeregisterContainerInstance\"\nrequest = {{ containerInstance = \"g-2\", force = {force} }}\n"
        )
    };
    let (o, rec) = run_toml(&format!("{base}{WEB}{}", dereg(false)));
    assert!(
        rec.events
            .iter()
            .any(|e| e["eventName"] == "DeregisterContainerInstance" && e.get("errorCode").is_some())
    );
    assert!(o.tasks.iter().all(|t| t.status == TaskStatus::Running));
    let (o, _) = run_toml(&format!("{base}{WEB}{}", dereg(true)));
    let orphaned: Vec<_> = o
        .tasks
        .iter()
        .filter(|t| matches!(t.reason, Some(Reason::Orphaned(_))))
        .collect();
    assert_eq!(orphaned.len(), 1);
    assert_eq!(o.tasks.iter().filter(|t| t.status == TaskStatus::Running).count(), 3);
    assert!(
        o.tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Running)
            .all(|t| ec2(&o, t) != "g-2")
    );
}

#[test]
fn clusters_keep_their_instances_to_themselves() {
    let base = base();
    let text = format!(
        r#"{base}
[[clusters]]
clusterName = "default"
[[clusters]]
clusterName = "batch"
[[instanceGroups]]
name = "b"
instanceType = "m5.large"
count = 2
userData = "ECS_CLUSTER=batch"
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
[[services]]
serviceName = "web"
cluster = "batch"
taskDefinition = "web"
desiredCount = 6
"#
    );
    let (o, rec) = run_toml(&text);
    for t in o.tasks.iter().filter(|t| t.instance.is_some()) {
        let host = ec2(&o, t);
        match t.origin {
            Origin::Service(ServiceId(0)) => assert!(host.starts_with("g-"), "{host}"),
            _ => assert!(host.starts_with("b-"), "{host}"),
        }
    }
    // Two m5.large hold two 1-vCPU tasks each: the batch service waits for four.
    assert_eq!(o.summary.service_shortfall_at_end, 2);
    assert!(rec.events.iter().any(|e| {
        e["detail"]["taskArn"]
            .as_str()
            .is_some_and(|a| a.contains(":task/batch/"))
    }));
}
