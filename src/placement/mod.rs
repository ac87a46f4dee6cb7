//! Placement, as ECS documents it: resources (CPU, memory, ports, ENIs) → constraints
//! → strategies, then a tie-break. Pure with respect to the cluster: the [`Placer`]
//! reads a `&Cluster` and returns a [`Decision`]; the simulation applies it and tells
//! the placer of every capacity change (a task placed or released, an instance
//! joining, leaving or changing status) so its indexes and group counts stay current.

pub mod counts;
pub mod explain;
pub mod first_fit;
pub mod index;
pub mod keyset;
pub mod plan;
pub mod scan;
pub mod strategy;
mod walk;

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::constraint::Constraint;
use crate::ecs::failure::Failure;
use crate::ecs::task_definition::Reservation;
use crate::engine::StreamRng;
use counts::GroupCounts;
use first_fit::FirstFitTrees;
use index::{Index, IndexKey, Order};
use plan::{Chain, Plan, PlanId};
use rand::RngExt;
use std::collections::BTreeMap;
use strategy::fragmentation::Shapes;
pub use strategy::random::TieBreak;
use strategy::{Sampler, View};
use walk::Fit;

/// The outcome of one placement decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Place the task on this instance.
    Placed(InstanceId),
    /// No instance fits: ECS's reason and the closest matching instance.
    Unplaced {
        /// `RESOURCE:MEMORY`, `MemberOf placement constraint unsatisfied`, …
        reason: Failure,
        /// The instance the failure entry names, if any.
        closest: Option<InstanceId>,
    },
}

/// Holds the compiled plans and the capacity indexes, and decides placements.
pub struct Placer {
    plans: Vec<Plan>,
    statics: Vec<Constraint>,
    indexes: Vec<Index>,
    index_of: BTreeMap<IndexKey, usize>,
    plan_index: Vec<BTreeMap<Option<GroupId>, usize>>,
    tie_break: TieBreak,
    rng: StreamRng,
    scratch: Vec<InstanceId>,
    ties: Vec<u32>,
    tiers: Vec<(Vec<u32>, u32)>,
    states: Vec<PlanState>,
    shapes: Shapes,
    counts: GroupCounts,
    first_fit: FirstFitTrees,
}

/// What the research heuristics remember between decisions of one plan.
#[derive(Copy, Clone, Debug, Default)]
struct PlanState {
    /// nextFit: where the last task of the plan went.
    last: u32,
    /// sampled: where the next sample starts.
    sample_start: u32,
}

/// How many random draws a uniform pick tries before listing the candidates.
const REJECTION_TRIES: usize = 32;

impl Placer {
    /// A placer drawing its ties from `rng`.
    pub fn new(tie_break: TieBreak, rng: StreamRng) -> Self {
        Placer {
            plans: Vec::new(),
            statics: Vec::new(),
            indexes: Vec::new(),
            index_of: BTreeMap::new(),
            plan_index: Vec::new(),
            tie_break,
            rng,
            scratch: Vec::new(),
            ties: Vec::new(),
            tiers: Vec::new(),
            states: Vec::new(),
            shapes: Shapes::default(),
            counts: GroupCounts::default(),
            first_fit: FirstFitTrees::default(),
        }
    }

    /// Compiles a checked chain for the pool and cluster of `scope`; spread attributes
    /// start being counted.
    pub fn plan(&mut self, cluster: &Cluster, chain: &Chain, scope: impl Into<crate::ecs::provider::Scope>) -> PlanId {
        let (statics, counts) = (&mut self.statics, &mut self.counts);
        let plan = Plan::new(chain, scope.into(), &mut |name| counts.track(cluster, name), &mut |c| {
            let text = c.label();
            match statics.iter().position(|s| s.label() == text) {
                Some(i) => i as u32,
                None => {
                    statics.push(c.clone());
                    statics.len() as u32 - 1
                }
            }
        });
        self.plans.push(plan);
        self.plan_index.push(BTreeMap::new());
        self.states.push(PlanState::default());
        PlanId(self.plans.len() as u32 - 1)
    }

    /// A compiled plan.
    pub fn plan_info(&self, id: PlanId) -> &Plan {
        &self.plans[id.0 as usize]
    }

    /// The tie-break rule in force.
    pub fn tie_break(&self) -> TieBreak {
        self.tie_break
    }

    fn belongs(&self, key: &IndexKey, cluster: &Cluster, id: InstanceId) -> bool {
        cluster.accepts_tasks(id)
            && cluster.in_scope(id, key.scope)
            && key
                .statics
                .iter()
                .all(|&s| self.statics[s as usize].holds(cluster, id, GroupId(0)))
    }

    fn index_for(&mut self, plan: PlanId, group: GroupId, cluster: &Cluster) -> usize {
        let p = &self.plans[plan.0 as usize];
        let g = p.index_group(group);
        if let Some(&i) = self.plan_index[plan.0 as usize].get(&g) {
            return i;
        }
        let key = IndexKey {
            statics: p.static_filters.clone(),
            partition: p.partition.clone(),
            order: p.order,
            group: g,
            scope: p.scope,
        };
        let i = self.index_by_key(key, cluster);
        self.plan_index[plan.0 as usize].insert(g, i);
        i
    }

    /// The index covering `key`, built from the cluster on first use.
    fn index_by_key(&mut self, key: IndexKey, cluster: &Cluster) -> usize {
        if let Some(&i) = self.index_of.get(&key) {
            return i;
        }
        let mut idx = Index::new(key.clone());
        for id in cluster.ids() {
            if self.belongs(&key, cluster, id) {
                idx.insert(cluster, &self.counts, id);
            }
        }
        self.indexes.push(idx);
        self.index_of.insert(key, self.indexes.len() - 1);
        self.indexes.len() - 1
    }

    /// An instance joined, left, or changed status, agent connection or attributes.
    pub fn instance_changed(&mut self, cluster: &Cluster, id: InstanceId) {
        self.counts.resolve(cluster);
        self.first_fit.changed(cluster, id);
        for i in 0..self.indexes.len() {
            let member = self.indexes[i].contains(id);
            let belongs = self.belongs(&self.indexes[i].key, cluster, id);
            match (member, belongs) {
                (false, true) => self.indexes[i].insert(cluster, &self.counts, id),
                (true, false) => {
                    self.indexes[i].remove(id);
                }
                _ => {}
            }
        }
    }

    /// Reserves `res` on `id` for a task of `group`, and notes it.
    pub fn allocate(&mut self, cluster: &mut Cluster, id: InstanceId, res: &Reservation, group: GroupId) {
        cluster.allocate(id, res, group);
        self.placed(cluster, id, group);
    }

    /// Gives back what [`allocate`](Self::allocate) took, and notes it.
    pub fn release(&mut self, cluster: &mut Cluster, id: InstanceId, res: &Reservation, group: GroupId) {
        cluster.release(id, res, group);
        self.released(cluster, id, group);
    }

    /// A task of `group` was placed on `id` (the cluster has allocated it).
    pub fn placed(&mut self, cluster: &Cluster, id: InstanceId, group: GroupId) {
        self.counts.changed(cluster, id, group, 1);
        self.rekey(cluster, id);
    }

    /// A task of `group` was released from `id` (the cluster has released it).
    pub fn released(&mut self, cluster: &Cluster, id: InstanceId, group: GroupId) {
        self.counts.changed(cluster, id, group, -1);
        self.rekey(cluster, id);
    }

    /// Asks the processor for what rekeying `id` in the indexes will touch first.
    pub fn prefetch(&self, id: InstanceId) {
        for idx in &self.indexes {
            idx.prefetch(id);
        }
    }

    fn rekey(&mut self, cluster: &Cluster, id: InstanceId) {
        for idx in &mut self.indexes {
            idx.rekey(cluster, id);
        }
        self.first_fit.resized(cluster, id);
    }

    /// Tasks of each group per value of the attributes spread strategies use.
    pub fn counts(&self) -> &GroupCounts {
        &self.counts
    }

    fn feasible(plan: &Plan, res: &Reservation, group: GroupId, cluster: &Cluster, id: InstanceId) -> bool {
        debug_assert!(cluster.accepts_tasks(id), "index holds an instance that takes no tasks");
        cluster.shortfall(id, res).is_none() && plan.dynamic.iter().all(|c| c.holds(cluster, id, group))
    }

    /// Whether a task of `group` with reservation `res` may go on instance `id` under
    /// `plan` (a DAEMON task's one instance); else ECS's reason for that instance.
    pub fn fits(
        &self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
        id: InstanceId,
    ) -> Result<(), Failure> {
        let plan = &self.plans[plan_id.0 as usize];
        if !cluster.in_scope(id, plan.scope) || !cluster.accepts_tasks(id) {
            return Err(Failure::Agent);
        }
        if let Some(s) = cluster.shortfall(id, res) {
            return Err(s.reason());
        }
        match plan.chain.constraints.iter().find(|c| !c.holds(cluster, id, group)) {
            Some(c) => Err(c.reason()),
            None => Ok(()),
        }
    }

    /// Whether instance `id` passes `plan`'s scope and constraints, whatever its free
    /// resources (an instance a DAEMON service covers).
    pub fn eligible(&self, plan_id: PlanId, group: GroupId, cluster: &Cluster, id: InstanceId) -> bool {
        let plan = &self.plans[plan_id.0 as usize];
        cluster.in_scope(id, plan.scope)
            && cluster.accepts_tasks(id)
            && plan
                .chain
                .constraints
                .iter()
                .all(|c| c.holds_without_own(cluster, id, group))
    }

    /// Decides where a task of `group` with reservation `res` goes under `plan`; when
    /// nothing fits, ECS's reason and the closest instance (the reference scan's).
    pub fn decide(&mut self, plan_id: PlanId, res: &Reservation, group: GroupId, cluster: &Cluster) -> Decision {
        self.decide_naming(plan_id, res, group, cluster, true)
    }

    /// Like [`decide`](Self::decide); when nothing fits, the reason (and, when `closest`,
    /// the instance the reference scan would name) comes from the indexes where they can
    /// tell it (no constraints, no ports, no network interface), without a scan of every
    /// instance; without `closest` no instance is named.
    pub fn decide_naming(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
        closest: bool,
    ) -> Decision {
        if let Some(i) = self.pick(plan_id, res, group, cluster) {
            return Decision::Placed(i);
        }
        if let Some(reason) = self.quick_reason(plan_id, res, cluster) {
            let closest = closest.then(|| self.closest(plan_id, res, reason, cluster)).flatten();
            return Decision::Unplaced { reason, closest };
        }
        let v = self.view(plan_id, res, group, cluster);
        let s = scan::filter(&self.plans[plan_id.0 as usize], &v, false);
        let (reason, closest) = s
            .failure
            .expect("index and scan disagree: scan found a candidate the index missed");
        Decision::Unplaced { reason, closest }
    }

    /// The instance the reference scan names when [`quick_reason`](Self::quick_reason)
    /// gives `reason`: the lowest-id instance of the plan's scope taking tasks that passed
    /// the stages before the failing one (any such instance when CPU is short, one with
    /// the CPU when memory is), from the scope's `firstFit` tree in O(log N).
    fn closest(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        reason: Failure,
        cluster: &Cluster,
    ) -> Option<InstanceId> {
        let cpu = match reason {
            Failure::Resource(crate::ecs::cluster::Shortfall::Memory) => res.cpu,
            _ => 0,
        };
        let scope = self.plans[plan_id.0 as usize].scope;
        self.first_fit.first(cluster, scope, (cpu, 0), &mut |_| true)
    }

    /// Why nothing fits, once the plan placed nothing, read from a capacity index in
    /// the reference scan's order: no CPU anywhere, then (the plan having found no
    /// instance with both) no memory where the CPU is. The most CPU left in the scope
    /// comes from the plan's own index when it is ordered by remaining resources and
    /// filters nothing, else from the scope's resource index. None when the indexes
    /// cannot tell (constraints, ports, network interfaces, GPUs, further dimensions, or no instance
    /// taking tasks): the caller scans.
    pub fn quick_reason(&mut self, plan_id: PlanId, res: &Reservation, cluster: &Cluster) -> Option<Failure> {
        let plan = &self.plans[plan_id.0 as usize];
        if !plan.chain.constraints.is_empty() || !res.cpu_memory_only() {
            return None;
        }
        let own = match plan.order {
            Order::Remaining(_) if plan.static_filters.is_empty() => {
                self.plan_index[plan_id.0 as usize].get(&None).copied()
            }
            _ => None,
        };
        let ix = match own {
            Some(i) => i,
            None => {
                let key = IndexKey {
                    statics: Vec::new(),
                    partition: Vec::new(),
                    order: Order::Remaining(crate::ecs::strategy::BinpackField::Cpu),
                    group: None,
                    scope: plan.scope,
                };
                self.index_by_key(key, cluster)
            }
        };
        let most_cpu = self.indexes[ix].max_cpu().flatten()?;
        let short = if most_cpu < res.cpu {
            crate::ecs::cluster::Shortfall::Cpu
        } else {
            crate::ecs::cluster::Shortfall::Memory
        };
        Some(Failure::Resource(short))
    }

    /// Like [`decide`](Self::decide), without naming a reason when nothing fits: the
    /// cheap call for callers that do not report one (PROVISIONING tasks).
    pub fn pick(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
    ) -> Option<InstanceId> {
        let chosen = if self.plans[plan_id.0 as usize].needs_scan {
            self.decide_by_scan(plan_id, res, group, cluster)
        } else {
            self.decide_by_index(plan_id, res, group, cluster)
        };
        if chosen.is_some() {
            self.shapes.record(res.cpu, res.memory);
        }
        chosen
    }

    /// The task shapes placed so far (the workload a fragmentation score weighs).
    pub fn shapes(&self) -> &Shapes {
        &self.shapes
    }

    /// What strategies of `plan` see when scoring a task of `group` reserving `res`.
    pub fn view<'a>(&'a self, plan: PlanId, res: &'a Reservation, group: GroupId, cluster: &'a Cluster) -> View<'a> {
        let last = self.states[plan.0 as usize].last;
        view_of(&self.counts, &self.shapes, cluster, res, group, last)
    }

    /// Research heuristics: filter every instance, rank, draw.
    fn decide_by_scan(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
    ) -> Option<InstanceId> {
        let p = plan_id.0 as usize;
        let v = view_of(&self.counts, &self.shapes, cluster, res, group, self.states[p].last);
        let plan = &self.plans[p];
        let f = scan::filter(plan, &v, false);
        if f.failure.is_some() {
            return None;
        }
        let sampler = Sampler {
            rng: &mut self.rng,
            start: &mut self.states[p].sample_start,
        };
        let finalists = scan::rank(plan, &v, f.candidates, Some(sampler), None);
        let chosen = strategy::random::pick(&finalists, plan.tie_break(self.tie_break), &mut self.rng);
        self.states[p].last = chosen.0;
        Some(chosen)
    }

    fn decide_by_index(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
    ) -> Option<InstanceId> {
        if self.plans[plan_id.0 as usize].order == Order::Registration {
            return self.decide_first_fit(plan_id, res, group, cluster);
        }
        let ix = self.index_for(plan_id, group, cluster);
        let plan = &self.plans[plan_id.0 as usize];
        let index = &self.indexes[ix];
        let lower = index.lower_bound(res.cpu, res.memory);
        let by_key = Fit::key_decides(plan, index, res);
        let fit = Fit {
            plan,
            index,
            lower,
            res,
            group,
            cluster,
            by_key,
        };
        if index.parts.len() == 1 {
            // One partition (no spread over attributes): one tier.
            return fit
                .best([0], &mut self.ties)
                .then(|| self.choose(plan_id, ix, res, group, cluster, by_key));
        }
        // Partitions in tiers of equal spread keys, best first.
        let mut order = std::mem::take(&mut self.tiers);
        order.clear();
        order.extend(index.parts.iter().enumerate().filter(|(_, p)| p.len > 0).map(|(i, p)| {
            let k = plan
                .partition
                .iter()
                .zip(&p.values)
                .map(|(&a, &v)| self.counts.count(group, a, v))
                .collect();
            (k, i as u32)
        }));
        order.sort();
        let mut found = false;
        let mut t = 0;
        while t < order.len() {
            let tier_end = order[t..]
                .iter()
                .position(|(k, _)| *k != order[t].0)
                .map_or(order.len(), |n| t + n);
            if fit.best(order[t..tier_end].iter().map(|&(_, p)| p), &mut self.ties) {
                found = true;
                break;
            }
            t = tier_end;
        }
        self.tiers = order;
        found.then(|| self.choose(plan_id, ix, res, group, cluster, by_key))
    }

    /// firstFit: the lowest-id instance that fits, from the scope's tree.
    fn decide_first_fit(
        &mut self,
        plan_id: PlanId,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
    ) -> Option<InstanceId> {
        let p = plan_id.0 as usize;
        let plan = &self.plans[p];
        let chosen = self
            .first_fit
            .first(cluster, plan.scope, (res.cpu, res.memory), &mut |id| {
                cluster.shortfall(id, res).is_none()
                    && plan.chain.constraints.iter().all(|c| c.holds(cluster, id, group))
            })?;
        self.states[p].last = chosen.0;
        Some(chosen)
    }

    /// Picks among the feasible members of the tie buckets (all of them when `by_key`:
    /// see [`Fit::key_decides`]).
    fn choose(
        &mut self,
        plan_id: PlanId,
        ix: usize,
        res: &Reservation,
        group: GroupId,
        cluster: &Cluster,
        by_key: bool,
    ) -> InstanceId {
        let plan = &self.plans[plan_id.0 as usize];
        let index = &self.indexes[ix];
        let random = plan.tie_break(self.tie_break) == TieBreak::Random;
        let bucket = |&b: &u32| index.members(b);
        let feasible = |id: InstanceId| by_key || Self::feasible(plan, res, group, cluster, id);
        if random && plan.rest.is_empty() {
            let total: usize = self.ties.iter().map(|t| bucket(t).len()).sum();
            for _ in 0..REJECTION_TRIES {
                let mut r = self.rng.random_range(0..total);
                for t in &self.ties {
                    let b = bucket(t);
                    if r < b.len() {
                        if feasible(b[r]) {
                            return b[r];
                        }
                        break;
                    }
                    r -= b.len();
                }
            }
        }
        if !random && plan.rest.is_empty() {
            // The lowest feasible id, without gathering the candidates.
            return self
                .ties
                .iter()
                .flat_map(bucket)
                .copied()
                .filter(|&id| feasible(id))
                .min()
                .expect("a tie bucket holds a feasible member");
        }
        self.scratch.clear();
        for t in &self.ties {
            self.scratch
                .extend(bucket(t).iter().copied().filter(|&id| feasible(id)));
        }
        self.scratch.sort();
        let mut cands = std::mem::take(&mut self.scratch);
        let last = self.states[plan_id.0 as usize].last;
        let v = view_of(&self.counts, &self.shapes, cluster, res, group, last);
        for s in &plan.rest {
            cands = scan::narrow(s.as_ref(), &cands, &v, None);
        }
        let chosen = strategy::random::pick(&cands, plan.tie_break(self.tie_break), &mut self.rng);
        self.scratch = cands;
        chosen
    }

    /// The reference scan for a plan (explanations, failure reasons, tests).
    pub fn scan(&self, plan: PlanId, res: &Reservation, group: GroupId, cluster: &Cluster, record: bool) -> scan::Scan {
        scan::scan(
            &self.plans[plan.0 as usize],
            &self.view(plan, res, group, cluster),
            record,
        )
    }

    /// Index sizes, for consistency checks: (index key, members).
    pub fn index_sizes(&self) -> Vec<(IndexKey, usize)> {
        self.indexes.iter().map(|i| (i.key.clone(), i.len())).collect()
    }
}

/// What strategies see: the cluster, the group counts and task shapes so far, the task's
/// group and reservation, and the plan's last pick.
fn view_of<'a>(
    counts: &'a GroupCounts,
    shapes: &'a Shapes,
    cluster: &'a Cluster,
    res: &'a Reservation,
    group: GroupId,
    last: u32,
) -> View<'a> {
    View {
        cluster,
        counts,
        group,
        res,
        last: InstanceId(last),
        shapes,
    }
}
