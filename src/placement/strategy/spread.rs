//! ECS `spread`: the candidate whose value of the field (the instance itself, or an
//! attribute such as the availability zone) holds the fewest tasks of the group —
//! the service's tasks for a service, the task group's for RunTask. Instances
//! without the attribute count as one more value.

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::placement::strategy::SpreadOver;

/// The spread score: tasks of `group` sharing the instance's value of `over`.
pub fn group_tasks(cluster: &Cluster, id: InstanceId, group: GroupId, over: SpreadOver) -> u32 {
    match over {
        SpreadOver::Instance => cluster.group_count_on(group, id),
        SpreadOver::Attribute(attr) => cluster.group_count_by_attr(group, attr, cluster.attribute(id, attr)),
    }
}
