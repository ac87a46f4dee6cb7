//! Capacity decisions, pure: provider strategies (base/weight), managed scaling of
//! Auto Scaling groups, Fargate sizes and zones, prices and cost meters. The
//! simulation applies their answers.

pub mod cost;
pub mod fargate;
pub mod prices;
pub mod providers;
pub mod scaling;
pub mod split;
