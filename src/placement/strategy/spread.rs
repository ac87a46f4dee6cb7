//! ECS `spread`: the candidate whose value of the field (the instance itself, or an
//! attribute such as the availability zone) holds the fewest tasks of the group —
//! the service's tasks for a service, the task group's for RunTask. Instances
//! without the attribute count as one more value.

use super::{Role, Strategy, StrategyType, View, check_members};
use crate::ecs::cluster::InstanceId;
use crate::ecs::strategy::{PlacementStrategy, SpreadField};
use crate::placement::index::Order;
use std::sync::Arc;

/// `spread` over instances or over an attribute's values.
#[derive(Debug)]
pub enum Spread {
    /// `instanceId` or `host`.
    Instance,
    /// `attribute:<name>`.
    Attribute(String),
}

/// The registry entry.
pub const TYPE: StrategyType = StrategyType {
    name: "spread",
    ecs: true,
    build: |s: &PlacementStrategy| {
        check_members(s, true, &[])?;
        let field = s
            .field
            .as_deref()
            .ok_or("spread needs a field: instanceId, host or attribute:<name>")?;
        Ok(Arc::new(match SpreadField::parse(field)? {
            SpreadField::Instance { .. } => Spread::Instance,
            SpreadField::Attribute(a) => Spread::Attribute(a),
        }) as Arc<dyn Strategy>)
    },
};

impl Strategy for Spread {
    fn label(&self) -> String {
        match self {
            Spread::Instance => "spread(instanceId)".into(),
            Spread::Attribute(a) => format!("spread(attribute:{a})"),
        }
    }
    fn role(&self) -> Role<'_> {
        match self {
            Spread::Instance => Role::Order(Order::GroupCount),
            Spread::Attribute(a) => Role::Partition(a),
        }
    }
    fn score(&self, v: &View, id: InstanceId) -> u64 {
        match self {
            Spread::Instance => v.cluster.group_count_on(v.group, id) as u64,
            Spread::Attribute(a) => v.counts.count_named(v.cluster, v.group, a, id) as u64,
        }
    }
}
