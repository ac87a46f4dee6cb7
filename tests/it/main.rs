//! ecsim's integration tests: one binary, one module per behaviour.

mod accepted;
mod bad_input;
mod bpplib;
mod capacity;
mod cli;
mod common;
mod determinism;
mod docs;
mod explain;
mod faults;
mod fidelity;
mod golden;
mod images;
mod index_property;
mod instances;
mod invariants;
mod layers;
mod limits;
mod outputs;
mod paste;
mod placement_examples;
mod ports_enis;
mod realworld;
mod replay;
mod services;
mod shipped;
