//! Placement plans. A request's placement settings are checked once into a [`Chain`]
//! (constraints, the task definition's first, and strategies), the same way when a
//! scenario is validated and when the call is made; a chain is then compiled for the
//! pool of instances it may use into a [`Plan`], split into the parts a capacity
//! index serves.

use crate::ecs::constraint::Constraint;
use crate::ecs::provider::Scope;
use crate::ecs::strategy::{MAX_CONSTRAINTS, MAX_STRATEGIES, PlacementConstraint, PlacementStrategy};
use crate::placement::counts::AttrIdx;
use crate::placement::index::Order;
use crate::placement::strategy::random::TieBreak;
use crate::placement::strategy::{self, Role, Strategy};
use std::sync::Arc;

/// Index of a plan in the [`Placer`](crate::placement::Placer).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanId(pub u32);

/// A request's checked placement settings.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Every constraint, the task definition's first, in the order ECS checks them.
    pub constraints: Vec<Constraint>,
    /// The strategy chain, cut after the first `random`.
    pub strategies: Vec<Arc<dyn Strategy>>,
}

/// What is wrong with a request's placement settings: the member, as a path relative
/// to the request (e.g. `placementStrategy[1]`), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    /// The member.
    pub path: String,
    /// Why.
    pub message: String,
}

/// The default chain of a service: spread over availability zones, then fewest
/// tasks of the service per instance (ecs-semantics.md §1.3).
pub fn service_default() -> Vec<PlacementStrategy> {
    vec![
        PlacementStrategy::new("spread", Some("attribute:ecs.availability-zone")),
        PlacementStrategy::new("spread", Some("instanceId")),
    ]
}

/// The default chain of RunTask: random (ecs-semantics.md §1.3 and §11 item 8).
pub fn run_task_default() -> Vec<PlacementStrategy> {
    vec![PlacementStrategy::new("random", None)]
}

impl Chain {
    /// Checks and compiles placement settings: the task definition's compiled
    /// constraints, the request's, and its strategies, within ECS's limits (5
    /// strategies; 10 constraints, the task definition's included).
    pub fn compile(
        task_definition: &[Constraint],
        constraints: &[PlacementConstraint],
        strategies: &[PlacementStrategy],
    ) -> Result<Chain, ChainError> {
        let err = |path: String, message: String| ChainError { path, message };
        if strategies.len() > MAX_STRATEGIES {
            return Err(err(
                "placementStrategy".into(),
                format!(
                    "{} placement strategies: you can specify a maximum of {MAX_STRATEGIES} strategy rules",
                    strategies.len()
                ),
            ));
        }
        let total = task_definition.iter().filter(|c| !c.is_required()).count() + constraints.len();
        if total > MAX_CONSTRAINTS {
            return Err(err(
                "placementConstraints".into(),
                format!(
                    "{total} placement constraints: a task can have a maximum of {MAX_CONSTRAINTS}, the task definition's included"
                ),
            ));
        }
        let mut all = task_definition.to_vec();
        for (i, c) in constraints.iter().enumerate() {
            all.push(Constraint::compile(c).map_err(|m| err(format!("placementConstraints[{i}].expression"), m))?);
        }
        let mut chain = Vec::new();
        for (i, s) in strategies.iter().enumerate() {
            let s = strategy::build(s).map_err(|m| err(format!("placementStrategy[{i}]"), m))?;
            let random = s.role() == Role::Random;
            chain.push(s);
            if random {
                break;
            }
        }
        Ok(Chain {
            constraints: all,
            strategies: chain,
        })
    }

    /// The strategies as labels, e.g. `["spread(attribute:ecs.availability-zone)", "binpack(memory)"]`.
    pub fn labels(&self) -> Vec<String> {
        self.strategies.iter().map(|s| s.label()).collect()
    }
}

/// A chain compiled for a pool of instances.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The checked chain.
    pub chain: Chain,
    /// Static memberOf expressions (indexes of [`Placer`](crate::placement::Placer)'s table), sorted.
    pub static_filters: Vec<u32>,
    /// Constraints that must be checked per decision (distinctInstance, dynamic memberOf).
    pub dynamic: Vec<Constraint>,
    /// The leading spread-over-attribute strategies: the index partitions by these.
    pub partition: Vec<AttrIdx>,
    /// The first ordering strategy after the partition.
    pub order: Order,
    /// Strategies after the ordering one: applied to its ties.
    pub rest: Vec<Arc<dyn Strategy>>,
    /// The chain ends with an explicit `random`.
    pub ends_random: bool,
    /// A strategy no index serves is in the chain: decisions look at every candidate.
    pub needs_scan: bool,
    /// The instances this plan may use: a launch type's or a capacity provider's, in one cluster.
    pub scope: Scope,
}

impl Plan {
    /// Compiles `chain` for `scope`. `track` starts counting a spread attribute;
    /// `statics` interns a static constraint (by text) in the placer's table.
    pub fn new(
        chain: &Chain,
        scope: Scope,
        track: &mut dyn FnMut(&str) -> AttrIdx,
        statics: &mut dyn FnMut(&Constraint) -> u32,
    ) -> Plan {
        let roles: Vec<Role> = chain.strategies.iter().map(|s| s.role()).collect();
        let ends_random = roles.last() == Some(&Role::Random);
        let needs_scan = roles.iter().any(|r| matches!(r, Role::Score | Role::Sample));
        let mut static_filters: Vec<u32> = Vec::new();
        let mut dynamic = Vec::new();
        for c in &chain.constraints {
            if c.is_static() {
                static_filters.push(statics(c));
            } else {
                dynamic.push(c.clone());
            }
        }
        static_filters.sort();
        static_filters.dedup();
        for s in &chain.strategies {
            for name in s.counted_attributes() {
                track(name);
            }
        }
        let mut partition = Vec::new();
        let mut i = 0;
        for r in &roles {
            match r {
                Role::Partition(name) => partition.push(track(name)),
                _ => break,
            }
            i += 1;
        }
        let (order, rest) = match roles.get(i) {
            Some(Role::Order(o)) => (*o, chain.strategies[i + 1..].to_vec()),
            _ => (Order::Unordered, Vec::new()),
        };
        let rest = rest.into_iter().filter(|s| s.role() != Role::Random).collect();
        // firstFit's tree covers a whole scope: behind a spread, the plan scans.
        let needs_scan = needs_scan || (order == Order::Registration && !partition.is_empty());
        Plan {
            chain: chain.clone(),
            static_filters,
            dynamic,
            partition,
            order,
            rest,
            ends_random,
            needs_scan,
            scope,
        }
    }

    /// How this plan breaks ties: at random when the chain ends with `random`, else
    /// the run's `tieBreak`.
    pub fn tie_break(&self, run: TieBreak) -> TieBreak {
        if self.ends_random { TieBreak::Random } else { run }
    }

    /// The group an index of this plan must be specific to, if any.
    pub fn index_group(&self, group: crate::ecs::cluster::GroupId) -> Option<crate::ecs::cluster::GroupId> {
        (self.order == Order::GroupCount).then_some(group)
    }
}
