//! ECS `random`, and the seeded tie-break that ends every chain: a uniform pick among
//! the candidates (or, in the deterministic mode, the lowest container-instance id).

use crate::ecs::cluster::InstanceId;
use crate::engine::StreamRng;
use rand::RngExt;
use serde::{Deserialize, Serialize};

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
