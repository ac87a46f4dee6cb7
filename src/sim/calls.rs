//! The API front end: each timeline call checked by [`crate::control`] against the
//! run's state at call time — a refused call is a CloudTrail record with its
//! `errorCode` and the run goes on — then applied through the parts and
//! [`rules`](super::rules), and recorded; and a replay's batches of recorded calls
//! and facts, done again in their order.

use super::control::RunState;
use super::ids::{CallIdx, TaskIdx};
use super::journal::{Call, Record, Response};
use super::rules::instance::Billing;
use super::task::{Reason, StopCode, TaskStatus};
use super::{Sim, tasks::parse_task_id};
use crate::control::ApiError;
use crate::ecs::api::{
    DeregisterContainerInstance, IdentityDocument, InstanceState, RegisterContainerInstance, StopTask,
    UpdateContainerInstancesState,
};
use crate::ecs::cluster::{ClusterId, DEFAULT_RESERVED_PORTS, InstanceSpec, InstanceStatus};
use crate::ecs::task_definition::RegisterTaskDefinition;
use crate::scenario::schema::ApiCall;

impl Sim<'_> {
    /// The state the call checks read now.
    pub(super) fn call_state(&self) -> RunState<'_> {
        RunState {
            control: &self.control,
            services: &self.services,
            capacity: &self.sc.capacity,
            now: self.now(),
        }
    }

    /// Records a refused call.
    pub(super) fn refused<T: serde::Serialize>(&mut self, api: &'static str, body: &T, e: ApiError) {
        self.refused_by(api, body, e, None);
    }

    /// Records a refused call, made by an AWS service on the account's behalf when `by` says so.
    pub(super) fn refused_by<T: serde::Serialize>(
        &mut self,
        api: &'static str,
        body: &T,
        e: ApiError,
        by: Option<&'static str>,
    ) {
        self.record(|_| {
            let req = serde_json::to_value(body).unwrap_or_default();
            let c = Call::failed(api, req, e.code, e.message.clone());
            Record::Call(match by {
                Some(by) => c.invoked_by(by),
                None => c,
            })
        });
    }

    /// Records an accepted call with its response.
    pub(super) fn answered<T: serde::Serialize>(&mut self, api: &'static str, body: &T, response: Response) {
        self.answered_by(api, body, response, None);
    }

    /// Records an accepted call, made by an AWS service on the account's behalf when `by` says so.
    pub(super) fn answered_by<T: serde::Serialize>(
        &mut self,
        api: &'static str,
        body: &T,
        response: Response,
        by: Option<&'static str>,
    ) {
        self.record(|_| {
            let req = serde_json::to_value(body).unwrap_or_default();
            let c = Call::ok(api, req, response);
            Record::Call(match by {
                Some(by) => c.invoked_by(by),
                None => c,
            })
        });
    }

    /// A timeline call.
    pub(super) fn timeline_call(&mut self, i: CallIdx) {
        let entry = &self.sc.timeline[i.0 as usize];
        match &entry.request {
            ApiCall::RunTask(rt) => self.timeline_run_task(i, rt),
            ApiCall::CreateService(cs) => self.create_service(cs),
            ApiCall::UpdateService(u) => self.update_service(u),
            ApiCall::DeleteService(d) => self.delete_service(d),
            ApiCall::RegisterTaskDefinition(td) => self.register_task_definition(td),
            ApiCall::StopTask(st) => self.stop_task_call(st),
            ApiCall::UpdateContainerInstancesState(b) => self.update_instances_state(b),
            ApiCall::RegisterContainerInstance(b) => self.register_call(b),
            ApiCall::DeregisterContainerInstance(b) => self.deregister_call(b),
            ApiCall::CreateCluster(c) => match crate::control::clusters::create(c) {
                Err(e) => self.refused("CreateCluster", c, e),
                Ok(name) => match self.control.cluster(&name) {
                    Some(k) => self.answered("CreateCluster", c, Response::Cluster(k)),
                    None => {
                        self.add_cluster(&name, None);
                    }
                },
            },
            ApiCall::AutoScaling(c) => self.scaling_call(c),
            ApiCall::CreateCapacityProvider(c) => {
                self.answered("CreateCapacityProvider", c, Response::CapacityProvider(c.name.clone()))
            }
            ApiCall::PutClusterCapacityProviders(c) => {
                match crate::control::clusters::put_capacity_providers(&self.call_state(), c) {
                    Err(e) => self.refused("PutClusterCapacityProviders", c, e),
                    Ok((cluster, assoc)) => {
                        self.control.set_associations(cluster, assoc);
                        let names = c.capacity_providers.clone();
                        self.answered(
                            "PutClusterCapacityProviders",
                            c,
                            Response::ClusterProviders(cluster, names),
                        );
                    }
                }
            }
        }
    }

    /// RegisterTaskDefinition (at time 0 and on the timeline).
    pub(super) fn register_task_definition(&mut self, body: &RegisterTaskDefinition) {
        match crate::control::tasks::register_task_definition(&self.call_state(), body) {
            Err(e) => self.refused("RegisterTaskDefinition", body, e),
            Ok(td) => {
                let id = self.control.register(td);
                self.answered("RegisterTaskDefinition", body, Response::TaskDefinition(id));
            }
        }
    }

    /// StopTask.
    fn stop_task_call(&mut self, st: &StopTask) {
        if let Err(e) = crate::control::tasks::stop_task(st) {
            return self.refused("StopTask", st, e);
        }
        let found: Option<TaskIdx> = parse_task_id(&st.task).filter(|t| self.tasks.created(*t));
        match found {
            Some(t) => {
                self.stop_task(t, StopCode::UserInitiated, Reason::UserInitiated(st.reason.clone()));
                self.answered("StopTask", st, Response::StoppedTask(t));
            }
            None => self.refused(
                "StopTask",
                st,
                ApiError::new(
                    crate::control::code::INVALID,
                    "task",
                    "The referenced task was not found.",
                ),
            ),
        }
    }

    /// UpdateContainerInstancesState: DRAINING or ACTIVE.
    fn update_instances_state(&mut self, b: &UpdateContainerInstancesState) {
        let (cluster, status) = match crate::control::instances::update_state(&self.call_state(), b) {
            Ok(x) => x,
            Err(e) => return self.refused("UpdateContainerInstancesState", b, e),
        };
        let mut done = Vec::new();
        let mut failures = Vec::new();
        for r in &b.container_instances {
            let found = self.fleet.find(Some(cluster), r);
            match (found, found.map(|i| self.fleet.cluster().status(i))) {
                (Some(i), Some(InstanceStatus::Active)) if status == InstanceState::Draining => {
                    self.drain_instance(i);
                    done.push(i);
                }
                (Some(i), Some(InstanceStatus::Draining)) if status == InstanceState::Active => {
                    self.activate_instance(i);
                    done.push(i);
                }
                (Some(i), Some(s)) if s != InstanceStatus::Inactive => done.push(i),
                (Some(i), _) => failures.push((self.container_instance_arn(i).string(), "INACTIVE")),
                (None, _) => failures.push((r.clone(), "MISSING")),
            }
        }
        self.answered("UpdateContainerInstancesState", b, Response::Instances(done, failures));
    }

    /// DeregisterContainerInstance: the instance leaves the cluster. With force, its
    /// tasks are orphaned (no longer tracked: they stop in ecsim's books) and services
    /// replace theirs; without force, an instance with tasks is refused.
    fn deregister_call(&mut self, b: &DeregisterContainerInstance) {
        let refuse = |m: &str| ApiError::new(crate::control::code::INVALID, "containerInstance", m);
        let cluster = match crate::control::instances::deregister(&self.call_state(), b) {
            Ok(c) => c,
            Err(e) => return self.refused("DeregisterContainerInstance", b, e),
        };
        let found = self
            .fleet
            .find(Some(cluster), &b.container_instance)
            .filter(|&i| self.fleet.cluster().status(i) != InstanceStatus::Inactive);
        let Some(id) = found else {
            return self.refused(
                "DeregisterContainerInstance",
                b,
                refuse("Container instance not found."),
            );
        };
        if !self.fleet.tasks_on(id).is_empty() && !b.force {
            return self.refused(
                "DeregisterContainerInstance",
                b,
                refuse("The container instance has tasks running. Use force to deregister it anyway."),
            );
        }
        let ec2 = self.fleet.cluster().instance(id).spec.ec2_instance_id.clone();
        for t in self.fleet.tasks_on(id).to_vec() {
            self.stop_task(t, StopCode::TerminationNotice, Reason::Orphaned(ec2.clone()));
        }
        self.fleet.set_status(id, InstanceStatus::Inactive, self.now());
        self.answered("DeregisterContainerInstance", b, Response::Deregistered(id));
        self.record(|_| Record::InstanceChange(id, None));
        self.instances_changed(id);
    }

    /// RegisterContainerInstance from the timeline (or a replayed log): the instance
    /// its body describes, with the default instance role.
    fn register_call(&mut self, b: &RegisterContainerInstance) {
        let reg = match crate::control::instances::register(&self.call_state(), b) {
            Ok(r) => r,
            Err(e) => return self.refused("RegisterContainerInstance", b, e),
        };
        let spec = self.registered_spec(b, &reg.identity, reg.cluster);
        let billing = Billing::standalone(spec.external, self.now());
        self.metrics.declare(billing.account);
        self.register_instance(spec, b.user_data.as_deref().unwrap_or(""), billing);
    }

    /// The container instance a RegisterContainerInstance body describes.
    fn registered_spec(
        &self,
        b: &RegisterContainerInstance,
        doc: &IdentityDocument,
        cluster: ClusterId,
    ) -> InstanceSpec {
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
        InstanceSpec {
            ec2_instance_id: doc.instance_id.clone(),
            instance_type: doc.instance_type.clone().into(),
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
            gpus: t.map_or(0, |t| t.gpus),
            extra: Vec::new(),
            reserved_ports,
            attributes,
            agent_version: b
                .version_info
                .as_ref()
                .and_then(|v| v.agent_version.clone())
                .map_or(crate::ecs::cluster::DEFAULT_AGENT_VERSION.into(), Into::into),
            registered_at_unix_ms: self.sc.start_unix_ms + self.now().millis() as i64,
            origin: u32::MAX,
            hourly_price: hourly,
            provider: None,
            external,
            ecs_cluster: cluster,
            pull_bandwidth: self.sc.image_pull.bandwidth_mib_per_s,
            agent,
        }
    }

    // ---- replay -----------------------------------------------------------

    /// Schedules a replayed log's batches at their times, in the log's order.
    pub(super) fn schedule_replay(&mut self) {
        let Some(script) = self.script else { return };
        for (k, b) in script.batches.iter().enumerate() {
            self.schedule(b.at, super::Event::ReplayBatch(k as u32));
        }
    }

    /// What one engine event of the recorded run did, done again in its order.
    pub(super) fn replay_batch(&mut self, k: u32) {
        let Some(script) = self.script else { return };
        for item in &script.batches[k as usize].items {
            match *item {
                crate::replay::Item::Call(i) => self.timeline_call(CallIdx(i)),
                crate::replay::Item::Exit(e) => {
                    if let Some(t) = parse_task_id(&script.exits[e as usize])
                        && self.tasks.find(t).is_some_and(|x| x.status == TaskStatus::Running)
                    {
                        self.stop_task(t, StopCode::EssentialContainerExited, Reason::Exited);
                    }
                }
                crate::replay::Item::FargateSpot(f) => {
                    if let Some(t) = parse_task_id(&script.fargate_spot[f as usize])
                        && self.tasks.find(t).is_some()
                    {
                        self.fargate_spot_notice(t);
                    }
                }
                crate::replay::Item::Fault(f) => self.scheduled_fault(f as usize),
            }
        }
    }
}
