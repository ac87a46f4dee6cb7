//! Not ECS — research heuristic `worstFit` on two resources: the candidate left with the
//! most CPU plus memory after placing (the opposite of bestFit; spreads load).

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{best_fit, fixed_score};

/// The score: 2 minus the leftover (lower leaves more room).
pub fn score(cluster: &Cluster, id: InstanceId, res: &Reservation) -> u64 {
    fixed_score(2.0 - best_fit::leftover(cluster, id, res))
}
