//! The one place where a change touches several parts of a run, and the rules between
//! them. A task placed reserves its instance (fleet), counts live for its service and
//! its capacity provider, is recorded (journal) and starts its clock; a task stopped
//! gives all of that back and wakes whoever waits for capacity. Instances joining,
//! changing status and leaving are in [`instance`]; stopping is in [`stop`].

pub mod instance;
mod stop;

use super::fleet::Explain;
use super::ids::{DeploymentIdx, Origin, TaskIdx};
use super::journal::Record;
use super::task::{Reason, StopCode, Task, TaskStatus};
use super::{Event, Sim};
use crate::capacity::split;
use crate::ecs::cluster::{ClusterId, GroupId, InstanceId};
use crate::ecs::failure::Failure;
use crate::ecs::intern::Sym;
use crate::ecs::provider::Pool;
use crate::ecs::registry::TaskDefId;
use crate::engine::{OptTime, SimTime};
use crate::placement::plan::PlanId;

pub use instance::{AgentSetup, Billing};

/// What one task needs to be launched.
pub struct Launch {
    /// Its task definition.
    pub td: TaskDefId,
    /// Its group.
    pub group: GroupId,
    /// Who asked.
    pub origin: Origin,
    /// When it was first asked for.
    pub arrived_at: SimTime,
    /// Its subnets' zones (Fargate and awsvpc), if the request names subnets.
    pub zones: Vec<Sym>,
    /// Its cluster.
    pub cluster: ClusterId,
    /// A service task's deployment.
    pub deployment: DeploymentIdx,
    /// It replaces a task a fault stopped.
    pub after_fault: bool,
}

/// Where one task went.
pub enum Placement {
    /// Created on capacity (an instance, or Fargate).
    Placed(TaskIdx),
    /// Created PROVISIONING, waiting for managed scaling.
    Provisioning(TaskIdx),
    /// Not created: ECS's reason and the closest instance.
    Failed(Failure, Option<InstanceId>),
}

impl Sim<'_> {
    /// The pool of the next task of `group` under `capacity`: the launch type's, or the
    /// strategy item the base/weight split names given the group's live tasks.
    pub(super) fn next_pool(&self, capacity: &crate::capacity::providers::Capacity, group: GroupId) -> Option<Pool> {
        use crate::capacity::providers::Capacity as C;
        match capacity {
            C::Pool(p) => Some(*p),
            C::Strategy(items) => {
                let providers: Vec<_> = items.iter().map(|(p, _)| *p).collect();
                let held = self.capacity.held(group, &providers);
                let its: Vec<split::Item> = items.iter().map(|(_, i)| *i).collect();
                split::next(&its, &held).map(|i| self.sc.capacity.pool_of(items[i].0))
            }
        }
    }

    /// Places one task on `pool`: on Fargate, on an instance (under the plan `plan`
    /// gives), PROVISIONING, or not at all.
    pub(super) fn launch(&mut self, l: &Launch, pool: Pool, plan: impl FnOnce(&mut Self) -> PlanId) -> Placement {
        if pool.is_fargate() {
            return match self.create_fargate_task(l, pool) {
                Some(t) => Placement::Placed(t),
                None => Placement::Failed(Failure::NoInstances, None),
            };
        }
        let plan = plan(self);
        let managed = matches!(pool, Pool::Provider(p) if super::capacity::Capacity::managed(self.sc, p));
        match self.decide(plan, l.td, l.group, l.origin, None, !managed) {
            Ok(inst) => Placement::Placed(self.create_task(l, pool, Some(inst))),
            Err(failure) => match (pool, failure) {
                (Pool::Provider(p), _) if managed => {
                    if self.capacity.provisioning_count() >= self.sc.provisioning_limit {
                        return Placement::Failed(Failure::ProvisioningLimit, None);
                    }
                    let t = self.create_task(l, pool, None);
                    self.capacity.start_provisioning(p, t);
                    let at = self.now() + self.sc.provisioning_timeout;
                    self.schedule_on(at, t, Event::ProvisioningTimeout(t));
                    Placement::Provisioning(t)
                }
                (_, Some((reason, closest))) => Placement::Failed(reason, closest),
                (_, None) => unreachable!("a failure outside managed scaling is explained"),
            },
        }
    }

    /// Decides where a task of `td` goes under `plan` — a new task, or `existing` (a
    /// PROVISIONING one) — recording the decision when the journal wants it. Without
    /// `want_reason` a failure is not explained, which spares a scan.
    pub(super) fn decide(
        &mut self,
        plan: PlanId,
        td: TaskDefId,
        group: GroupId,
        origin: Origin,
        existing: Option<TaskIdx>,
        want_reason: bool,
    ) -> Result<InstanceId, Option<(Failure, Option<InstanceId>)>> {
        let res = self.control.registry().get(td).reservation.clone();
        let wants_decisions = self.journal.wants_decisions();
        let explain = match (want_reason || wants_decisions, self.journal.wants()) {
            (false, _) => Explain::Nothing,
            (true, false) => Explain::Reason,
            (true, true) => Explain::ReasonAndClosest,
        };
        let d = self.fleet.decide(plan, &res, group, explain);
        let chosen = d.as_ref().ok().copied();
        let task = chosen.map(|_| existing.unwrap_or(self.next_task()));
        if self.wants_decision(task) {
            let placer = self.fleet.placer();
            let cluster = self.fleet.cluster();
            let scan = placer.scan(plan, &res, group, cluster, true);
            let ctx = self.decision_context(task, origin);
            let mut v =
                crate::placement::explain::record(cluster, placer.plan_info(plan), &res, group, &scan, chosen, ctx);
            if let Some(i) = chosen {
                let def = self.control.registry().get(td);
                v["imagePull"] = self.fleet.pull_preview(def, i, &self.sc.image_pull, self.now());
            }
            self.journal.decision(v);
        }
        d
    }

    /// The index the next task created will have.
    pub(super) fn next_task(&self) -> TaskIdx {
        TaskIdx(self.tasks.len() as u32)
    }

    /// Whether the journal wants the decision about `task` (None: one that placed nothing).
    pub(super) fn wants_decision(&self, task: Option<TaskIdx>) -> bool {
        self.journal.wants_decisions() && self.journal.wants_decision_for(task.map(super::task_id).as_deref())
    }

    /// Who and when, for a decision record about `task`.
    pub(super) fn decision_context(&self, task: Option<TaskIdx>, origin: Origin) -> crate::placement::explain::Context {
        crate::placement::explain::Context {
            time: self.now().secs_string(),
            task: task.map(super::task_id),
            origin: self.origin_label(origin),
            tie_break: self.fleet.placer().tie_break(),
        }
    }

    /// Records a new task: created now, PROVISIONING or PENDING; counts it live.
    fn push_task(
        &mut self,
        l: &Launch,
        pool: Pool,
        status: TaskStatus,
        zone: Option<Sym>,
        meter: Option<crate::capacity::cost::Meter>,
    ) -> TaskIdx {
        let now = self.now();
        let idx = self.tasks.push(Task {
            taskdef: l.td,
            group: l.group,
            origin: l.origin,
            instance: None,
            arrived_at: l.arrived_at,
            created_at: now,
            placed_at: (status == TaskStatus::Pending).then_some(now).into(),
            started_at: OptTime::NONE,
            stopped_at: OptTime::NONE,
            status,
            stop_code: None,
            reason: None,
            run_for: None,
            pool,
            zone,
            meter,
            version: 1,
            cluster: l.cluster,
            deployment: l.deployment,
            healthy: false,
            stopping_at: OptTime::NONE,
            after_fault: l.after_fault,
            row: 0,
        });
        self.capacity.count_live(l.group, pool, 1);
        if let Origin::Service(s) = l.origin {
            let svc = self.services.get_mut(s);
            svc.live.insert(idx);
            svc.deployments[l.deployment.idx()].counts.live += 1;
        }
        idx
    }

    /// Creates a task on `pool`: PENDING on `inst`, or PROVISIONING without one.
    pub(super) fn create_task(&mut self, l: &Launch, pool: Pool, inst: Option<InstanceId>) -> TaskIdx {
        let idx = self.push_task(l, pool, TaskStatus::Provisioning, None, None);
        match inst {
            Some(i) => self.start_on(idx, i),
            None => self.record(|_| Record::TaskChange(idx, None)),
        }
        idx
    }

    /// Puts a created (or PROVISIONING) task on instance `inst`: PENDING, then RUNNING
    /// after the agent's start latency and the image pulls.
    pub(super) fn start_on(&mut self, t: TaskIdx, inst: InstanceId) {
        let now = self.now();
        // A PROVISIONING task's timeout dies with the old slot generation.
        self.cancel_events(t);
        self.tasks.set_status(t, TaskStatus::Pending);
        let task = self.tasks.get_mut(t);
        task.instance = Some(inst);
        task.placed_at = now.into();
        let (td, group) = (task.taskdef, task.group);
        let def = self.control.registry().get(td);
        self.fleet.allocate(inst, &def.reservation, group, t);
        let latency = self.fleet.start_latency(self.sc);
        let pull = self.pull_images(td, Some(inst));
        self.schedule_on(now + latency + pull, t, Event::Running(t));
        self.record(|_| Record::TaskChange(t, None));
    }

    /// Pulls a task's images on `inst` (None: Fargate): how long until they are there.
    fn pull_images(&mut self, td: TaskDefId, inst: Option<InstanceId>) -> crate::engine::SimDuration {
        let def = self.control.registry().get(td);
        match self.fleet.pull_images(def, inst, &self.sc.image_pull, self.q.now()) {
            Some(wait) => {
                self.metrics.pulled(wait);
                wait
            }
            None => crate::engine::SimDuration::ZERO,
        }
    }

    /// Creates a Fargate task: no instance; the zone of its subnets holding the fewest
    /// of its group on this provider (None when every such zone is out).
    fn create_fargate_task(&mut self, l: &Launch, pool: Pool) -> Option<TaskIdx> {
        let now = self.now();
        let zones: Vec<Sym> = l.zones.iter().copied().filter(|z| !self.zone_out(*z)).collect();
        if zones.is_empty() && !l.zones.is_empty() {
            return None;
        }
        let zone = self.capacity.fargate_zone(l.group, pool, &zones);
        let next = Some(self.next_task());
        if self.wants_decision(next) {
            let cluster = self.fleet.cluster();
            let name = |z: Sym| cluster.symbols.resolve(z).to_string();
            let v = crate::placement::explain::fargate_record(
                cluster,
                &self.control.registry().get(l.td).reservation,
                l.group,
                zone.map(name).as_deref(),
                &zones.iter().map(|z| name(*z)).collect::<Vec<_>>(),
                self.decision_context(next, l.origin),
            );
            self.journal.decision(v);
        }
        let def = self.control.registry().get(l.td);
        let Pool::Fargate { spot, .. } = pool else {
            unreachable!("a Fargate pool")
        };
        let hourly = self
            .sc
            .prices
            .fargate_hour(def.reservation.cpu, def.reservation.memory, spot, def.arm64());
        let account = super::capacity::Capacity::account(self.sc, pool);
        let meter = self
            .metrics
            .open_meter(account, hourly, crate::capacity::prices::MINIMUM_SECONDS, now);
        let idx = self.push_task(l, pool, TaskStatus::Pending, zone, Some(meter));
        let latency = self.capacity.fargate_start_latency(self.sc);
        let pull = self.pull_images(l.td, None);
        self.schedule_on(now + latency + pull, idx, Event::Running(idx));
        self.record(|_| Record::TaskChange(idx, None));
        Some(idx)
    }

    /// A task's start latency has passed: RUNNING (or, with startFailureProbability, it
    /// fails to start); its exit, health and Fargate Spot interruption are scheduled.
    pub(super) fn task_running(&mut self, t: TaskIdx) {
        let now = self.now();
        let td = self.tasks.get(t).taskdef;
        if let Some(p) = self.control.registry().get(td).body.start_failure_probability
            && self.fleet.start_fails(p)
        {
            self.stop_task(t, StopCode::TaskFailedToStart, Reason::StartFailed);
            return;
        }
        self.tasks.set_status(t, TaskStatus::Running);
        let task = self.tasks.get_mut(t);
        task.started_at = now.into();
        let (run_for, pool, origin, deployment, after_fault, instance) = (
            task.run_for,
            task.pool,
            task.origin,
            task.deployment,
            task.after_fault,
            task.instance,
        );
        self.capacity.fargate_running(pool, 1);
        if let Some(d) = run_for {
            self.schedule_on(now + d, t, Event::Exit(t, instance));
        }
        if let Pool::Fargate { spot: true, .. } = pool
            && self.script.is_none()
            && let Some(at) = self.capacity.fargate_spot_interruption(self.sc, now)
            && run_for.is_none_or(|d| at < now + d)
        {
            self.schedule_on(at, t, Event::FargateSpotNotice(t));
        }
        if let Origin::Service(s) = origin {
            let r = &self.control.registry().get(self.tasks.get(t).taskdef).reservation;
            self.appscaling.running_changed(s, now, true, r.cpu, r.memory);
            let svc = self.services.get_mut(s);
            svc.deployments[deployment.idx()].counts.running += 1;
            svc.throttle = None;
            self.schedule_on(now + crate::ecs::deployment::HEALTHY_AFTER, t, Event::Healthy(t));
            if after_fault {
                self.fault_replaced(true);
            }
        }
        self.record(|_| Record::TaskChange(t, None));
    }

    /// A RUNNING service task passed its health grace: it counts toward
    /// minimumHealthyPercent and resets the circuit breaker's count.
    pub(super) fn task_healthy(&mut self, t: TaskIdx) {
        let task = self.tasks.get_mut(t);
        if task.status != TaskStatus::Running || task.healthy {
            return;
        }
        task.healthy = true;
        let (origin, d) = (task.origin, task.deployment);
        if let Origin::Service(s) = origin {
            let dep = &mut self.services.get_mut(s).deployments[d.idx()];
            dep.counts.healthy += 1;
            dep.failed_tasks = 0;
            self.services.mark_dirty(s);
        }
    }

    /// Capacity came back (on `inst`, or a new instance): PROVISIONING tasks of its
    /// provider place now; waiting services try again after the event.
    pub(super) fn capacity_freed(&mut self, inst: Option<InstanceId>) {
        // The instance's record is read only when some task waits in PROVISIONING.
        if self.capacity.provisioning_count() > 0
            && let Some(p) = inst.and_then(|i| self.fleet.cluster().instance(i).spec.provider)
        {
            self.place_provisioning(p);
        }
        self.services.wake_waiting();
    }
}
