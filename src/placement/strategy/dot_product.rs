//! Not ECS — research heuristic `dotProduct` (Panigrahy et al., "Heuristics for Vector
//! Bin Packing"): the candidate whose remaining capacity best aligns with the task's
//! demand — the largest dot product of the two, each normalised by the instance's
//! registered capacity.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{fixed_score, share};

/// The score: 2 minus the dot product (lower aligns better).
pub fn score(cluster: &Cluster, id: InstanceId, res: &Reservation) -> u64 {
    let (cpu, memory) = cluster.registered(id);
    let dot = share(res.cpu, cpu) * share(cluster.cpu_left(id), cpu)
        + share(res.memory, memory) * share(cluster.mem_left(id), memory);
    fixed_score(2.0 - dot)
}
