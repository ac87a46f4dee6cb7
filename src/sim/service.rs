//! Services: desired count, the tasks they keep, and which task goes first when the
//! desired count falls (ecs-semantics.md §1.1 and §1.3).

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::registry::TaskDefId;
use crate::ecs::strategy::{BinpackField, PlacementStrategy, SpreadField};
use crate::engine::{SimTime, StreamRng};
use crate::placement::strategy::binpack;
use crate::scenario::duration::DistSpec;
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
        match strategies.and_then(|s| s.first()) {
            None => ScaleIn::Default,
            Some(PlacementStrategy::Binpack { field }) => ScaleIn::Binpack(*field),
            Some(PlacementStrategy::Spread {
                field: SpreadField::Attribute(a),
            }) => ScaleIn::SpreadAttribute(a.clone()),
            Some(PlacementStrategy::Spread {
                field: SpreadField::Instance { .. },
            }) => ScaleIn::SpreadInstance,
            Some(PlacementStrategy::Random { .. }) => ScaleIn::Random,
            Some(research) => {
                debug_assert!(research.is_research());
                ScaleIn::Default
            }
        }
    }
}

/// A service.
#[derive(Clone, Debug)]
pub struct Service {
    /// `serviceName`.
    pub name: String,
    /// The task definition revision its tasks run.
    pub taskdef: TaskDefId,
    /// Its task group (`service:<name>`).
    pub group: GroupId,
    /// `desiredCount`.
    pub desired: u32,
    /// How long its tasks run (None: until stopped).
    pub task_duration: Option<DistSpec>,
    /// PENDING and RUNNING tasks.
    pub live: BTreeSet<TaskIdx>,
    /// Tasks wanted but not yet placed: when each was first wanted.
    pub wanted: VecDeque<SimTime>,
    /// Why the last placement attempt failed.
    pub last_reason: Option<&'static str>,
    /// The deployment id ECS writes in `startedBy` (`ecs-svc/…`).
    pub deployment: String,
    /// Scale-in rule.
    pub scale_in: ScaleIn,
    /// Where its tasks go: a launch type's pool or a capacity provider strategy.
    pub capacity: crate::scenario::capacity::Capacity,
    /// The zones of its subnets (Fargate spreads over them).
    pub zones: Vec<crate::ecs::intern::Sym>,
    /// `placementStrategy` as requested (None: the service default).
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints` as requested.
    pub placement_constraints: Vec<crate::ecs::strategy::PlacementConstraint>,
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
