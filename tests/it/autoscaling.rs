//! Service auto scaling (Application Auto Scaling): a service's demand gives its tasks
//! CPU and memory utilization; target tracking scales out after exactly three
//! one-minute points above its target and in after fifteen below 90 % of it, within
//! MinCapacity and MaxCapacity and its cooldowns, never scaling in during a deployment;
//! step policies follow their alarm; scheduled actions move the bounds.

use crate::common::{HEADER, assert_mentions, group, refusal, run_toml, task_def};
use ecsim::sim::journal::Collect;

/// A service `web` of 256-CPU-unit tasks on 20 m5.xlarge, with `demand` (requests per
/// second: a rate) at 2 CPU units a request, a scalable target of `min`..`max`, and `more`.
fn web(demand: &str, desired: u32, min: u32, max: u32, more: &str) -> String {
    HEADER.replace("duration = \"1h\"", "duration = \"4h\"")
        + &group("g", "m5.xlarge", 20)
        + &task_def("web", 256, 512)
        + &task_def("web2", 256, 100_000)
        + &format!(
            r#"[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
demand = {{ requestsPerSecond = {demand}, cpuPerRequest = 2.0, memoryBaseMiB = 100, memoryPerRequestMiB = 0.5 }}

[[scalableTargets]]
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
MinCapacity = {min}
MaxCapacity = {max}
"#
        )
        + more
}

/// A target-tracking policy on CPU at `target` %, with cooldowns in seconds.
fn cpu_policy(target: f64, out: u32, scale_in: u32) -> String {
    format!(
        r#"
[[scalingPolicies]]
PolicyName = "cpu"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "TargetTrackingScaling"
TargetTrackingScalingPolicyConfiguration = {{ TargetValue = {target:?}, PredefinedMetricSpecification = {{ PredefinedMetricType = "ECSServiceAverageCPUUtilization" }}, ScaleOutCooldown = {out}, ScaleInCooldown = {scale_in} }}
"#
    )
}

/// (seconds, desiredCount) of every UpdateService Application Auto Scaling made.
fn activities(rec: &Collect) -> Vec<(u64, i64)> {
    rec.events
        .iter()
        .filter(|e| {
            e["eventName"] == "UpdateService"
                && e["userIdentity"]["invokedBy"] == "application-autoscaling.amazonaws.com"
        })
        .map(|e| {
            let t: f64 = e["simTime"].as_str().unwrap().parse().unwrap();
            (t as u64, e["requestParameters"]["desiredCount"].as_i64().unwrap())
        })
        .collect()
}

/// 50 requests/s (20 % CPU on two tasks), 230 from 1 h (90 % on two: three tasks
/// bring it to 59.9 %, between the low alarm's 54 % and the target), 20 from 2 h.
const STEPS: &str = r#"{ profile = [["0h", 50.0], ["1h", 230.0], ["2h", 20.0]] }"#;

#[test]
fn target_tracking_scales_out_after_three_points_and_in_after_fifteen() {
    let (o, rec) = run_toml(&web(STEPS, 2, 2, 40, &cpu_policy(60.0, 60, 300)));
    // Points at 1:01, 1:02, 1:03 are above 60 %: out at 1:03 to ⌈2 × 89.8 / 60⌉ = 3.
    // Points from 2:01 are below 54 %: in at 2:15 to ⌈3 × 5.2 / 60⌉ = 1, held at MinCapacity 2.
    assert_eq!(activities(&rec), [(3780, 3), (8100, 2)]);
    assert_eq!(o.summary.scaling_activities, 2);
    // services.csv: demand, utilization and the count set.
    let row = |t: u64| {
        o.service_samples
            .iter()
            .find(|s| s.time.0 == t * 1000)
            .map(|s| s.cells(&o).into_iter().collect::<std::collections::BTreeMap<_, _>>())
            .unwrap()
    };
    let r = row(3720);
    assert_eq!(
        (
            r["demandRps"].as_str(),
            r["cpuUtilizationPct"].as_str(),
            r["desiredCount"].as_str()
        ),
        ("230.000", "89.84", "2")
    );
    assert_eq!(row(3900)["cpuUtilizationPct"], "59.90");
    assert_eq!(row(3900)["scalingActivities"], "1");
    // The call is UpdateService as CloudTrail shows one a service made on the account's behalf.
    let call = rec
        .events
        .iter()
        .find(|e| e["userIdentity"]["invokedBy"].is_string())
        .unwrap();
    assert_eq!(call["userAgent"], "application-autoscaling.amazonaws.com");
    assert_eq!(call["userIdentity"]["type"], "AssumedRole");
    // The policy's two alarms, as EventBridge shows their state changes.
    let alarms: Vec<(u64, String, String)> = rec
        .events
        .iter()
        .filter(|e| e["detail-type"] == "CloudWatch Alarm State Change")
        .map(|e| {
            let t: f64 = e["simTime"].as_str().unwrap().parse().unwrap();
            let name = e["detail"]["alarmName"].as_str().unwrap();
            let kind = if name.contains("-AlarmHigh-") { "high" } else { "low" };
            (
                t as u64,
                kind.to_string(),
                e["detail"]["state"]["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(alarms.contains(&(3780, "high".into(), "ALARM".into())), "{alarms:?}");
    assert!(alarms.contains(&(8100, "low".into(), "ALARM".into())), "{alarms:?}");
    assert!(
        rec.events.iter().any(|e| e["detail"]["alarmName"]
            .as_str()
            .is_some_and(|n| n.starts_with("TargetTracking-service/default/web-AlarmHigh-"))),
        "alarms are named as AWS names them"
    );
}

#[test]
fn cooldowns_allow_a_larger_scale_out_and_hold_a_second_scale_in() {
    // 300 requests/s from 1 h (117 % on two tasks: four), 430 from 1:05 (84 % on
    // four: six at 1:08, inside the 600 s scale-out cooldown, because it is larger;
    // 56 % on six); 20 from 2 h: in at 2:15 to MinCapacity 3; a scheduled action
    // lowers it to 1 at 2:20, and the next scale-in waits for the 600 s scale-in
    // cooldown, to 2:25.
    let demand = r#"{ profile = [["0h", 50.0], ["1h", 300.0], ["65m", 430.0], ["2h", 20.0]] }"#;
    let lower = r#"
[[scheduledActions]]
ScheduledActionName = "night"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
Schedule = "at(2026-01-01T02:20:00)"
ScalableTargetAction = { MinCapacity = 1 }
"#;
    let (_, rec) = run_toml(&web(demand, 3, 3, 40, &(cpu_policy(60.0, 600, 600) + lower)));
    assert_eq!(activities(&rec), [(3780, 4), (4080, 6), (8100, 3), (8700, 1)]);
}

#[test]
fn min_and_max_capacity_bound_every_change() {
    // RegisterScalableTarget clamps the desired count at once (5 → MaxCapacity 4) and
    // no policy goes past MaxCapacity.
    let (o, rec) = run_toml(&web(
        r#"{ profile = [["0h", 50.0], ["1h", 900.0]] }"#,
        5,
        1,
        4,
        &cpu_policy(60.0, 60, 300),
    ));
    let a = activities(&rec);
    assert_eq!(a[0], (0, 4));
    assert!(a.iter().all(|(_, d)| (1..=4).contains(d)), "{a:?}");
    // Target tracking scaled in to one task in the first quarter hour; at 1 h, 900
    // requests/s need ⌈1800 / 256⌉ = 8 tasks: seven short, then four at most, overloaded.
    let overload = &o.summary.overload_by[0];
    assert_eq!(overload.0, "web");
    assert!(overload.1.minutes >= 170, "{overload:?}");
    assert_eq!(overload.1.peak_shortfall, 7);
    assert_eq!(a[1], (900, 1));
    let cells = o.summary.cells();
    assert!(cells.iter().any(|(k, _)| k == "overloadMinutes[web]"));
    assert!(cells.iter().any(|(k, v)| k == "scalingActivities" && v != "0"));
}

#[test]
fn no_scale_in_while_a_deployment_is_in_progress() {
    // At 1:30 a new task definition that fits nowhere: its deployment never completes,
    // so the scale-in due at 2:15 never comes.
    let deploy = r#"
[[timeline]]
at = "90m"
api = "UpdateService"
request = { service = "web", taskDefinition = "web2" }
"#;
    let (_, rec) = run_toml(&web(STEPS, 2, 2, 40, &(cpu_policy(60.0, 60, 300) + deploy)));
    assert_eq!(activities(&rec), [(3780, 3)]);
}

#[test]
fn a_step_policy_follows_its_alarm() {
    // Memory: (100 + 0.5 × served) / 512 per task. At 230 requests/s on two tasks,
    // 30.8 %; the alarm (> 25 %, 2 of 2 one-minute periods) fires at 1:02: +50 % → 3
    // (27 % on three: still in alarm), and with the capacity the last scale-out added
    // counted in its cooldown, no more.
    let step = r#"
[[scalingPolicies]]
PolicyName = "mem"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "StepScaling"
StepScalingPolicyConfiguration = { AdjustmentType = "PercentChangeInCapacity", StepAdjustments = [{ MetricIntervalLowerBound = 0.0, ScalingAdjustment = 50 }], Cooldown = 3600 }
alarm = { MetricName = "MemoryUtilization", Threshold = 25.0, ComparisonOperator = "GreaterThanThreshold", EvaluationPeriods = 2 }
"#;
    let (_, rec) = run_toml(&web(STEPS, 2, 2, 40, step));
    assert_eq!(activities(&rec), [(3720, 3)]);
}

#[test]
fn scheduled_actions_run_on_their_schedule() {
    let cron = r#"
[[scheduledActions]]
ScheduledActionName = "every-hour"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
Schedule = "cron(30 * * * ? *)"
ScalableTargetAction = { MinCapacity = 6 }

[[timeline]]
at = "2h"
api = "DeleteScheduledAction"
request = { ScheduledActionName = "every-hour", ServiceNamespace = "ecs", ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount" }

[[timeline]]
at = "2h"
api = "PutScheduledAction"
request = { ScheduledActionName = "later", ServiceNamespace = "ecs", ResourceId = "service/default/web", ScalableDimension = "ecs:service:DesiredCount", Schedule = "rate(1 hour)", ScalableTargetAction = { MinCapacity = 2, MaxCapacity = 2 } }
"#;
    let (_, rec) = run_toml(&web("50.0", 2, 2, 40, cron));
    assert_eq!(activities(&rec), [(1800, 6), (10800, 2)]);
}

#[test]
fn scaling_calls_are_checked_at_load() {
    let base = web("50.0", 2, 2, 40, "");
    for (bad, says) in [
        (
            base.replace(
                "service/default/web\"\nScalableDimension = \"ecs:service:DesiredCount\"\nMinCapacity",
                "service/default/api\"\nScalableDimension = \"ecs:service:DesiredCount\"\nMinCapacity",
            ),
            &["scalableTargets[0].ResourceId", "service/default/api", "doesn't exist"][..],
        ),
        (
            base.replace("MinCapacity = 2\n", ""),
            &["scalableTargets[0].MinCapacity", "required"][..],
        ),
        (
            base.replace("MinCapacity = 2\n", "MinCapacity = 50\n"),
            &["MinCapacity 50 must not be above MaxCapacity 40"][..],
        ),
        (
            web(
                "50.0",
                2,
                2,
                40,
                &cpu_policy(60.0, 60, 300).replace("ECSServiceAverageCPUUtilization", "CPU"),
            ),
            &[
                "scalingPolicies[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
                "ECSServiceAverageCPUUtilization",
            ][..],
        ),
        (
            web(
                "50.0",
                2,
                2,
                40,
                &cpu_policy(60.0, 60, 300).replace("service/default/web", "service/default/web\"\nFoo = \"x"),
            ),
            &["scalingPolicies[0]", "Foo"][..],
        ),
        (
            web(
                "50.0",
                2,
                2,
                40,
                "[[scheduledActions]]\nScheduledActionName = \"x\"\nServiceNamespace = \"ecs\"\nResourceId = \"service/default/web\"\nScalableDimension = \"ecs:service:DesiredCount\"\nSchedule = \"cron(0 8 * * * *)\"\nScalableTargetAction = { MinCapacity = 1 }\n",
            ),
            &["scheduledActions[0].Schedule", "must be `?`"][..],
        ),
        (
            web(
                "50.0",
                2,
                2,
                40,
                "[[timeline]]\nat = \"1h\"\napi = \"DeleteScalingPolicy\"\nrequest = { PolicyName = \"none\", ServiceNamespace = \"ecs\", ResourceId = \"service/default/web\", ScalableDimension = \"ecs:service:DesiredCount\" }\n",
            ),
            &["timeline[0].request.PolicyName", "No scaling policy found"][..],
        ),
        (
            base.replace("cpuPerRequest = 2.0", "cpuPerRequest = -2.0"),
            &["services[0].demand.cpuPerRequest", "≥ 0"][..],
        ),
    ] {
        assert_mentions(&refusal(&bad), says);
    }
}

#[test]
fn a_replay_repeats_the_desired_counts_auto_scaling_set() {
    use crate::common::ecsim_ok;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("web.toml");
    std::fs::write(&file, web(STEPS, 2, 2, 40, &cpu_policy(60.0, 60, 300))).unwrap();
    let (run, again) = (tmp.path().join("run"), tmp.path().join("again"));
    ecsim_ok("run", file.to_str().unwrap(), &run, &[]);
    // The log's Application Auto Scaling calls are skipped; its UpdateService calls,
    // invoked by Application Auto Scaling, are made again.
    let out = ecsim_ok("replay", run.join("events.jsonl").to_str().unwrap(), &again, &[]);
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["RegisterScalableTarget (application-autoscaling.amazonaws.com)"],
    );
    assert_eq!(
        std::fs::read(run.join("tasks.csv")).unwrap(),
        std::fs::read(again.join("tasks.csv")).unwrap()
    );
}

#[test]
fn several_policies_scale_out_if_any_and_in_only_if_all_agree() {
    // Requests per target: at 230 requests/s on two tasks, 6,900 a task a minute; the
    // request policy (target 3,000, scale-in disabled) wants ⌈2 × 6900 / 3000⌉ = 5 and
    // CPU wants 3: out to 5, the larger.
    let requests = r#"
[[scalingPolicies]]
PolicyName = "requests"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "TargetTrackingScaling"
TargetTrackingScalingPolicyConfiguration = { TargetValue = 3000.0, PredefinedMetricSpecification = { PredefinedMetricType = "ALBRequestCountPerTarget", ResourceLabel = "app/web/1/targetgroup/web/2" }, ScaleOutCooldown = 60, ScaleInCooldown = 300, DisableScaleIn = true }
"#;
    let (_, rec) = run_toml(&web(STEPS, 2, 2, 40, &(cpu_policy(60.0, 60, 300) + requests)));
    assert_eq!(activities(&rec)[0], (3780, 5));
    // 20 requests/s on ten tasks: CPU 1.6 % wants one task, but memory (100 MiB of 512
    // and 1 MiB of requests: 19.7 %) stays between 90 % of its 21 % target and the target,
    // so its policy does not agree and nothing scales in; without it, in at 0:15.
    let memory = r#"
[[scalingPolicies]]
PolicyName = "memory"
ServiceNamespace = "ecs"
ResourceId = "service/default/web"
ScalableDimension = "ecs:service:DesiredCount"
PolicyType = "TargetTrackingScaling"
TargetTrackingScalingPolicyConfiguration = { TargetValue = 21.0, PredefinedMetricSpecification = { PredefinedMetricType = "ECSServiceAverageMemoryUtilization" }, ScaleOutCooldown = 60, ScaleInCooldown = 300 }
"#;
    let (_, rec) = run_toml(&web("20.0", 10, 2, 40, &(cpu_policy(60.0, 60, 300) + memory)));
    assert_eq!(activities(&rec), []);
    let (_, rec) = run_toml(&web("20.0", 10, 2, 40, &cpu_policy(60.0, 60, 300)));
    assert_eq!(activities(&rec), [(900, 2)]);
}
