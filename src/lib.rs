//! ecsim: a discrete-event simulator of Amazon ECS scheduling, and a benchmark for
//! placement and capacity strategies. See ARCHITECTURE.md for the map.

#![warn(missing_docs)]

pub mod appscaling;
pub mod capacity;
pub mod cli;
pub mod control;
pub mod ecs;
pub mod engine;
pub mod error;
pub mod output;
pub mod pack;
pub mod placement;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod text;

pub use error::{Error, Problem};
