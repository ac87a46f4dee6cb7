//! ECS `binpack`: the candidate with the least remaining amount of the field (CPU or
//! memory) that still fits the task. An index keyed by remaining capacity finds it
//! without scanning every instance.

use super::{Role, Strategy, StrategyType, View, check_members};
use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::strategy::{BinpackField, PlacementStrategy};
use crate::placement::index::Order;
use std::sync::Arc;

/// `binpack` on a field.
#[derive(Debug)]
pub struct Binpack(pub BinpackField);

/// The registry entry.
pub const TYPE: StrategyType = StrategyType {
    name: "binpack",
    ecs: true,
    build: |s: &PlacementStrategy| {
        check_members(s, true, &[])?;
        let field = s.field.as_deref().ok_or("binpack needs a field: cpu or memory")?;
        Ok(Arc::new(Binpack(BinpackField::parse(field)?)) as Arc<dyn Strategy>)
    },
};

impl Strategy for Binpack {
    fn label(&self) -> String {
        format!("binpack({})", self.0.as_str())
    }
    fn role(&self) -> Role<'_> {
        Role::Order(Order::Remaining(self.0))
    }
    fn score(&self, v: &View, id: InstanceId) -> u64 {
        remaining(v.cluster, id, self.0) as u64
    }
}

/// What remains of `field` on the instance (lower packs tighter).
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
