//! The reference pipeline: every instance checked in ECS's order — resources, then
//! constraints, then strategies — with a record of what each stage removed. It is
//! the brute-force oracle the indexes are tested against, the source of failure
//! reasons, and what `explain` prints. It draws no random numbers.

use crate::ecs::cluster::{Cluster, InstanceId, Shortfall};
use crate::ecs::task_definition::Reservation;
use crate::engine::StreamRng;
use crate::placement::plan::Plan;
use crate::placement::strategy::{Ctx, Heuristic, Strategy, sampling};
use serde::Serialize;

/// An instance a stage removed, and why.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// The instance's EC2 id.
    pub ec2_instance_id: String,
    /// Why it cannot take the task.
    pub why: String,
}

/// One strategy's scores and the candidates it kept.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StrategyStep {
    /// The strategy.
    pub strategy: String,
    /// (EC2 id, score) for each candidate it saw; empty for random.
    pub scores: Vec<(String, u64)>,
    /// The EC2 ids it kept.
    pub kept: Vec<String>,
}

/// A filtering stage.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FilterStep {
    /// The stage: `status`, `cpu`, `memory`, `ports`, `eni`, or a constraint label.
    pub stage: String,
    /// Instances it removed.
    pub removed: Vec<Removed>,
}

/// The outcome of a scan.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Candidates after every filter, before strategies.
    pub candidates: Vec<InstanceId>,
    /// The best candidates after every strategy: the final tie set.
    pub finalists: Vec<InstanceId>,
    /// When nothing fits: ECS's reason and the closest matching instance.
    pub failure: Option<(&'static str, Option<InstanceId>)>,
    /// Filtering stages (only when recording).
    pub filters: Vec<FilterStep>,
    /// Strategy steps (only when recording).
    pub strategies: Vec<StrategyStep>,
}

/// Reason given when the cluster has no instance able to take tasks at all.
pub const NO_INSTANCES: &str = "No Container Instances were found in your cluster.";

fn ec2(cluster: &Cluster, id: InstanceId) -> String {
    cluster.instance(id).spec.ec2_instance_id.clone()
}

fn shortfall_detail(cluster: &Cluster, id: InstanceId, res: &Reservation, s: Shortfall) -> String {
    match s {
        Shortfall::Cpu => format!("needs {} CPU units, {} remain", res.cpu, cluster.cpu_left(id)),
        Shortfall::Memory => format!("needs {} MiB, {} MiB remain", res.memory, cluster.mem_left(id)),
        Shortfall::Ports => "a required host port is in use, or the port limits are reached".into(),
        Shortfall::Eni => "no elastic network interface left".into(),
    }
}

/// Where the sampling strategies draw from, and the plan's rotating start.
pub struct Sampler<'a> {
    /// The placement stream.
    pub rng: &'a mut StreamRng,
    /// `sampled`'s rotating start.
    pub start: &'a mut u32,
}

/// Runs the pipeline over every instance. `record` keeps per-stage details. Sampling
/// strategies keep every candidate here: the scan draws no random numbers.
pub fn scan(plan: &Plan, ctx: &Ctx, record: bool) -> Scan {
    let mut out = filter(plan, ctx, record);
    if out.failure.is_none() {
        let steps = record.then_some(&mut out.strategies);
        out.finalists = rank(plan, ctx, out.candidates.clone(), None, steps);
    }
    out
}

/// The filtering stages: status, resources, constraints. Without `record`, one pass
/// finds the candidates, and the stages are walked only to name a failure.
pub fn filter(plan: &Plan, ctx: &Ctx, record: bool) -> Scan {
    let (cluster, res, group) = (ctx.cluster, ctx.res, ctx.group);
    if !record {
        let candidates: Vec<InstanceId> = cluster
            .ids()
            .filter(|&id| {
                cluster.in_scope(id, plan.scope)
                    && cluster.accepts_tasks(id)
                    && cluster.shortfall(id, res).is_none()
                    && plan.constraints.iter().all(|c| c.holds(cluster, id, group))
            })
            .collect();
        if !candidates.is_empty() {
            return Scan {
                candidates,
                ..Scan::default()
            };
        }
    }
    let mut out = Scan::default();
    let mut cands: Vec<InstanceId> = Vec::new();
    let mut removed = Vec::new();
    for id in cluster.ids().filter(|&id| cluster.in_scope(id, plan.scope)) {
        if cluster.accepts_tasks(id) {
            cands.push(id);
        } else if cluster.status(id) != crate::ecs::cluster::InstanceStatus::Inactive {
            removed.push(id);
        }
    }
    if record {
        out.filters.push(FilterStep {
            stage: "status".into(),
            removed: removed
                .iter()
                .map(|&id| Removed {
                    ec2_instance_id: ec2(cluster, id),
                    why: if cluster.agent_connected(id) {
                        format!("status {}", cluster.status(id).as_str())
                    } else {
                        "agent disconnected".into()
                    },
                })
                .collect(),
        });
    }
    if cands.is_empty() {
        let reason = if removed.is_empty() { NO_INSTANCES } else { "AGENT" };
        out.failure = Some((reason, removed.first().copied()));
        return out;
    }
    for stage in [Shortfall::Cpu, Shortfall::Memory, Shortfall::Ports, Shortfall::Eni] {
        let (keep, drop): (Vec<_>, Vec<_>) = cands
            .iter()
            .partition(|&&id| cluster.shortfall(id, res).is_none_or(|s| s > stage));
        if record {
            out.filters.push(FilterStep {
                stage: stage.reason().trim_start_matches("RESOURCE:").to_ascii_lowercase(),
                removed: drop
                    .iter()
                    .map(|&id| Removed {
                        ec2_instance_id: ec2(cluster, id),
                        why: shortfall_detail(cluster, id, res, stage),
                    })
                    .collect(),
            });
        }
        if keep.is_empty() {
            out.failure = Some((stage.reason(), drop.first().copied()));
            return out;
        }
        cands = keep;
    }
    for c in &plan.constraints {
        let (keep, drop): (Vec<_>, Vec<_>) = cands.iter().partition(|&&id| c.holds(cluster, id, group));
        if record {
            out.filters.push(FilterStep {
                stage: c.label(),
                removed: drop
                    .iter()
                    .map(|&id| Removed {
                        ec2_instance_id: ec2(cluster, id),
                        why: c.why_not(cluster, id, group).unwrap_or_default(),
                    })
                    .collect(),
            });
        }
        if keep.is_empty() {
            out.failure = Some((c.reason(), drop.first().copied()));
            return out;
        }
        cands = keep;
    }
    out.candidates = cands;
    out
}

/// Applies the strategy chain to the candidates; returns the final ties.
pub fn rank(
    plan: &Plan,
    ctx: &Ctx,
    mut cands: Vec<InstanceId>,
    mut sampler: Option<Sampler>,
    mut record: Option<&mut Vec<StrategyStep>>,
) -> Vec<InstanceId> {
    let cluster = ctx.cluster;
    for s in &plan.strategies {
        let sampled = match (s, sampler.as_mut()) {
            (Strategy::Random, _) => None,
            (Strategy::Research(Heuristic::PowerOfTwoChoices), Some(sm)) => {
                let two = sampling::two_choices(&cands, sm.rng);
                Some(narrow(&Strategy::Research(Heuristic::WorstFit), &two, ctx, None))
            }
            (Strategy::Research(Heuristic::Sampled(p)), Some(sm)) => {
                let (taken, next) =
                    sampling::from_rotating_start(&cands, sampling::sample_size(cluster.len(), *p), *sm.start);
                *sm.start = next;
                Some(taken)
            }
            (Strategy::Research(Heuristic::PowerOfTwoChoices | Heuristic::Sampled(_)), None) => Some(cands.clone()),
            _ => {
                cands = narrow(s, &cands, ctx, record.as_deref_mut());
                continue;
            }
        };
        if let Some(steps) = record.as_deref_mut() {
            steps.push(StrategyStep {
                strategy: if matches!(s, Strategy::Random) || sampler.is_some() {
                    s.label(cluster)
                } else {
                    format!(
                        "{} (draws at random in the run; all candidates shown)",
                        s.label(cluster)
                    )
                },
                scores: vec![],
                kept: sampled
                    .as_ref()
                    .unwrap_or(&cands)
                    .iter()
                    .map(|&id| ec2(cluster, id))
                    .collect(),
            });
        }
        match sampled {
            Some(kept) => cands = kept,
            None => break,
        }
    }
    cands
}

/// Keeps the candidates with the best (lowest) score of strategy `s`.
pub fn narrow(
    s: &Strategy,
    cands: &[InstanceId],
    ctx: &Ctx,
    record: Option<&mut Vec<StrategyStep>>,
) -> Vec<InstanceId> {
    let scores: Vec<u64> = cands.iter().map(|&id| s.score(ctx, id).unwrap_or(0)).collect();
    let best = scores.iter().copied().min().unwrap_or(0);
    let kept: Vec<InstanceId> = cands
        .iter()
        .zip(&scores)
        .filter(|(_, sc)| **sc == best)
        .map(|(id, _)| *id)
        .collect();
    if let Some(steps) = record {
        steps.push(StrategyStep {
            strategy: s.label(ctx.cluster),
            scores: cands
                .iter()
                .zip(&scores)
                .map(|(&id, &sc)| (ec2(ctx.cluster, id), sc))
                .collect(),
            kept: kept.iter().map(|&id| ec2(ctx.cluster, id)).collect(),
        });
    }
    kept
}
