//! ECS `binpack`: the candidate with the least remaining amount of the field (CPU or
//! memory) that still fits the task. An index keyed by remaining capacity finds it
//! without scanning every instance.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::strategy::BinpackField;

/// The binpack score: what remains of `field` on the instance (lower packs tighter).
pub fn remaining(cluster: &Cluster, id: InstanceId, field: BinpackField) -> u32 {
    match field {
        BinpackField::Cpu => cluster.cpu_left(id),
        BinpackField::Memory => cluster.mem_left(id),
    }
}

/// What a task needs of `field`: the smallest remaining amount worth looking at.
pub fn needed(cpu: u32, memory: u32, field: BinpackField) -> u32 {
    match field {
        BinpackField::Cpu => cpu,
        BinpackField::Memory => memory,
    }
}
