//! The audit trail's shapes: CloudTrail records of API calls, EventBridge "ECS Task
//! State Change" and "ECS Container Instance State Change" events, and ARNs.
//! Records are built only when a recorder wants them.

use crate::engine::SimTime;
use serde_json::{Value, json};

/// The region every ARN and price refers to.
pub const REGION: &str = "us-east-1";
/// The simulated account.
pub const ACCOUNT: &str = "123456789012";

/// Receives the run's records, one JSON object each. The simulation never does IO:
/// the CLI gives it a recorder that writes files.
pub trait Recorder {
    /// Whether events.jsonl records are wanted (skips building them when not).
    fn wants_events(&self) -> bool;
    /// One events.jsonl record.
    fn event(&mut self, record: &Value);
    /// Whether decisions.jsonl records are wanted.
    fn wants_decisions(&self) -> bool {
        false
    }
    /// Whether the decision that would create task `task_id` (None: a failed
    /// decision) is wanted; asked only when [`wants_decisions`](Self::wants_decisions).
    fn wants_decision_for(&self, _task_id: Option<&str>) -> bool {
        true
    }
    /// One decisions.jsonl record.
    fn decision(&mut self, _record: &Value) {}
}

/// A recorder that keeps nothing.
pub struct Discard;

impl Recorder for Discard {
    fn wants_events(&self) -> bool {
        false
    }
    fn event(&mut self, _record: &Value) {}
}

/// A recorder that keeps everything in memory (tests, small runs).
#[derive(Default)]
pub struct Collect {
    /// events.jsonl records.
    pub events: Vec<Value>,
    /// decisions.jsonl records.
    pub decisions: Vec<Value>,
}

impl Recorder for Collect {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, record: &Value) {
        self.events.push(record.clone());
    }
    fn wants_decisions(&self) -> bool {
        true
    }
    fn decision(&mut self, record: &Value) {
        self.decisions.push(record.clone());
    }
}

/// Builds ARNs and timestamps for one run.
#[derive(Clone, Debug)]
pub struct Arns {
    /// The run's cluster names, by cluster index.
    pub clusters: Vec<String>,
    /// Wall-clock start, Unix ms.
    pub start_unix_ms: i64,
}

impl Arns {
    /// `arn:aws:ecs:<region>:<account>:<rest>`.
    fn arn(&self, rest: &str) -> String {
        format!("arn:aws:ecs:{REGION}:{ACCOUNT}:{rest}")
    }
    /// The name of cluster `c`.
    pub fn cluster_name(&self, c: u32) -> &str {
        &self.clusters[c as usize]
    }
    /// The ARN of cluster `c`.
    pub fn cluster(&self, c: u32) -> String {
        self.arn(&format!("cluster/{}", self.cluster_name(c)))
    }
    /// A task ARN in cluster `c`.
    pub fn task(&self, c: u32, id: &str) -> String {
        self.arn(&format!("task/{}/{id}", self.cluster_name(c)))
    }
    /// A container-instance ARN in cluster `c`.
    pub fn container_instance(&self, c: u32, id: &str) -> String {
        self.arn(&format!("container-instance/{}/{id}", self.cluster_name(c)))
    }
    /// A task-definition ARN (`family:revision`).
    pub fn task_definition(&self, name: &str) -> String {
        self.arn(&format!("task-definition/{name}"))
    }
    /// A service ARN in cluster `c`.
    pub fn service(&self, c: u32, name: &str) -> String {
        self.arn(&format!("service/{}/{name}", self.cluster_name(c)))
    }
    /// ISO 8601 wall-clock time of simulated time `t`, millisecond precision.
    pub fn iso(&self, t: SimTime) -> String {
        let ms = self.start_unix_ms + t.millis() as i64;
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default()
    }

    /// A CloudTrail record of an API call.
    pub fn api_call(
        &self,
        t: SimTime,
        name: &str,
        request: Value,
        response: Value,
        error: Option<(&str, String)>,
    ) -> Value {
        let mut v = json!({
            "eventVersion": "1.08",
            "eventTime": self.iso(t),
            "simTime": t.secs_string(),
            "eventSource": "ecs.amazonaws.com",
            "eventName": name,
            "eventType": "AwsApiCall",
            "awsRegion": REGION,
            "recipientAccountId": ACCOUNT,
            "requestParameters": request,
            "responseElements": response,
        });
        if let Some((code, message)) = error {
            v["errorCode"] = json!(code);
            v["errorMessage"] = json!(message);
            v["responseElements"] = Value::Null;
        }
        v
    }

    /// An EventBridge event (`detail-type` and `detail`) about `resource`.
    pub fn state_change(&self, t: SimTime, id: &str, detail_type: &str, resource: &str, detail: Value) -> Value {
        json!({
            "version": "0",
            "id": id,
            "detail-type": detail_type,
            "source": "aws.ecs",
            "account": ACCOUNT,
            "time": self.iso(t),
            "simTime": t.secs_string(),
            "region": REGION,
            "resources": [resource],
            "detail": detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_times_look_like_aws() {
        let a = Arns {
            clusters: vec!["default".into()],
            start_unix_ms: 1_767_225_600_000,
        };
        assert_eq!(a.iso(SimTime(1_500)), "2026-01-01T00:00:01.500Z");
        assert_eq!(a.task(0, "abc"), "arn:aws:ecs:us-east-1:123456789012:task/default/abc");

        let r = a.api_call(
            SimTime(0),
            "RunTask",
            json!({}),
            json!({}),
            Some(("ClientException", "no".into())),
        );
        assert_eq!(r["errorCode"], "ClientException");
        assert_eq!(r["responseElements"], Value::Null);
    }
}
