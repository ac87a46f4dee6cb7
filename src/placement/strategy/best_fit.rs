//! Not ECS — research heuristic `bestFit` on two resources: the candidate left with the
//! least CPU plus memory after placing, each as a share of what the instance registered.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{fixed_score, share};

super::heuristic!("bestFit", BestFit, |v, id| fixed_score(leftover(v.cluster, id, v.res)));

/// CPU + memory left after placing `res`, as shares of the registered amounts (0–2).
pub fn leftover(cluster: &Cluster, id: InstanceId, res: &Reservation) -> f64 {
    let (cpu, memory) = cluster.registered(id);
    share(cluster.cpu_left(id).saturating_sub(res.cpu), cpu)
        + share(cluster.mem_left(id).saturating_sub(res.memory), memory)
}
