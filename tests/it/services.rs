//! The service scheduler over time: rolling deployments within their bounds, the
//! circuit breaker, clientToken, DAEMON services, draining, throttling.

use crate::common::{HEADER, run_toml, service_events, web_def, xlarge_group};
use ecsim::sim::ids::ServiceId;
use ecsim::sim::task::{Origin, StopCode, TaskStatus};
use serde_json::Value;
use std::collections::BTreeMap;

/// Six m5.xlarge instances over three zones and a service of `desired` 1-vCPU tasks
/// deployed with `mhp`/`max`, updated to revision 2 at 10 minutes.
fn rolling(desired: u32, mhp: u32, max: u32, revision2: &str) -> String {
    format!(
        r#"{HEADER}
{}{}{}[[services]]
serviceName = "web"
taskDefinition = "web:1"
desiredCount = {desired}
deploymentConfiguration = {{ minimumHealthyPercent = {mhp}, maximumPercent = {max}, deploymentCircuitBreaker = {{ enable = true, rollback = true }} }}
[[timeline]]
at = "10m"
api = "UpdateService"
request = {{ service = "web", taskDefinition = "web:2" }}
"#,
        xlarge_group(6),
        web_def("web", "", "web", "web:1", 1024),
        web_def("web", revision2, "web", "web:2", 1024),
    )
}

fn secs(e: &Value) -> f64 {
    e["simTime"].as_str().unwrap().parse().unwrap()
}

/// Follows every task state change of `group` in the event order from time `from`
/// on, asserting after each one that RUNNING ≥ `min` and RUNNING + PENDING ≤ `max`;
/// returns the fewest RUNNING and the most RUNNING + PENDING seen.
fn check_bounds(events: &[Value], group: &str, from: f64, min: usize, max: usize) -> (usize, usize) {
    let mut status: BTreeMap<String, String> = BTreeMap::new();
    let (mut fewest, mut most) = (usize::MAX, 0);
    for e in events.iter().filter(|e| e["detail-type"] == "ECS Task State Change") {
        let d = &e["detail"];
        if d["group"] != group {
            continue;
        }
        status.insert(
            d["taskArn"].as_str().unwrap().to_string(),
            d["lastStatus"].as_str().unwrap().to_string(),
        );
        if secs(e) < from {
            continue;
        }
        let running = status.values().filter(|s| *s == "RUNNING").count();
        let pending = status.values().filter(|s| *s == "PENDING").count();
        assert!(running >= min, "{running} RUNNING < {min} at {}", secs(e));
        assert!(running + pending <= max, "{running} + {pending} > {max} at {}", secs(e));
        fewest = fewest.min(running);
        most = most.max(running + pending);
    }
    (fewest, most)
}

#[test]
fn a_rolling_update_at_100_200_starts_new_tasks_before_stopping_old_ones() {
    let (o, rec) = run_toml(&rolling(6, 100, 200, ""));
    let (fewest, most) = check_bounds(&rec.events, "service:web", 600.0, 6, 12);
    // The bounds are reached, not merely respected: all six new tasks start first.
    assert_eq!((fewest, most), (6, 12));
    let svc = &o.services[0];
    assert_eq!(svc.deployments.len(), 2);
    assert_eq!(svc.primary().rollout.as_str(), "COMPLETED");
    let running: Vec<_> = o.tasks.iter().filter(|t| t.status == TaskStatus::Running).collect();
    assert_eq!(running.len(), 6);
    assert!(running.iter().all(|t| o.registry.get(t.taskdef).revision == 2));
}

#[test]
fn a_rolling_update_at_50_100_stops_half_first() {
    let (o, rec) = run_toml(&rolling(6, 50, 100, ""));
    let (fewest, most) = check_bounds(&rec.events, "service:web", 600.0, 3, 6);
    assert_eq!((fewest, most), (3, 6));
    assert_eq!(o.services[0].primary().rollout.as_str(), "COMPLETED");
    // Old tasks stopped at the update itself: three at 600 s, before any new one ran.
    let stopped_at_update = o
        .tasks
        .iter()
        .filter(|t| o.registry.get(t.taskdef).revision == 1 && t.stopped_at.get().map(|s| s.millis()) == Some(600_000))
        .count();
    assert_eq!(stopped_at_update, 3);
}

#[test]
fn the_circuit_breaker_trips_after_the_documented_threshold_and_rolls_back() {
    for (desired, threshold) in [(10u32, 5usize), (2, 3)] {
        let (o, rec) = run_toml(&rolling(desired, 100, 200, "startFailureProbability = 1.0"));
        // Failures of revision 2, in event order, up to the FAILED event.
        let mut failures = 0;
        let mut tripped = false;
        for e in &rec.events {
            if e["detail-type"] == "ECS Deployment State Change"
                && e["detail"]["eventName"] == "SERVICE_DEPLOYMENT_FAILED"
            {
                tripped = true;
                break;
            }
            if e["detail-type"] == "ECS Task State Change"
                && e["detail"]["stopCode"] == "TaskFailedToStart"
                && e["detail"]["taskDefinitionArn"].as_str().unwrap().ends_with("web:2")
            {
                failures += 1;
            }
        }
        assert!(tripped, "desired {desired}: the breaker never tripped");
        assert_eq!(failures, threshold, "desired {desired}");
        let svc = &o.services[0];
        let states: Vec<&str> = svc.deployments.iter().map(|d| d.rollout.as_str()).collect();
        assert_eq!(states, vec!["COMPLETED", "FAILED", "COMPLETED"], "desired {desired}");
        // The rollback runs revision 1 again at the desired count.
        let running: Vec<_> = o.tasks.iter().filter(|t| t.status == TaskStatus::Running).collect();
        assert_eq!(running.len(), desired as usize);
        assert!(running.iter().all(|t| o.registry.get(t.taskdef).revision == 1));
        assert_eq!(
            o.summary.deployments,
            ecsim::sim::services::DeploymentStats {
                completed: 2,
                failed: 1,
                rolled_back: 1
            }
        );
    }
}

#[test]
fn failed_starts_are_throttled_with_a_doubling_back_off() {
    let text = rolling(1, 100, 200, "startFailureProbability = 1.0")
        .replace(
            "deploymentCircuitBreaker = { enable = true, rollback = true }",
            "deploymentCircuitBreaker = { enable = false }",
        )
        .replace("duration = \"1h\"", "duration = \"3h\"");
    let (o, rec) = run_toml(&text);
    let mut starts: Vec<u64> = o
        .tasks
        .iter()
        .filter(|t| o.registry.get(t.taskdef).revision == 2)
        .map(|t| t.created_at.millis() / 1000)
        .collect();
    starts.sort();
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    // Each failure (at once: no start latency) waits 10, 20, 40, … s, at most 900 s.
    assert_eq!(&gaps[..7], &[10, 20, 40, 80, 160, 320, 640]);
    assert!(gaps.len() > 9 && gaps[7..].iter().all(|g| *g == 900), "{gaps:?}");
    let impaired = service_events(&rec, "SERVICE_TASK_START_IMPAIRED").len();
    assert_eq!(impaired, 1);
    assert!(
        o.tasks
            .iter()
            .all(|t| t.stop_code != Some(StopCode::EssentialContainerExited))
    );
}

fn create_with_token(token: &str, desired: u32) -> String {
    format!(
        "[[timeline]]\nat = \"1m\"\napi = \"CreateService\"\nrequest = {{ serviceName = \"api\", taskDefinition = \"web:1\", desiredCount = {desired}, clientToken = \"{token}\" }}\n"
    )
}

#[test]
fn a_retried_create_service_with_the_same_token_creates_one_service() {
    let base = rolling(2, 100, 200, "");
    let text = format!("{base}{}{}", create_with_token("t-1", 3), create_with_token("t-1", 3));
    let (o, rec) = run_toml(&text);
    assert_eq!(o.services.iter().filter(|s| s.name == "api").count(), 1);
    let calls: Vec<&Value> = rec
        .events
        .iter()
        .filter(|e| e["eventName"] == "CreateService" && e["requestParameters"]["serviceName"] == "api")
        .collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.get("errorCode").is_none()));
    assert_eq!(calls[0]["responseElements"], calls[1]["responseElements"]);
    assert_eq!(
        o.tasks
            .iter()
            .filter(|t| t.origin == Origin::Service(ServiceId(1)))
            .count(),
        3,
        "the retry created no task"
    );
    // The same token with other parameters is an error, and creates nothing.
    let text = format!("{base}{}{}", create_with_token("t-1", 3), create_with_token("t-1", 4));
    let (o, rec) = run_toml(&text);
    assert_eq!(o.services.iter().filter(|s| s.name == "api").count(), 1);
    assert_eq!(o.services[1].desired, 3);
    let errors: Vec<&Value> = rec
        .events
        .iter()
        .filter(|e| e["eventName"] == "CreateService" && e.get("errorCode").is_some())
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["errorCode"], "InvalidParameterException");
}

#[test]
fn bounds_of_100_and_100_block_a_deployment_and_the_service_says_so() {
    let (o, rec) = run_toml(&rolling(6, 100, 100, ""));
    // Neither a start (no room above 100 %) nor a stop (none to spare below 100 %).
    assert!(o.tasks.iter().all(|t| o.registry.get(t.taskdef).revision == 1));
    assert_eq!(o.services[0].primary().rollout.as_str(), "IN_PROGRESS");
    let blocked: Vec<&Value> = service_events(&rec, "SERVICE_DEPLOYMENT_BLOCKED");
    assert_eq!(blocked.len(), 1);
    assert!(
        blocked[0]["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("unable to stop or start tasks")
    );
    assert_eq!(secs(blocked[0]), 600.0);
}
