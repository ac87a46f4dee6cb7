//! Container instances joining, changing status and leaving, and clusters coming to
//! exist: the agent's registration (its role, its cluster), the cost meter, the
//! placer's view, the DAEMON services and zone rebalancing that follow instances.

use crate::capacity::cost::Account;
use crate::ecs::api::CreateCluster;
use crate::ecs::cluster::{ClusterId, InstanceId, InstanceSpec, InstanceStatus};
use crate::ecs::iam;
use crate::ecs::provider::{PutClusterCapacityProviders, StrategyItem};
use crate::engine::SimTime;
use crate::sim::journal::instance::registration_body;
use crate::sim::journal::{ACCOUNT, Call, Record, Response};
use crate::sim::services::{Doom, ServiceStatus};
use crate::sim::task::{Reason, StopCode, TaskStatus};
use crate::sim::{Origin, Sim, Unusable};
use serde_json::json;

/// What the agent of a registering instance brings: its role and configuration text.
pub struct AgentSetup<'a> {
    /// The instance role's IAM actions.
    pub iam_actions: &'a [String],
    /// `userData` as written.
    pub user_data: &'a str,
}

/// What an instance's billing is: its account, and the billing minimum in seconds.
#[derive(Copy, Clone, Debug)]
pub struct Billing {
    /// The account.
    pub account: Account,
    /// The billing minimum.
    pub minimum_secs: f64,
    /// When billing starts.
    pub from: SimTime,
}

impl Billing {
    /// An instance not launched by a capacity provider: EC2 with its billing minimum,
    /// or an external (ECS Anywhere) instance billed by the second from `from`.
    pub fn standalone(external: bool, from: SimTime) -> Self {
        Billing {
            account: if external { Account::External } else { Account::Ec2 },
            minimum_secs: if external {
                0.0
            } else {
                crate::capacity::prices::MINIMUM_SECONDS
            },
            from,
        }
    }
}

impl Sim<'_> {
    /// Adds a cluster (at time 0, by CreateCluster, or by an agent), recording the call
    /// and, when the scenario associates capacity providers with it, its providers.
    pub(in crate::sim) fn add_cluster(&mut self, name: &str, user_agent: Option<&str>) -> ClusterId {
        if let Some(c) = self.control.cluster(name) {
            return c;
        }
        let assoc = self.sc.capacity.clusters.get(name).cloned().unwrap_or_default();
        let c = self.control.add_cluster(name, assoc);
        self.record(|s| {
            let mut call = Call::ok(
                "CreateCluster",
                CreateCluster {
                    cluster_name: Some(name.to_string()),
                },
                Response::Cluster(c),
            );
            call.user_agent = user_agent.map(std::rc::Rc::from);
            call.announces_run = s.journal.is_first() && s.control.cluster_count() == 1;
            Record::Call(call)
        });
        if !self.control.associations(c).associated.is_empty() {
            self.record(|s| {
                let providers = &s.sc.capacity.providers;
                let assoc = s.control.associations(c);
                let names: Vec<String> = assoc
                    .associated
                    .iter()
                    .map(|p| providers[p.0 as usize].name.clone())
                    .collect();
                let body = PutClusterCapacityProviders {
                    cluster: Some(name.to_string()),
                    capacity_providers: names.clone(),
                    default_capacity_provider_strategy: assoc
                        .default_strategy
                        .iter()
                        .map(|(p, it)| StrategyItem {
                            capacity_provider: providers[p.0 as usize].name.clone(),
                            base: Some(it.base),
                            weight: Some(it.weight),
                        })
                        .collect(),
                };
                Record::Call(Call::ok(
                    "PutClusterCapacityProviders",
                    body,
                    Response::ClusterProviders(c, names),
                ))
            });
        }
        c
    }

    /// An instance's agent registers it: the role must allow registration, and the
    /// cluster ECS_CLUSTER names must exist (or the role may create it); without
    /// ecs:Poll the instance registers but its agent never connects. Billing starts at
    /// `billing.from` whatever happens.
    pub(in crate::sim) fn agent_registers(
        &mut self,
        mut spec: InstanceSpec,
        agent: AgentSetup,
        billing: Billing,
    ) -> Option<InstanceId> {
        let name = spec.agent.cluster_name().to_string();
        let role = format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/ecsInstanceRole/{}",
            spec.ec2_instance_id
        );
        let denied = |action: &str| format!("User: {role} is not authorized to perform: {action}");
        let refused = if !iam::allows(agent.iam_actions, iam::REGISTER) {
            Some((crate::control::code::ACCESS_DENIED, denied(iam::REGISTER)))
        } else {
            match self.control.cluster(&name) {
                Some(c) => {
                    spec.ecs_cluster = c;
                    None
                }
                None if iam::allows(agent.iam_actions, iam::CREATE_CLUSTER) => {
                    spec.ecs_cluster = self.add_cluster(&name, Some("ecs-agent"));
                    None
                }
                None => Some((
                    crate::control::code::CLUSTER_NOT_FOUND,
                    format!(
                        "Cluster {name} not found, and the instance role may not create it ({} missing)",
                        iam::CREATE_CLUSTER
                    ),
                )),
            }
        };
        if let Some((code, message)) = refused {
            self.metrics
                .open_meter(billing.account, spec.hourly_price, billing.minimum_secs, billing.from);
            self.record(|_| {
                let body = registration_body(&spec, agent.user_data, &name);
                Record::Call(Call::failed("RegisterContainerInstance", body, code, message.clone()).by("ecs-agent"))
            });
            self.fleet.not_registered(Unusable {
                ec2_instance_id: spec.ec2_instance_id.clone(),
                registered: false,
                reason: message,
            });
            return None;
        }
        let id = self.register_instance(spec, agent.user_data, billing);
        if !iam::allows(agent.iam_actions, iam::POLL) {
            let message = denied(iam::POLL);
            let ec2 = self.fleet.cluster().instance(id).spec.ec2_instance_id.clone();
            self.fleet.never_connects(
                id,
                Unusable {
                    ec2_instance_id: ec2,
                    registered: true,
                    reason: message.clone(),
                },
            );
            self.record(|s| {
                let body = json!({"cluster": name, "containerInstance": s.container_instance_arn(id)});
                Record::Call(
                    Call::failed("Poll", body, crate::control::code::ACCESS_DENIED, message.clone()).by("ecs-agent"),
                )
            });
            self.record(|_| Record::InstanceChange(id, Some(message.clone())));
        }
        Some(id)
    }

    /// Registers a container instance and opens its cost meter, recording the agent's
    /// RegisterContainerInstance call; DAEMON services and zone rebalancing look again.
    pub(in crate::sim) fn register_instance(
        &mut self,
        spec: InstanceSpec,
        user_data: &str,
        billing: Billing,
    ) -> InstanceId {
        let hourly = spec.hourly_price;
        let body = self
            .journal
            .wants()
            .then(|| registration_body(&spec, user_data, self.control.cluster_name(spec.ecs_cluster)));
        let id = self.fleet.register(spec, self.now());
        let meter = self
            .metrics
            .open_meter(billing.account, hourly, billing.minimum_secs, billing.from);
        self.metrics.open_instance_meter(id, meter);
        if let Some(body) = body {
            self.record(|_| {
                Record::Call(
                    Call::with_body("RegisterContainerInstance", body, Response::Registered(id)).by("ecs-agent"),
                )
            });
        }
        self.record(|_| Record::InstanceChange(id, None));
        self.start_instance_faults(id);
        self.instances_changed(id);
        id
    }

    /// Instance `id` joined, left or changed status: DAEMON services reconcile, and
    /// services that rebalance zones look at their zones again when the zones changed
    /// (or when their last look found no room in `id`'s zone).
    pub(in crate::sim) fn instances_changed(&mut self, id: InstanceId) {
        let cluster = self.fleet.cluster();
        let epoch = cluster.zone_epoch();
        let zone = cluster.attribute(id, cluster.zone_attribute());
        for s in self.services.ids() {
            let svc = self.services.get_mut(s);
            if svc.daemon {
                self.services.mark_dirty(s);
            } else if svc.az_rebalancing
                && svc.status == ServiceStatus::Active
                && (svc.zone_epoch != epoch || (svc.rebalance_blocked.is_some() && svc.rebalance_blocked == zone))
            {
                svc.zones_changed = true;
                self.services.mark_dirty(s);
            }
        }
    }

    /// Sets an instance's status and records the change.
    pub(in crate::sim) fn set_instance_status(&mut self, id: InstanceId, status: InstanceStatus) {
        self.fleet.set_status(id, status, self.now());
        self.record(|_| Record::InstanceChange(id, None));
    }

    /// Sets an ACTIVE instance DRAINING: no new placements; its PENDING service tasks
    /// stop now, its RUNNING ones are replaced elsewhere within the deployment bounds
    /// and then stopped; standalone tasks are unaffected.
    pub(in crate::sim) fn drain_instance(&mut self, id: InstanceId) {
        self.set_instance_status(id, InstanceStatus::Draining);
        for t in self.fleet.tasks_on(id).to_vec() {
            let task = self.tasks.get(t);
            let Origin::Service(s) = task.origin else { continue };
            if self.services.get(s).daemon {
                continue;
            }
            if task.status == TaskStatus::Pending {
                let id = self.services.get(s).primary().id.clone();
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, Reason::Draining(id));
            } else if task.status == TaskStatus::Running {
                let svc = self.services.get_mut(s);
                svc.doomed.insert(t, Doom::Draining);
                svc.steady = false;
                self.services.mark_dirty(s);
            }
        }
        self.instances_changed(id);
    }

    /// Sets a DRAINING instance ACTIVE again: its remaining tasks stay.
    pub(in crate::sim) fn activate_instance(&mut self, id: InstanceId) {
        self.set_instance_status(id, InstanceStatus::Active);
        for t in self.fleet.tasks_on(id).to_vec() {
            if let Origin::Service(s) = self.tasks.get(t).origin
                && self.services.get_mut(s).doomed.remove(&t).is_some()
            {
                self.services.mark_dirty(s);
            }
        }
        self.instances_changed(id);
        self.capacity_freed(Some(id));
    }

    /// Terminates an instance: it passes through DRAINING, its tasks stop (DAEMON tasks
    /// last), it deregisters, billing ends.
    pub(in crate::sim) fn terminate_instance(&mut self, id: InstanceId, cause: crate::sim::capacity::Cause) {
        use crate::sim::capacity::Cause;
        if self.fleet.cluster().status(id) == InstanceStatus::Inactive {
            return;
        }
        let now = self.now();
        if self.fleet.cluster().status(id) == InstanceStatus::Active {
            self.set_instance_status(id, InstanceStatus::Draining);
        }
        let ec2_instance_id = self.fleet.cluster().instance(id).spec.ec2_instance_id.clone();
        let (code, spot) = match cause {
            Cause::Spot => (StopCode::SpotInterruption, true),
            Cause::ScaleIn | Cause::Failure => (StopCode::TerminationNotice, false),
        };
        let mut tasks = self.fleet.tasks_on(id).to_vec();
        tasks.sort_by_key(|&t| {
            let daemon = matches!(self.tasks.get(t).origin, Origin::Service(s) if self.services.get(s).daemon);
            (daemon, t)
        });
        for t in tasks {
            if cause != Cause::ScaleIn {
                self.note_fault_loss(t);
            }
            let reason = Reason::InstanceTerminated {
                ec2_instance_id: ec2_instance_id.clone(),
                spot,
            };
            self.stop_task(t, code, reason);
        }
        self.set_instance_status(id, InstanceStatus::Inactive);
        self.metrics.close_meter(self.metrics.instance_meter(id), now);
        self.capacity.instance_left(id);
        self.instances_changed(id);
    }
}
