//! Placement strategies, compiled from the API form. Each strategy scores a candidate
//! (lower is better); a chain narrows the candidates lexicographically, strategy by
//! strategy, and a seeded tie-break picks among the last ties (ecs-semantics.md §1.2,
//! SIM CHOICE). One file per strategy; the research heuristics (not ECS) sit beside
//! the ECS ones and are used the same way.

pub mod best_fit;
pub mod binpack;
pub mod dot_product;
pub mod first_fit;
pub mod fragmentation;
pub mod l2_norm;
pub mod next_fit;
pub mod random;
pub mod sampling;
pub mod spread;
pub mod worst_fit;

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;
use crate::ecs::strategy::{BinpackField, PlacementStrategy, SpreadField};
use crate::ecs::task_definition::Reservation;
use fragmentation::Shapes;

/// What a spread strategy counts over.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpreadOver {
    /// The instance itself (`instanceId` / `host`).
    Instance,
    /// The instances sharing an attribute value.
    Attribute(Sym),
}

/// A research heuristic (not ECS).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Heuristic {
    /// Lowest registration order.
    FirstFit,
    /// First fit from the last choice, wrapping.
    NextFit,
    /// Least normalised CPU + memory left after placing.
    BestFit,
    /// Most normalised CPU + memory left after placing.
    WorstFit,
    /// Largest normalised demand · remaining.
    DotProduct,
    /// Smallest normalised ‖remaining − demand‖².
    L2Norm,
    /// Smallest fragmentation increase.
    Fragmentation,
    /// Two random candidates, the less loaded kept.
    PowerOfTwoChoices,
    /// kube-scheduler's percentage of nodes (None: adaptive).
    Sampled(Option<u32>),
}

/// A compiled strategy.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// Least remaining of a resource.
    Binpack(BinpackField),
    /// Fewest tasks of the group.
    Spread(SpreadOver),
    /// Uniformly at random (ends the chain).
    Random,
    /// A research heuristic.
    Research(Heuristic),
}

/// What a score may look at besides the instance.
pub struct Ctx<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// The task's group.
    pub group: GroupId,
    /// What the task reserves.
    pub res: &'a Reservation,
    /// nextFit: the instance of the plan's last placement.
    pub last: InstanceId,
    /// The task shapes requested so far (fragmentation).
    pub shapes: &'a Shapes,
}

/// `x / of` as a share (0 when `of` is 0).
pub fn share(x: u32, of: u32) -> f64 {
    if of == 0 { 0.0 } else { x as f64 / of as f64 }
}

/// A non-negative float score as an integer (1e9 per unit), keeping its order.
pub fn fixed_score(v: f64) -> u64 {
    // + 0.5 and truncation rounds like `round` for v ≥ 0, without a libm call.
    (v.max(0.0) * 1e9 + 0.5) as u64
}

impl Strategy {
    /// Compiles an API strategy; spread attributes start being counted in `cluster`.
    pub fn compile(s: &PlacementStrategy, cluster: &mut Cluster) -> Strategy {
        match s {
            PlacementStrategy::Binpack { field } => Strategy::Binpack(*field),
            PlacementStrategy::Random { .. } => Strategy::Random,
            PlacementStrategy::Spread {
                field: SpreadField::Instance { .. },
            } => Strategy::Spread(SpreadOver::Instance),
            PlacementStrategy::Spread {
                field: SpreadField::Attribute(a),
            } => Strategy::Spread(SpreadOver::Attribute(cluster.track_spread_attribute(a))),
            PlacementStrategy::FirstFit {} => Strategy::Research(Heuristic::FirstFit),
            PlacementStrategy::NextFit {} => Strategy::Research(Heuristic::NextFit),
            PlacementStrategy::BestFit {} => Strategy::Research(Heuristic::BestFit),
            PlacementStrategy::WorstFit {} => Strategy::Research(Heuristic::WorstFit),
            PlacementStrategy::DotProduct {} => Strategy::Research(Heuristic::DotProduct),
            PlacementStrategy::L2Norm {} => Strategy::Research(Heuristic::L2Norm),
            PlacementStrategy::Fragmentation {} => Strategy::Research(Heuristic::Fragmentation),
            PlacementStrategy::PowerOfTwoChoices {} => Strategy::Research(Heuristic::PowerOfTwoChoices),
            PlacementStrategy::Sampled { percentage } => Strategy::Research(Heuristic::Sampled(*percentage)),
        }
    }

    /// The candidate's score (lower is better); `None` for the strategies that draw
    /// at random instead of scoring (random, powerOfTwoChoices, sampled).
    pub fn score(&self, ctx: &Ctx, id: InstanceId) -> Option<u64> {
        let c = ctx.cluster;
        Some(match *self {
            Strategy::Binpack(field) => binpack::remaining(c, id, field) as u64,
            Strategy::Spread(over) => spread::group_tasks(c, id, ctx.group, over) as u64,
            Strategy::Random => return None,
            Strategy::Research(h) => match h {
                Heuristic::FirstFit => first_fit::score(id),
                Heuristic::NextFit => next_fit::score(c, id, ctx.last),
                Heuristic::BestFit => best_fit::score(c, id, ctx.res),
                Heuristic::WorstFit => worst_fit::score(c, id, ctx.res),
                Heuristic::DotProduct => dot_product::score(c, id, ctx.res),
                Heuristic::L2Norm => l2_norm::score(c, id, ctx.res),
                Heuristic::Fragmentation => fragmentation::score(c, id, ctx.res, ctx.shapes),
                Heuristic::PowerOfTwoChoices | Heuristic::Sampled(_) => return None,
            },
        })
    }

    /// True for the strategies an index cannot serve (the research heuristics).
    pub fn needs_scan(&self) -> bool {
        matches!(self, Strategy::Research(_))
    }

    /// A label such as `binpack(memory)` or `spread(attribute:ecs.availability-zone)`.
    pub fn label(&self, cluster: &Cluster) -> String {
        match self {
            Strategy::Binpack(BinpackField::Cpu) => "binpack(cpu)".into(),
            Strategy::Binpack(BinpackField::Memory) => "binpack(memory)".into(),
            Strategy::Spread(SpreadOver::Instance) => "spread(instanceId)".into(),
            Strategy::Spread(SpreadOver::Attribute(a)) => format!("spread(attribute:{})", cluster.symbols.resolve(*a)),
            Strategy::Random => "random".into(),
            Strategy::Research(h) => match h {
                Heuristic::FirstFit => "firstFit".into(),
                Heuristic::NextFit => "nextFit".into(),
                Heuristic::BestFit => "bestFit".into(),
                Heuristic::WorstFit => "worstFit".into(),
                Heuristic::DotProduct => "dotProduct".into(),
                Heuristic::L2Norm => "l2Norm".into(),
                Heuristic::Fragmentation => "fragmentation".into(),
                Heuristic::PowerOfTwoChoices => "powerOfTwoChoices".into(),
                Heuristic::Sampled(None) => "sampled".into(),
                Heuristic::Sampled(Some(p)) => format!("sampled({p}%)"),
            },
        }
    }
}
