//! What a run tells its recorder: EventBridge-shaped state changes of tasks,
//! container instances, services and deployments, and placement decisions.

use super::task::{Origin, TaskIdx, TaskStatus};
use super::{Sim, started_by, task_id};
use crate::ecs::cluster::{GroupId, InstanceId};
use crate::ecs::registry::TaskDefId;
use crate::placement::Decision;
use crate::placement::plan::PlanId;
use serde_json::{Value, json};

impl Sim<'_> {
    /// The ARN of a container instance.
    pub(super) fn container_instance_arn(&self, i: InstanceId) -> String {
        let inst = self.cluster.instance(i);
        self.arns
            .container_instance(inst.spec.ecs_cluster.0, &inst.container_instance_id)
    }

    /// A task as RunTask's response lists it.
    pub(super) fn task_summary(&self, t: TaskIdx) -> Value {
        let task = &self.tasks[t.0 as usize];
        let id = task.seq.map(task_id).unwrap_or_default();
        json!({
            "taskArn": self.arns.task(task.cluster, &id),
            "lastStatus": task.status.as_str(),
            "containerInstanceArn": task.instance.map(|i| self.container_instance_arn(i)),
            "group": self.cluster.group_name(task.group),
            "launchType": task.pool.launch_type(),
            "capacityProviderName": self.caps.provider_name(self.sc, task.pool),
            "taskDefinitionArn": self.arns.task_definition(&self.registry.get(task.taskdef).name()),
        })
    }

    /// An "ECS Task State Change" event.
    pub(super) fn task_event(&mut self, t: TaskIdx) {
        if !self.rec.wants_events() {
            return;
        }
        let task = &self.tasks[t.0 as usize];
        let id = task.seq.map(task_id).unwrap_or_default();
        let inst = task.instance.map(|i| self.cluster.instance(i));
        let time = |x: Option<crate::engine::SimTime>| x.map(|x| self.arns.iso(x));
        let zone = inst
            .map(|i| i.spec.availability_zone.clone())
            .or_else(|| task.zone.map(|z| self.cluster.symbols.resolve(z).to_string()));
        let desired = match task.status {
            TaskStatus::Stopped | TaskStatus::Stopping => "STOPPED",
            _ => "RUNNING",
        };
        let detail = json!({
            "clusterArn": self.arns.cluster(task.cluster),
            "taskArn": self.arns.task(task.cluster, &id),
            "taskDefinitionArn": self.arns.task_definition(&self.registry.get(task.taskdef).name()),
            "containerInstanceArn": task.instance.map(|i| self.container_instance_arn(i)),
            "availabilityZone": zone,
            "group": self.cluster.group_name(task.group),
            "launchType": task.pool.launch_type(),
            "capacityProviderName": self.caps.provider_name(self.sc, task.pool),
            "startedBy": started_by(&self.services, &self.sc.workloads, &self.sc.timeline, task),
            "lastStatus": task.status.as_str(),
            "desiredStatus": desired,
            "createdAt": time(task.created_at),
            "startedAt": time(task.started_at),
            "stoppingAt": time(task.stopping_at),
            "stoppedAt": time(task.stopped_at),
            "stopCode": task.stop_code.map(|c| c.as_str()),
            "stoppedReason": task.reason.as_ref().map(|r| r.text()),
            "version": task.version,
        });
        let resource = self.arns.task(task.cluster, &id);
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Task State Change", &resource, detail);
        self.record(v);
    }

    /// An "ECS Container Instance State Change" event; `reason` explains a status the
    /// agent or its role caused.
    pub(super) fn instance_event(&mut self, id: InstanceId, reason: Option<&str>) {
        if !self.rec.wants_events() {
            return;
        }
        let i = self.cluster.instance(id);
        let arn = self.container_instance_arn(id);
        let attributes: Vec<Value> = i
            .spec
            .attributes
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let mut detail = json!({
            "clusterArn": self.arns.cluster(i.spec.ecs_cluster.0),
            "containerInstanceArn": arn,
            "ec2InstanceId": i.spec.ec2_instance_id,
            "capacityProviderName": i.spec.provider.map(|p| self.sc.capacity.providers[p.0 as usize].name.clone()),
            "status": self.cluster.status(id).as_str(),
            "agentConnected": self.cluster.agent_connected(id),
            "registeredAt": self.arns.iso(i.registered_at),
            "attributes": attributes,
            "registeredResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": i.spec.cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": i.spec.memory},
            ],
            "remainingResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": self.cluster.cpu_left(id)},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": self.cluster.mem_left(id)},
            ],
            "runningTasksCount": self.cluster.running_tasks(id),
            "versionInfo": {"agentVersion": i.spec.agent_version},
        });
        if let Some(r) = reason {
            detail["statusReason"] = json!(r);
        }
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Container Instance State Change", &arn, detail);
        self.record(v);
    }

    /// An "ECS Service Action" event (`eventType` INFO, WARN or ERROR).
    pub(super) fn service_action(&mut self, s: usize, event_type: &str, name: &str, extra: Value) {
        if !self.rec.wants_events() {
            return;
        }
        let svc = &self.services[s];
        let mut detail = json!({
            "eventType": event_type,
            "eventName": name,
            "clusterArn": self.arns.cluster(svc.cluster),
            "createdAt": self.arns.iso(self.now()),
        });
        if let (Value::Object(d), Value::Object(e)) = (&mut detail, extra) {
            d.extend(e);
        }
        let resource = self.arns.service(svc.cluster, &svc.name);
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Service Action", &resource, detail);
        self.record(v);
    }

    /// An "ECS Deployment State Change" event for deployment `d` of service `s`.
    pub(super) fn deployment_event(&mut self, s: usize, d: usize, event_type: &str, name: &str, reason: &str) {
        if !self.rec.wants_events() {
            return;
        }
        let svc = &self.services[s];
        let detail = json!({
            "eventType": event_type,
            "eventName": name,
            "deploymentId": svc.deployments[d].id,
            "taskDefinitionArn": self.arns.task_definition(&self.registry.get(svc.deployments[d].config.taskdef).name()),
            "updatedAt": self.arns.iso(self.now()),
            "reason": reason,
        });
        let resource = self.arns.service(svc.cluster, &svc.name);
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Deployment State Change", &resource, detail);
        self.record(v);
    }

    /// Who asked, as `service:web`, `workload:batch` or `timeline[3]`.
    pub(super) fn origin_label(&self, origin: Origin) -> String {
        match origin {
            Origin::Service(s) => format!("service:{}", self.services[s as usize].name),
            Origin::Workload(w) => format!("workload:{}", self.sc.workloads[w as usize].name),
            Origin::Timeline(e) => format!("timeline[{e}]"),
        }
    }

    /// Places one task under `plan`, recording the decision when asked to. Without
    /// `want_reason` a failure is not explained (reason ""), which spares a scan.
    pub(super) fn decide(
        &mut self,
        plan: PlanId,
        td: TaskDefId,
        group: GroupId,
        origin: Origin,
        want_reason: bool,
    ) -> Decision {
        let res = self.registry.get(td).reservation.clone();
        let d = if want_reason || self.rec.wants_decisions() {
            self.placer.decide(plan, &res, group, &self.cluster)
        } else {
            match self.placer.pick(plan, &res, group, &self.cluster) {
                Some(i) => Decision::Placed(i),
                None => Decision::Unplaced {
                    reason: crate::ecs::failure::Failure::NoInstances,
                    closest: None,
                },
            }
        };
        if !self.rec.wants_decisions() {
            return d;
        }
        let chosen = match d {
            Decision::Placed(i) => Some(i),
            Decision::Unplaced { .. } => None,
        };
        let task = chosen.map(|_| task_id(self.created));
        if self.rec.wants_decision_for(task.as_deref()) {
            let scan = self.placer.scan(plan, &res, group, &self.cluster, true);
            let origin = self.origin_label(origin);
            let ctx = crate::placement::explain::Context {
                time: self.now().secs_string(),
                task,
                origin,
                tie_break: self.placer.tie_break(),
            };
            let mut v = crate::placement::explain::record(
                &self.cluster,
                self.placer.plan_info(plan),
                &res,
                group,
                &scan,
                chosen,
                ctx,
            );
            if let Some(i) = chosen {
                v["imagePull"] = self.pull_preview(td, i);
            }
            self.rec.decision(&v);
        }
        d
    }
}
