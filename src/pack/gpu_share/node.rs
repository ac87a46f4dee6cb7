//! The pieces of the GPU-sharing mode: pods, nodes with thousandths of a GPU per device,
//! the workload's typical pods and the fragmentation they see, and the policies' scores.

use super::{GpuPolicy, MAX_GPUS, MILLI};
use std::collections::HashMap;

/// The normalizing node size of `dotProduct` and `bestFit`: 128 cores, 8 GPUs.
const MAX_SPEC: (f64, f64) = (128_000.0, 8_000.0);
/// Typical pods: the most frequent shapes that together make this share of all pods.
const TYPICAL_SHARE: f64 = 0.95;

/// A pod: CPU (thousandths of a core), memory (MiB), GPUs, thousandths of each GPU,
/// and the GPU models allowed as a bit set over the experiment's models (0: any).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Pod {
    pub(super) cpu: u32,
    pub(super) milli: u32,
    pub(super) gpus: u32,
    pub(super) models: u64,
    pub(super) mem: u32,
}

impl Pod {
    /// Thousandths of GPUs in all.
    pub(super) fn total_milli(&self) -> u64 {
        self.milli as u64 * self.gpus as u64
    }

    /// Asks for a share of one GPU.
    pub(super) fn shares(&self) -> bool {
        self.gpus == 1 && self.milli < MILLI
    }

    /// Needs GPUs at all.
    pub(super) fn uses_gpus(&self) -> bool {
        self.gpus > 0 && self.milli > 0
    }
}

/// A node's state: CPU and memory left, thousandths left per GPU, its model (a bit
/// index + 1; 0: no GPUs).
#[derive(Copy, Clone, Debug)]
pub(super) struct Node {
    pub(super) cpu_left: u32,
    pub(super) mem_left: u32,
    pub(super) gpus: u8,
    pub(super) model: u8,
    pub(super) left: [u16; MAX_GPUS],
}

impl Node {
    pub(super) fn gpu_left(&self) -> &[u16] {
        &self.left[..self.gpus as usize]
    }

    pub(super) fn gpu_left_total(&self) -> u64 {
        self.gpu_left().iter().map(|&l| l as u64).sum()
    }

    /// The pod may use this node's GPU model.
    pub(super) fn accessible(&self, models: u64) -> bool {
        models == 0 || (self.model > 0 && models & (1 << (self.model - 1)) != 0)
    }

    /// Devices that can each give `milli`, at least `gpus` of them.
    pub(super) fn hosts_gpus(&self, milli: u32, gpus: u32) -> bool {
        self.gpu_left().iter().filter(|&&l| l as u32 >= milli).count() as u32 >= gpus
    }

    /// The pod fits: CPU, memory, and (for a GPU pod) the model and enough devices.
    pub(super) fn fits(&self, p: &Pod) -> bool {
        self.cpu_left >= p.cpu
            && self.mem_left >= p.mem
            && (!p.uses_gpus() || (self.accessible(p.models) && self.hosts_gpus(p.milli, p.gpus)))
    }

    /// The devices the pod would take when a share goes on `share` (whole GPUs: the
    /// lowest-numbered free ones).
    pub(super) fn devices(&self, p: &Pod, share: usize) -> Vec<usize> {
        if p.shares() {
            return vec![share];
        }
        let free = self
            .gpu_left()
            .iter()
            .enumerate()
            .filter(|&(_, &l)| l as u32 >= p.milli);
        free.map(|(i, _)| i).take(p.gpus as usize).collect()
    }

    /// The fullest device that takes the share (the first of equals).
    pub(super) fn best_fit_device(&self, milli: u32) -> usize {
        let fits = self.gpu_left().iter().enumerate().filter(|&(_, &l)| l as u32 >= milli);
        fits.min_by_key(|&(i, &l)| (l, i)).map_or(0, |(i, _)| i)
    }

    /// The node after placing the pod on `devices`.
    pub(super) fn after(&self, p: &Pod, devices: &[usize]) -> Node {
        let mut n = *self;
        n.cpu_left -= p.cpu;
        n.mem_left -= p.mem;
        if p.uses_gpus() {
            for &d in devices {
                n.left[d] -= p.milli as u16;
            }
        }
        n
    }
}

/// The workload's typical pods, each with its probability.
#[derive(Clone, Debug, Default)]
pub(super) struct Typical(Vec<(Pod, f64)>);

impl Typical {
    /// The most frequent shapes (CPU, GPU share, GPUs, models; memory aside) that make
    /// up 95 % of `pods`, their frequencies renormalized.
    pub(super) fn of(pods: &[Pod]) -> Typical {
        let mut counts: std::collections::BTreeMap<Pod, u64> = std::collections::BTreeMap::new();
        for p in pods {
            *counts.entry(Pod { mem: 0, ..*p }).or_default() += 1;
        }
        let mut shapes: Vec<(Pod, u64)> = counts.into_iter().collect();
        shapes.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        let total = pods.len() as f64;
        let mut kept = Vec::new();
        let mut cum = 0.0;
        for (p, n) in shapes {
            if cum >= TYPICAL_SHARE * total {
                break;
            }
            cum += n as f64;
            kept.push((p, n as f64));
        }
        Typical(kept.into_iter().map(|(p, n)| (p, n / cum)).collect())
    }

    /// The node's expected GPU fragmentation, thousandths of GPUs: for each typical pod,
    /// the GPU left that it could not use (all of it if the pod does not fit or needs
    /// no GPU; the devices too small for it if it fits), weighted by its probability.
    pub(super) fn fragmentation(&self, n: &Node) -> f64 {
        let total = n.gpu_left_total() as f64;
        if total == 0.0 {
            return 0.0;
        }
        let mut frag = 0.0;
        for (t, p) in &self.0 {
            let unusable = if t.milli == 0 || !n.accessible(t.models) {
                total
            } else if n.hosts_gpus(t.milli, t.gpus) && n.cpu_left >= t.cpu {
                n.gpu_left()
                    .iter()
                    .filter(|&&l| (l as u32) < t.milli)
                    .map(|&l| l as f64)
                    .sum()
            } else {
                total
            };
            frag += p * unusable;
        }
        frag
    }
}

/// Remembers fragmentation by node state (model, CPU left, devices' thousandths left
/// as a multiset), which is all it depends on. Only looked up, never iterated.
pub(super) struct Memo<'a> {
    pub(super) typical: &'a Typical,
    pub(super) seen: HashMap<u128, f64>,
}

impl Memo<'_> {
    pub(super) fn fragmentation(&mut self, n: &Node) -> f64 {
        let mut left = n.left;
        left[..n.gpus as usize].sort_unstable();
        let mut key = (n.model as u128) << 120 | (n.cpu_left as u128) << 88;
        for (i, &l) in left[..n.gpus as usize].iter().enumerate() {
            key |= (l as u128 + 1) << (11 * i);
        }
        let typical = self.typical;
        *self.seen.entry(key).or_insert_with(|| typical.fragmentation(n))
    }
}

/// FGD's score of a move from fragmentation `before` to `after`, as kube-scheduler's
/// whole-number node scores have it (0–100).
fn fgd_score(before: f64, after: f64) -> i64 {
    (100.0 / (1.0 + libm::exp(-(before - after) / 1000.0))) as i64
}

/// A policy's score of the pod on the node (higher wins) and the device a share goes on.
pub(super) fn score(policy: GpuPolicy, n: &Node, p: &Pod, memo: &mut Memo, before: f64) -> (i64, usize) {
    let free = (n.cpu_left as f64, n.gpu_left_total() as f64);
    let req = (p.cpu as f64, p.total_milli() as f64);
    match policy {
        GpuPolicy::Random => unreachable!("random picks a node without scores"),
        GpuPolicy::DotProduct => {
            let dot = free.0 / MAX_SPEC.0 * req.0 / MAX_SPEC.0 + free.1 / MAX_SPEC.1 * req.1 / MAX_SPEC.1;
            ((100.0 * (1.0 - dot / 2.0)) as i64, n.best_fit_device(p.milli))
        }
        GpuPolicy::BestFit => {
            let left = 0.5 * (free.0 - req.0) / MAX_SPEC.0 + 0.5 * (free.1 - req.1) / MAX_SPEC.1;
            ((100.0 * (1.0 - left)) as i64, n.best_fit_device(p.milli))
        }
        GpuPolicy::Fragmentation if p.shares() => {
            let mut best: Option<(i64, usize)> = None;
            for (d, &l) in n.gpu_left().iter().enumerate() {
                // Devices with equal thousandths left score the same; the first counts.
                if (l as u32) < p.milli || n.gpu_left()[..d].contains(&l) {
                    continue;
                }
                let s = fgd_score(before, memo.fragmentation(&n.after(p, &[d])));
                if best.is_none_or(|b| s > b.0) {
                    best = Some((s, d));
                }
            }
            best.unwrap_or((0, 0))
        }
        GpuPolicy::Fragmentation => {
            let after = n.after(p, &n.devices(p, 0));
            (fgd_score(before, memo.fragmentation(&after)), 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn node(cpu: u32, left: &[u16]) -> Node {
        let mut l = [0; MAX_GPUS];
        l[..left.len()].copy_from_slice(left);
        Node {
            cpu_left: cpu,
            mem_left: 1 << 20,
            gpus: left.len() as u8,
            model: 1,
            left: l,
        }
    }

    pub(super) fn pod(cpu: u32, gpus: u32, milli: u32) -> Pod {
        Pod {
            cpu,
            milli,
            gpus,
            models: 0,
            mem: 0,
        }
    }

    #[test]
    pub(super) fn fragmentation_counts_the_gpu_left_that_typical_pods_cannot_use() {
        let typical = Typical(vec![(pod(1000, 1, 500), 0.5), (pod(1000, 1, 1000), 0.5)]);
        // A whole GPU fits on device 0; device 1's 500 is no use to it.
        assert_eq!(typical.fragmentation(&node(8000, &[1000, 500])), 250.0);
        // Two halves: the whole-GPU pod fits nowhere, so all 1000 are fragment to it.
        assert_eq!(typical.fragmentation(&node(8000, &[500, 500])), 500.0);
        // Without CPU nothing fits: everything left is fragment.
        assert_eq!(typical.fragmentation(&node(0, &[1000, 500])), 1500.0);
        assert_eq!(typical.fragmentation(&node(8000, &[])), 0.0);
    }

    #[test]
    pub(super) fn fgd_puts_a_share_on_the_device_that_fragments_least_and_best_fit_on_the_fullest() {
        let typical = Typical(vec![(pod(1000, 1, 500), 0.5), (pod(1000, 1, 1000), 0.5)]);
        let mut memo = Memo {
            typical: &typical,
            seen: HashMap::new(),
        };
        let n = node(8000, &[1000, 500]);
        let share = pod(1000, 1, 500);
        let before = memo.fragmentation(&n);
        let (s, d) = score(GpuPolicy::Fragmentation, &n, &share, &mut memo, before);
        assert_eq!((s, d), (fgd_score(250.0, 0.0), 1));
        assert!(s > 50, "fragmentation falls: {s}");
        assert_eq!(n.best_fit_device(500), 1);
        assert_eq!(n.devices(&pod(1000, 1, 1000), 0), vec![0]);
        // A node kept whole scores below one already broken for the same whole GPU.
        let whole = pod(1000, 1, 1000);
        let fresh = node(8000, &[1000, 1000]);
        let (s_fresh, _) = score(GpuPolicy::BestFit, &fresh, &whole, &mut memo, 0.0);
        let (s_used, _) = score(GpuPolicy::BestFit, &n, &whole, &mut memo, 0.0);
        assert!(s_used > s_fresh);
    }

    #[test]
    pub(super) fn a_pod_fits_only_with_cpu_memory_its_gpu_model_and_enough_devices() {
        let n = node(8000, &[1000, 300]);
        assert!(n.fits(&pod(8000, 1, 1000)));
        assert!(!n.fits(&pod(8001, 0, 0)));
        assert!(!n.fits(&pod(1000, 2, 1000)));
        assert!(n.fits(&pod(1000, 1, 300)));
        assert!(!n.fits(&Pod {
            models: 0b10,
            ..pod(1000, 1, 300)
        }));
        assert!(n.fits(&Pod {
            models: 0b11,
            ..pod(1000, 1, 300)
        }));
        assert!(!n.fits(&Pod {
            mem: 2 << 20,
            ..pod(0, 0, 0)
        }));
    }

    #[test]
    pub(super) fn typical_pods_are_the_most_frequent_shapes_up_to_95_percent() {
        let mut pods = vec![pod(1000, 1, 1000); 90];
        pods.extend(vec![pod(2000, 0, 0); 6]);
        pods.extend(vec![pod(3000, 1, 500); 4]);
        let t = Typical::of(&pods);
        assert_eq!(t.0.len(), 2, "{t:?}");
        assert!((t.0[0].1 - 90.0 / 96.0).abs() < 1e-12);
    }
}
