//! Not ECS — research heuristic `firstFit`: the first candidate in registration order.

super::heuristic!("firstFit", FirstFit, |_v, id| id.0 as u64);
