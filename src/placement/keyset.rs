//! The ordered keys of one index partition: a sorted vector while they are few (a
//! binary search over contiguous memory, and an insertion that moves a few hundred
//! bytes, beat a B-tree's pointer chasing there), a B-tree once they are many (so
//! that no change moves more than a bounded number of entries).

use super::index::Key;
use std::collections::BTreeMap;
use std::collections::btree_map;

/// Entries past which the vector becomes a B-tree.
const GROW_AT: usize = 512;
/// Entries below which the B-tree becomes a vector again (well under `GROW_AT`, so
/// that a count going back and forth does not convert on every change).
const SHRINK_AT: usize = 128;

/// An ordered map from bucket key to bucket number.
#[derive(Clone, Debug)]
pub enum KeySet {
    /// Keys packed as [`packed`] values, sorted and distinct, and their buckets.
    Few(Vec<u64>, Vec<u32>),
    /// Many keys.
    Many(BTreeMap<Key, u32>),
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet::Few(Vec::new(), Vec::new())
    }
}

/// A key as one integer of the same order: a binary search over these compiles to
/// conditional moves where the pair's comparison branches.
fn packed(k: Key) -> u64 {
    (u64::from(k.0) << 32) | u64::from(k.1)
}

fn unpacked(p: u64) -> Key {
    ((p >> 32) as u32, p as u32)
}

/// Keys a search counts through rather than halves.
const COUNTED: usize = 8;

/// The position of the first key at or above `x` in sorted `keys`: halving down to
/// [`COUNTED`] keys, then counting those below `x` (no chain of dependent loads for the
/// last halvings; the count vectorises).
fn lower_bound(keys: &[u64], x: u64) -> usize {
    let (mut base, mut size) = (0, keys.len());
    while size > COUNTED {
        let half = size / 2;
        if keys[base + half] < x {
            base += half;
        }
        size -= half;
    }
    base + keys[base..base + size].iter().filter(|&&k| k < x).count()
}

/// The entries from a key upward, in key order.
pub enum Range<'a> {
    /// Over the vectors.
    Few(std::iter::Zip<std::slice::Iter<'a, u64>, std::slice::Iter<'a, u32>>),
    /// Over the B-tree.
    Many(btree_map::Range<'a, Key, u32>),
}

impl Iterator for Range<'_> {
    type Item = (Key, u32);

    #[inline]
    fn next(&mut self) -> Option<(Key, u32)> {
        match self {
            Range::Few(it) => it.next().map(|(&k, &b)| (unpacked(k), b)),
            Range::Many(it) => it.next().map(|(&k, &b)| (k, b)),
        }
    }
}

impl KeySet {
    /// Entries.
    pub fn len(&self) -> usize {
        match self {
            KeySet::Few(k, _) => k.len(),
            KeySet::Many(m) => m.len(),
        }
    }

    /// True without entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bucket of `key`.
    pub fn get(&self, key: &Key) -> Option<u32> {
        match self {
            KeySet::Few(k, b) => {
                let (p, at) = (packed(*key), lower_bound(k, packed(*key)));
                (k.get(at) == Some(&p)).then(|| b[at])
            }
            KeySet::Many(m) => m.get(key).copied(),
        }
    }

    /// The greatest key.
    pub fn last_key(&self) -> Option<Key> {
        match self {
            KeySet::Few(k, _) => k.last().map(|&p| unpacked(p)),
            KeySet::Many(m) => m.keys().next_back().copied(),
        }
    }

    /// The entries at `from` and above.
    #[inline]
    pub fn range_from(&self, from: Key) -> Range<'_> {
        match self {
            KeySet::Few(k, b) => {
                let at = lower_bound(k, packed(from));
                Range::Few(k[at..].iter().zip(&b[at..]))
            }
            KeySet::Many(m) => Range::Many(m.range(from..)),
        }
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> Range<'_> {
        self.range_from((0, 0))
    }

    /// Adds `key` (not present) with bucket `b`.
    pub fn insert(&mut self, key: Key, b: u32) {
        match self {
            KeySet::Few(keys, buckets) => {
                let p = packed(key);
                let at = lower_bound(keys, p);
                debug_assert!(keys.get(at) != Some(&p), "key present");
                keys.insert(at, p);
                buckets.insert(at, b);
                if keys.len() > GROW_AT {
                    *self = KeySet::Many(keys.iter().map(|&k| unpacked(k)).zip(buckets.iter().copied()).collect());
                }
            }
            KeySet::Many(m) => {
                m.insert(key, b);
            }
        }
    }

    /// Removes `key` (present).
    pub fn remove(&mut self, key: &Key) {
        match self {
            KeySet::Few(keys, buckets) => {
                let at = lower_bound(keys, packed(*key));
                assert_eq!(keys.get(at), Some(&packed(*key)), "key present");
                keys.remove(at);
                buckets.remove(at);
            }
            KeySet::Many(m) => {
                m.remove(key);
                if m.len() < SHRINK_AT {
                    let (keys, buckets) = m.iter().map(|(&k, &b)| (packed(k), b)).unzip();
                    *self = KeySet::Few(keys, buckets);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use rand::RngExt;

    #[test]
    fn lower_bound_is_the_partition_point() {
        for n in 0..80u64 {
            let keys: Vec<u64> = (0..n).map(|i| 3 * i + 1).collect();
            for x in 0..3 * n + 3 {
                assert_eq!(lower_bound(&keys, x), keys.partition_point(|&k| k < x), "n {n}, x {x}");
            }
        }
    }

    /// Random insertions and removals across both forms agree with a B-tree.
    #[test]
    fn agrees_with_a_btree_through_growth_and_shrinking() {
        let mut rng = RngStreams::new(7).stream(0, 0);
        let mut set = KeySet::default();
        let mut reference = BTreeMap::new();
        let mut saw_many = false;
        for step in 0..20_000u32 {
            // Grow to about 1,000 keys, then shrink to a few.
            let grow = step < 10_000;
            let key = (rng.random_range(0..40u32), rng.random_range(0..40u32));
            let present = reference.contains_key(&key);
            if present && (!grow || rng.random_bool(0.3)) {
                set.remove(&key);
                reference.remove(&key);
            } else if !present && (grow || rng.random_bool(0.02)) {
                set.insert(key, step);
                reference.insert(key, step);
            }
            saw_many |= matches!(set, KeySet::Many(_));
            assert_eq!(set.len(), reference.len());
            if step % 97 == 0 {
                let from = (rng.random_range(0..40u32), rng.random_range(0..40u32));
                let got: Vec<(Key, u32)> = set.range_from(from).collect();
                let want: Vec<(Key, u32)> = reference.range(from..).map(|(&k, &b)| (k, b)).collect();
                assert_eq!(got, want);
                assert_eq!(set.get(&from), reference.get(&from).copied());
                assert_eq!(set.last_key(), reference.keys().next_back().copied());
            }
        }
        assert!(saw_many, "the test reached the B-tree form");
        assert!(matches!(set, KeySet::Few(..)), "and came back to the vectors");
    }
}
