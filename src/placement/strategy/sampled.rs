//! Not ECS — research strategy `sampled`: kube-scheduler's percentage of nodes to
//! score. From a rotating start, the first k instances that fit, k = max(100, n × p %),
//! with p adaptive by default: max(5, 50 − n/125).

use super::{Role, Sampler, Strategy, StrategyType, View, check_members};
use crate::ecs::cluster::InstanceId;
use crate::ecs::strategy::PlacementStrategy;
use std::sync::Arc;

/// kube-scheduler's minimum number of feasible nodes to find.
pub const MIN_FEASIBLE: usize = 100;

/// `sampled`, with an optional `percentage` (None: adaptive).
#[derive(Debug)]
pub struct Sampled(pub Option<u32>);

/// The registry entry.
pub const TYPE: StrategyType = StrategyType {
    name: "sampled",
    ecs: false,
    build: |s: &PlacementStrategy| {
        check_members(s, false, &["percentage"])?;
        let p = match s.params.get("percentage") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|p| (1..=100).contains(p))
                    .ok_or("sampled's percentage is a whole number 1–100")? as u32,
            ),
        };
        Ok(Arc::new(Sampled(p)) as Arc<dyn Strategy>)
    },
};

impl Strategy for Sampled {
    fn label(&self) -> String {
        match self.0 {
            None => "sampled".into(),
            Some(p) => format!("sampled({p}%)"),
        }
    }
    fn role(&self) -> Role<'_> {
        Role::Sample
    }
    fn score(&self, _v: &View, _id: InstanceId) -> u64 {
        0
    }
    fn sample(&self, cands: &[InstanceId], v: &View, s: &mut Sampler) -> Vec<InstanceId> {
        let (taken, next) = from_rotating_start(cands, sample_size(v.cluster.len(), self.0), *s.start);
        *s.start = next;
        taken
    }
}

/// How many instances `sampled` keeps out of `n` registered.
pub fn sample_size(n: usize, percentage: Option<u32>) -> usize {
    let p = percentage.map_or_else(
        || (50i64 - n as i64 / 125).max(5) as usize,
        |p| p.clamp(1, 100) as usize,
    );
    (n * p / 100).max(MIN_FEASIBLE)
}

/// The first `k` of `cands` (sorted by id) from `start`, wrapping; returns them and the
/// next start.
pub fn from_rotating_start(cands: &[InstanceId], k: usize, start: u32) -> (Vec<InstanceId>, u32) {
    if cands.len() <= k {
        return (cands.to_vec(), start);
    }
    let first = cands.partition_point(|id| id.0 < start);
    let taken: Vec<InstanceId> = cands.iter().cycle().skip(first).take(k).copied().collect();
    let next = taken.last().map_or(start, |id| id.0 + 1);
    (taken, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_sample_sizes() {
        assert_eq!(sample_size(50, None), 100);
        assert_eq!(sample_size(1000, None), 420); // 50 − 8 = 42 %
        assert_eq!(sample_size(10_000, None), 500); // 50 − 80 < 5 → 5 %
        assert_eq!(sample_size(10_000, Some(10)), 1000);
    }

    #[test]
    fn rotating_start_wraps() {
        let c: Vec<InstanceId> = [1, 3, 5, 7].iter().map(|&i| InstanceId(i)).collect();
        let (t, next) = from_rotating_start(&c, 2, 4);
        assert_eq!(t, vec![InstanceId(5), InstanceId(7)]);
        assert_eq!(next, 8);
        let (t, _) = from_rotating_start(&c, 3, 8);
        assert_eq!(t, vec![InstanceId(1), InstanceId(3), InstanceId(5)]);
    }
}
