//! The API timeline: each call's effect and its CloudTrail record; container
//! instances registering through their agent (IAM role, cluster creation); and the
//! hooks a replay of a recorded log uses.

use super::task::{Origin, Reason, StopCode, TaskIdx};
use super::{Event, InstanceRuntime, Sim, task_id};
use crate::ecs::api::{
    DeregisterContainerInstance, InstanceState, RegisterContainerInstance, UpdateContainerInstancesState,
};
use crate::ecs::cluster::{DEFAULT_RESERVED_PORTS, InstanceId, InstanceSpec, InstanceStatus};
use crate::ecs::iam;
use crate::engine::SimTime;
use crate::scenario::schema::ApiCall;
use serde_json::{Value, json};

/// What the agent of a registering instance brings: its role and configuration text.
pub(super) struct AgentSetup<'a> {
    /// The instance role's IAM actions.
    pub iam_actions: &'a [String],
    /// `userData` as written.
    pub user_data: &'a str,
}

impl Sim<'_> {
    /// A timeline call.
    pub(super) fn timeline_call(&mut self, i: u32) {
        let entry = &self.sc.timeline[i as usize];
        let now = self.now();
        match &entry.request {
            ApiCall::RunTask(rt) => {
                let count = rt.count.unwrap_or(1) as u32;
                let req = serde_json::to_value(rt).unwrap_or_default();
                if self.token_seen("RunTask", rt.client_token.as_deref(), &Self::token_text(rt), &req) {
                    return;
                }
                let (attempt, arrived) = match self.replay_client(Origin::Timeline(i)) {
                    Some(c) => {
                        self.replay_retried(&c.request);
                        (c.attempt, c.arrived_at)
                    }
                    None => (0, now),
                };
                self.run_task(Origin::Timeline(i), rt.clone(), count, attempt, arrived);
            }
            ApiCall::CreateService(cs) => self.create_service(cs),
            ApiCall::UpdateService(u) => self.update_service(u),
            ApiCall::DeleteService(d) => self.delete_service(d),
            ApiCall::RegisterTaskDefinition(td) => self.register_task_definition(td),
            ApiCall::StopTask(st) => self.stop_task_call(st),
            ApiCall::UpdateContainerInstancesState(b) => self.update_instances_state(b),
            ApiCall::RegisterContainerInstance(b) => self.register_call(b),
            ApiCall::DeregisterContainerInstance(b) => self.deregister_call(b),
            ApiCall::CreateCluster(c) => {
                let name = c.name().to_string();
                match self.cluster_index(Some(&name)) {
                    Some(k) if self.rec.wants_events() => {
                        let v = self.arns.api_call(
                            now,
                            "CreateCluster",
                            serde_json::to_value(c).unwrap_or_default(),
                            json!({"cluster": {"clusterArn": self.arns.cluster(k), "clusterName": name, "status": "ACTIVE"}}),
                            None,
                        );
                        self.record(v);
                    }
                    Some(_) => {}
                    None => {
                        self.add_cluster(&name, None);
                    }
                }
            }
            ApiCall::CreateCapacityProvider(c) => {
                if self.rec.wants_events() {
                    let v = self.arns.api_call(
                        now,
                        "CreateCapacityProvider",
                        serde_json::to_value(c).unwrap_or_default(),
                        json!({"capacityProvider": {"name": c.name, "status": "ACTIVE"}}),
                        None,
                    );
                    self.record(v);
                }
            }
            ApiCall::PutClusterCapacityProviders(c) => {
                let cluster = self
                    .cluster_index(c.cluster.as_deref())
                    .expect("clusters are checked when the scenario is loaded");
                let Ok(assoc) = self.sc.capacity.associate(c, now) else {
                    return;
                };
                self.associations[cluster as usize] = assoc;
                if self.rec.wants_events() {
                    let v = self.arns.api_call(
                        now,
                        "PutClusterCapacityProviders",
                        serde_json::to_value(c).unwrap_or_default(),
                        json!({"cluster": {"clusterArn": self.arns.cluster(cluster), "capacityProviders": c.capacity_providers}}),
                        None,
                    );
                    self.record(v);
                }
            }
        }
    }

    /// StopTask.
    fn stop_task_call(&mut self, st: &crate::ecs::api::StopTask) {
        let now = self.now();
        let wanted = st.task.rsplit('/').next().unwrap_or(&st.task).to_string();
        let found = (0..self.tasks.len()).find(|&k| self.tasks[k].seq.is_some_and(|s| task_id(s) == wanted));
        let req = serde_json::to_value(st).unwrap_or_default();
        match found {
            Some(k) => {
                self.stop_task(
                    TaskIdx(k as u32),
                    StopCode::UserInitiated,
                    Reason::UserInitiated(st.reason.clone()),
                );
                if self.rec.wants_events() {
                    let task = self.task_summary(TaskIdx(k as u32));
                    let v = self.arns.api_call(now, "StopTask", req, json!({"task": task}), None);
                    self.record(v);
                }
            }
            None => self.api_error(
                "StopTask",
                req,
                "InvalidParameterException",
                "The referenced task was not found.".into(),
            ),
        }
    }

    /// The cluster a request names; when it does not exist the call fails with
    /// ClusterNotFoundException.
    pub(super) fn request_cluster(&mut self, api: &str, reference: Option<&str>, req: &Value) -> Option<u32> {
        let c = self.cluster_index(reference);
        if c.is_none() {
            self.api_error(
                api,
                req.clone(),
                "ClusterNotFoundException",
                "Cluster not found.".into(),
            );
        }
        c
    }

    /// The instance a reference names, in `cluster` (None: any): a container-instance id
    /// or ARN, or an EC2 instance id (the newest registration of it that is not INACTIVE).
    pub(super) fn find_instance(&self, cluster: Option<u32>, reference: &str) -> Option<InstanceId> {
        let id = reference.rsplit('/').next().unwrap_or(reference);
        self.cluster
            .ids()
            .rev()
            .filter(|&i| cluster.is_none_or(|c| self.cluster.instance(i).spec.ecs_cluster.0 == c))
            .find(|&i| {
                let inst = self.cluster.instance(i);
                inst.container_instance_id == id
                    || (inst.spec.ec2_instance_id == id && self.cluster.status(i) != InstanceStatus::Inactive)
            })
    }

    /// UpdateContainerInstancesState: DRAINING or ACTIVE.
    fn update_instances_state(&mut self, b: &UpdateContainerInstancesState) {
        let req = serde_json::to_value(b).unwrap_or_default();
        let Some(cluster) = self.request_cluster("UpdateContainerInstancesState", b.cluster.as_deref(), &req) else {
            return;
        };
        let status = b.status.expect("checked when the scenario is loaded");
        let mut done = Vec::new();
        let mut failures = Vec::new();
        for r in &b.container_instances {
            let found = self.find_instance(Some(cluster), r);
            match (found, found.map(|i| self.cluster.status(i))) {
                (Some(i), Some(InstanceStatus::Active)) if status == InstanceState::Draining => {
                    self.drain_instance(i);
                    done.push(i);
                }
                (Some(i), Some(InstanceStatus::Draining)) if status == InstanceState::Active => {
                    self.activate_instance(i);
                    done.push(i);
                }
                (Some(i), Some(s)) if s != InstanceStatus::Inactive => done.push(i),
                (Some(i), _) => failures.push(json!({"arn": self.container_instance_arn(i), "reason": "INACTIVE"})),
                (None, _) => failures.push(json!({"arn": r, "reason": "MISSING"})),
            }
        }
        if self.rec.wants_events() {
            let instances: Vec<Value> = done
                .iter()
                .map(|&i| {
                    json!({"containerInstanceArn": self.container_instance_arn(i),
                           "ec2InstanceId": self.cluster.instance(i).spec.ec2_instance_id,
                           "status": self.cluster.status(i).as_str()})
                })
                .collect();
            let v = self.arns.api_call(
                self.now(),
                "UpdateContainerInstancesState",
                req,
                json!({"containerInstances": instances, "failures": failures}),
                None,
            );
            self.record(v);
        }
    }

    /// DeregisterContainerInstance: the instance leaves the cluster. With force, its
    /// tasks are orphaned (no longer tracked: they stop in ecsim's books) and services
    /// replace theirs; without force, an instance with tasks is refused.
    fn deregister_call(&mut self, b: &DeregisterContainerInstance) {
        let req = serde_json::to_value(b).unwrap_or_default();
        let found = self
            .cluster_index(b.cluster.as_deref())
            .and_then(|c| self.find_instance(Some(c), &b.container_instance))
            .filter(|&i| self.cluster.status(i) != InstanceStatus::Inactive);
        let Some(id) = found else {
            return self.api_error(
                "DeregisterContainerInstance",
                req,
                "InvalidParameterException",
                "Container instance not found.".into(),
            );
        };
        if !self.instance_tasks[id.idx()].is_empty() && !b.force {
            return self.api_error(
                "DeregisterContainerInstance",
                req,
                "InvalidParameterException",
                "The container instance has tasks running. Use force to deregister it anyway.".into(),
            );
        }
        let ec2 = self.cluster.instance(id).spec.ec2_instance_id.clone();
        for t in self.instance_tasks[id.idx()].clone() {
            self.stop_task(t, StopCode::TerminationNotice, Reason::Orphaned(ec2.clone()));
        }
        self.cluster.set_status(id, InstanceStatus::Inactive, self.now());
        self.placer.instance_changed(&self.cluster, id);
        if self.rec.wants_events() {
            let v = self.arns.api_call(
                self.now(),
                "DeregisterContainerInstance",
                req,
                json!({"containerInstance": {"containerInstanceArn": self.container_instance_arn(id), "status": "INACTIVE"}}),
                None,
            );
            self.record(v);
        }
        self.instance_event(id, None);
        self.instances_changed(id);
    }

    /// RegisterContainerInstance from the timeline (or a replayed log): the instance
    /// its body describes, with the default instance role.
    fn register_call(&mut self, b: &RegisterContainerInstance) {
        let req = serde_json::to_value(b).unwrap_or_default();
        let Some(cluster) = self.request_cluster("RegisterContainerInstance", b.cluster.as_deref(), &req) else {
            return;
        };
        let doc = b.identity().expect("checked when the scenario is loaded");
        let mut report = crate::error::Report::new(&self.sc.file);
        let agent = crate::ecs::agent::parse_user_data(b.user_data.as_deref().unwrap_or(""), "", &mut report);
        let t = crate::ecs::catalogue::Catalogue::builtin().get(&doc.instance_type);
        let number = |name: &str| b.resource(name).and_then(|r| r.number()).map(|n| n as u32);
        let mut attributes: std::collections::BTreeMap<String, String> =
            t.map(|t| t.attributes().into_iter().collect()).unwrap_or_default();
        for a in &b.attributes {
            attributes.insert(a.name.clone(), a.value.clone().unwrap_or_default());
        }
        attributes.insert("ecs.availability-zone".to_string(), doc.availability_zone.clone());
        let trunked = attributes.contains_key(crate::ecs::cluster::TRUNK_ATTRIBUTE);
        let external = attributes.contains_key("ecs.capability.external");
        let reserved_ports = match b.resource("PORTS") {
            Some(r) => r
                .string_set_value
                .iter()
                .filter_map(|p| p.parse::<u16>().ok())
                .filter(|p| !DEFAULT_RESERVED_PORTS.contains(p))
                .collect(),
            None => agent.reserved_ports.clone(),
        };
        let hourly = if external {
            self.sc.prices.external_hour
        } else {
            let on_demand = t.map_or(0.0, |t| t.on_demand_usd_per_hour);
            self.sc.prices.ec2_hour(&doc.instance_type, on_demand, false)
        };
        let spec = InstanceSpec {
            ec2_instance_id: doc.instance_id.clone(),
            instance_type: doc.instance_type.clone(),
            availability_zone: doc.availability_zone.clone(),
            cpu: number("CPU").or(t.map(|t| t.registered_cpu())).unwrap_or(0),
            memory: number("MEMORY")
                .or(t.map(|t| t.registered_memory().saturating_sub(agent.reserved_memory)))
                .unwrap_or(0),
            task_enis: if external || !agent.task_eni {
                0
            } else {
                t.and_then(|t| t.task_enis(trunked)).unwrap_or(0)
            },
            reserved_ports,
            attributes,
            agent_version: b
                .version_info
                .as_ref()
                .and_then(|v| v.agent_version.clone())
                .unwrap_or(crate::ecs::cluster::DEFAULT_AGENT_VERSION.to_string()),
            registered_at_unix_ms: self.sc.start_unix_ms + self.now().millis() as i64,
            origin: u32::MAX,
            hourly_price: hourly,
            provider: None,
            external,
            ecs_cluster: crate::ecs::cluster::ClusterId(cluster),
            pull_bandwidth: self.sc.image_pull.bandwidth_mib_per_s,
            agent,
        };
        let key = if external { "EXTERNAL" } else { "EC2" };
        let minimum = if external {
            0.0
        } else {
            crate::capacity::prices::MINIMUM_SECONDS
        };
        self.costs.declare(key);
        self.register_instance(spec, b.user_data.as_deref().unwrap_or(""), key, minimum, self.now());
    }

    /// An instance's agent registers it: the role must allow registration, and the
    /// cluster ECS_CLUSTER names must exist (or the role may create it); without
    /// ecs:Poll the instance registers but its agent never connects. Billing starts at
    /// `launched_at` whatever happens.
    pub(super) fn agent_registers(
        &mut self,
        mut spec: InstanceSpec,
        agent: AgentSetup,
        cost_key: &str,
        minimum_secs: f64,
        launched_at: SimTime,
    ) -> Option<InstanceId> {
        let name = spec.agent.cluster_name().to_string();
        let role = format!(
            "arn:aws:sts::{}:assumed-role/ecsInstanceRole/{}",
            super::records::ACCOUNT,
            spec.ec2_instance_id
        );
        let denied = |action: &str| format!("User: {role} is not authorized to perform: {action}");
        let refused = if !iam::allows(agent.iam_actions, iam::REGISTER) {
            Some(("AccessDeniedException", denied(iam::REGISTER)))
        } else {
            match self.cluster_index(Some(&name)) {
                Some(c) => {
                    spec.ecs_cluster = crate::ecs::cluster::ClusterId(c);
                    None
                }
                None if iam::allows(agent.iam_actions, iam::CREATE_CLUSTER) => {
                    spec.ecs_cluster = crate::ecs::cluster::ClusterId(self.add_cluster(&name, Some("ecs-agent")));
                    None
                }
                None => Some((
                    "ClusterNotFoundException",
                    format!(
                        "Cluster {name} not found, and the instance role may not create it ({} missing)",
                        iam::CREATE_CLUSTER
                    ),
                )),
            }
        };
        if let Some((code, message)) = refused {
            self.costs.open(cost_key, spec.hourly_price, minimum_secs, launched_at);
            if self.rec.wants_events() {
                let mut v = self.arns.api_call(
                    self.now(),
                    "RegisterContainerInstance",
                    self.registration_body(&spec, agent.user_data, &name),
                    Value::Null,
                    Some((code, message.clone())),
                );
                v["userAgent"] = json!("ecs-agent");
                self.record(v);
            }
            self.unusable.push(super::Unusable {
                ec2_instance_id: spec.ec2_instance_id.clone(),
                registered: false,
                reason: message,
            });
            return None;
        }
        let id = self.register_instance(spec, agent.user_data, cost_key, minimum_secs, launched_at);
        if !iam::allows(agent.iam_actions, iam::POLL) {
            let message = denied(iam::POLL);
            self.cluster.set_agent_connected(id, false);
            self.placer.instance_changed(&self.cluster, id);
            self.runtime[id.idx()].never_connects = true;
            if self.rec.wants_events() {
                let mut v = self.arns.api_call(
                    self.now(),
                    "Poll",
                    json!({"cluster": name, "containerInstance": self.container_instance_arn(id)}),
                    Value::Null,
                    Some(("AccessDeniedException", message.clone())),
                );
                v["userAgent"] = json!("ecs-agent");
                self.record(v);
            }
            self.instance_event(id, Some(&message));
            self.unusable.push(super::Unusable {
                ec2_instance_id: self.cluster.instance(id).spec.ec2_instance_id.clone(),
                registered: true,
                reason: message,
            });
        }
        Some(id)
    }

    /// The RegisterContainerInstance body the agent of `spec` sends.
    fn registration_body(&self, spec: &InstanceSpec, user_data: &str, cluster: &str) -> Value {
        let document = json!({
            "instanceId": spec.ec2_instance_id,
            "instanceType": spec.instance_type,
            "availabilityZone": spec.availability_zone,
            "region": super::records::REGION,
        });
        let mut ports: Vec<u16> = DEFAULT_RESERVED_PORTS
            .iter()
            .chain(&spec.reserved_ports)
            .copied()
            .collect();
        ports.sort();
        ports.dedup();
        let attributes: Vec<Value> = spec
            .attributes
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let mut body = json!({
            "cluster": cluster,
            "instanceIdentityDocument": document.to_string(),
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": spec.cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": spec.memory},
                {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ports.iter().map(u16::to_string).collect::<Vec<_>>()},
            ],
            "versionInfo": {"agentVersion": spec.agent_version},
            "attributes": attributes,
        });
        if !user_data.is_empty() {
            body["userData"] = json!(user_data);
        }
        body
    }

    /// Registers a container instance and opens its cost meter (billing from
    /// `launched_at`), recording the agent's RegisterContainerInstance call.
    pub(super) fn register_instance(
        &mut self,
        spec: InstanceSpec,
        user_data: &str,
        cost_key: &str,
        minimum_secs: f64,
        launched_at: SimTime,
    ) -> InstanceId {
        let hourly = spec.hourly_price;
        let body = self.rec.wants_events().then(|| {
            self.registration_body(
                &spec,
                user_data,
                &self.arns.clusters[spec.ecs_cluster.0 as usize].clone(),
            )
        });
        let id = self.cluster.register(spec, self.now());
        self.instance_tasks.push(Vec::new());
        self.runtime.push(InstanceRuntime::default());
        let meter = self.costs.open(cost_key, hourly, minimum_secs, launched_at);
        self.instance_meters.push(meter);
        self.placer.instance_changed(&self.cluster, id);
        if let Some(body) = body {
            let inst = self.cluster.instance(id);
            let response = json!({"containerInstance": {
                "containerInstanceArn": self.container_instance_arn(id),
                "ec2InstanceId": inst.spec.ec2_instance_id, "status": "ACTIVE"}});
            let mut v = self
                .arns
                .api_call(self.now(), "RegisterContainerInstance", body, response, None);
            v["userAgent"] = json!("ecs-agent");
            self.record(v);
        }
        self.instance_event(id, None);
        self.start_instance_faults(id);
        self.instances_changed(id);
        id
    }

    // ---- replay -----------------------------------------------------------

    /// A recorded RunTask's client facts, when replaying.
    pub(super) fn replay_client(&self, origin: Origin) -> Option<crate::replay::Client> {
        match (origin, self.script) {
            (Origin::Timeline(e), Some(f)) => f.clients.get(&e).cloned(),
            _ => None,
        }
    }

    /// The id a run gives one client request across its retries.
    pub(super) fn client_request_id(&self, origin: Origin, arrived_at: SimTime) -> String {
        match self.replay_client(origin) {
            Some(c) => c.request,
            None => format!("{}@{}", self.origin_label(origin), arrived_at.secs_string()),
        }
    }

    /// A replayed RunTask that will be retried: its retry comes as a later call.
    pub(super) fn replay_pending(&mut self, request: String, pending: u32) {
        self.replay_retries.insert(request, pending);
    }

    /// A replayed retry is made: the pending request it continues is done.
    fn replay_retried(&mut self, request: &str) {
        if let Some(p) = self.replay_retries.remove(request) {
            let p = p as usize;
            self.pending[p].done = true;
            self.waiting_count -= self.pending[p].count;
        }
    }

    /// A recorded essential-container exit (index into the log's exits).
    fn replay_exit(&mut self, k: u32) {
        let Some(facts) = self.script else { return };
        if let Some(&t) = self.replay_seq.get(&facts.exits[k as usize]) {
            let t = TaskIdx(t);
            if self.tasks[t.0 as usize].status == super::task::TaskStatus::Running {
                self.stop_task(t, StopCode::EssentialContainerExited, Reason::Exited);
            }
        }
    }

    /// A recorded Fargate Spot warning (index into the log's warnings).
    fn replay_fargate_spot(&mut self, k: u32) {
        let Some(facts) = self.script else { return };
        if let Some(&t) = self.replay_seq.get(&facts.fargate_spot[k as usize]) {
            self.fargate_spot_notice(TaskIdx(t));
        }
    }

    /// Schedules a replayed log's batches at their times, in the log's order.
    pub(super) fn schedule_replay(&mut self) {
        let Some(facts) = self.script else { return };
        let times: Vec<SimTime> = facts.batches.iter().map(|b| b.at).collect();
        for (k, at) in times.into_iter().enumerate() {
            self.schedule(at, Event::ReplayBatch(k as u32));
        }
    }

    /// What one engine event of the recorded run did, done again in its order.
    pub(super) fn replay_batch(&mut self, k: u32) {
        let Some(facts) = self.script else { return };
        for item in facts.batches[k as usize].items.clone() {
            match item {
                crate::replay::Item::Call(i) => self.timeline_call(i),
                crate::replay::Item::Exit(e) => self.replay_exit(e),
                crate::replay::Item::FargateSpot(f) => self.replay_fargate_spot(f),
                crate::replay::Item::Fault(f) => self.scheduled_fault(f as usize),
            }
        }
    }
}
