//! REPLICA services: one pass of the scheduler after every event that changed a
//! service — drop wants and scale in beyond the desired count; want new tasks of the
//! PRIMARY deployment as far as maximumPercent allows; stop tasks of older deployments
//! and doomed tasks (on DRAINING instances, rebalanced away) as far as
//! minimumHealthyPercent allows; place the wants; note completion and steady state.

use super::victim::{LiveTask, choose_victim};
use super::{Doom, Rollout, Service, ServiceStatus, Want};
use crate::ecs::deployment::Bounds;
use crate::engine::SimTime;
use crate::sim::ids::{DeploymentIdx, Origin, ServiceId, TaskIdx};
use crate::sim::journal::{ActionDetail, Severity};
use crate::sim::rules::{Launch, Placement};
use crate::sim::task::{Reason, StopCode, TaskStatus};
use crate::sim::tasks::TaskStore;
use crate::sim::{Event, Sim};

impl Service {
    /// Live tasks of deployment `d` that are doomed.
    fn doomed_in(&self, tasks: &TaskStore, d: DeploymentIdx) -> u32 {
        self.doomed.keys().filter(|&&t| tasks.get(t).deployment == d).count() as u32
    }

    /// The tasks to stop now because a newer deployment or a doom replaces them: those
    /// not yet serving at once; a RUNNING doomed task (on a DRAINING instance, or moved
    /// by zone rebalancing), whatever its age, once the healthy tasks that stay number at
    /// least `min_healthy` (its replacement is healthy); an older deployment's healthy
    /// task while more than `min_healthy` healthy tasks would stay. Doomed tasks first,
    /// then older deployments oldest first.
    fn replaced(&self, tasks: &TaskStore, min_healthy: u32) -> Vec<(TaskIdx, Reason)> {
        let p = self.primary;
        if self.primary().counts.live == self.totals().live && self.doomed.is_empty() {
            return Vec::new();
        }
        let serving = |t: TaskIdx| {
            let task = tasks.get(t);
            task.healthy || (task.status == TaskStatus::Running && self.doomed.contains_key(&t))
        };
        let mut victims: Vec<(bool, bool, DeploymentIdx, TaskIdx)> = self
            .live
            .iter()
            .filter_map(|&t| {
                let task = tasks.get(t);
                let doomed = self.doomed.contains_key(&t);
                (task.deployment != p || doomed).then_some((serving(t), !doomed, task.deployment, t))
            })
            .collect();
        victims.sort();
        // Healthy tasks that are not doomed: those that stay.
        let mut staying = self
            .live
            .iter()
            .filter(|&&t| tasks.get(t).healthy && !self.doomed.contains_key(&t))
            .count() as u32;
        let by = self.primary().id.clone();
        let mut out = Vec::new();
        for (serving, not_doomed, _, t) in victims {
            if serving && not_doomed {
                if staying <= min_healthy {
                    break;
                }
                staying -= 1;
            } else if serving && staying < min_healthy {
                continue;
            }
            let reason = match self.doomed.get(&t) {
                Some(Doom::Draining) => Reason::Draining(by.clone()),
                Some(Doom::Rebalancing) => Reason::Rebalancing(by.clone()),
                None => Reason::ScaleIn(by.clone()),
            };
            out.push((t, reason));
        }
        out
    }

    /// The bounds in force at `now`: the settings' for the desired count; during a
    /// BLUE_GREEN, LINEAR or CANARY deployment, room for the whole new task set beside
    /// the old one, and no healthy old task stopped before the new set is healthy and
    /// its shift and bake time have passed.
    fn bounds(&self, now: SimTime) -> Bounds {
        let b = self.settings.bounds(self.desired);
        let old = self.totals().live - self.primary().counts.live;
        if self.settings.blue_green.is_none() || old == 0 {
            return b;
        }
        let baked = self.primary().old_stop_at.is_some_and(|t| t <= now);
        Bounds {
            min_healthy: if baked { 0 } else { u32::MAX },
            max_total: old + self.desired,
        }
    }

    /// Whether tasks remain to replace but the bounds allow neither a start nor a
    /// stop, and no task is still becoming healthy: nothing will move (a blue/green
    /// deployment waits on its clock instead).
    fn blocked(&self, bounds: Bounds) -> bool {
        if self.settings.blue_green.is_some() {
            return false;
        }
        let totals = self.totals();
        let replacing = self.primary().counts.live < totals.live || !self.doomed.is_empty();
        replacing
            && (bounds.max_total as usize) <= totals.live as usize + self.wanted.len()
            && totals.healthy <= bounds.min_healthy
            && totals.healthy == totals.live
    }
}

impl Sim<'_> {
    /// Brings service `s` toward its desired count and its PRIMARY deployment.
    pub(in crate::sim) fn reconcile(&mut self, s: ServiceId) {
        let svc = self.services.get(s);
        match svc.status {
            ServiceStatus::Inactive => {}
            _ if svc.daemon => self.reconcile_daemon(s),
            _ => self.reconcile_replica(s),
        }
    }

    fn reconcile_replica(&mut self, s: ServiceId) {
        let now = self.now();
        self.blue_green_clock(s);
        let svc = self.services.get(s);
        let (p, desired) = (svc.primary, svc.desired);
        let bounds = svc.bounds(now);
        let good = svc.primary().counts.live - svc.doomed_in(&self.tasks, p);
        let need = desired.saturating_sub(good) as usize;
        while self.services.get(s).wanted.len() > need {
            let svc = self.services.get_mut(s);
            let w = svc.wanted.pop_back().expect("a want");
            let (td, group) = (svc.primary().config.taskdef, svc.group);
            self.metrics.waiting(-1);
            if w.after_fault {
                self.fault_replaced(false);
            }
            self.not_created(td, group, Origin::Service(s), w.at, Reason::NoLongerWanted);
        }
        for _ in desired..good {
            let Some(victim) = self.scale_in_victim(s, p) else {
                break;
            };
            let id = self.services.get(s).deployment(p).id.clone();
            self.stop_task(victim, StopCode::ServiceSchedulerInitiated, Reason::ScaleIn(id));
        }
        if self.services.get(s).deployment(p).rollout != Rollout::Failed {
            let svc = self.services.get_mut(s);
            let total = svc.totals().live as usize + svc.wanted.len();
            let room = (bounds.max_total as usize).saturating_sub(total);
            let add = need.saturating_sub(svc.wanted.len()).min(room);
            for _ in 0..add {
                let after_fault = svc.fault_debt > 0;
                svc.fault_debt = svc.fault_debt.saturating_sub(1);
                svc.wanted.push_back(Want { at: now, after_fault });
                svc.steady = false;
            }
            self.metrics.waiting(add as i64);
            if need == 0 {
                for _ in 0..std::mem::take(&mut self.services.get_mut(s).fault_debt) {
                    self.fault_replaced(false);
                }
            }
            for (t, reason) in self.services.get(s).replaced(&self.tasks, bounds.min_healthy) {
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, reason);
            }
            let svc = self.services.get(s);
            if svc.blocked(bounds) && svc.blocked_warned != Some(svc.primary) {
                let svc = self.services.get_mut(s);
                svc.blocked_warned = Some(svc.primary);
                let message = format!(
                    "(service {}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.",
                    svc.name
                );
                self.service_action(
                    s,
                    Severity::Warn,
                    "SERVICE_DEPLOYMENT_BLOCKED",
                    ActionDetail::Message(message),
                );
            }
        }
        self.fill(s);
        self.progress(s);
    }

    /// A blue/green deployment whose whole task set just became healthy starts its
    /// shift and bake clock, and the service looks again when it ends.
    fn blue_green_clock(&mut self, s: ServiceId) {
        let now = self.now();
        let svc = self.services.get(s);
        let Some(wait) = svc.settings.blue_green else { return };
        let primary = svc.primary();
        let old = svc.totals().live - primary.counts.live;
        if old == 0 || primary.old_stop_at.is_some() || primary.counts.healthy < svc.desired {
            return;
        }
        let at = now + wait;
        let p = svc.primary;
        self.services.get_mut(s).deployments[p.idx()].old_stop_at = Some(at);
        self.schedule(at, Event::ServiceCheck(s));
    }

    /// The task a service stops when its desired count falls: among deployment `d`'s
    /// tasks that are not doomed, a PROVISIONING one first, then by the deployment's
    /// scale-in rule among those on instances (Fargate tasks: the newest).
    fn scale_in_victim(&mut self, s: ServiceId, d: DeploymentIdx) -> Option<TaskIdx> {
        let svc = self.services.get(s);
        let tasks = &self.tasks;
        let mine = |t: &&TaskIdx| tasks.get(**t).deployment == d && !svc.doomed.contains_key(t);
        if let Some(&t) = svc
            .live
            .iter()
            .filter(mine)
            .find(|t| tasks.get(**t).status == TaskStatus::Provisioning)
        {
            return Some(t);
        }
        let registry = self.control.registry();
        let live: Vec<LiveTask> = svc
            .live
            .iter()
            .filter(mine)
            .filter_map(|&t| {
                let task = tasks.get(t);
                let res = &registry.get(task.taskdef).reservation;
                task.instance.map(|instance| LiveTask {
                    task: t,
                    instance,
                    cpu: res.cpu,
                    memory: res.memory,
                })
            })
            .collect();
        let newest = svc.live.iter().rfind(mine).copied();
        let svc = self.services.get_mut(s);
        let rule = &svc.deployments[d.idx()].scale_in;
        choose_victim(rule, &live, svc.group, self.fleet.cluster(), &mut svc.scale_in_rng).or(newest)
    }

    /// Places the service's wanted tasks while capacity (and the throttle) allows.
    fn fill(&mut self, s: ServiceId) {
        let now = self.now();
        if self.services.get(s).wanted.is_empty() {
            self.services.set_waiting(s, false);
            return;
        }
        let until = self.services.get(s).throttled_until;
        if until > now {
            self.schedule(until, Event::ServiceCheck(s));
            return;
        }
        let p = self.services.get(s).primary;
        while let Some(&want) = self.services.get(s).wanted.front() {
            let svc = self.services.get(s);
            if svc.totals().live >= svc.bounds(now).max_total {
                // maximumPercent of the desired count now in force (it may have fallen
                // since the want was made): the want waits for a stop.
                break;
            }
            let config = &svc.deployment(p).config;
            let Some(pool) = self.next_pool(&config.capacity, svc.group) else {
                return;
            };
            let l = Launch {
                td: config.taskdef,
                group: svc.group,
                origin: Origin::Service(s),
                arrived_at: want.at,
                zones: svc.deployment(p).zones.clone(),
                cluster: svc.cluster,
                deployment: p,
                after_fault: want.after_fault,
            };
            let scope = crate::ecs::provider::Scope {
                pool,
                cluster: svc.cluster,
            };
            let key = (Origin::Service(s), p.0, config.taskdef, pool);
            match self.launch(&l, pool, |sim| {
                let chain = &sim.services.get(s).deployment(p).config.chain;
                let chain = chain.clone();
                sim.fleet.plan(key, || chain, scope)
            }) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    let svc = self.services.get_mut(s);
                    let run_for = svc.task_duration.as_ref().map(|d| d.sample(&mut svc.duration_rng));
                    svc.wanted.pop_front();
                    svc.last_reason = None;
                    self.tasks.get_mut(t).run_for = run_for;
                    self.metrics.waiting(-1);
                }
                Placement::Failed(reason, closest) => {
                    let closest = closest.map(|i| self.fleet.cluster().instance(i).container_instance_id());
                    let message = reason.service_message(&self.services.get(s).name, closest.as_deref());
                    self.placement_failed(s, reason, message);
                    self.services.set_waiting(s, true);
                    return;
                }
            }
        }
        self.services.set_waiting(s, false);
    }
}
