//! Scenario and sweep files: the schema, loading with precise errors, checking, and
//! sweep expansion. The only IO here is reading the input files.

pub mod build;
pub mod capacity;
pub mod duration;
pub mod instances;
pub mod load;
pub mod schema;
pub mod sweep;
pub mod world;

pub use build::{Scenario, load_scenario, scenario_from_str};
pub use sweep::{Sweep, load_sweep};
