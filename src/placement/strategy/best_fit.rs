//! Not ECS — research heuristic `bestFit`: the candidate left with the least CPU plus
//! memory after placing, each as a share of what the instance registered (plus any
//! further dimensions of `ecsim pack`'s vector bins).

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{dimensions, fixed_score, share};

super::heuristic!("bestFit", BestFit, |v, id| fixed_score(leftover(v.cluster, id, v.res)));

/// What is left in each dimension after placing `res`, as shares of the registered
/// amounts, summed (0–2 for CPU and memory; up to one more per further dimension).
pub fn leftover(cluster: &Cluster, id: InstanceId, res: &Reservation) -> f64 {
    dimensions(cluster, id, res)
        .map(|(need, left, cap)| share(left.saturating_sub(need), cap))
        .sum()
}

/// How many dimensions instance `id` has: CPU, memory and any further ones.
pub fn dims(cluster: &Cluster, id: InstanceId) -> f64 {
    (2 + cluster.extra_left(id).len()) as f64
}
