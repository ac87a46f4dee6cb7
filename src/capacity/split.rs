//! The capacity provider strategy: which provider the next task goes to, by base and
//! weight (ecs-semantics.md §4.1).
//!
//! Base first: the provider with a base gets tasks until it holds that many. Then by
//! weight — SIM CHOICE (the rounding is not documented): each task goes to the provider
//! whose share of the weighted tasks is furthest below its weight target, ties to the
//! earlier item, so that after n weighted tasks provider i holds round(n·wᵢ/Σw).

/// One resolved strategy item: its base and weight.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// `base`.
    pub base: u32,
    /// `weight`.
    pub weight: u32,
}

/// The item the next task goes to, given how many tasks each item already holds.
/// `None` when several items all weigh 0 and the base is met (ECS refuses such a
/// strategy when it is given).
pub fn next(items: &[Item], held: &[u32]) -> Option<usize> {
    debug_assert_eq!(items.len(), held.len());
    if let Some(i) = items.iter().zip(held).position(|(it, &h)| h < it.base) {
        return Some(i);
    }
    let total_weight: u64 = items.iter().map(|it| it.weight as u64).sum();
    if total_weight == 0 {
        // A single provider with weight 0 still takes every task; several cannot.
        return (items.len() == 1).then_some(0);
    }
    let weighted: Vec<u64> = items
        .iter()
        .zip(held)
        .map(|(it, &h)| h.saturating_sub(it.base) as u64)
        .collect();
    let n = weighted.iter().sum::<u64>() + 1;
    // Deficit of item i after the next task: n·wᵢ/Σw − heldᵢ, compared exactly as
    // n·wᵢ − heldᵢ·Σw.
    items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.weight > 0)
        .map(|(i, it)| {
            (
                i,
                n as i128 * it.weight as i128 - weighted[i] as i128 * total_weight as i128,
            )
        })
        .fold(None, |best: Option<(usize, i128)>, (i, d)| match best {
            Some((_, bd)) if bd >= d => best,
            _ => Some((i, d)),
        })
        .map(|(i, _)| i)
}

/// How `count` tasks split over the items, starting from nothing.
pub fn split(items: &[Item], count: u32) -> Vec<u32> {
    let mut held = vec![0; items.len()];
    for _ in 0..count {
        match next(items, &held) {
            Some(i) => held[i] += 1,
            None => break,
        }
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(base: u32, weight: u32) -> Item {
        Item { base, weight }
    }

    #[test]
    fn the_documented_examples() {
        // A {base 2, weight 1}, B {weight 4}, 12 tasks → A 4, B 8.
        assert_eq!(split(&[it(2, 1), it(0, 4)], 12), vec![4, 8]);
        // Both weight 1: an even split after the base.
        assert_eq!(split(&[it(0, 1), it(0, 1)], 10), vec![5, 5]);
        assert_eq!(split(&[it(3, 1), it(0, 1)], 9), vec![6, 3]);
        // "for every 1 task on A, 4 tasks will run on B".
        assert_eq!(split(&[it(0, 1), it(0, 4)], 5), vec![1, 4]);
        assert_eq!(split(&[it(0, 1), it(0, 4)], 50), vec![10, 40]);
    }

    #[test]
    fn uneven_counts_round_to_the_nearest_share() {
        // 11 weighted tasks 1:4 → 2.2 : 8.8 → 2 : 9.
        assert_eq!(split(&[it(2, 1), it(0, 4)], 13), vec![4, 9]);
        // Ties go to the earlier item.
        assert_eq!(split(&[it(0, 1), it(0, 1)], 1), vec![1, 0]);
        assert_eq!(split(&[it(0, 1), it(0, 1), it(0, 1)], 4), vec![2, 1, 1]);
    }

    #[test]
    fn base_only_and_zero_weights() {
        assert_eq!(split(&[it(2, 0), it(0, 0)], 5), vec![2, 0]);
        assert_eq!(next(&[it(0, 0), it(0, 0)], &[0, 0]), None);
        assert_eq!(split(&[it(0, 0)], 3), vec![3]);
        // A zero-weight provider gets nothing beyond its base.
        assert_eq!(split(&[it(1, 0), it(0, 3)], 6), vec![1, 5]);
    }

    #[test]
    fn it_rebalances_from_an_uneven_start() {
        // A service that lost tasks on B: the next ones go to B.
        let items = [it(0, 1), it(0, 1)];
        assert_eq!(next(&items, &[5, 2]), Some(1));
    }
}
