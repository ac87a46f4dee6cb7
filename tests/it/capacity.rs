//! Capacity providers: base/weight splits, managed scaling, PROVISIONING, Fargate,
//! errors, and cost (ecs-semantics.md §4–5).

use crate::common::*;
use ecsim::sim::task::{StopCode, TaskStatus};

const FARGATE_BASE: &str = r#"
[[subnets]]
subnetId = "subnet-a"
availabilityZone = "us-east-1a"
[[subnets]]
subnetId = "subnet-b"
availabilityZone = "us-east-1b"
[clusterCapacityProviders]
capacityProviders = ["FARGATE", "FARGATE_SPOT"]
defaultCapacityProviderStrategy = []
"#;

fn per_provider(o: &ecsim::sim::Outcome) -> (usize, usize) {
    let live = |name: &str| {
        o.tasks
            .iter()
            .filter(|t| {
                matches!(t.status, TaskStatus::Pending | TaskStatus::Running) && o.provider_name(t.pool) == name
            })
            .count()
    };
    (live("FARGATE"), live("FARGATE_SPOT"))
}

fn fargate_service(desired: u32, strategy: &str) -> String {
    format!(
        "{HEADER}{FARGATE_BASE}{}[[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = {desired}\ncapacityProviderStrategy = {strategy}\nnetworkConfiguration = {{ awsvpcConfiguration = {{ subnets = [\"subnet-a\", \"subnet-b\"] }} }}\n",
        fargate_def("api", 1024, 2048)
    )
}

#[test]
fn the_documented_base_and_weight_example_comes_out_exactly() {
    // A {base 2, weight 1}, B {weight 4}, 12 tasks → A 4, B 8.
    let s = r#"[{ capacityProvider = "FARGATE", base = 2, weight = 1 }, { capacityProvider = "FARGATE_SPOT", weight = 4 }]"#;
    let (o, _) = run_toml(&fargate_service(12, s));
    assert_eq!(per_provider(&o), (4, 8));
    // 13 tasks: the 11 weighted ones split 2.2 : 8.8 → 2 : 9 (SIM CHOICE: nearest share).
    let (o, _) = run_toml(&fargate_service(13, s));
    assert_eq!(per_provider(&o), (4, 9));
    // Equal weights split evenly; "for every 1 task on A, 4 on B".
    let even = r#"[{ capacityProvider = "FARGATE", weight = 1 }, { capacityProvider = "FARGATE_SPOT", weight = 1 }]"#;
    assert_eq!(per_provider(&run_toml(&fargate_service(10, even)).0), (5, 5));
    let one_four =
        r#"[{ capacityProvider = "FARGATE", weight = 1 }, { capacityProvider = "FARGATE_SPOT", weight = 4 }]"#;
    assert_eq!(per_provider(&run_toml(&fargate_service(50, one_four)).0), (10, 40));
}

#[test]
fn fargate_tasks_spread_over_the_subnets_zones() {
    let s = r#"[{ capacityProvider = "FARGATE", weight = 1 }]"#;
    let (o, _) = run_toml(&fargate_service(6, s));
    let sc = scenario(&fargate_service(6, s));
    let rows = ecsim::output::task_rows(&o, &sc);
    let a = rows.iter().filter(|r| r.availability_zone == "us-east-1a").count();
    let b = rows.iter().filter(|r| r.availability_zone == "us-east-1b").count();
    assert_eq!((a, b), (3, 3));
    assert!(
        rows.iter().all(|r| r.launch_type == "FARGATE"
            && r.capacity_provider == "FARGATE"
            && r.container_instance_id.is_none())
    );
}

#[test]
fn an_invalid_fargate_size_is_an_error() {
    let toml = fargate_service(1, r#"[{ capacityProvider = "FARGATE", weight = 1 }]"#)
        .replace("memory = \"2048\"", "memory = \"1024\"");
    let e = refusal(&toml);
    assert_mentions(
        &e,
        &[
            "services[0]",
            "memory 1024 MiB is not valid with cpu 1024 on Fargate",
            "2048–8192",
        ],
    );
}

#[test]
fn a_strategy_naming_an_unknown_provider_is_an_error() {
    let e = refusal(&fargate_service(1, r#"[{ capacityProvider = "cp-nope", weight = 1 }]"#));
    assert_mentions(
        &e,
        &[
            "services[0].capacityProviderStrategy",
            "unknown capacity provider `cp-nope`",
        ],
    );
}

#[test]
fn launch_type_together_with_a_strategy_is_an_error() {
    let toml = fargate_service(1, r#"[{ capacityProvider = "FARGATE", weight = 1 }]"#)
        .replace("desiredCount = 1", "desiredCount = 1\nlaunchType = \"FARGATE\"");
    let e = refusal(&toml);
    assert!(e.contains("both a launch type and a capacity provider strategy"), "{e}");
}

#[test]
fn placement_strategies_are_refused_on_fargate() {
    let toml = fargate_service(1, r#"[{ capacityProvider = "FARGATE", weight = 1 }]"#).replace(
        "desiredCount = 1",
        "desiredCount = 1\nplacementStrategy = [{ type = \"binpack\", field = \"memory\" }]",
    );
    assert!(refusal(&toml).contains("aren't supported for tasks using Fargate"));
}

#[test]
fn the_cli_refuses_capacity_errors_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("c.toml");
    std::fs::write(
        &file,
        fargate_service(1, r#"[{ capacityProvider = "nope", weight = 1 }]"#),
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let out = crate::common::ecsim(&["run", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_dir.exists());
}

/// An ASG provider of m5.large (2048 CPU units), 1 instance at first, managed scaling.
fn burst(extra_provider: &str, tasks: u32, task_cpu: u32, duration: &str) -> String {
    let calls: String = (0..tasks.div_ceil(10))
        .map(|i| {
            let n = (tasks - i * 10).min(10);
            format!("[[timeline]]\nat = \"10m\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"b\", count = {n} }}\ntaskDuration = \"{duration}\"\n")
        })
        .collect();
    format!(
        "{HEADER}
[[autoScalingGroups]]
name = \"asg\"
instanceType = \"m5.large\"
minSize = 1
maxSize = 6
desiredCapacity = 1
launchLatency = \"90s\"
[[capacityProviders]]
name = \"cp\"
autoScalingGroupProvider = {{ autoScalingGroupArn = \"asg\", managedScaling = {{ status = \"ENABLED\", targetCapacity = 100, minimumScalingStepSize = 1, maximumScalingStepSize = 2, instanceWarmupPeriod = 60 }}, managedTerminationProtection = \"ENABLED\" {extra_provider}}}
[clusterCapacityProviders]
capacityProviders = [\"cp\"]
defaultCapacityProviderStrategy = [{{ capacityProvider = \"cp\", weight = 1 }}]
{}{calls}",
        task_def("b", task_cpu, 100)
    )
}

/// The whole number a [`column`] holds at `secs`.
fn whole_at(column: &[(u64, String)], secs: u64) -> u32 {
    column.iter().find(|(t, _)| *t == secs).unwrap().1.parse().unwrap()
}

#[test]
fn managed_scaling_follows_the_metric_within_the_step_sizes_and_max_size() {
    // 8 tasks of a whole instance each arrive at 10 min; 1 instance exists.
    let (o, _) = run_toml(&burst("", 8, 2048, "3h"));
    let desired = column(&o, "desiredCapacity[asg]");
    let at = |secs: u64| whole_at(&desired, secs);
    assert_eq!(at(540), 1);
    // The tick at 10 min runs after the RunTask calls of that instant: 7 tasks
    // provisioning need 7 instances; the step is capped at 2.
    assert_eq!(at(600), 3);
    // Each minute at most 2 more, then maxSize (6) holds.
    assert_eq!(at(660), 5);
    assert_eq!(at(720), 6);
    assert!(desired.iter().all(|(_, d)| d.parse::<u32>().unwrap() <= 6));
    let reservation = column(&o, "capacityProviderReservation[cp]");
    assert_eq!(reservation.iter().find(|(t, _)| *t == 600).unwrap().1, "300.00"); // M = 1 + 2, N = 1
    // The first new instances launch at 10 min and serve 90 s later.
    let first_new = o
        .cluster
        .instances()
        .iter()
        .map(|i| i.registered_at.millis())
        .filter(|&r| r > 0)
        .min()
        .unwrap();
    assert_eq!(first_new, 600_000 + 90_000);
    let on_new: Vec<u64> = o
        .tasks
        .iter()
        .filter(|t| {
            t.instance
                .is_some_and(|i| o.cluster.instance(i).registered_at.millis() > 0)
        })
        .map(|t| t.started_at.get().unwrap().millis())
        .collect();
    assert_eq!(on_new.len(), 5);
    assert_eq!(*on_new.iter().min().unwrap(), first_new);

    // Two tasks never find capacity (maxSize 6 for 1 + 8 − … tasks) and stop after the
    // 30-minute provisioning timeout.
    assert_eq!(o.summary.tasks_failed_to_start, 2);
    let failed = o
        .tasks
        .iter()
        .find(|t| t.stop_code == Some(StopCode::TaskFailedToStart))
        .unwrap();
    assert_eq!(
        failed.stopped_at.get().unwrap().millis() - failed.created_at.millis(),
        1_800_000
    );
}

#[test]
fn scale_in_waits_15_minutes_below_target_and_spares_protected_instances() {
    // 4 tasks of a whole instance: 3 of 20 min, 1 of 3 h. When the short ones end the
    // metric drops below target; the group scales in on the 15th one-minute point
    // below target, and never removes the instance still running the long task.
    let mut toml = burst("", 3, 2048, "20m");
    toml += "[[timeline]]\nat = \"10m\"\napi = \"RunTask\"\nrequest = { taskDefinition = \"b\", count = 1, group = \"long\" }\ntaskDuration = \"3h\"\n";
    let (o, _) = run_toml(&toml);
    let desired = column(&o, "desiredCapacity[asg]");
    let metric = column(&o, "capacityProviderReservation[cp]");
    let d = |secs: u64| whole_at(&desired, secs);
    let peak_at = desired.iter().position(|(_, v)| v == "4").expect("scaled out to 4");
    let first_below = metric[peak_at..]
        .iter()
        .find(|(_, v)| v.parse::<f64>().is_ok_and(|m| m < 100.0))
        .unwrap()
        .0;
    let drop = desired[peak_at..]
        .iter()
        .find(|(_, v)| v.parse::<u32>().unwrap() < 4)
        .unwrap()
        .0;
    assert_eq!(
        drop,
        first_below + 14 * 60,
        "15 data points below target, the first at {first_below}"
    );
    assert!((first_below..drop).step_by(60).all(|t| d(t) == 4));
    assert_eq!(d(drop), 1);
    // The instance with the long task was never terminated.
    let long = o
        .tasks
        .iter()
        .find(|t| o.cluster.group_name(t.group) == "long")
        .unwrap();
    assert_eq!(long.status, TaskStatus::Running);
    assert!(o.cluster.instance(long.instance.unwrap()).deregistered_at.is_none());
    assert_eq!(
        o.cluster
            .instances()
            .iter()
            .filter(|i| i.deregistered_at.is_some())
            .count(),
        3
    );
}

/// A Fargate RunTask of `family` in subnet `s`, its task running `duration`.
fn fargate_run(family: &str, duration: &str) -> String {
    format!(
        "[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", launchType = \"FARGATE\", networkConfiguration = {{ awsvpcConfiguration = {{ subnets = [\"s\"] }} }} }}\ntaskDuration = \"{duration}\"\n"
    )
}

#[test]
fn cost_of_a_hand_computable_scenario_is_exact_to_the_cent() {
    let toml = format!(
        r#"name = "cost"
duration = "1h"
fargateStartLatency = "0s"
taskStartLatency = "0s"
[[subnets]]
subnetId = "s"
availabilityZone = "us-east-1a"
[[instanceGroups]]
name = "od"
instanceType = "m5.large"
count = 2
[[instanceGroups]]
name = "edge"
instanceType = "t3.medium"
count = 1
launchType = "EXTERNAL"
[[autoScalingGroups]]
name = "spot"
instanceType = "r5.large"
maxSize = 1
desiredCapacity = 1
spot = true
[[capacityProviders]]
name = "cp-spot"
autoScalingGroupProvider = {{ autoScalingGroupArn = "spot" }}
[clusterCapacityProviders]
capacityProviders = ["cp-spot", "FARGATE"]
defaultCapacityProviderStrategy = []
[prices]
spotFraction = 0.5
{}{}{}{}"#,
        fargate_def("f", 1024, 2048),
        fargate_def("tiny", 256, 512),
        fargate_run("f", "30m"),
        fargate_run("tiny", "20s")
    );
    let (o, _) = run_toml(&toml);
    let cost = |k: &str| {
        o.summary
            .cost_by_key
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| *v)
            .unwrap()
    };
    // 2 × m5.large for 1 h.
    assert!((cost("EC2") - 0.192).abs() < 1e-9);
    // ECS Anywhere: $0.01025 per instance-hour.
    assert!((cost("EXTERNAL") - 0.01025).abs() < 1e-9);
    // r5.large Spot at half of $0.126.
    assert!((cost("cp-spot") - 0.063).abs() < 1e-9);
    // Fargate: 1 vCPU + 2 GB for 30 min, and 0.25 vCPU + 0.5 GB billed the 60 s minimum.
    let f1 = (0.04048 + 2.0 * 0.004445) * 0.5;
    let f2 = (0.25 * 0.04048 + 0.5 * 0.004445) * 60.0 / 3600.0;
    assert!((cost("FARGATE") - (f1 + f2)).abs() < 1e-9, "{}", cost("FARGATE"));
    let total = 0.192 + 0.01025 + 0.063 + f1 + f2;
    assert_eq!(o.summary.get("costUsd").unwrap(), format!("{total:.4}"));
    assert_eq!(format!("{:.2}", o.summary.cost_usd), "0.29");
}

#[test]
fn external_instances_take_only_external_tasks() {
    let toml = format!(
        "{HEADER}[[instanceGroups]]\nname = \"edge\"\ninstanceType = \"t3.medium\"\ncount = 1\nlaunchType = \"EXTERNAL\"\n{}{}[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\", count = 2 }}\n[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\", count = 2, launchType = \"EXTERNAL\" }}\n",
        instance("ec2", "us-east-1a", 4096, 8000, ""),
        task_def("t", 10, 10),
    );
    let (o, _) = run_toml(&toml);
    let on = |t: &ecsim::sim::task::Task| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone();
    let placed: Vec<(String, &str)> = o
        .tasks
        .iter()
        .filter(|t| t.instance.is_some())
        .map(|t| (on(t), t.pool.launch_type()))
        .collect();
    assert_eq!(
        placed,
        vec![
            ("ec2".into(), "EC2"),
            ("ec2".into(), "EC2"),
            ("edge-1".into(), "EXTERNAL"),
            ("edge-1".into(), "EXTERNAL")
        ]
    );
    assert_eq!(
        o.cluster
            .attribute_str(ecsim::ecs::cluster::InstanceId(0), "ecs.capability.external"),
        Some("true")
    );
}

/// An empty Auto Scaling group; at 10 minutes a capacity provider for it, at 11 its
/// cluster's default, at 12 a service.
fn later_provider() -> String {
    format!(
        r#"name = "cap"
seed = 2
duration = "1h"
[[autoScalingGroups]]
name = "asg1"
instanceType = "m5.large"
minSize = 0
maxSize = 10
desiredCapacity = 0
availabilityZones = ["us-east-1a", "us-east-1b"]
launchLatency = "60s"
{}[[timeline]]
at = "10m"
api = "CreateCapacityProvider"
request = {{ name = "cp1", autoScalingGroupProvider = {{ autoScalingGroupArn = "asg1", managedScaling = {{ status = "ENABLED", targetCapacity = 100 }} }} }}
[[timeline]]
at = "11m"
api = "PutClusterCapacityProviders"
request = {{ cluster = "default", capacityProviders = ["cp1"], defaultCapacityProviderStrategy = [{{ capacityProvider = "cp1", weight = 1 }}] }}
[[timeline]]
at = "12m"
api = "CreateService"
request = {{ serviceName = "web", taskDefinition = "web", desiredCount = 4 }}
"#,
        web_def("web", "", "web", "web:1", 1024)
    )
}

#[test]
fn capacity_providers_created_and_associated_on_the_timeline_scale_their_group() {
    let (o, rec) = run_toml(&later_provider());
    // The service's tasks wait PROVISIONING until managed scaling's instances register.
    assert!(o.tasks.iter().all(|t| o.provider_name(t.pool) == "cp1"));
    assert!(o.tasks.iter().all(|t| t.created_at.millis() == 720_000));
    assert!(
        o.tasks
            .iter()
            .all(|t| t.started_at.get().unwrap().millis() > 720_000 + 60_000)
    );
    assert_eq!(o.cluster.len(), 2);
    for api in ["CreateCapacityProvider", "PutClusterCapacityProviders"] {
        assert!(rec.events.iter().any(|e| e["eventName"] == api), "{api}");
    }
    // A provider used before its CreateCapacityProvider call is refused at load.
    let early = later_provider().replacen("at = \"10m\"", "at = \"13m\"", 1);
    let e = refusal(&early);
    assert_mentions(&e, &["timeline[1].request.capacityProviders[0]", "at that time"]);
}
