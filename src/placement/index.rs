//! Capacity indexes: the instances that pass a plan's static filters, partitioned by
//! the values of its leading spread attributes, and within each partition bucketed
//! by a two-part key: the primary key orders the instances (remaining CPU or memory
//! for binpack, the group's task count for spread over instances, nothing for
//! random); for binpack the secondary is the other resource, so that a range query
//! skips instances too small in either dimension (elsewhere it is 0: keys that
//! never change cost no update).
//!
//! A bucket is an unordered vector with O(1) removal, so a uniform pick among equal
//! keys needs no scan. Buckets are numbered; a member's slot names its bucket, so a
//! removal touches no map, and an insertion finds its bucket by a hash lookup. The
//! ordered map of each partition holds only live (non-empty) buckets, so walks see no
//! empty one. A bucket that empties leaves it but keeps its number, its hash entry and
//! its secondary key's counter, dormant, so that a key seen before costs one tree
//! insertion when a member comes back (best fit moves an instance to another key on
//! every placement); a partition drops its dormant buckets all at once when they
//! outnumber its live ones.

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::intern::Sym;
use crate::ecs::strategy::BinpackField;
use crate::placement::counts::{AttrIdx, GroupCounts};
use crate::placement::keyset::KeySet;
use rustc_hash::FxHashMap;
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
    /// By instance id, ascending (firstFit): served by
    /// [`FirstFitTrees`](crate::placement::first_fit::FirstFitTrees), not by buckets.
    Registration,
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

/// Where a member is: its bucket and its position there.
#[derive(Copy, Clone, Debug)]
struct Slot {
    bucket: u32,
    pos: u32,
}

/// One partition: instances sharing the values of the partition attributes.
#[derive(Clone, Debug)]
pub struct Part {
    /// The attribute values (None: the instance lacks the attribute).
    pub values: Vec<Option<Sym>>,
    /// Key → bucket number, for the live buckets.
    pub keys: KeySet,
    /// Secondary key → its counter in `live_with`, for the keys of live and dormant
    /// buckets.
    secondaries: BTreeMap<u32, u32>,
    /// How many live buckets have each secondary key (the largest with a count: the
    /// most of the other resource any member has, for binpack).
    live_with: Vec<u32>,
    /// Its buckets, live and dormant.
    buckets: Vec<u32>,
    /// Members in all buckets.
    pub len: u32,
}

/// Dormant buckets a partition keeps, at least, before it drops them.
const DORMANT_KEPT: usize = 64;

impl Part {
    fn new(values: Vec<Option<Sym>>) -> Self {
        Part {
            values,
            keys: KeySet::default(),
            secondaries: BTreeMap::new(),
            live_with: Vec::new(),
            buckets: Vec::new(),
            len: 0,
        }
    }

    /// The largest secondary key of a member (None when empty).
    pub fn max_secondary(&self) -> Option<u32> {
        self.secondaries
            .iter()
            .rev()
            .find(|&(_, &c)| self.live_with[c as usize] > 0)
            .map(|(&s, _)| s)
    }

    /// Dormant buckets: its buckets that are not live.
    fn dormant(&self) -> usize {
        self.buckets.len() - self.keys.len()
    }
}

/// A numbered bucket: its partition, key, counter of its secondary key and members
/// (a dormant bucket has none; a freed one waits for reuse).
#[derive(Clone, Debug, Default)]
struct Bucket {
    part: u32,
    key: Key,
    counter: u32,
    members: Vec<InstanceId>,
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
    buckets: Vec<Bucket>,
    /// (partition, key) → bucket, for live and dormant buckets: only looked up, never iterated
    /// (the order of the partitions' `keys` decides).
    bucket_of: FxHashMap<(u32, Key), u32>,
    free: Vec<u32>,
}

impl Index {
    /// An empty index.
    pub fn new(key: IndexKey) -> Self {
        Index {
            key,
            parts: Vec::new(),
            part_of: BTreeMap::new(),
            slots: Vec::new(),
            buckets: Vec::new(),
            bucket_of: FxHashMap::default(),
            free: Vec::new(),
        }
    }

    /// Whether `id` is a member.
    pub fn contains(&self, id: InstanceId) -> bool {
        self.slots.get(id.idx()).is_some_and(|s| s.bucket != ABSENT)
    }

    /// Asks the processor for `id`'s slot (where a rekey starts).
    pub fn prefetch(&self, id: InstanceId) {
        if let Some(s) = self.slots.get(id.idx()) {
            crate::engine::prefetch::prefetch(s, 1);
        }
    }

    /// The members of bucket `b` (a number from a partition's `keys`).
    pub fn members(&self, b: u32) -> &[InstanceId] {
        &self.buckets[b as usize].members
    }

    /// The bucket key of `id` now.
    pub fn order_key(&self, cluster: &Cluster, id: InstanceId) -> Key {
        match self.key.order {
            Order::Remaining(BinpackField::Memory) => (cluster.mem_left(id), cluster.cpu_left(id)),
            Order::Remaining(BinpackField::Cpu) => (cluster.cpu_left(id), cluster.mem_left(id)),
            Order::GroupCount => (cluster.group_count_on(self.key.group.expect("group index"), id), 0),
            Order::Unordered => (0, 0),
            Order::Registration => (id.0, 0),
        }
    }

    /// The smallest usable key for a task needing `cpu` and `memory`, part by part.
    pub fn lower_bound(&self, cpu: u32, memory: u32) -> Key {
        match self.key.order {
            Order::Remaining(BinpackField::Memory) => (memory, cpu),
            Order::Remaining(BinpackField::Cpu) => (cpu, memory),
            Order::GroupCount | Order::Unordered | Order::Registration => (0, 0),
        }
    }

    /// The most CPU any member has left, when the order tells it without a scan.
    pub fn max_cpu(&self) -> Option<Option<u32>> {
        let most = |f: fn(&Part) -> Option<u32>| self.parts.iter().filter_map(f).max();
        match self.key.order {
            Order::Remaining(BinpackField::Cpu) => Some(most(|p| p.keys.last_key().map(|k| k.0))),
            Order::Remaining(BinpackField::Memory) => Some(most(Part::max_secondary)),
            Order::GroupCount | Order::Unordered | Order::Registration => None,
        }
    }

    /// Adds `id` (not yet a member).
    pub fn insert(&mut self, cluster: &Cluster, counts: &GroupCounts, id: InstanceId) {
        debug_assert!(!self.contains(id));
        let part = self.part_for(cluster, counts, id);
        let key = self.order_key(cluster, id);
        if self.slots.len() <= id.idx() {
            self.slots.resize(id.idx() + 1, Slot { bucket: ABSENT, pos: 0 });
        }
        self.put(id, part, key);
    }

    /// The partition of `id`'s attribute values, made when new.
    fn part_for(&mut self, cluster: &Cluster, counts: &GroupCounts, id: InstanceId) -> u32 {
        if self.key.partition.is_empty() && !self.parts.is_empty() {
            // Nothing partitioned on: one partition.
            return 0;
        }
        let values: Vec<Option<Sym>> = self
            .key
            .partition
            .iter()
            .map(|&a| counts.value(cluster, id, a))
            .collect();
        match self.part_of.get(&values) {
            Some(&p) => p,
            None => {
                let p = self.parts.len() as u32;
                self.parts.push(Part::new(values.clone()));
                self.part_of.insert(values, p);
                p
            }
        }
    }

    fn put(&mut self, id: InstanceId, part: u32, key: Key) {
        let b = match self.bucket_of.get(&(part, key)) {
            Some(&b) => b,
            None => self.open_bucket(part, key),
        };
        let bucket = &mut self.buckets[b as usize];
        let p = &mut self.parts[part as usize];
        if bucket.members.is_empty() {
            p.keys.insert(key, b);
            p.live_with[bucket.counter as usize] += 1;
        }
        bucket.members.push(id);
        self.slots[id.idx()] = Slot {
            bucket: b,
            pos: bucket.members.len() as u32 - 1,
        };
        p.len += 1;
    }

    /// A dormant bucket for a key never seen in `part` (or dropped since): a free
    /// number, or a new one.
    fn open_bucket(&mut self, part: u32, key: Key) -> u32 {
        let b = self.free.pop().unwrap_or_else(|| {
            self.buckets.push(Bucket::default());
            self.buckets.len() as u32 - 1
        });
        let p = &mut self.parts[part as usize];
        let counter = *p.secondaries.entry(key.1).or_insert_with(|| {
            p.live_with.push(0);
            p.live_with.len() as u32 - 1
        });
        let bucket = &mut self.buckets[b as usize];
        bucket.part = part;
        bucket.key = key;
        bucket.counter = counter;
        self.bucket_of.insert((part, key), b);
        p.buckets.push(b);
        b
    }

    /// Drops the dormant buckets of `part`, and the secondary keys no bucket has.
    fn drop_dormant(&mut self, part: u32) {
        let p = &mut self.parts[part as usize];
        let buckets = &self.buckets;
        let (bucket_of, free) = (&mut self.bucket_of, &mut self.free);
        p.buckets.retain(|&b| {
            let bucket = &buckets[b as usize];
            let live = !bucket.members.is_empty();
            if !live {
                bucket_of.remove(&(part, bucket.key));
                free.push(b);
            }
            live
        });
        // Renumber the counters of the secondary keys still in use.
        let mut used = vec![false; p.live_with.len()];
        for &b in &p.buckets {
            used[buckets[b as usize].counter as usize] = true;
        }
        p.secondaries.retain(|_, c| used[*c as usize]);
        let mut renumber = vec![0; p.live_with.len()];
        let mut counts = Vec::with_capacity(p.secondaries.len());
        for c in p.secondaries.values_mut() {
            renumber[*c as usize] = counts.len() as u32;
            counts.push(p.live_with[*c as usize]);
            *c = renumber[*c as usize];
        }
        p.live_with = counts;
        for &b in &p.buckets {
            let bucket = &mut self.buckets[b as usize];
            bucket.counter = renumber[bucket.counter as usize];
        }
    }

    /// Removes `id` (a member); returns its partition.
    pub fn remove(&mut self, id: InstanceId) -> u32 {
        let Slot { bucket: b, pos } = self.slots[id.idx()];
        debug_assert!(b != ABSENT);
        self.slots[id.idx()].bucket = ABSENT;
        let bucket = &mut self.buckets[b as usize];
        bucket.members.swap_remove(pos as usize);
        if let Some(&moved) = bucket.members.get(pos as usize) {
            self.slots[moved.idx()].pos = pos;
        }
        let part = bucket.part;
        let p = &mut self.parts[part as usize];
        p.len -= 1;
        if bucket.members.is_empty() {
            p.keys.remove(&bucket.key);
            p.live_with[bucket.counter as usize] -= 1;
            if p.dormant() > DORMANT_KEPT.max(p.keys.len()) {
                self.drop_dormant(part);
            }
        }
        part
    }

    /// Moves `id` (if a member) to the bucket of its current key.
    pub fn rekey(&mut self, cluster: &Cluster, id: InstanceId) {
        let Some(&Slot { bucket, .. }) = self.slots.get(id.idx()) else {
            return;
        };
        if bucket == ABSENT {
            return;
        }
        let key = self.order_key(cluster, id);
        if key != self.buckets[bucket as usize].key {
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

    /// A binpack(memory) index over instances of the given (CPU, memory).
    fn binpack_memory_index(sizes: impl Iterator<Item = (u32, u32)>) -> (Cluster, Vec<InstanceId>, Index) {
        let mut c = Cluster::new("default");
        let ids: Vec<InstanceId> = sizes
            .enumerate()
            .map(|(i, (cpu, memory))| c.register(InstanceSpec::new(format!("i-{i}"), cpu, memory), SimTime::ZERO))
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
        (c, ids, idx)
    }

    #[test]
    fn buckets_follow_remaining_memory() {
        let (mut c, ids, mut idx) = binpack_memory_index((0..4).map(|i| (2048, 1000 + i * 100)));
        let keys: Vec<u32> = idx.parts[0].keys.iter().map(|(k, _)| k.0).collect();
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
        let bucket = |idx: &Index, key: Key| idx.parts[0].keys.get(&key).map(|b| idx.members(b).to_vec());
        assert_eq!(bucket(&idx, (1000, 2048)), Some(vec![ids[0]]));
        assert_eq!(bucket(&idx, (1000, 2047)), Some(vec![ids[3]]));
        assert_eq!(idx.parts[0].max_secondary(), Some(2048));
        idx.remove(ids[0]);
        assert_eq!(
            bucket(&idx, (1000, 2048)),
            None,
            "an emptied bucket leaves the ordered keys"
        );
        assert_eq!(idx.len(), 3);
        assert!(!idx.contains(ids[0]));
        assert_eq!(
            idx.parts[0].max_secondary(),
            Some(2048),
            "two members still have all their CPU"
        );
        idx.remove(ids[1]);
        idx.remove(ids[2]);
        assert_eq!(idx.parts[0].max_secondary(), Some(2047));
        assert_eq!(idx.max_cpu(), Some(Some(2047)));
        idx.insert(&c, &GroupCounts::default(), ids[0]);
        assert_eq!(
            bucket(&idx, (1000, 2048)),
            Some(vec![ids[0]]),
            "a dormant bucket comes back"
        );
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn dormant_buckets_are_dropped_when_they_outnumber_the_live_ones() {
        let n = 2 * DORMANT_KEPT as u32 + 10;
        let (c, ids, mut idx) = binpack_memory_index((0..n).map(|i| (1000 + i, 1000 + i)));
        // Empty the largest keys first: the most CPU left falls with them.
        for (k, &id) in ids.iter().enumerate().rev().take(n as usize - 3) {
            idx.remove(id);
            assert_eq!(idx.max_cpu(), Some(Some(1000 + k as u32 - 1)));
            let p = &idx.parts[0];
            assert!(
                p.dormant() <= DORMANT_KEPT.max(p.keys.len()),
                "dormant buckets are bounded"
            );
        }
        assert!(idx.parts[0].buckets.len() <= 3 + DORMANT_KEPT + 1);
        // A key dropped and seen again gets a bucket, and counts again.
        idx.insert(&c, &GroupCounts::default(), ids[n as usize - 1]);
        assert_eq!(idx.max_cpu(), Some(Some(1000 + n - 1)));
        assert_eq!(idx.len(), 4);
        let keys: Vec<Key> = idx.parts[0].keys.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![(1000, 1000), (1001, 1001), (1002, 1002), (1000 + n - 1, 1000 + n - 1)]
        );
    }
}
