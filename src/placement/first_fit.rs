//! The capacity index of `firstFit`: per scope, a tree over instance ids holding the
//! most CPU and the most memory left under each node. The first instance that fits is
//! found by descending leftmost into subtrees that could hold the task, so a decision
//! costs O(log N) where the maxima tell the truth, and never misses a fitting instance
//! (a leaf is checked in full). The placer updates a leaf on every capacity change.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::provider::Scope;

/// Maxima of (CPU left + 1, memory left + 1) over a power-of-two range of instance ids;
/// 0 marks an instance outside the scope or taking no tasks.
#[derive(Clone, Debug)]
struct MaxTree {
    /// (CPU, memory) maxima; leaves from `width` on; node `n`'s children are `2n` and
    /// `2n + 1`.
    max: Vec<(u32, u32)>,
    width: usize,
}

impl MaxTree {
    fn new(width: usize) -> Self {
        MaxTree {
            max: vec![(0, 0); 2 * width],
            width,
        }
    }

    fn set(&mut self, i: usize, cpu: u32, mem: u32) {
        let mut n = self.width + i;
        self.max[n] = (cpu, mem);
        while n > 1 {
            n /= 2;
            let (l, r) = (self.max[2 * n], self.max[2 * n + 1]);
            let m = (l.0.max(r.0), l.1.max(r.1));
            if self.max[n] == m {
                break;
            }
            self.max[n] = m;
        }
    }

    /// The leftmost leaf with maxima of at least (`cpu`, `mem`) that `ok` accepts:
    /// down the leftmost child that could hold it, and on to the next subtree to the
    /// right when a leaf is refused or two maxima came from different leaves.
    fn first(&self, cpu: u32, mem: u32, ok: &mut dyn FnMut(usize) -> bool) -> Option<usize> {
        let holds = |n: usize| self.max[n].0 >= cpu && self.max[n].1 >= mem;
        let mut n = 1;
        loop {
            if holds(n) {
                if n >= self.width {
                    if ok(n - self.width) {
                        return Some(n - self.width);
                    }
                } else {
                    n *= 2;
                    continue;
                }
            }
            // Up past every right child, then over to the right sibling.
            while n & 1 == 1 {
                n /= 2;
            }
            if n == 0 {
                return None;
            }
            n += 1;
        }
    }
}

/// One tree per scope a `firstFit` plan uses, built on first use.
#[derive(Clone, Debug, Default)]
pub struct FirstFitTrees {
    trees: Vec<(Scope, MaxTree)>,
}

/// A leaf's values for instance `id` in `scope`.
fn leaf(cluster: &Cluster, scope: Scope, id: InstanceId) -> (u32, u32) {
    if cluster.accepts_tasks(id) && cluster.in_scope(id, scope) {
        (
            cluster.cpu_left(id).saturating_add(1),
            cluster.mem_left(id).saturating_add(1),
        )
    } else {
        (0, 0)
    }
}

impl FirstFitTrees {
    /// Instance `id` changed (capacity, status, or it joined): every tree follows.
    pub fn changed(&mut self, cluster: &Cluster, id: InstanceId) {
        for (scope, tree) in &mut self.trees {
            if id.idx() >= tree.width {
                *tree = build(cluster, *scope);
            } else {
                let (c, m) = leaf(cluster, *scope, id);
                tree.set(id.idx(), c, m);
            }
        }
    }

    /// Instance `id`'s capacity changed (a task placed or released), nothing else: the
    /// trees it is in follow; whether it is in one does not change.
    pub fn resized(&mut self, cluster: &Cluster, id: InstanceId) {
        let value = (
            cluster.cpu_left(id).saturating_add(1),
            cluster.mem_left(id).saturating_add(1),
        );
        for (_, tree) in &mut self.trees {
            if tree.max.get(tree.width + id.idx()).is_some_and(|&v| v != (0, 0)) {
                tree.set(id.idx(), value.0, value.1);
            }
        }
    }

    /// The lowest-id instance of `scope` with at least `cpu` and `memory` left that
    /// `ok` accepts (the caller's full check).
    pub fn first(
        &mut self,
        cluster: &Cluster,
        scope: Scope,
        (cpu, memory): (u32, u32),
        ok: &mut dyn FnMut(InstanceId) -> bool,
    ) -> Option<InstanceId> {
        let t = match self.trees.iter().position(|(s, _)| *s == scope) {
            Some(t) => t,
            None => {
                self.trees.push((scope, build(cluster, scope)));
                self.trees.len() - 1
            }
        };
        let tree = &self.trees[t].1;
        let need = (cpu.saturating_add(1), memory.saturating_add(1));
        tree.first(need.0, need.1, &mut |i| ok(InstanceId(i as u32)))
            .map(|i| InstanceId(i as u32))
    }
}

/// A tree over every instance of the cluster, with room to grow.
fn build(cluster: &Cluster, scope: Scope) -> MaxTree {
    let mut tree = MaxTree::new((cluster.len() + 1).next_power_of_two().max(64));
    for id in cluster.ids() {
        let (c, m) = leaf(cluster, scope, id);
        let n = tree.width + id.idx();
        tree.max[n] = (c, m);
    }
    for n in (1..tree.width).rev() {
        let (l, r) = (tree.max[2 * n], tree.max[2 * n + 1]);
        tree.max[n] = (l.0.max(r.0), l.1.max(r.1));
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_leftmost_leaf_that_fits_and_the_check_accepts() {
        let mut t = MaxTree::new(8);
        for (i, (c, m)) in [(3, 9), (9, 3), (9, 9), (5, 5), (9, 9)].into_iter().enumerate() {
            t.set(i, c, m);
        }
        assert_eq!(t.first(4, 4, &mut |_| true), Some(2));
        assert_eq!(t.first(4, 4, &mut |i| i != 2), Some(3));
        assert_eq!(t.first(6, 6, &mut |i| i != 2), Some(4));
        assert_eq!(t.first(10, 1, &mut |_| true), None);
        t.set(2, 0, 0);
        assert_eq!(t.first(4, 4, &mut |_| true), Some(3));
    }
}
