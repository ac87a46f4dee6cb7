//! Not ECS — further dimensions beyond CPU and memory, for `ecsim pack`'s vector bins
//! (d-dimensional bin packing); no scenario has any, and every check of them is
//! skipped when a task has none.

use super::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;

impl Cluster {
    /// Capacity left in the further dimensions (empty in a scenario).
    pub fn extra_left(&self, id: InstanceId) -> &[u32] {
        let d = self.extra_dims;
        &self.extra_left[id.idx() * d..(id.idx() + 1) * d]
    }

    /// Adds a registering instance's further capacities; every instance of a cluster
    /// has as many as the first.
    pub(super) fn register_extra(&mut self, capacity: &[u32]) {
        if self.instances.is_empty() {
            self.extra_dims = capacity.len();
        }
        assert_eq!(
            capacity.len(),
            self.extra_dims,
            "every instance of a cluster has the same further dimensions"
        );
        self.extra_left.extend_from_slice(capacity);
    }

    /// Whether `res`'s further dimensions fit on `id` (a dimension the instance lacks
    /// has no room).
    pub(super) fn extra_fits(&self, id: InstanceId, res: &Reservation) -> bool {
        let left = self.extra_left(id);
        res.extra
            .iter()
            .enumerate()
            .all(|(k, need)| left.get(k).copied().unwrap_or(0) >= *need)
    }

    /// Takes (or, `give_back`, returns) `res`'s further dimensions on instance `i`.
    pub(super) fn adjust_extra(&mut self, i: usize, res: &Reservation, give_back: bool) {
        let d = self.extra_dims;
        for (left, need) in self.extra_left[i * d..(i + 1) * d].iter_mut().zip(&res.extra) {
            if give_back {
                *left += need;
            } else {
                *left = left
                    .checked_sub(*need)
                    .expect("over-commit: a task placed where its reservation does not fit");
            }
        }
    }
}
