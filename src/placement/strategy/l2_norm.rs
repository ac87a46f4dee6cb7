//! Not ECS — research heuristic `l2Norm` (Panigrahy et al.'s L2-norm distance): the
//! candidate whose normalised remaining capacity is closest to the task's demand.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{fixed_score, share};

/// The score: ‖remaining − demand‖², both normalised by the registered capacity.
pub fn score(cluster: &Cluster, id: InstanceId, res: &Reservation) -> u64 {
    let (cpu, memory) = cluster.registered(id);
    let dc = share(cluster.cpu_left(id), cpu) - share(res.cpu, cpu);
    let dm = share(cluster.mem_left(id), memory) - share(res.memory, memory);
    fixed_score(dc * dc + dm * dm)
}
