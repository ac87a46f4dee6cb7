//! DAEMON services: one task of the PRIMARY deployment on every instance that accepts
//! tasks and passes the service's constraints; tasks on instances that no longer
//! match stop (on a DRAINING instance: after every other task there); older
//! deployments' tasks are replaced within minimumHealthyPercent.

use super::{Rollout, ServiceStatus};
use crate::capacity::providers::Capacity;
use crate::ecs::cluster::{InstanceId, InstanceStatus};
use crate::ecs::provider::{Pool, Scope};
use crate::sim::ids::{Origin, ServiceId, TaskIdx};
use crate::sim::rules::Launch;
use crate::sim::task::{Reason, StopCode, TaskStatus};
use crate::sim::{Event, Sim};
use std::collections::{BTreeMap, BTreeSet};

impl Sim<'_> {
    pub(super) fn reconcile_daemon(&mut self, s: ServiceId) {
        let svc = self.services.get(s);
        let p = svc.primary;
        let draining = svc.status == ServiceStatus::Draining;
        let (td, group, cluster) = (svc.primary().config.taskdef, svc.group, svc.cluster);
        let pool = match svc.primary().config.capacity {
            Capacity::Pool(p) => p,
            Capacity::Strategy(_) => Pool::Ec2,
        };
        let chain = svc.primary().config.chain.clone();
        let plan = self
            .fleet
            .plan((Origin::Service(s), p.0, td, pool), || chain, Scope { pool, cluster });
        let eligible: BTreeSet<InstanceId> = if draining {
            BTreeSet::new()
        } else {
            self.fleet
                .cluster()
                .ids()
                .filter(|&id| self.fleet.eligible(plan, group, id))
                .collect()
        };
        self.services.get_mut(s).desired = eligible.len() as u32;
        let mut on: BTreeMap<InstanceId, Vec<TaskIdx>> = BTreeMap::new();
        for &t in &self.services.get(s).live {
            if let Some(i) = self.tasks.get(t).instance {
                on.entry(i).or_default().push(t);
            }
        }
        let new_id = self.services.get(s).deployment(p).id.clone();
        for (&inst, ts) in &on {
            if eligible.contains(&inst) {
                continue;
            }
            let status = self.fleet.cluster().status(inst);
            let reason = if draining {
                Reason::ScaleIn(new_id.clone())
            } else if status == InstanceStatus::Draining {
                let others =
                    self.fleet.tasks_on(inst).iter().any(
                        |&t| !matches!(self.tasks.get(t).origin, Origin::Service(x) if self.services.get(x).daemon),
                    );
                if others {
                    continue;
                }
                Reason::Draining(new_id.clone())
            } else if status == InstanceStatus::Active && !self.fleet.cluster().agent_connected(inst) {
                continue;
            } else {
                Reason::DaemonNotEligible
            };
            for &t in ts {
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, reason.clone());
            }
        }
        if draining {
            self.progress(s);
            return;
        }
        let min_healthy = self.services.get(s).settings.bounds(eligible.len() as u32).min_healthy;
        let mut stoppable = self.services.get(s).totals().healthy.saturating_sub(min_healthy);
        let mut covered: BTreeSet<InstanceId> = BTreeSet::new();
        for (&inst, ts) in &on {
            for &t in ts {
                let task = self.tasks.get(t);
                if !matches!(task.status, TaskStatus::Pending | TaskStatus::Running) {
                    continue;
                }
                if task.deployment == p || !eligible.contains(&inst) {
                    covered.insert(inst);
                    continue;
                }
                if task.healthy {
                    if stoppable == 0 {
                        covered.insert(inst);
                        continue;
                    }
                    stoppable -= 1;
                }
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, Reason::ScaleIn(new_id.clone()));
            }
        }
        let now = self.now();
        let svc = self.services.get(s);
        if svc.throttled_until > now {
            let until = svc.throttled_until;
            self.schedule(until, Event::ServiceCheck(s));
        } else if svc.deployment(p).rollout != Rollout::Failed {
            let res = self.control.registry().get(td).reservation.clone();
            for &inst in eligible.iter().filter(|i| !covered.contains(i)) {
                match self.fleet.fits(plan, &res, group, inst) {
                    Ok(()) => {
                        let l = Launch {
                            td,
                            group,
                            origin: Origin::Service(s),
                            arrived_at: now,
                            zones: Vec::new(),
                            cluster,
                            deployment: p,
                            after_fault: false,
                        };
                        let next = Some(self.next_task());
                        if self.wants_decision(next) {
                            let v = crate::placement::explain::daemon_record(
                                self.fleet.cluster(),
                                self.fleet.placer().plan_info(plan),
                                &res,
                                group,
                                inst,
                                self.decision_context(next, l.origin),
                            );
                            self.journal.decision(v);
                        }
                        self.create_task(&l, pool, Some(inst));
                        self.services.get_mut(s).last_reason = None;
                    }
                    Err(reason) => {
                        let message = format!(
                            "(service {}) was unable to place a daemon task on {}. Reason: {reason}",
                            self.services.get(s).name,
                            self.fleet.cluster().instance(inst).spec.ec2_instance_id
                        );
                        self.placement_failed(s, reason, message);
                    }
                }
            }
        }
        self.progress(s);
    }
}
