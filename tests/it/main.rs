//! ecsim's integration tests: one binary, one module per behaviour.

mod bad_input;
mod common;
mod determinism;
mod golden;
mod index_property;
mod invariants;
mod placement_examples;
