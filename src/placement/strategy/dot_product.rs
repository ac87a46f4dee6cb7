//! Not ECS — research heuristic `dotProduct` (Panigrahy et al., "Heuristics for Vector
//! Bin Packing"): the candidate whose remaining capacity best aligns with the task's
//! demand — the largest dot product of the two, each normalised by the instance's
//! registered capacity. The score is 2 minus the dot product.

use crate::placement::strategy::{fixed_score, share};

super::heuristic!("dotProduct", DotProduct, |v, id| {
    let (cpu, memory) = v.cluster.registered(id);
    let dot = share(v.res.cpu, cpu) * share(v.cluster.cpu_left(id), cpu)
        + share(v.res.memory, memory) * share(v.cluster.mem_left(id), memory);
    fixed_score(2.0 - dot)
});
