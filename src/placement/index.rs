//! Capacity indexes: the instances that pass a plan's static filters, partitioned by
//! the values of its leading spread attributes, and within each partition bucketed
//! by a two-part key: the primary key orders the instances (remaining CPU or memory
//! for binpack, the group's task count for spread over instances, nothing for
//! random); for binpack the secondary is the other resource, so that a range query
//! skips instances too small in either dimension (elsewhere it is 0: keys that
//! never change cost no update). A bucket is an unordered vector with O(1) removal, so a uniform pick
//! among equal keys needs no scan.

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;
use crate::ecs::strategy::BinpackField;
use crate::placement::counts::{AttrIdx, GroupCounts};
use std::collections::BTreeMap;

/// How an index orders the instances of one partition.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Order {
    /// By remaining CPU or memory, ascending (binpack).
    Remaining(BinpackField),
    /// By tasks of the group on the instance, ascending (spread over instances).
    GroupCount,
    /// Not ordered (random, or no strategy left).
    Unordered,
}

/// What an index covers: equal keys share one index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexKey {
    /// Static memberOf filters every member passes.
    pub statics: Vec<u32>,
    /// Attributes partitioned on.
    pub partition: Vec<AttrIdx>,
    /// The order within a partition.
    pub order: Order,
    /// The group, for [`Order::GroupCount`].
    pub group: Option<GroupId>,
    /// The instances' pool and cluster.
    pub scope: crate::ecs::provider::Scope,
}

const ABSENT: u32 = u32::MAX;

/// A bucket key: (primary, secondary).
pub type Key = (u32, u32);

#[derive(Copy, Clone, Debug)]
struct Slot {
    part: u32,
    key: Key,
    pos: u32,
}

/// One partition: instances sharing the values of the partition attributes.
#[derive(Clone, Debug)]
pub struct Part {
    /// The attribute values (None: the instance lacks the attribute).
    pub values: Vec<Option<Sym>>,
    /// Key → instances with that key.
    pub buckets: BTreeMap<Key, Vec<InstanceId>>,
    /// Members in all buckets.
    pub len: u32,
}

/// A capacity index.
#[derive(Clone, Debug)]
pub struct Index {
    /// What it covers.
    pub key: IndexKey,
    /// Its partitions, in creation order.
    pub parts: Vec<Part>,
    part_of: BTreeMap<Vec<Option<Sym>>, u32>,
    slots: Vec<Slot>,
}

impl Index {
    /// An empty index.
    pub fn new(key: IndexKey) -> Self {
        Index {
            key,
            parts: Vec::new(),
            part_of: BTreeMap::new(),
            slots: Vec::new(),
        }
    }

    /// Whether `id` is a member.
    pub fn contains(&self, id: InstanceId) -> bool {
        self.slots.get(id.idx()).is_some_and(|s| s.part != ABSENT)
    }

    /// The bucket key of `id` now.
    pub fn order_key(&self, cluster: &Cluster, id: InstanceId) -> Key {
        match self.key.order {
            Order::Remaining(BinpackField::Memory) => (cluster.mem_left(id), cluster.cpu_left(id)),
            Order::Remaining(BinpackField::Cpu) => (cluster.cpu_left(id), cluster.mem_left(id)),
            Order::GroupCount => (cluster.group_count_on(self.key.group.expect("group index"), id), 0),
            Order::Unordered => (0, 0),
        }
    }

    /// The smallest usable key for a task needing `cpu` and `memory`, part by part.
    pub fn lower_bound(&self, cpu: u32, memory: u32) -> Key {
        match self.key.order {
            Order::Remaining(BinpackField::Memory) => (memory, cpu),
            Order::Remaining(BinpackField::Cpu) => (cpu, memory),
            Order::GroupCount | Order::Unordered => (0, 0),
        }
    }

    /// Adds `id` (not yet a member).
    pub fn insert(&mut self, cluster: &Cluster, counts: &GroupCounts, id: InstanceId) {
        debug_assert!(!self.contains(id));
        let values: Vec<Option<Sym>> = self
            .key
            .partition
            .iter()
            .map(|&a| counts.value(cluster, id, a))
            .collect();
        let part = match self.part_of.get(&values) {
            Some(&p) => p,
            None => {
                let p = self.parts.len() as u32;
                self.parts.push(Part {
                    values: values.clone(),
                    buckets: BTreeMap::new(),
                    len: 0,
                });
                self.part_of.insert(values, p);
                p
            }
        };
        let key = self.order_key(cluster, id);
        if self.slots.len() <= id.idx() {
            self.slots.resize(
                id.idx() + 1,
                Slot {
                    part: ABSENT,
                    key: (0, 0),
                    pos: 0,
                },
            );
        }
        self.put(id, part, key);
    }

    fn put(&mut self, id: InstanceId, part: u32, key: Key) {
        let p = &mut self.parts[part as usize];
        let bucket = p.buckets.entry(key).or_default();
        bucket.push(id);
        p.len += 1;
        self.slots[id.idx()] = Slot {
            part,
            key,
            pos: bucket.len() as u32 - 1,
        };
    }

    /// Removes `id` (a member); returns its partition.
    pub fn remove(&mut self, id: InstanceId) -> u32 {
        let Slot { part, key, pos } = self.slots[id.idx()];
        debug_assert!(part != ABSENT);
        let p = &mut self.parts[part as usize];
        let bucket = p.buckets.get_mut(&key).expect("indexed key has a bucket");
        bucket.swap_remove(pos as usize);
        if let Some(&moved) = bucket.get(pos as usize) {
            self.slots[moved.idx()].pos = pos;
        }
        if bucket.is_empty() {
            p.buckets.remove(&key);
        }
        p.len -= 1;
        self.slots[id.idx()].part = ABSENT;
        part
    }

    /// Moves `id` (if a member) to the bucket of its current key.
    pub fn rekey(&mut self, cluster: &Cluster, id: InstanceId) {
        if !self.contains(id) {
            return;
        }
        let key = self.order_key(cluster, id);
        if key != self.slots[id.idx()].key {
            let part = self.remove(id);
            self.put(id, part, key);
        }
    }

    /// Members, for checks.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len as usize).sum()
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::cluster::InstanceSpec;
    use crate::ecs::task_definition::Reservation;
    use crate::engine::SimTime;

    #[test]
    fn buckets_follow_remaining_memory() {
        let mut c = Cluster::new("default");
        let ids: Vec<InstanceId> = (0..4)
            .map(|i| {
                c.register(
                    InstanceSpec::new(&format!("i-{i}"), 2048, 1000 + i * 100),
                    SimTime::ZERO,
                )
            })
            .collect();
        let mut idx = Index::new(IndexKey {
            statics: vec![],
            partition: vec![],
            order: Order::Remaining(BinpackField::Memory),
            group: None,
            scope: crate::ecs::provider::Pool::Ec2.into(),
        });
        for &id in &ids {
            idx.insert(&c, &GroupCounts::default(), id);
        }
        let keys: Vec<u32> = idx.parts[0].buckets.keys().map(|k| k.0).collect();
        assert_eq!(keys, vec![1000, 1100, 1200, 1300]);
        let g = c.group("g");
        c.allocate(
            ids[3],
            &Reservation {
                cpu: 1,
                memory: 300,
                ..Default::default()
            },
            g,
        );
        idx.rekey(&c, ids[3]);
        assert_eq!(idx.parts[0].buckets[&(1000, 2048)], vec![ids[0]]);
        assert_eq!(idx.parts[0].buckets[&(1000, 2047)], vec![ids[3]]);
        idx.remove(ids[0]);
        assert!(!idx.parts[0].buckets.contains_key(&(1000, 2048)));
        assert_eq!(idx.len(), 3);
        assert!(!idx.contains(ids[0]));
    }
}
