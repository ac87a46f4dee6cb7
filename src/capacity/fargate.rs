//! Fargate: the choice of zone (the valid sizes are in `ecs::fargate`).

/// The zone for the next Fargate task: the subnet zone holding the fewest tasks of the
/// group on this provider, ties to the earlier subnet.
pub fn choose_zone(counts: &[u32]) -> usize {
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
