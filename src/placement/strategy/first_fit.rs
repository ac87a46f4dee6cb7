//! Not ECS — research heuristic `firstFit`: the first candidate in registration order.

use crate::ecs::cluster::InstanceId;

/// The score: the instance's registration order.
pub fn score(id: InstanceId) -> u64 {
    id.0 as u64
}
