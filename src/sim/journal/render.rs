//! Records rendered to events.jsonl's JSON: CloudTrail records (with their
//! `requestParameters` and `responseElements`) and EventBridge events, in the shapes
//! AWS documents, from the run's state at the moment a record is made.

use super::values::{Arn, Iso, Secs, WallClock};
use super::{ACCOUNT, ActionDetail, Call, REGION, Record, Response};
use crate::ecs::cluster::InstanceId;
use crate::ecs::ids::HexId;
use crate::ecs::provider::Pool;
use crate::engine::SimTime;
use crate::sim::Sim;
use crate::sim::ids::{ServiceId, TaskIdx};
use serde::Serialize;
use serde_json::{Value, json};

impl Sim<'_> {
    /// Sends a record to the journal, built only when records are wanted. For a recorder
    /// that takes frames, task and instance state changes and API calls, most of a big
    /// run's records, are never built as a `Value`: a task state change goes as its
    /// compact frame, the others serialised from their typed form.
    pub(in crate::sim) fn record(&mut self, make: impl FnOnce(&Self) -> Record) {
        use Record as R;
        if self.journal.wants() {
            let r = make(self);
            let engine_event = self.q.delivered();
            let event = Some(engine_event);
            if self.journal.takes_frames() {
                use super::frame::Kind;
                let now = self.now();
                match &r {
                    R::TaskChange(t, notice) => {
                        let n = self.journal.next_event_no();
                        let start = self.journal.clock().start_unix_ms;
                        return self.write_lent(Kind::Task, |s, buf| {
                            s.task_change(*t, notice.as_ref(), now, n, event).encode(start, buf)
                        });
                    }
                    R::InstanceChange(i, reason) => {
                        let id = self.journal.next_event_id();
                        return self.write_lent(Kind::Json, |s, json| {
                            s.instance_change(*i, reason.as_deref(), now, id, event)
                                .write_json(json)
                        });
                    }
                    R::Call(c) => {
                        return self.write_lent(Kind::Json, |s, json| s.trail(c, now, event).write_json(json));
                    }
                    _ => {}
                }
            }
            let v = self.render(&r);
            self.journal.write(v, engine_event);
        }
    }

    /// Writes the body of one frame of `kind` into the journal's frames, while the run's
    /// names are borrowed.
    fn write_lent(&mut self, kind: super::frame::Kind, write: impl FnOnce(&Self, &mut Vec<u8>)) {
        let mut buf = self.journal.lend_buffer(kind);
        write(self, &mut buf);
        self.journal.written(buf);
    }

    /// Renders a record at the current time.
    pub(in crate::sim) fn render(&mut self, r: &Record) -> Value {
        let now = self.now();
        match r {
            Record::Call(c) => self.render_call(c, now),
            Record::TaskChange(t, notice) => {
                let n = self.journal.next_event_no();
                let e = self
                    .task_change(*t, notice.as_ref(), now, n, None)
                    .event(self.journal.clock());
                serde_json::to_value(e).expect("an event renders as JSON")
            }
            Record::InstanceChange(i, reason) => {
                let id = self.journal.next_event_id();
                let e = self.instance_change(*i, reason.as_deref(), now, id, None);
                serde_json::to_value(e).expect("an event renders as JSON")
            }
            Record::ServiceAction(s, severity, name, extra) => {
                let svc = self.services.get(*s);
                let mut detail = json!({
                    "eventType": severity.as_str(),
                    "eventName": name,
                    "clusterArn": self.cluster_arn(svc.cluster),
                    "createdAt": self.journal.clock().iso(now),
                });
                match extra {
                    ActionDetail::None => {}
                    ActionDetail::Message(m) => detail["message"] = json!(m),
                    ActionDetail::PlacementFailure(reason, m) => {
                        detail["reason"] = json!(reason.as_str());
                        detail["message"] = json!(m);
                    }
                    ActionDetail::Rebalancing(from, to) => {
                        detail["availabilityZones"] = json!({"from": from, "to": to});
                    }
                }
                let resource = self.service_arn(*s).string();
                self.state_change(now, "ECS Service Action", &resource, detail)
            }
            Record::DeploymentChange(s, d, severity, name, reason) => {
                let svc = self.services.get(*s);
                let dep = svc.deployment(*d);
                let detail = json!({
                    "eventType": severity.as_str(),
                    "eventName": name,
                    "deploymentId": dep.id,
                    "taskDefinitionArn": self.task_definition_arn(dep.config.taskdef),
                    "updatedAt": self.journal.clock().iso(now),
                    "reason": reason,
                });
                let resource = self.service_arn(*s).string();
                self.state_change(now, "ECS Deployment State Change", &resource, detail)
            }
            Record::AlarmChange(a) => {
                let eid = self.journal.next_event_id();
                a.event(eid.to_string(), &self.journal.clock().iso(now), now)
            }
            Record::SpotWarning(id) => {
                let eid = self.journal.next_event_id();
                let spec = &self.fleet.cluster().instance(*id).spec;
                json!({
                    "version": "0", "id": eid, "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
                    "account": ACCOUNT, "time": self.journal.clock().iso(now), "simTime": now.secs_string(),
                    "region": REGION, "resources": [format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{}", spec.ec2_instance_id)],
                    "detail": {"instance-id": spec.ec2_instance_id, "instance-action": "terminate"},
                })
            }
            Record::Fault(kind, id, zone, duration) => {
                let eid = self.journal.next_event_id();
                let ec2 = id.map(|i| self.fleet.cluster().instance(i).spec.ec2_instance_id.clone());
                json!({
                    "version": "0", "id": eid, "detail-type": "ecsim Fault Injected", "source": "ecsim",
                    "account": ACCOUNT, "time": self.journal.clock().iso(now), "simTime": now.secs_string(),
                    "region": REGION, "resources": [],
                    "detail": {"type": kind.as_str(), "ec2InstanceId": ec2, "availabilityZone": zone,
                               "duration": duration.map(|d| d.secs_string())},
                })
            }
        }
    }

    fn render_call(&self, c: &Call, now: SimTime) -> Value {
        serde_json::to_value(self.trail(c, now, None)).expect("a record renders as JSON")
    }

    /// A call's CloudTrail record; `ecsim_event` is set when it is serialised directly
    /// (else the journal adds it).
    pub(in crate::sim) fn trail<'c>(&'c self, c: &'c Call, now: SimTime, ecsim_event: Option<u64>) -> Trail<'c> {
        let (response, error_code, error_message) = match &c.result {
            Ok(Response::RunTask(r)) => (Elements::RunTask(self.run_task_response(r)), None, None),
            Ok(r) => (Elements::Value(self.response(r)), None, None),
            Err((code, message)) => (
                Elements::Value(c.error_members.clone().unwrap_or(Value::Null)),
                Some(*code),
                Some(message.as_str()),
            ),
        };
        Trail {
            aws_region: REGION,
            ecsim_client: c.client.as_ref().map(|f| ClientRecord {
                arrived_at: Secs(f.arrived_at),
                attempt: f.attempt,
                request: &f.request,
                retries: f.retries,
            }),
            ecsim_event,
            ecsim_idempotent_replay: c.idempotent.then_some(true),
            ecsim_run: c
                .announces_run
                .then(|| json!({"seed": self.streams.master(), "settings": self.sc.settings})),
            error_code,
            error_message,
            event_name: c.api,
            event_source: c.event_source,
            event_time: self.journal.clock().iso_of(now),
            event_type: "AwsApiCall",
            event_version: "1.08",
            recipient_account_id: ACCOUNT,
            request_parameters: &c.request,
            response_elements: response,
            sim_time: Secs(now),
            user_agent: c.user_agent.as_deref(),
            user_identity: c.invoked_by.map(|by| UserIdentity {
                account_id: ACCOUNT,
                arn: "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling",
                invoked_by: by,
                kind: "AssumedRole",
            }),
        }
    }

    /// A call's `responseElements`.
    pub(in crate::sim) fn response(&self, r: &Response) -> Value {
        match r {
            Response::Json(v) => v.clone(),
            Response::RunTask(r) => self.run_task_json(r),
            Response::Service(s) => json!({"service": self.service_json(*s)}),
            Response::TaskDefinition(td) => {
                let def = self.control.registry().get(*td);
                let mut body = serde_json::to_value(&def.body).expect("a task definition is JSON");
                let mut compatibilities = vec!["EC2"];
                if def.network_mode == crate::ecs::api::NetworkMode::Awsvpc {
                    compatibilities.push("FARGATE");
                } else {
                    compatibilities.push("EXTERNAL");
                }
                for (k, v) in [
                    ("taskDefinitionArn", json!(self.task_definition_arn(*td))),
                    ("revision", json!(def.revision)),
                    ("status", json!("ACTIVE")),
                    ("compatibilities", json!(compatibilities)),
                    ("registeredAt", json!(self.journal.clock().iso(self.now()))),
                ] {
                    body[k] = v;
                }
                json!({ "taskDefinition": body })
            }
            Response::Cluster(c) => {
                json!({"cluster": {"clusterArn": self.cluster_arn(*c), "clusterName": self.control.cluster_name(*c), "status": "ACTIVE"}})
            }
            Response::ClusterProviders(c, names) => {
                json!({"cluster": {"clusterArn": self.cluster_arn(*c), "capacityProviders": names}})
            }
            Response::CapacityProvider(name) => json!({"capacityProvider": {"name": name, "status": "ACTIVE"}}),
            Response::Instances(done, failures) => {
                let instances: Vec<Value> = done
                    .iter()
                    .map(|&i| {
                        json!({"containerInstanceArn": self.container_instance_arn(i),
                               "ec2InstanceId": self.fleet.cluster().instance(i).spec.ec2_instance_id,
                               "status": self.fleet.cluster().status(i).as_str()})
                    })
                    .collect();
                let failures: Vec<Value> = failures
                    .iter()
                    .map(|(arn, reason)| json!({"arn": arn, "reason": reason}))
                    .collect();
                json!({"containerInstances": instances, "failures": failures})
            }
            Response::Registered(i) => json!({"containerInstance": {
                "containerInstanceArn": self.container_instance_arn(*i),
                "ec2InstanceId": self.fleet.cluster().instance(*i).spec.ec2_instance_id, "status": "ACTIVE"}}),
            Response::Deregistered(i) => json!({"containerInstance": {
                "containerInstanceArn": self.container_instance_arn(*i), "status": "INACTIVE"}}),
            Response::StoppedTask(t) => json!({"task": self.task_summary(*t)}),
        }
    }

    /// A RunTask response: its tasks, and a failure entry per task not placed, borrowing
    /// the run's names.
    fn run_task_response<'a>(&'a self, r: &RunTaskResult) -> RunTaskResponse<'a> {
        RunTaskResponse {
            failures: r
                .failures
                .iter()
                .map(|(reason, closest)| FailureEntry {
                    arn: closest.map(|i| self.container_instance_arn(i)),
                    reason: reason.as_str(),
                })
                .collect(),
            tasks: r.tasks.iter().map(|&t| self.task_summary(t)).collect(),
        }
    }

    /// A RunTask response as a JSON value (kept for an idempotent replay).
    pub(in crate::sim) fn run_task_json(&self, r: &RunTaskResult) -> Value {
        serde_json::to_value(self.run_task_response(r)).expect("a response renders as JSON")
    }

    fn state_change(&mut self, t: SimTime, detail_type: &'static str, resource: &str, detail: Value) -> Value {
        let id = self.journal.next_event_id();
        let e = envelope(self.journal.clock(), t, id, detail_type, resource, detail, None);
        serde_json::to_value(e).expect("an event renders as JSON")
    }

    /// The capacity provider of a pool, as ECS names it in task events (empty for none).
    fn provider_name(&self, pool: Pool) -> &str {
        crate::sim::rows::provider_name(self.sc, pool)
    }

    /// A task as RunTask's response lists it.
    fn task_summary(&self, t: TaskIdx) -> TaskSummary<'_> {
        let task = self.tasks.get(t);
        TaskSummary {
            capacity_provider_name: self.provider_name(task.pool),
            container_instance_arn: task.instance.map(|i| self.container_instance_arn(i)),
            group: self.fleet.cluster().group_name(task.group),
            last_status: task.status.as_str(),
            launch_type: task.pool.launch_type(),
            task_arn: self.task_arn(t),
            task_definition_arn: self.task_definition_arn(task.taskdef),
        }
    }

    /// A service as DescribeServices shows it (the fields ecsim models).
    fn service_json(&self, s: ServiceId) -> Value {
        let svc = self.services.get(s);
        let totals = svc.totals();
        let deployments: Vec<Value> = svc
            .current_deployments()
            .map(|(k, d)| {
                json!({"id": d.id, "status": svc.deployment_status(k).as_str(), "rolloutState": d.rollout.as_str(),
                       "taskDefinition": self.task_definition_arn(d.config.taskdef),
                       "runningCount": d.counts.running, "pendingCount": d.counts.live - d.counts.running})
            })
            .collect();
        json!({
            "serviceArn": self.service_arn(s),
            "serviceName": svc.name,
            "clusterArn": self.cluster_arn(svc.cluster),
            "status": svc.status.as_str(),
            "desiredCount": svc.desired,
            "runningCount": totals.running,
            "pendingCount": totals.live - totals.running,
            "schedulingStrategy": if svc.daemon { "DAEMON" } else { "REPLICA" },
            "taskDefinition": self.task_definition_arn(svc.primary().config.taskdef),
            "deploymentConfiguration": {"minimumHealthyPercent": svc.settings.min_healthy_percent,
                                        "maximumPercent": svc.settings.max_percent},
            "availabilityZoneRebalancing": if svc.az_rebalancing { "ENABLED" } else { "DISABLED" },
            "deployments": deployments,
        })
    }
}

/// An EventBridge event, its members in the order serde_json sorts a map's keys, so that
/// serialising it directly gives the bytes its `Value` gives.
#[derive(Serialize)]
pub struct Envelope<D, R = String> {
    pub(super) account: &'static str,
    pub(super) detail: D,
    #[serde(rename = "detail-type")]
    pub(super) detail_type: &'static str,
    #[serde(rename = "ecsimEvent", skip_serializing_if = "Option::is_none")]
    pub(super) ecsim_event: Option<u64>,
    pub(super) id: HexId,
    pub(super) region: &'static str,
    pub(super) resources: [R; 1],
    #[serde(rename = "simTime")]
    pub(super) sim_time: Secs,
    pub(super) source: &'static str,
    pub(super) time: Iso,
    pub(super) version: &'static str,
}

/// A CloudTrail record of an API call (members in sorted order, as above).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trail<'c> {
    pub(super) aws_region: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ecsim_client: Option<ClientRecord<'c>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ecsim_event: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ecsim_idempotent_replay: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ecsim_run: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error_message: Option<&'c str>,
    pub(super) event_name: &'static str,
    pub(super) event_source: &'static str,
    pub(super) event_time: Iso,
    pub(super) event_type: &'static str,
    pub(super) event_version: &'static str,
    pub(super) recipient_account_id: &'static str,
    pub(super) request_parameters: &'c super::Body,
    pub(super) response_elements: Elements<'c>,
    pub(super) sim_time: Secs,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) user_agent: Option<&'c str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) user_identity: Option<UserIdentity>,
}

/// `userIdentity` of a call an AWS service made on the account's behalf.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserIdentity {
    pub(super) account_id: &'static str,
    pub(super) arn: &'static str,
    pub(super) invoked_by: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// ecsim's RunTask client facts on a call (`ecsimClient`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClientRecord<'c> {
    pub(super) arrived_at: Secs,
    pub(super) attempt: u32,
    pub(super) request: &'c str,
    pub(super) retries: bool,
}

/// A call's `responseElements`.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Elements<'c> {
    /// Rendered as JSON.
    Value(Value),
    /// A RunTask's.
    RunTask(RunTaskResponse<'c>),
}

/// What a RunTask call did, by id: the tasks it started, and per task it could not
/// place the reason and the instance that came closest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTaskResult {
    /// The tasks started (most calls start one: no heap list for them).
    pub tasks: smallvec::SmallVec<[TaskIdx; 2]>,
    /// A failure per task not placed.
    pub failures: smallvec::SmallVec<[(crate::ecs::failure::Failure, Option<InstanceId>); 1]>,
}

/// RunTask's response: the tasks it started and a failure per task it could not place.
#[derive(Serialize)]
pub(super) struct RunTaskResponse<'a> {
    pub(super) failures: Vec<FailureEntry<'a>>,
    pub(super) tasks: Vec<TaskSummary<'a>>,
}

/// A RunTask failure entry.
#[derive(Serialize)]
pub(super) struct FailureEntry<'a> {
    pub(super) arn: Option<Arn<'a>>,
    pub(super) reason: &'static str,
}

/// A task as RunTask's response lists it (members in sorted order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TaskSummary<'a> {
    pub(super) capacity_provider_name: &'a str,
    pub(super) container_instance_arn: Option<Arn<'a>>,
    pub(super) group: &'a str,
    pub(super) last_status: &'static str,
    pub(super) launch_type: &'static str,
    pub(super) task_arn: Arn<'a>,
    pub(super) task_definition_arn: Arn<'a>,
}

/// An EventBridge event from `aws.ecs` around `detail` at `t`, with its wall-clock time
/// from `clock`; `ecsim_event` is set when the event is serialised directly (else the
/// journal adds it).
pub(super) fn envelope<D, R>(
    clock: &WallClock,
    t: SimTime,
    id: HexId,
    detail_type: &'static str,
    resource: R,
    detail: D,
    ecsim_event: Option<u64>,
) -> Envelope<D, R> {
    Envelope {
        account: ACCOUNT,
        detail,
        detail_type,
        ecsim_event,
        id,
        region: REGION,
        resources: [resource],
        sim_time: Secs(t),
        source: "aws.ecs",
        time: clock.iso_of(t),
        version: "0",
    }
}
