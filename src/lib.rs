//! ecsim: a discrete-event simulator of Amazon ECS scheduling, and a benchmark for
//! placement and capacity strategies. See ARCHITECTURE.md for the map.

#![warn(missing_docs)]

pub mod ecs;
pub mod engine;
pub mod error;
pub mod placement;
pub mod scenario;

pub use error::{Error, Problem};
