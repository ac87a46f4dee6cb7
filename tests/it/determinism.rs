//! Same scenario and seed → byte-identical outputs, whatever the thread count.

use crate::common::{ecsim_ok, memory_def};
use std::path::Path;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_same_run_twice_gives_identical_bytes_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    for (dir, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        ecsim_ok("run", "scenarios/default.toml", dir, &["--seed", seed, "--decisions"]);
    }
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    let names: Vec<&str> = fa.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "decisions.jsonl",
            "events.jsonl",
            "instances.csv",
            "services.csv",
            "summary.csv",
            "tasks.csv",
            "timeseries.csv"
        ]
    );
    assert_eq!(fa, fb);
    // Another seed really changes the run (this test can fail).
    assert_ne!(
        fa.iter().find(|(n, _)| n == "tasks.csv"),
        fc.iter().find(|(n, _)| n == "tasks.csv")
    );
}

#[test]
fn recording_decisions_does_not_change_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ecsim_ok("run", "scenarios/default.toml", &a, &["--outputs", "tasks,summary"]);
    ecsim_ok(
        "run",
        "scenarios/default.toml",
        &b,
        &["--outputs", "tasks,summary", "--decisions"],
    );
    for f in ["tasks.csv", "summary.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn sweep_csv_is_identical_with_one_or_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, jobs) in [(&a, "1"), (&b, "2")] {
        ecsim_ok("sweep", "scenarios/default.toml", dir, &["--jobs", jobs]);
    }
    let sa = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    assert_eq!(sa, std::fs::read_to_string(b.join("sweep.csv")).unwrap());
    assert_eq!(sa.lines().count(), 1 + 5 * 3);
    assert!(sa.starts_with("run,strategy,seed,scenario,tasksArrived"));
}

/// A service on instance groups that scales in at 40 minutes (its victims drawn at
/// random), and — with `extra` — an Auto Scaling group in another cluster that
/// launches three instances and scales them in after 15 idle minutes, drawing its own
/// scale-in victims before the service's.
fn scale_in_scenario(extra: bool) -> String {
    let mut s = format!(
        r#"name = "streams"
seed = 3
duration = "1h"
[[clusters]]
clusterName = "default"
[[clusters]]
clusterName = "other"
[[instanceGroups]]
name = "g"
instanceType = "m5.xlarge"
count = 6
availabilityZones = ["us-east-1a", "us-east-1b"]
{}[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 12
placementStrategy = [{{ type = "random" }}]
[[timeline]]
at = "40m"
api = "UpdateService"
request = {{ service = "web", desiredCount = 4 }}
"#,
        memory_def("web", 256, ""),
    );
    if extra {
        s += r#"[[autoScalingGroups]]
name = "asg"
instanceType = "m5.large"
minSize = 0
maxSize = 3
desiredCapacity = 3
availabilityZones = ["us-east-1a", "us-east-1b"]
userData = "ECS_CLUSTER=other"
[[capacityProviders]]
name = "cp"
autoScalingGroupProvider = { autoScalingGroupArn = "asg", managedScaling = { status = "ENABLED" } }
"#;
    }
    s
}

#[test]
fn another_consumer_of_scale_in_draws_leaves_a_services_victims_unchanged() {
    let victims = |extra: bool| {
        let (o, _) = crate::common::run_toml(&scale_in_scenario(extra));
        let stopped: Vec<String> = o
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.reason, Some(ecsim::sim::task::Reason::ScaleIn(_))))
            .map(|(k, t)| format!("{k}@{}", o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id))
            .collect();
        (stopped, o)
    };
    let (alone, _) = victims(false);
    let (beside, o) = victims(true);
    assert_eq!(alone.len(), 8, "{alone:?}");
    // The group really drew scale-in victims before the service did.
    let scaled_in: Vec<_> = o
        .cluster
        .instances()
        .iter()
        .filter(|i| {
            i.spec.ec2_instance_id.starts_with("asg-") && i.deregistered_at.is_some_and(|t| t.millis() < 40 * 60_000)
        })
        .collect();
    assert!(scaled_in.len() >= 2, "the Auto Scaling group did not scale in");
    assert_eq!(alone, beside);
}
