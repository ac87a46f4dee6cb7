//! Not ECS — research heuristic `firstFit`: the first instance, in registration order,
//! that fits. Its order is an index's ([`Order::Registration`]): a tree of the most
//! CPU and memory left finds the first fitting instance without scoring every one.

use crate::ecs::cluster::InstanceId;
use crate::placement::index::Order;
use crate::placement::strategy::{Role, Strategy, StrategyType, View, plain};

/// Not ECS — the research heuristic `firstFit`.
#[derive(Debug, Default)]
pub struct FirstFit;

/// The registry entry.
pub const TYPE: StrategyType = StrategyType {
    name: "firstFit",
    ecs: false,
    build: plain::<FirstFit>,
};

impl Strategy for FirstFit {
    fn label(&self) -> String {
        "firstFit".into()
    }
    fn role(&self) -> Role<'_> {
        Role::Order(Order::Registration)
    }
    fn score(&self, _v: &View, id: InstanceId) -> u64 {
        id.0 as u64
    }
}
