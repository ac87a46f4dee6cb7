//! Fargate: the choice of zone (the valid sizes are in `ecs::fargate`).

/// The zone to use next: the one with the smallest count (a number, or a tuple compared
/// in order), ties to the earlier.
pub fn choose_zone<K: Ord + Copy>(counts: &[K]) -> usize {
    counts
        .iter()
        .enumerate()
        .min_by_key(|(i, c)| (**c, *i))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_fill_evenly() {
        assert_eq!(choose_zone(&[2, 1, 1]), 1);
        assert_eq!(choose_zone(&[0, 0]), 0);
    }
}
