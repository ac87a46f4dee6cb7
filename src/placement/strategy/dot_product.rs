//! Not ECS — research heuristic `dotProduct` (Panigrahy et al., "Heuristics for Vector
//! Bin Packing"): the candidate whose remaining capacity best aligns with the task's
//! demand — the largest dot product of the two, each normalised by the instance's
//! registered capacity, over CPU, memory and any further dimensions. The score is the
//! number of dimensions minus the dot product.

use crate::placement::strategy::{best_fit::dims, dimensions, fixed_score, share};

super::heuristic!("dotProduct", DotProduct, |v, id| {
    let dot: f64 = dimensions(v.cluster, id, v.res)
        .map(|(need, left, cap)| share(need, cap) * share(left, cap))
        .sum();
    fixed_score(dims(v.cluster, id) - dot)
});
