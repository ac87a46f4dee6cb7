//! Not ECS — research heuristic `l2Norm` (Panigrahy et al.'s L2-norm distance): the
//! candidate whose normalised remaining capacity is closest to the task's demand. The
//! score is ‖remaining − demand‖², both normalised by the registered capacity.

use crate::placement::strategy::{fixed_score, share};

super::heuristic!("l2Norm", L2Norm, |v, id| {
    let (cpu, memory) = v.cluster.registered(id);
    let dc = share(v.cluster.cpu_left(id), cpu) - share(v.res.cpu, cpu);
    let dm = share(v.cluster.mem_left(id), memory) - share(v.res.memory, memory);
    fixed_score(dc * dc + dm * dm)
});
