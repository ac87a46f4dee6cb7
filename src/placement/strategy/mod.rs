//! Placement strategies, compiled from the API form. Each strategy scores a candidate
//! (lower is better); a chain narrows the candidates lexicographically, strategy by
//! strategy, and a seeded tie-break picks among the last ties (ecs-semantics.md §1.2,
//! SIM CHOICE). One file per strategy.

pub mod binpack;
pub mod random;
pub mod spread;

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;
use crate::ecs::strategy::{BinpackField, PlacementStrategy, SpreadField};

/// What a spread strategy counts over.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpreadOver {
    /// The instance itself (`instanceId` / `host`).
    Instance,
    /// The instances sharing an attribute value.
    Attribute(Sym),
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
        }
    }

    /// The candidate's score (lower is better), or `None` for random.
    pub fn score(&self, cluster: &Cluster, id: InstanceId, group: GroupId) -> Option<u64> {
        match *self {
            Strategy::Binpack(field) => Some(binpack::remaining(cluster, id, field) as u64),
            Strategy::Spread(over) => Some(spread::group_tasks(cluster, id, group, over) as u64),
            Strategy::Random => None,
        }
    }

    /// A label such as `binpack(memory)` or `spread(attribute:ecs.availability-zone)`.
    pub fn label(&self, cluster: &Cluster) -> String {
        match self {
            Strategy::Binpack(BinpackField::Cpu) => "binpack(cpu)".into(),
            Strategy::Binpack(BinpackField::Memory) => "binpack(memory)".into(),
            Strategy::Spread(SpreadOver::Instance) => "spread(instanceId)".into(),
            Strategy::Spread(SpreadOver::Attribute(a)) => {
                format!("spread(attribute:{})", cluster.symbols.resolve(*a))
            }
            Strategy::Random => "random".into(),
        }
    }
}
