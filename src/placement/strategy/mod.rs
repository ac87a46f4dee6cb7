//! Placement strategies: one interface, one file per strategy, one registry.
//!
//! A strategy scores a candidate instance (lower is better); a chain narrows the
//! candidates lexicographically, strategy by strategy, and a seeded tie-break picks
//! among the last ties (ecs-semantics.md §1.2, SIM CHOICE). Each strategy also says
//! what a capacity index can do for it ([`Role`]): ECS's `binpack`, `spread` and
//! `random` are served by the indexes; the research heuristics (not ECS) score every
//! candidate, or draw among them.
//!
//! Adding a strategy is its file (a type implementing [`Strategy`] and a
//! [`StrategyType`] naming it) plus one line in [`BUILTIN`]; a program using ecsim as
//! a library adds its own with [`register`], and scenario files name it by `type` like
//! any other.

pub mod best_fit;
pub mod binpack;
pub mod dot_product;
pub mod first_fit;
pub mod fragmentation;
pub mod l2_norm;
pub mod next_fit;
pub mod power_of_two;
pub mod random;
pub mod sampled;
pub mod spread;
pub mod worst_fit;

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::strategy::PlacementStrategy;
use crate::ecs::task_definition::Reservation;
use crate::engine::StreamRng;
use crate::placement::counts::GroupCounts;
use crate::placement::index::Order;
use fragmentation::Shapes;
use std::sync::{Arc, RwLock};

/// What a capacity index can do for a strategy.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role<'a> {
    /// Spread over an attribute: the index partitions the instances by its values and
    /// visits the partitions holding fewest tasks of the group first.
    Partition(&'a str),
    /// The index orders the instances of a partition by this key.
    Order(Order),
    /// A uniform draw among the candidates: it ends the chain.
    Random,
    /// Every candidate is scored (the index cannot help).
    Score,
    /// Draws among the candidates (random numbers from the placement stream).
    Sample,
}

/// What a score may look at: the cluster, the task, and the placer's bookkeeping.
pub struct View<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// Tasks of each group per value of the attributes strategies spread over.
    pub counts: &'a GroupCounts,
    /// The task's group.
    pub group: GroupId,
    /// What the task reserves.
    pub res: &'a Reservation,
    /// The instance of the plan's last placement (nextFit).
    pub last: InstanceId,
    /// The task shapes placed so far (fragmentation).
    pub shapes: &'a Shapes,
}

/// Where sampling strategies draw: the placement stream and the plan's rotating start.
pub struct Sampler<'a> {
    /// The placement stream.
    pub rng: &'a mut StreamRng,
    /// `sampled`'s rotating start.
    pub start: &'a mut u32,
}

/// A compiled placement strategy.
pub trait Strategy: std::fmt::Debug + Send + Sync {
    /// How it reads in explanations, e.g. `binpack(memory)`.
    fn label(&self) -> String;
    /// What a capacity index can do for it.
    fn role(&self) -> Role<'_>;
    /// The candidate's score: lower is better.
    fn score(&self, v: &View, id: InstanceId) -> u64;
    /// Attributes whose tasks per group the score reads from [`View::counts`] (kept
    /// up to date on every placement and release, as for `spread`); none by default.
    fn counted_attributes(&self) -> Vec<&str> {
        Vec::new()
    }
    /// A sampling strategy's draw among `cands` (the others keep them all).
    fn sample(&self, cands: &[InstanceId], _v: &View, _s: &mut Sampler) -> Vec<InstanceId> {
        cands.to_vec()
    }
}

/// A strategy type the scenario files may name.
#[derive(Copy, Clone)]
pub struct StrategyType {
    /// The API's `type`.
    pub name: &'static str,
    /// One of ECS's own (else a research heuristic ECS does not offer).
    pub ecs: bool,
    /// Builds the strategy from its API form, or says what is wrong with it.
    pub build: fn(&PlacementStrategy) -> Result<Arc<dyn Strategy>, String>,
}

/// The strategies ecsim ships: ECS's first, then the research heuristics.
pub const BUILTIN: &[StrategyType] = &[
    binpack::TYPE,
    spread::TYPE,
    random::TYPE,
    first_fit::TYPE,
    next_fit::TYPE,
    best_fit::TYPE,
    worst_fit::TYPE,
    dot_product::TYPE,
    l2_norm::TYPE,
    fragmentation::TYPE,
    power_of_two::TYPE,
    sampled::TYPE,
];

static REGISTERED: RwLock<Vec<StrategyType>> = RwLock::new(Vec::new());

/// Adds a strategy type for this process, so scenario files can name it; a built-in
/// or earlier registered name is refused.
pub fn register(t: StrategyType) -> Result<(), String> {
    if lookup(t.name).is_some() {
        return Err(format!("placement strategy type `{}` already exists", t.name));
    }
    REGISTERED.write().unwrap_or_else(|e| e.into_inner()).push(t);
    Ok(())
}

/// The strategy type called `name`, built-in or registered.
pub fn lookup(name: &str) -> Option<StrategyType> {
    BUILTIN.iter().find(|t| t.name == name).copied().or_else(|| {
        REGISTERED
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|t| t.name == name)
            .copied()
    })
}

/// Every strategy type's name, ECS's first.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = BUILTIN.iter().map(|t| t.name).collect();
    v.extend(
        REGISTERED
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|t| t.name),
    );
    v
}

/// Builds a strategy from its API form; the error names what is allowed.
pub fn build(s: &PlacementStrategy) -> Result<Arc<dyn Strategy>, String> {
    match lookup(&s.kind) {
        Some(t) => (t.build)(s),
        None => {
            let (ecs, research): (Vec<_>, Vec<_>) = BUILTIN.iter().partition(|t| t.ecs);
            let list = |v: Vec<&StrategyType>| v.iter().map(|t| t.name).collect::<Vec<_>>().join(", ");
            let mut others: Vec<String> = vec![list(research)];
            others.extend(
                REGISTERED
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|t| t.name.to_string()),
            );
            Err(format!(
                "unknown placement strategy type `{}`: ECS's are {}; research heuristics (not ECS): {}",
                s.kind,
                list(ecs),
                others.join(", ")
            ))
        }
    }
}

/// Whether a strategy type is one of ECS's own.
pub fn is_ecs(kind: &str) -> bool {
    lookup(kind).is_some_and(|t| t.ecs)
}

/// Refuses a `field` for strategies that take none, and members beyond `allowed`.
pub fn check_members(s: &PlacementStrategy, takes_field: bool, allowed: &[&str]) -> Result<(), String> {
    if !takes_field && s.field.is_some() {
        return Err(format!("{} takes no field", s.kind));
    }
    match s.params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{} takes no member `{k}`{}",
            s.kind,
            if allowed.is_empty() {
                String::new()
            } else {
                format!(" (it takes {})", allowed.join(", "))
            }
        )),
        None => Ok(()),
    }
}

/// Builds a strategy that takes no members (most research heuristics).
pub fn plain<S: Strategy + Default + 'static>(s: &PlacementStrategy) -> Result<Arc<dyn Strategy>, String> {
    check_members(s, false, &[])?;
    Ok(Arc::new(S::default()))
}

/// Declares a research heuristic that takes no members and scores every candidate:
/// its `type` name, its type, and its score (lower is better).
macro_rules! heuristic {
    ($name:literal, $ty:ident, |$v:ident, $id:ident| $score:expr) => {
        #[doc = concat!("Not ECS — the research heuristic `", $name, "`.")]
        #[derive(Debug, Default)]
        pub struct $ty;

        /// The registry entry.
        pub const TYPE: crate::placement::strategy::StrategyType = crate::placement::strategy::StrategyType {
            name: $name,
            ecs: false,
            build: crate::placement::strategy::plain::<$ty>,
        };

        impl crate::placement::strategy::Strategy for $ty {
            fn label(&self) -> String {
                $name.into()
            }
            fn role(&self) -> crate::placement::strategy::Role<'_> {
                crate::placement::strategy::Role::Score
            }
            fn score(&self, $v: &crate::placement::strategy::View, $id: crate::ecs::cluster::InstanceId) -> u64 {
                $score
            }
        }
    };
}
pub(crate) use heuristic;

/// Each dimension of instance `id` as (what `res` needs, what is left, what is
/// registered): CPU, memory, then the further dimensions of `ecsim pack`'s vector bins.
pub fn dimensions<'a>(
    cluster: &'a Cluster,
    id: InstanceId,
    res: &'a Reservation,
) -> impl Iterator<Item = (u32, u32, u32)> + 'a {
    let (cpu, memory) = cluster.registered(id);
    let further = cluster
        .extra_left(id)
        .iter()
        .zip(&cluster.instance(id).spec.extra)
        .enumerate()
        .map(|(k, (&left, &cap))| (res.extra.get(k).copied().unwrap_or(0), left, cap));
    [
        (res.cpu, cluster.cpu_left(id), cpu),
        (res.memory, cluster.mem_left(id), memory),
    ]
    .into_iter()
    .chain(further)
}

/// `x / of` as a share (0 when `of` is 0).
pub fn share(x: u32, of: u32) -> f64 {
    if of == 0 { 0.0 } else { x as f64 / of as f64 }
}

/// A non-negative float score as an integer (1e9 per unit), keeping its order.
pub fn fixed_score(v: f64) -> u64 {
    // + 0.5 and truncation rounds like `round` for v ≥ 0, without a libm call.
    (v.max(0.0) * 1e9 + 0.5) as u64
}

/// The candidates with the lowest score of `s`, in their order.
pub fn best(s: &dyn Strategy, cands: &[InstanceId], v: &View) -> (Vec<u64>, Vec<InstanceId>) {
    let scores: Vec<u64> = cands.iter().map(|&id| s.score(v, id)).collect();
    let low = scores.iter().copied().min().unwrap_or(0);
    let kept = cands
        .iter()
        .zip(&scores)
        .filter(|(_, sc)| **sc == low)
        .map(|(id, _)| *id)
        .collect();
    (scores, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_builds_and_refuses_with_what_is_allowed() {
        let ok = build(&PlacementStrategy::new("binpack", Some("memory"))).unwrap();
        assert_eq!(ok.label(), "binpack(memory)");
        let e = build(&PlacementStrategy::new("pack", None)).unwrap_err();
        assert!(e.contains("binpack, spread, random") && e.contains("firstFit"), "{e}");
        let e = build(&PlacementStrategy::new("binpack", Some("disk"))).unwrap_err();
        assert!(e.contains("cpu or memory"), "{e}");
        let mut r = PlacementStrategy::new("random", None);
        r.params.insert("colour".into(), serde_json::json!(1));
        assert!(build(&r).unwrap_err().contains("no member `colour`"));
        assert!(is_ecs("spread") && !is_ecs("bestFit"));
        assert!(register(random::TYPE).unwrap_err().contains("already exists"));
    }
}
