//! One decision's walk of a capacity index: from the task's size upward, the least
//! key whose buckets hold an instance the task fits on.

use super::Placer;
use super::index::{Index, Key};
use super::plan::Plan;
use crate::ecs::cluster::{Cluster, GroupId};
use crate::ecs::task_definition::Reservation;

/// Keys short of the task's secondary resource stepped over one by one before a
/// search skips the rest of their row.
const SKIPS_BEFORE_SEARCH: u32 = 8;

/// One decision's walk of a capacity index: the instances that fit a task.
pub(super) struct Fit<'a> {
    pub plan: &'a Plan,
    pub index: &'a Index,
    pub lower: Key,
    pub res: &'a Reservation,
    pub group: GroupId,
    pub cluster: &'a Cluster,
    /// Every member of a bucket at or above `lower` in both parts fits: the key is
    /// what the instance has left, and the task needs nothing else (see
    /// [`Fit::key_decides`]).
    pub by_key: bool,
}

impl Fit<'_> {
    /// Whether a bucket's key alone tells that its members fit: the index orders by
    /// the resources left, the task needs only CPU and memory, and no constraint is
    /// checked per decision.
    pub fn key_decides(plan: &Plan, index: &Index, res: &Reservation) -> bool {
        matches!(index.key.order, super::index::Order::Remaining(_)) && plan.dynamic.is_empty() && res.cpu_memory_only()
    }

    /// Puts in `ties` the buckets of the least key, among partitions `parts`, that hold
    /// a feasible member; false when there is none.
    pub fn best(&self, parts: impl IntoIterator<Item = u32>, ties: &mut Vec<u32>) -> bool {
        let (lower, second) = self.lower;
        let mut best: Option<u32> = None;
        ties.clear();
        for part in parts {
            let keys = &self.index.parts[part as usize].keys;
            // Walk the keys upward from (lower, second): in each row of equal primary
            // keys only the buckets whose secondary fits. Keys below it are stepped
            // over in order, a few at a time, then searched past.
            let mut walk = keys.range_from((lower, second));
            let mut skipped = 0;
            while let Some(((primary, secondary), b)) = walk.next() {
                if best.is_some_and(|bp| primary > bp) {
                    break;
                }
                if secondary < second {
                    skipped += 1;
                    if skipped == SKIPS_BEFORE_SEARCH {
                        walk = keys.range_from((primary, second));
                        skipped = 0;
                    }
                    continue;
                }
                skipped = 0;
                if self.by_key
                    || self
                        .index
                        .members(b)
                        .iter()
                        .any(|&id| Placer::feasible(self.plan, self.res, self.group, self.cluster, id))
                {
                    if best.is_none_or(|bp| primary < bp) {
                        best = Some(primary);
                        ties.clear();
                    }
                    ties.push(b);
                }
            }
        }
        best.is_some()
    }
}
