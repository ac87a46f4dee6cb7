//! The fleet: the container instances of every cluster, the placer with its plans and
//! indexes, and what the run knows of each instance beyond ECS's model (the tasks on
//! it, its image cache, its agent's disconnections). The fleet alone keeps the
//! cluster and the placer in step: every allocation, release and status change goes
//! through it.

pub mod images;

use super::ids::{Origin, TaskIdx};
use crate::ecs::cluster::{Cluster, GroupId, InstanceId, InstanceSpec, InstanceStatus};
use crate::ecs::failure::Failure;
use crate::ecs::intern::{Interner, Sym};
use crate::ecs::provider::{Pool, Scope};
use crate::ecs::registry::TaskDefId;
use crate::ecs::task_definition::Reservation;
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::placement::plan::{Chain, PlanId};
use crate::placement::{Decision, Placer, TieBreak};
use crate::scenario::Scenario;
use crate::sim::concern;
use std::collections::BTreeMap;

/// An instance that never became usable, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Unusable {
    /// Its EC2 instance id.
    pub ec2_instance_id: String,
    /// Registered, but the agent never connected (else: never registered).
    pub registered: bool,
    /// Why.
    pub reason: String,
}

/// What the run knows of a registered instance beyond the cluster's model.
#[derive(Clone, Debug, Default)]
struct Runtime {
    /// Tasks placed here and not yet stopped (a few inline: a release reads them
    /// with the record, not from another allocation).
    tasks: smallvec::SmallVec<[TaskIdx; 6]>,
    /// Images on the instance: when each became (or becomes) available.
    images: BTreeMap<Sym, SimTime>,
    /// Disconnections so far (stale reconnects and timeouts are ignored).
    disconnections: u32,
    /// The agent can never connect (no ecs:Poll).
    never_connects: bool,
}

/// Which plan a task uses: who asked, the deployment (services), the task
/// definition and the pool.
pub type PlanKey = (Origin, u32, TaskDefId, Pool);

/// What a failed placement decision must say.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Explain {
    /// Nothing (a PROVISIONING task waits for capacity anyway).
    Nothing,
    /// ECS's reason (counted in the summary).
    Reason,
    /// The reason and the instance a RunTask failure entry names (records are written).
    ReasonAndClosest,
}

/// The fleet.
pub struct Fleet {
    cluster: Cluster,
    placer: Placer,
    /// Lookups only: never iterated.
    plans: rustc_hash::FxHashMap<PlanKey, PlanId>,
    runtime: Vec<Runtime>,
    image_names: Interner,
    unusable: Vec<Unusable>,
    start_rng: StreamRng,
    start_failure_rng: StreamRng,
    stop_rng: StreamRng,
}

impl Fleet {
    /// An empty fleet: its placer breaks ties by the scenario's rule, and its agents
    /// draw start and stop latencies and start failures from their own streams.
    pub fn new(tie_break: TieBreak, streams: RngStreams) -> Self {
        Fleet {
            cluster: Cluster::new(crate::ecs::api::DEFAULT_CLUSTER),
            placer: Placer::new(tie_break, streams.stream(concern::PLACEMENT, 0)),
            plans: Default::default(),
            runtime: Vec::new(),
            image_names: Interner::default(),
            unusable: Vec::new(),
            start_rng: streams.stream(concern::START_LATENCY, 0),
            start_failure_rng: streams.stream(concern::START_FAILURE, 0),
            stop_rng: streams.stream(concern::STOP_LATENCY, 0),
        }
    }

    /// How long the agent takes to start a task placed now (before image pulls).
    pub fn start_latency(&mut self, sc: &Scenario) -> SimDuration {
        sc.task_start_latency.sample(&mut self.start_rng)
    }

    /// Whether a task whose containers fail to start with probability `p` fails now.
    pub fn start_fails(&mut self, p: f64) -> bool {
        use rand::RngExt;
        p > 0.0 && self.start_failure_rng.random::<f64>() < p
    }

    /// How long a task's containers take to exit after SIGTERM, at most `timeout`.
    pub fn stop_latency(&mut self, sc: &Scenario, timeout: SimDuration) -> SimDuration {
        sc.task_stop_latency.sample(&mut self.stop_rng).min(timeout)
    }

    /// The container instances.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The placer.
    pub fn placer(&self) -> &Placer {
        &self.placer
    }

    /// The task group called `name`, created if new.
    pub fn intern_group(&mut self, name: &str) -> GroupId {
        self.cluster.group(name)
    }

    /// Interns a name in the cluster's symbols (zones, attribute values).
    pub fn intern(&mut self, name: &str) -> Sym {
        self.cluster.symbols.intern(name)
    }

    /// Registers an instance (ACTIVE, agent connected) at `now`.
    pub fn register(&mut self, spec: InstanceSpec, now: SimTime) -> InstanceId {
        let id = self.cluster.register(spec, now);
        self.runtime.push(Runtime::default());
        self.placer.instance_changed(&self.cluster, id);
        id
    }

    /// Sets an instance's status.
    pub fn set_status(&mut self, id: InstanceId, status: InstanceStatus, now: SimTime) {
        self.cluster.set_status(id, status, now);
        self.placer.instance_changed(&self.cluster, id);
    }

    /// Marks an instance's agent connected or not; a disconnection is counted.
    pub fn set_agent_connected(&mut self, id: InstanceId, connected: bool) {
        self.cluster.set_agent_connected(id, connected);
        self.placer.instance_changed(&self.cluster, id);
        self.runtime[id.idx()].disconnections += 1;
    }

    /// The agent of `id` can never connect (its role lacks ecs:Poll).
    pub fn never_connects(&mut self, id: InstanceId, why: Unusable) {
        self.cluster.set_agent_connected(id, false);
        self.placer.instance_changed(&self.cluster, id);
        self.runtime[id.idx()].never_connects = true;
        self.unusable.push(why);
    }

    /// Notes an instance that could not register.
    pub fn not_registered(&mut self, why: Unusable) {
        self.unusable.push(why);
    }

    /// Instances that never became usable.
    pub fn unusable(&self) -> &[Unusable] {
        &self.unusable
    }

    /// Disconnections of `id` so far, and whether its agent can never connect.
    pub fn agent_history(&self, id: InstanceId) -> (u32, bool) {
        let r = &self.runtime[id.idx()];
        (r.disconnections, r.never_connects)
    }

    /// Reserves `res` on `id` for task `t` of `group`.
    pub fn allocate(&mut self, id: InstanceId, res: &Reservation, group: GroupId, t: TaskIdx) {
        self.placer.allocate(&mut self.cluster, id, res, group);
        self.runtime[id.idx()].tasks.push(t);
    }

    /// Gives back what task `t` reserved on `id`.
    pub fn release(&mut self, id: InstanceId, res: &Reservation, group: GroupId, t: TaskIdx) {
        self.placer.release(&mut self.cluster, id, res, group);
        let on = &mut self.runtime[id.idx()].tasks;
        if let Some(k) = on.iter().position(|x| *x == t) {
            on.swap_remove(k);
        }
    }

    /// Asks the processor for what releasing a task on `id` will touch.
    pub fn prefetch(&self, id: InstanceId) {
        if let Some(r) = self.runtime.get(id.idx()) {
            crate::engine::prefetch::prefetch(r, 2);
            self.cluster.prefetch(id);
            self.placer.prefetch(id);
        }
    }

    /// The tasks placed on `id` and not yet stopped.
    pub fn tasks_on(&self, id: InstanceId) -> &[TaskIdx] {
        &self.runtime[id.idx()].tasks
    }

    /// The plan of `key`, compiled from `chain` for `scope` on first use.
    pub fn plan(&mut self, key: PlanKey, chain: impl FnOnce() -> Chain, scope: Scope) -> PlanId {
        if let Some(&p) = self.plans.get(&key) {
            return p;
        }
        let p = self.placer.plan(&self.cluster, &chain(), scope);
        self.plans.insert(key, p);
        p
    }

    /// The plan of `key`, if it was compiled.
    pub fn plan_of(&self, key: &PlanKey) -> Option<PlanId> {
        self.plans.get(key).copied()
    }

    /// Where a task of `group` reserving `res` goes under `plan`: an instance, or what
    /// `explain` asks of a failure — nothing, ECS's reason, or the reason and the
    /// closest instance (which may take a scan of every instance).
    pub fn decide(
        &mut self,
        plan: PlanId,
        res: &Reservation,
        group: GroupId,
        explain: Explain,
    ) -> Result<InstanceId, Option<(Failure, Option<InstanceId>)>> {
        if explain == Explain::Nothing {
            return self.placer.pick(plan, res, group, &self.cluster).ok_or(None);
        }
        let closest = explain == Explain::ReasonAndClosest;
        match self.placer.decide_naming(plan, res, group, &self.cluster, closest) {
            Decision::Placed(i) => Ok(i),
            Decision::Unplaced { reason, closest } => Err(Some((reason, closest))),
        }
    }

    /// Whether a task of `group` reserving `res` may go on `id` under `plan` (a DAEMON
    /// task's instance); else ECS's reason.
    pub fn fits(&self, plan: PlanId, res: &Reservation, group: GroupId, id: InstanceId) -> Result<(), Failure> {
        self.placer.fits(plan, res, group, &self.cluster, id)
    }

    /// Whether `id` passes `plan`'s scope and constraints, whatever its free resources.
    pub fn eligible(&self, plan: PlanId, group: GroupId, id: InstanceId) -> bool {
        self.placer.eligible(plan, group, &self.cluster, id)
    }

    /// The live instance with EC2 id (or container instance id or ARN) `reference` in
    /// `cluster` (None: any): the newest registration that is not INACTIVE, or the
    /// container instance itself.
    pub fn find(&self, cluster: Option<crate::ecs::cluster::ClusterId>, reference: &str) -> Option<InstanceId> {
        let id = reference.rsplit('/').next().unwrap_or(reference);
        let c = &self.cluster;
        c.ids()
            .rev()
            .filter(|&i| cluster.is_none_or(|k| c.instance(i).spec.ecs_cluster == k))
            .find(|&i| {
                let inst = c.instance(i);
                crate::ecs::ids::parse_hex_id(0xC1, id) == Some(i.0 as u64)
                    || (inst.spec.ec2_instance_id == id && c.status(i) != InstanceStatus::Inactive)
            })
    }

    /// The cluster and placer, for the run's outcome.
    pub fn into_cluster(self) -> Cluster {
        self.cluster
    }
}
