//! ECS `random`, and the seeded tie-break that ends every chain: a uniform pick among
//! the candidates (or, in the deterministic mode, the lowest container-instance id).

use super::{Role, Strategy, StrategyType, View, check_members};
use crate::ecs::cluster::InstanceId;
use crate::ecs::strategy::PlacementStrategy;
use crate::engine::StreamRng;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `random` (ECS ignores its `field`).
#[derive(Debug)]
pub struct Random;

/// The registry entry.
pub const TYPE: StrategyType = StrategyType {
    name: "random",
    ecs: true,
    build: |s: &PlacementStrategy| {
        check_members(s, true, &[])?;
        Ok(Arc::new(Random) as Arc<dyn Strategy>)
    },
};

impl Strategy for Random {
    fn label(&self) -> String {
        "random".into()
    }
    fn role(&self) -> Role<'_> {
        Role::Random
    }
    fn score(&self, _v: &View, _id: InstanceId) -> u64 {
        0
    }
}

/// How the last ties are broken (ecs-semantics.md §1.2, SIM CHOICE).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TieBreak {
    /// Uniformly at random from the placement stream.
    #[default]
    Random,
    /// The lowest instance id: fully predictable, for teaching and tests.
    LowestId,
}

/// Picks one of `candidates` (non-empty) by the tie-break rule.
pub fn pick(candidates: &[InstanceId], tie_break: TieBreak, rng: &mut StreamRng) -> InstanceId {
    debug_assert!(!candidates.is_empty());
    match tie_break {
        TieBreak::Random => candidates[rng.random_range(0..candidates.len())],
        TieBreak::LowestId => *candidates.iter().min().expect("no candidates"),
    }
}
