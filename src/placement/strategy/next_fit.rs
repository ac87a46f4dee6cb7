//! Not ECS — research heuristic `nextFit`: first fit starting from the instance of the
//! plan's last placement, wrapping around (CloudSim Plus's FirstFit, which keeps a
//! rotating start so that it does not rescan the full hosts every time).

use crate::ecs::cluster::{Cluster, InstanceId};

/// The score: the distance forward from the last placement, wrapping.
pub fn score(cluster: &Cluster, id: InstanceId, last: InstanceId) -> u64 {
    let n = cluster.len().max(1) as u64;
    (id.0 as u64 + n - last.0 as u64 % n) % n
}
