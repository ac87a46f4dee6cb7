//! Task groups on container instances: their names, and how many of each group's
//! tasks each instance holds (kept on every allocation and release).

use super::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;

impl Cluster {
    /// Task groups with tasks on `id`, and how many, sorted by group.
    pub fn groups_on(&self, id: InstanceId) -> &[(GroupId, u32)] {
        &self.groups[id.idx()]
    }

    /// The group for `name`, created if new.
    pub fn group(&mut self, name: &str) -> GroupId {
        GroupId(self.group_names.intern(name).0)
    }

    /// The group's name.
    pub fn group_name(&self, g: GroupId) -> &str {
        self.group_names.resolve(Sym(g.0))
    }

    /// Tasks of `group` on instance `id`.
    pub fn group_count_on(&self, group: GroupId, id: InstanceId) -> u32 {
        let gs = &self.groups[id.idx()];
        gs.binary_search_by_key(&group, |(g, _)| *g)
            .map(|i| gs[i].1)
            .unwrap_or(0)
    }
}
