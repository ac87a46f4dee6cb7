//! Services: desired count, the tasks they keep, and which task goes first when the
//! desired count falls (ecs-semantics.md §1.1 and §1.3).

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::registry::TaskDefId;
use crate::ecs::strategy::{BinpackField, PlacementStrategy, SpreadField};
use crate::engine::duration::DistSpec;
use crate::engine::{SimTime, StreamRng};
use crate::placement::strategy::binpack;
use crate::sim::task::TaskIdx;
use rand::RngExt;
use std::collections::{BTreeSet, VecDeque};

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

/// What a deployment runs and where: the task definition and the placement and
/// capacity settings in force when it was made.
#[derive(Clone, Debug)]
pub struct Config {
    /// The task definition revision.
    pub taskdef: TaskDefId,
    /// Where its tasks go.
    pub capacity: crate::capacity::providers::Capacity,
    /// The zones of its subnets (Fargate spreads over them).
    pub zones: Vec<crate::ecs::intern::Sym>,
    /// `placementStrategy` as requested (None: the service default).
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints` as requested.
    pub placement_constraints: Vec<crate::ecs::strategy::PlacementConstraint>,
    /// Scale-in rule.
    pub scale_in: ScaleIn,
    /// The request's launch type, capacity provider strategy and network, kept for later updates.
    pub launch_type: Option<crate::ecs::api::LaunchType>,
    /// `capacityProviderStrategy` as requested.
    pub capacity_provider_strategy: Option<Vec<crate::ecs::provider::StrategyItem>>,
    /// `networkConfiguration` as requested.
    pub network: Option<crate::ecs::api::NetworkConfiguration>,
}

/// One deployment of a service.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// `ecs-svc/…`: what its tasks' `startedBy` says.
    pub id: String,
    /// What it runs.
    pub config: Config,
    /// `rolloutState`.
    pub rollout: Rollout,
    /// When it was created.
    pub created_at: SimTime,
    /// Tasks that failed to start since the last healthy one (the circuit breaker's count).
    pub failed_tasks: u32,
    /// Its live tasks.
    pub counts: Counts,
}

/// A task a service wants but has not placed yet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Want {
    /// When it was first wanted.
    pub at: SimTime,
    /// It replaces a task a fault stopped.
    pub after_fault: bool,
}

/// A service.
#[derive(Clone, Debug)]
pub struct Service {
    /// `serviceName`.
    pub name: String,
    /// Its cluster (index).
    pub cluster: u32,
    /// Its task group (`service:<name>`).
    pub group: GroupId,
    /// DAEMON scheduling: one task per matching instance.
    pub daemon: bool,
    /// `desiredCount` (DAEMON: the instances it covers).
    pub desired: u32,
    /// How long its tasks run (None: until stopped).
    pub task_duration: Option<DistSpec>,
    /// Deployment bounds and circuit breaker.
    pub settings: crate::ecs::deployment::Settings,
    /// Its deployments, oldest first.
    pub deployments: Vec<Deployment>,
    /// The PRIMARY deployment.
    pub primary: usize,
    /// PROVISIONING, PENDING and RUNNING tasks of every deployment.
    pub live: BTreeSet<TaskIdx>,
    /// Live tasks to replace and then stop, and why.
    pub doomed: std::collections::BTreeMap<TaskIdx, Doom>,
    /// Tasks of the primary deployment wanted but not yet placed.
    pub wanted: VecDeque<Want>,
    /// Why the last placement attempt failed.
    pub last_reason: Option<crate::ecs::failure::Failure>,
    /// The throttle's current wait, after tasks failed to start.
    pub throttle: Option<crate::engine::SimDuration>,
    /// No launch before this time.
    pub throttled_until: SimTime,
    /// ACTIVE, DRAINING (deleted) or INACTIVE.
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
    pub blocked_warned: Option<usize>,
    /// The zone the last rebalancing check found no room in.
    pub rebalance_blocked: Option<crate::ecs::intern::Sym>,
}

/// Why a live task is to be replaced and stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Doom {
    /// Its instance is DRAINING.
    Draining,
    /// Its zone holds more of the service's tasks than another.
    Rebalancing,
}

impl Service {
    /// The PRIMARY deployment.
    pub fn primary(&self) -> &Deployment {
        &self.deployments[self.primary]
    }

    /// Deployment `k`'s `status`: the PRIMARY one, else ACTIVE while it has live tasks.
    pub fn deployment_status(&self, k: usize) -> DeploymentStatus {
        if k == self.primary {
            DeploymentStatus::Primary
        } else if self.deployments[k].counts.live > 0 {
            DeploymentStatus::Active
        } else {
            DeploymentStatus::Inactive
        }
    }

    /// Deployments not yet INACTIVE.
    pub fn current_deployments(&self) -> impl Iterator<Item = (usize, &Deployment)> {
        (0..self.deployments.len())
            .filter(|&k| self.deployment_status(k) != DeploymentStatus::Inactive)
            .map(|k| (k, &self.deployments[k]))
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
}

/// What the victim choice needs to know of a live task.
pub struct LiveTask {
    /// The task.
    pub task: TaskIdx,
    /// Its instance.
    pub instance: InstanceId,
    /// What it reserves of CPU and memory.
    pub cpu: u32,
    /// Memory MiB.
    pub memory: u32,
}

fn argmax_random<T: Copy>(items: &[(T, u64)], rng: &mut StreamRng) -> Option<T> {
    let best = items.iter().map(|(_, k)| *k).max()?;
    let ties: Vec<T> = items.iter().filter(|(_, k)| *k == best).map(|(t, _)| *t).collect();
    Some(ties[rng.random_range(0..ties.len())])
}

/// Picks the task to stop when the desired count falls.
pub fn choose_victim(
    rule: &ScaleIn,
    live: &[LiveTask],
    group: GroupId,
    cluster: &Cluster,
    rng: &mut StreamRng,
) -> Option<TaskIdx> {
    let az = cluster.symbols.get("ecs.availability-zone");
    let count_by = |attr: Option<crate::ecs::intern::Sym>, inst: InstanceId| -> u64 {
        let value = attr.and_then(|a| cluster.attribute(inst, a));
        live.iter()
            .filter(|t| attr.and_then(|a| cluster.attribute(t.instance, a)) == value)
            .count() as u64
    };
    let on_instance = |inst: InstanceId| cluster.group_count_on(group, inst) as u64;
    match rule {
        ScaleIn::Default => {
            let scored: Vec<(TaskIdx, u64)> = live
                .iter()
                .map(|t| (t.task, (count_by(az, t.instance) << 32) | on_instance(t.instance)))
                .collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::Binpack(field) => {
            let scored: Vec<(TaskIdx, u64)> = live
                .iter()
                .map(|t| {
                    let freed = binpack::needed(t.cpu, t.memory, *field);
                    (t.task, (binpack::remaining(cluster, t.instance, *field) + freed) as u64)
                })
                .collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::SpreadAttribute(name) => {
            let attr = cluster.symbols.get(name);
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, count_by(attr, t.instance))).collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::SpreadInstance => {
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, on_instance(t.instance))).collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::Random => {
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, 0)).collect();
            argmax_random(&scored, rng)
        }
    }
}
