//! Not ECS — research heuristic `l2Norm` (Panigrahy et al.'s L2-norm distance): the
//! candidate whose normalised remaining capacity is closest to the task's demand. The
//! score is ‖remaining − demand‖², both normalised by the registered capacity, over CPU,
//! memory and any further dimensions.

use crate::placement::strategy::{dimensions, fixed_score, share};

super::heuristic!("l2Norm", L2Norm, |v, id| {
    fixed_score(
        dimensions(v.cluster, id, v.res)
            .map(|(need, left, cap)| {
                let d = share(left, cap) - share(need, cap);
                d * d
            })
            .sum(),
    )
});
