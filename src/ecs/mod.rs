//! The ECS domain, in ECS's own names: instance types, task definitions, container
//! instances and clusters, request shapes, strategies and constraints.

pub mod agent;
pub mod api;
pub mod catalogue;
pub mod cluster;
pub mod constraint;
pub mod deployment;
pub mod failure;
pub mod fargate;
pub mod iam;
pub mod ids;
pub mod intern;
pub mod provider;
pub mod query;
pub mod registry;
pub mod requirements;
pub mod strategy;
pub mod task_definition;
