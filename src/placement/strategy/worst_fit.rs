//! Not ECS — research heuristic `worstFit` on two resources: the candidate left with the
//! most CPU plus memory after placing (the opposite of bestFit; spreads load). The
//! score is 2 minus the leftover.

use crate::placement::strategy::{best_fit, fixed_score};

super::heuristic!("worstFit", WorstFit, |v, id| fixed_score(
    2.0 - best_fit::leftover(v.cluster, id, v.res)
));
