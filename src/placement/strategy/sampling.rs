//! Not ECS — research strategies that look at a sample of the candidates instead of all:
//! `powerOfTwoChoices` (two at random, the less loaded kept) and `sampled`
//! (kube-scheduler's percentage of nodes to score: from a rotating start, the first
//! k instances that fit, k = max(100, n × p %), with p adaptive by default:
//! max(5, 50 − n/125)).

use crate::ecs::cluster::InstanceId;
use crate::engine::StreamRng;
use rand::RngExt;

/// kube-scheduler's minimum number of feasible nodes to find.
pub const MIN_FEASIBLE: usize = 100;

/// How many instances `sampled` keeps out of `n` registered.
pub fn sample_size(n: usize, percentage: Option<u32>) -> usize {
    let p = percentage.map_or_else(
        || (50i64 - n as i64 / 125).max(5) as usize,
        |p| p.clamp(1, 100) as usize,
    );
    (n * p / 100).max(MIN_FEASIBLE)
}

/// Two distinct candidates drawn uniformly (all of them when there are at most two).
pub fn two_choices(cands: &[InstanceId], rng: &mut StreamRng) -> Vec<InstanceId> {
    if cands.len() <= 2 {
        return cands.to_vec();
    }
    let a = rng.random_range(0..cands.len());
    let mut b = rng.random_range(0..cands.len() - 1);
    if b >= a {
        b += 1;
    }
    vec![cands[a], cands[b]]
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
