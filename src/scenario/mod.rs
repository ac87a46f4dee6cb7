//! Scenario files: the schema, loading with precise errors, and checking into a
//! runnable [`Scenario`]. The only IO here is reading the input files.

pub mod build;
pub mod instances;
pub mod load;
pub mod paste;
pub mod schema;
pub mod settings;
pub mod sweep_table;
pub mod trace;
pub mod workloads;
pub mod world;

pub use build::{Scenario, load_scenario, scenario_from_str};
