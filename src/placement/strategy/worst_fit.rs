//! Not ECS — research heuristic `worstFit`: the candidate left with the most CPU plus
//! memory (plus any further dimensions) after placing — the opposite of bestFit; it
//! spreads load. The score is the number of dimensions minus the leftover.

use crate::placement::strategy::{best_fit, fixed_score};

super::heuristic!("worstFit", WorstFit, |v, id| fixed_score(
    best_fit::dims(v.cluster, id) - best_fit::leftover(v.cluster, id, v.res)
));
