//! Not ECS — research heuristic `fragmentation`, in the spirit of FGD (Weng et al.,
//! ATC'23) over CPU × memory: an instance's fragmentation is the share of its free
//! CPU and memory that a task drawn from the workload so far could not use (because
//! that task would not fit); the candidate whose fragmentation grows least wins.

use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::strategy::{fixed_score, share};
use std::collections::BTreeMap;

super::heuristic!("fragmentation", Fragmentation, |v, id| score(
    v.cluster, id, v.res, v.shapes
));

/// The task shapes (CPU, memory) requested so far, with counts.
#[derive(Clone, Debug, Default)]
pub struct Shapes {
    /// (shape, count), sorted by shape.
    counts: Vec<((u32, u32), u64)>,
    total: u64,
    /// Where the last shape recorded sits: consecutive tasks mostly share a shape.
    last: usize,
}

impl Shapes {
    /// Counts one request.
    pub fn record(&mut self, cpu: u32, memory: u32) {
        let key = (cpu, memory);
        if self.counts.get(self.last).is_none_or(|c| c.0 != key) {
            self.last = match self.counts.binary_search_by_key(&key, |c| c.0) {
                Ok(at) => at,
                Err(at) => {
                    self.counts.insert(at, (key, 0));
                    at
                }
            };
        }
        self.counts[self.last].1 += 1;
        self.total += 1;
    }

    /// (shape, probability) pairs.
    pub fn distribution(&self) -> impl Iterator<Item = ((u32, u32), f64)> + '_ {
        self.counts.iter().map(move |&(s, n)| (s, n as f64 / self.total as f64))
    }

    /// The median CPU and the median memory of the requests (the "typical task").
    pub fn typical(&self) -> Option<(u32, u32)> {
        if self.total == 0 {
            return None;
        }
        let median = |key: &dyn Fn(&(u32, u32)) -> u32| {
            let mut by: BTreeMap<u32, u64> = BTreeMap::new();
            for (s, n) in &self.counts {
                *by.entry(key(s)).or_default() += n;
            }
            let half = self.total.div_ceil(2);
            let mut seen = 0;
            by.into_iter()
                .find(|(_, n)| {
                    seen += n;
                    seen >= half
                })
                .map_or(0, |(v, _)| v)
        };
        Some((median(&|s| s.0), median(&|s| s.1)))
    }
}

/// Expected share of free capacity `(cpu, memory)` unusable by a task of the workload.
pub fn fragmentation(cpu: u32, memory: u32, reg_cpu: u32, reg_mem: u32, shapes: &Shapes) -> f64 {
    let free = (share(cpu, reg_cpu) + share(memory, reg_mem)) / 2.0;
    shapes
        .distribution()
        .filter(|((c, m), _)| *c > cpu || *m > memory)
        .map(|(_, p)| p * free)
        .sum()
}

/// The score: fragmentation after placing minus before, shifted to stay ≥ 0.
pub fn score(cluster: &Cluster, id: InstanceId, res: &Reservation, shapes: &Shapes) -> u64 {
    let spec = &cluster.instance(id).spec;
    let (c, m) = (cluster.cpu_left(id), cluster.mem_left(id));
    let before = fragmentation(c, m, spec.cpu, spec.memory, shapes);
    let after = fragmentation(
        c.saturating_sub(res.cpu),
        m.saturating_sub(res.memory),
        spec.cpu,
        spec.memory,
        shapes,
    );
    fixed_score(1.0 + after - before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragmentation_counts_what_typical_tasks_cannot_use() {
        let mut s = Shapes::default();
        for _ in 0..3 {
            s.record(1024, 2048);
        }
        s.record(256, 512);
        assert_eq!(s.typical(), Some((1024, 2048)));
        // 512 CPU free: the big shape (p = 0.75) cannot use it, the small one can.
        let f = fragmentation(512, 4096, 4096, 8192, &s);
        assert!((f - 0.75 * (0.125 + 0.5) / 2.0).abs() < 1e-12, "{f}");
        assert_eq!(fragmentation(4096, 8192, 4096, 8192, &s), 0.0);
    }
}
