//! A placement plan: the constraints and strategy chain of one service or RunTask
//! shape, compiled once and split into the parts the capacity index serves.

use crate::ecs::cluster::{Cluster, GroupId};
use crate::ecs::intern::Sym;
use crate::ecs::strategy::{BinpackField, MAX_CONSTRAINTS, MAX_STRATEGIES, PlacementConstraint, PlacementStrategy};
use crate::placement::constraint::Constraint;
use crate::placement::strategy::{SpreadOver, Strategy};

/// Index of a plan in the [`Placer`](crate::placement::Placer).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanId(pub u32);

/// How an index orders the instances of one partition.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Order {
    /// By remaining CPU or memory, ascending (binpack).
    Remaining(BinpackField),
    /// By tasks of the group on the instance, ascending (spread over instances).
    GroupCount,
    /// Not ordered (random, or no strategy left).
    Unordered,
}

/// A compiled placement plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Every constraint, the task definition's first, in the order ECS checks them.
    pub constraints: Vec<Constraint>,
    /// The full strategy chain, cut after the first `random`.
    pub strategies: Vec<Strategy>,
    /// Static memberOf expressions (indexes of [`Placer`](crate::placement::Placer)'s table), sorted.
    pub static_filters: Vec<u32>,
    /// Constraints that must be checked per decision (distinctInstance, dynamic memberOf).
    pub dynamic: Vec<Constraint>,
    /// The leading spread-over-attribute strategies: the index partitions by these.
    pub partition: Vec<Sym>,
    /// The first ordering strategy after the partition.
    pub order: Order,
    /// Strategies after the ordering one: applied to its ties.
    pub rest: Vec<Strategy>,
    /// The chain ends with an explicit `random`.
    pub ends_random: bool,
    /// A research heuristic is in the chain: decisions scan every instance.
    pub needs_scan: bool,
    /// The instances this plan may use: a launch type's or a capacity provider's, in one cluster.
    pub scope: crate::ecs::provider::Scope,
}

/// The default chain of a service: spread over availability zones, then fewest
/// tasks of the service per instance (ecs-semantics.md §1.3).
pub fn service_default() -> Vec<PlacementStrategy> {
    use crate::ecs::strategy::SpreadField;
    vec![
        PlacementStrategy::Spread {
            field: SpreadField::availability_zone(),
        },
        PlacementStrategy::Spread {
            field: SpreadField::Instance { host: false },
        },
    ]
}

/// The default chain of RunTask: random (ecs-semantics.md §1.3 and §11 item 8).
pub fn run_task_default() -> Vec<PlacementStrategy> {
    vec![PlacementStrategy::Random { field: None }]
}

/// Checks ECS's limits on a request's constraints and strategies.
pub fn check_limits(constraints: usize, strategies: usize) -> Result<(), String> {
    if strategies > MAX_STRATEGIES {
        return Err(format!(
            "{strategies} placement strategies: you can specify a maximum of {MAX_STRATEGIES} strategy rules"
        ));
    }
    if constraints > MAX_CONSTRAINTS {
        return Err(format!(
            "{constraints} placement constraints: a task can have a maximum of {MAX_CONSTRAINTS}, the task definition's included"
        ));
    }
    Ok(())
}

impl Plan {
    /// Compiles constraints and a strategy chain. `statics` interns static expressions
    /// (by text) and returns their index in the placer's table.
    pub fn compile(
        cluster: &mut Cluster,
        constraints: &[&PlacementConstraint],
        strategies: &[PlacementStrategy],
        scope: crate::ecs::provider::Scope,
        statics: &mut dyn FnMut(&Constraint) -> u32,
    ) -> Result<Plan, String> {
        check_limits(constraints.len(), strategies.len())?;
        let constraints = constraints
            .iter()
            .map(|c| Constraint::compile(c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut chain: Vec<Strategy> = Vec::new();
        for s in strategies {
            let s = Strategy::compile(s, cluster);
            chain.push(s);
            if s == Strategy::Random {
                break;
            }
        }
        let ends_random = chain.last() == Some(&Strategy::Random);
        let needs_scan = chain.iter().any(Strategy::needs_scan);
        let mut static_filters: Vec<u32> = Vec::new();
        let mut dynamic = Vec::new();
        for c in &constraints {
            if c.is_static() {
                static_filters.push(statics(c));
            } else {
                dynamic.push(c.clone());
            }
        }
        static_filters.sort();
        static_filters.dedup();
        let mut partition = Vec::new();
        let mut i = 0;
        while let Some(Strategy::Spread(SpreadOver::Attribute(a))) = chain.get(i) {
            partition.push(*a);
            i += 1;
        }
        let (order, rest) = match chain.get(i) {
            Some(Strategy::Binpack(f)) => (Order::Remaining(*f), chain[i + 1..].to_vec()),
            Some(Strategy::Spread(SpreadOver::Instance)) => (Order::GroupCount, chain[i + 1..].to_vec()),
            _ => (Order::Unordered, Vec::new()),
        };
        let rest = rest.into_iter().filter(|s| *s != Strategy::Random).collect();
        Ok(Plan {
            constraints,
            strategies: chain,
            static_filters,
            dynamic,
            partition,
            order,
            rest,
            ends_random,
            needs_scan,
            scope,
        })
    }

    /// The group an index of this plan must be specific to, if any.
    pub fn index_group(&self, group: GroupId) -> Option<GroupId> {
        (self.order == Order::GroupCount).then_some(group)
    }

    /// The chain as labels, e.g. `["spread(attribute:ecs.availability-zone)", "binpack(memory)"]`.
    pub fn labels(&self, cluster: &Cluster) -> Vec<String> {
        self.strategies.iter().map(|s| s.label(cluster)).collect()
    }
}
