//! Services: the part of a run that owns them — desired count, deployments, the
//! tasks each keeps and wants, draining and rebalancing marks — and the service
//! scheduler that drives them (ecs-semantics.md §7–8), one concern a file: REPLICA
//! reconciliation, DAEMON services, deployments and the circuit breaker,
//! Availability Zone rebalancing, and which task goes first when the desired count
//! falls.

mod daemon;
mod deploy;
mod rebalance;
mod replica;
pub mod victim;

use super::ids::{DeploymentIdx, ServiceId, TaskIdx};
use crate::control::Config;
use crate::ecs::cluster::{ClusterId, GroupId};
use crate::ecs::deployment::Settings;
use crate::ecs::failure::Failure;
use crate::ecs::intern::Sym;
use crate::ecs::strategy::{BinpackField, PlacementStrategy, SpreadField};
use crate::engine::duration::DistSpec;
use crate::engine::{SimDuration, SimTime, StreamRng};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How a service picks the task to stop when scaling in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScaleIn {
    /// No strategy: the zone with the most tasks of the service, then the instance
    /// with the most tasks of the service.
    Default,
    /// binpack: the task whose instance has the most of the field left after the stop.
    Binpack(BinpackField),
    /// spread on an attribute: keep the values balanced; random within the value.
    SpreadAttribute(String),
    /// spread on instances: the instance with the most tasks of the service.
    SpreadInstance,
    /// random.
    Random,
}

impl ScaleIn {
    /// The rule for a service's strategy chain (its first strategy decides; a research
    /// heuristic first takes the default rule).
    pub fn for_strategies(strategies: Option<&[PlacementStrategy]>) -> ScaleIn {
        let Some(first) = strategies.and_then(|s| s.first()) else {
            return ScaleIn::Default;
        };
        let field = first.field.as_deref().unwrap_or("");
        match first.kind.as_str() {
            "binpack" => BinpackField::parse(field).map_or(ScaleIn::Default, ScaleIn::Binpack),
            "spread" => match SpreadField::parse(field) {
                Ok(SpreadField::Attribute(a)) => ScaleIn::SpreadAttribute(a),
                Ok(SpreadField::Instance { .. }) => ScaleIn::SpreadInstance,
                Err(_) => ScaleIn::Default,
            },
            "random" => ScaleIn::Random,
            _ => ScaleIn::Default,
        }
    }
}

/// A service's lifecycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    /// Running its tasks.
    Active,
    /// Deleted: its tasks are stopping.
    Draining,
    /// Deleted, no task left.
    Inactive,
}

impl ServiceStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "ACTIVE",
            ServiceStatus::Draining => "DRAINING",
            ServiceStatus::Inactive => "INACTIVE",
        }
    }
}

/// A deployment's `status`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// The newest: the one the service converges to.
    Primary,
    /// An older one whose tasks are being replaced.
    Active,
    /// Done: no task left.
    Inactive,
}

impl DeploymentStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Primary => "PRIMARY",
            DeploymentStatus::Active => "ACTIVE",
            DeploymentStatus::Inactive => "INACTIVE",
        }
    }
}

/// A deployment's `rolloutState`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// Converging.
    InProgress,
    /// Reached the desired count with no older task left.
    Completed,
    /// The circuit breaker tripped.
    Failed,
}

impl Rollout {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Rollout::InProgress => "IN_PROGRESS",
            Rollout::Completed => "COMPLETED",
            Rollout::Failed => "FAILED",
        }
    }
}

/// Live tasks of a deployment.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// PROVISIONING, PENDING or RUNNING.
    pub live: u32,
    /// RUNNING.
    pub running: u32,
    /// RUNNING and healthy.
    pub healthy: u32,
}

/// One deployment of a service.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// `ecs-svc/…`: what its tasks' `startedBy` says.
    pub id: String,
    /// What it runs, and where.
    pub config: Config,
    /// Its subnets' zones, interned.
    pub zones: Vec<Sym>,
    /// Which task goes first when the desired count falls.
    pub scale_in: ScaleIn,
    /// `rolloutState`.
    pub rollout: Rollout,
    /// When it was created.
    pub created_at: SimTime,
    /// Tasks that failed to start since the last healthy one (the circuit breaker's count).
    pub failed_tasks: u32,
    /// Its live tasks.
    pub counts: Counts,
    /// BLUE_GREEN, LINEAR, CANARY: when the older tasks may stop (set once this
    /// deployment's whole task set is healthy: then plus the shift and bake time).
    pub old_stop_at: Option<SimTime>,
}

/// A task a service wants but has not placed yet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Want {
    /// When it was first wanted.
    pub at: SimTime,
    /// It replaces a task a fault stopped.
    pub after_fault: bool,
}

/// Why a live task is to be replaced and stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Doom {
    /// Its instance is DRAINING.
    Draining,
    /// Its zone holds more of the service's tasks than another.
    Rebalancing,
}

/// A service.
#[derive(Clone, Debug)]
pub struct Service {
    /// `serviceName`.
    pub name: String,
    /// Its cluster.
    pub cluster: ClusterId,
    /// Its task group (`service:<name>`).
    pub group: GroupId,
    /// DAEMON scheduling: one task per matching instance.
    pub daemon: bool,
    /// `desiredCount` (DAEMON: the instances it covers).
    pub desired: u32,
    /// How long its tasks run (None: until stopped).
    pub task_duration: Option<DistSpec>,
    /// Deployment bounds and circuit breaker.
    pub settings: Settings,
    /// Its deployments, oldest first.
    pub deployments: Vec<Deployment>,
    /// The PRIMARY deployment.
    pub primary: DeploymentIdx,
    /// PROVISIONING, PENDING and RUNNING tasks of every deployment.
    pub live: BTreeSet<TaskIdx>,
    /// Live tasks to replace and then stop, and why.
    pub doomed: BTreeMap<TaskIdx, Doom>,
    /// Tasks of the primary deployment wanted but not yet placed.
    pub wanted: VecDeque<Want>,
    /// Why the last placement attempt failed.
    pub last_reason: Option<Failure>,
    /// The throttle's current wait, after tasks failed to start.
    pub throttle: Option<SimDuration>,
    /// No launch before this time.
    pub throttled_until: SimTime,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: ServiceStatus,
    /// `availabilityZoneRebalancing` ENABLED.
    pub az_rebalancing: bool,
    /// At steady state (the last SERVICE_STEADY_STATE event not yet contradicted).
    pub steady: bool,
    /// Tasks lost to faults not yet wanted again.
    pub fault_debt: u32,
    /// Availability Zone rebalancing is under way.
    pub rebalancing: bool,
    /// Instances joined or left since the last rebalancing check.
    pub zones_changed: bool,
    /// The cluster's zone epoch at its last rebalancing check.
    pub zone_epoch: u64,
    /// The deployment for which the service last said the bounds block it.
    pub blocked_warned: Option<DeploymentIdx>,
    /// The zone the last rebalancing check found no room in.
    pub rebalance_blocked: Option<Sym>,
    /// Its scale-in victim draws.
    pub scale_in_rng: StreamRng,
    /// Its tasks' run-time draws.
    pub duration_rng: StreamRng,
}

impl Service {
    /// The PRIMARY deployment.
    pub fn primary(&self) -> &Deployment {
        &self.deployments[self.primary.idx()]
    }

    /// Deployment `k`.
    pub fn deployment(&self, k: DeploymentIdx) -> &Deployment {
        &self.deployments[k.idx()]
    }

    /// Deployment `k`'s `status`: the PRIMARY one, else ACTIVE while it has live tasks.
    pub fn deployment_status(&self, k: DeploymentIdx) -> DeploymentStatus {
        if k == self.primary {
            DeploymentStatus::Primary
        } else if self.deployments[k.idx()].counts.live > 0 {
            DeploymentStatus::Active
        } else {
            DeploymentStatus::Inactive
        }
    }

    /// Deployments not yet INACTIVE.
    pub fn current_deployments(&self) -> impl Iterator<Item = (DeploymentIdx, &Deployment)> {
        (0..self.deployments.len() as u32)
            .map(DeploymentIdx)
            .filter(|&k| self.deployment_status(k) != DeploymentStatus::Inactive)
            .map(|k| (k, &self.deployments[k.idx()]))
    }

    /// Counts over every deployment.
    pub fn totals(&self) -> Counts {
        let mut c = Counts::default();
        for d in &self.deployments {
            c.live += d.counts.live;
            c.running += d.counts.running;
            c.healthy += d.counts.healthy;
        }
        c
    }

    /// What the control plane's checks need to know of it.
    pub fn info(&self) -> crate::control::ServiceInfo {
        crate::control::ServiceInfo {
            daemon: self.daemon,
            active: self.status == ServiceStatus::Active,
            desired: self.desired,
            settings: self.settings,
            config: self.primary().config.clone(),
        }
    }
}

/// Deployments that completed, failed (circuit breaker) and were rollbacks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStats {
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
    /// Rollbacks started.
    pub rolled_back: u64,
}

/// The run's services.
#[derive(Default)]
pub struct Services {
    list: Vec<Service>,
    by_name: BTreeMap<(ClusterId, String), ServiceId>,
    waiting: BTreeSet<ServiceId>,
    dirty: BTreeSet<(bool, ServiceId)>,
    /// Deployment outcomes so far.
    pub stats: DeploymentStats,
}

impl Services {
    /// Adds a service; returns its id.
    pub fn add(&mut self, s: Service) -> ServiceId {
        let id = ServiceId(self.list.len() as u32);
        self.by_name.insert((s.cluster, s.name.clone()), id);
        self.list.push(s);
        id
    }

    /// The id the next service gets.
    pub fn next_id(&self) -> ServiceId {
        ServiceId(self.list.len() as u32)
    }

    /// A service.
    pub fn get(&self, s: ServiceId) -> &Service {
        &self.list[s.idx()]
    }

    /// A service, to change it.
    pub fn get_mut(&mut self, s: ServiceId) -> &mut Service {
        &mut self.list[s.idx()]
    }

    /// Every service, by id.
    pub fn iter(&self) -> impl Iterator<Item = (ServiceId, &Service)> {
        self.list.iter().enumerate().map(|(i, s)| (ServiceId(i as u32), s))
    }

    /// Every service's id.
    pub fn ids(&self) -> impl Iterator<Item = ServiceId> + use<> {
        (0..self.list.len() as u32).map(ServiceId)
    }

    /// The service called `name` in cluster `c` (until it becomes INACTIVE).
    pub fn find(&self, c: ClusterId, name: &str) -> Option<ServiceId> {
        self.by_name.get(&(c, name.to_string())).copied()
    }

    /// The ACTIVE services of cluster `c`.
    pub fn in_cluster(&self, c: ClusterId) -> impl Iterator<Item = &Service> {
        self.list
            .iter()
            .filter(move |s| s.cluster == c && s.status == ServiceStatus::Active)
    }

    /// A deleted service has no task left: INACTIVE, and its name is free.
    pub fn retire(&mut self, s: ServiceId) {
        let svc = &mut self.list[s.idx()];
        svc.status = ServiceStatus::Inactive;
        self.by_name.remove(&(svc.cluster, svc.name.clone()));
        self.waiting.remove(&s);
    }

    /// Marks a service for reconciliation after the current event.
    pub fn mark_dirty(&mut self, s: ServiceId) {
        let replica = !self.list[s.idx()].daemon;
        self.dirty.insert((replica, s));
    }

    /// Marks every service.
    pub fn mark_all_dirty(&mut self) {
        for s in self.ids() {
            self.mark_dirty(s);
        }
    }

    /// Marks every DAEMON service.
    pub fn mark_daemons_dirty(&mut self) {
        for s in self.ids() {
            if self.list[s.idx()].daemon {
                self.mark_dirty(s);
            }
        }
    }

    /// The next service to reconcile: DAEMON services first, then in creation order.
    pub fn next_dirty(&mut self) -> Option<ServiceId> {
        self.dirty.pop_first().map(|(_, s)| s)
    }

    /// Notes that service `s` waits for capacity (or no longer does).
    pub fn set_waiting(&mut self, s: ServiceId, waiting: bool) {
        if waiting {
            self.waiting.insert(s);
        } else {
            self.waiting.remove(&s);
        }
    }

    /// Capacity came back: every waiting service tries again.
    pub fn wake_waiting(&mut self) {
        let waiting: Vec<ServiceId> = self.waiting.iter().copied().collect();
        for s in waiting {
            self.mark_dirty(s);
        }
    }

    /// Every service, for the run's outcome.
    pub fn into_list(self) -> Vec<Service> {
        self.list
    }

    /// How many services were created.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True without services.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
