//! Tasks of each group per value of the attributes some spread strategy spreads over
//! (the availability zone, usually): what `spread(attribute:…)` scores and how the
//! indexes order their partitions. The placer keeps them as tasks are placed and
//! released, so the cluster itself counts only what ECS shows (tasks per instance).

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;
use std::collections::BTreeMap;

/// A tracked attribute (index into the tracked names).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrIdx(pub u32);

/// Group task counts per tracked attribute value.
#[derive(Clone, Debug, Default)]
pub struct GroupCounts {
    names: Vec<String>,
    syms: Vec<Option<Sym>>,
    by_group: Vec<BTreeMap<(AttrIdx, Option<Sym>), u32>>,
}

impl GroupCounts {
    /// Starts counting tasks per value of attribute `name` (counting those placed so far).
    pub fn track(&mut self, cluster: &Cluster, name: &str) -> AttrIdx {
        if let Some(a) = self.find(name) {
            return a;
        }
        let a = AttrIdx(self.names.len() as u32);
        self.names.push(name.to_string());
        self.syms.push(cluster.symbols.get(name));
        for id in cluster.ids() {
            let value = self.value(cluster, id, a);
            for &(g, n) in cluster.groups_on(id) {
                *self.group_mut(g).entry((a, value)).or_default() += n;
            }
        }
        a
    }

    /// The tracked attribute called `name`.
    pub fn find(&self, name: &str) -> Option<AttrIdx> {
        self.names.iter().position(|n| n == name).map(|i| AttrIdx(i as u32))
    }

    /// Notes attribute names the cluster learned since (an instance registered with one).
    pub fn resolve(&mut self, cluster: &Cluster) {
        for (k, s) in self.syms.iter_mut().enumerate() {
            if s.is_none() {
                *s = cluster.symbols.get(&self.names[k]);
            }
        }
    }

    /// Instance `id`'s value of tracked attribute `a`.
    pub fn value(&self, cluster: &Cluster, id: InstanceId, a: AttrIdx) -> Option<Sym> {
        self.syms[a.0 as usize].and_then(|s| cluster.attribute(id, s))
    }

    fn group_mut(&mut self, g: GroupId) -> &mut BTreeMap<(AttrIdx, Option<Sym>), u32> {
        if self.by_group.len() <= g.0 as usize {
            self.by_group.resize(g.0 as usize + 1, BTreeMap::new());
        }
        &mut self.by_group[g.0 as usize]
    }

    /// A task of `group` was placed on (`+1`) or released from (`-1`) instance `id`.
    pub fn changed(&mut self, cluster: &Cluster, id: InstanceId, group: GroupId, delta: i32) {
        for k in 0..self.names.len() {
            let a = AttrIdx(k as u32);
            let value = self.value(cluster, id, a);
            let n = self.group_mut(group).entry((a, value)).or_default();
            *n = n.checked_add_signed(delta).expect("group counts stay ≥ 0");
        }
    }

    /// Tasks of `group` on instances whose attribute `a` is `value` (None: unset).
    pub fn count(&self, group: GroupId, a: AttrIdx, value: Option<Sym>) -> u32 {
        self.by_group
            .get(group.0 as usize)
            .and_then(|m| m.get(&(a, value)))
            .copied()
            .unwrap_or(0)
    }

    /// Tasks of `group` sharing instance `id`'s value of the attribute called `name`.
    pub fn count_named(&self, cluster: &Cluster, group: GroupId, name: &str, id: InstanceId) -> u32 {
        self.find(name)
            .map_or(0, |a| self.count(group, a, self.value(cluster, id, a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::cluster::InstanceSpec;
    use crate::ecs::task_definition::Reservation;
    use crate::engine::SimTime;

    #[test]
    fn counts_follow_placements_and_late_attributes() {
        let mut c = Cluster::new("default");
        let a = c.register(InstanceSpec::new("a", 2048, 4000).in_zone("z1"), SimTime::ZERO);
        let g = c.group("service:web");
        let r = Reservation {
            cpu: 1,
            memory: 1,
            ..Default::default()
        };
        c.allocate(a, &r, g);
        let mut counts = GroupCounts::default();
        let az = counts.track(&c, "ecs.availability-zone");
        let rack = counts.track(&c, "rack");
        assert_eq!(
            counts.count(
                g,
                az,
                c.attribute_str(a, "ecs.availability-zone").and(c.symbols.get("z1"))
            ),
            1
        );
        assert_eq!(counts.count(g, rack, None), 1);
        let mut spec = InstanceSpec::new("b", 2048, 4000).in_zone("z2");
        spec.attributes.insert("rack".into(), "r1".into());
        let b = c.register(spec, SimTime::ZERO);
        counts.resolve(&c);
        c.allocate(b, &r, g);
        counts.changed(&c, b, g, 1);
        assert_eq!(counts.count_named(&c, g, "rack", b), 1);
        assert_eq!(counts.count_named(&c, g, "rack", a), 1);
        assert_eq!(counts.count_named(&c, g, "ecs.availability-zone", b), 1);
        c.release(b, &r, g);
        counts.changed(&c, b, g, -1);
        assert_eq!(counts.count_named(&c, g, "rack", b), 0);
    }
}
