//! Replay: a CloudTrail-style log (ecsim's own events.jsonl, or a real CloudTrail
//! export filtered to ECS) turned into a scenario whose timeline makes the log's
//! calls again, plus the facts a log records that are not calls.

use crate::engine::SimTime;
use std::collections::BTreeMap;

/// A recorded RunTask's client: which attempt of which request it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The attempt (0: the first call).
    pub attempt: u32,
    /// When the request first arrived.
    pub arrived_at: SimTime,
    /// The request's id across its retries.
    pub request: String,
    /// Whether the client retried the failures of this attempt.
    pub retries: bool,
}

/// One scheduled item of a replay, in the log's order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A timeline call (index into the sorted timeline).
    Call(u32),
    /// An essential-container exit (index into the exits).
    Exit(u32),
    /// A Fargate Spot warning (index into the warnings).
    FargateSpot(u32),
    /// A fault (index into the scenario's faults).
    Fault(u32),
}

/// What a log records beyond its calls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// Essential-container exits: when, and the task id.
    pub exits: Vec<(SimTime, String)>,
    /// Fargate Spot warnings: when, and the task id.
    pub fargate_spot: Vec<(SimTime, String)>,
    /// Client facts of recorded RunTask calls, by timeline entry.
    pub clients: BTreeMap<u32, Client>,
    /// Every item, in the log's order.
    pub order: Vec<Item>,
}
