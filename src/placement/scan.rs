//! The reference pipeline: every instance checked in ECS's order — resources, then
//! constraints, then strategies — with a record of what each stage removed. It is
//! the brute-force oracle the indexes are tested against, the source of failure
//! reasons, and what `explain` prints. It draws no random numbers.

use crate::ecs::cluster::{Cluster, InstanceId, Shortfall};
use crate::ecs::failure::Failure;
use crate::ecs::task_definition::Reservation;
use crate::placement::plan::Plan;
use crate::placement::strategy::{Role, Sampler, Strategy, View, best};
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
    pub failure: Option<(Failure, Option<InstanceId>)>,
    /// Filtering stages (only when recording).
    pub filters: Vec<FilterStep>,
    /// Strategy steps (only when recording).
    pub strategies: Vec<StrategyStep>,
}

fn ec2(cluster: &Cluster, id: InstanceId) -> String {
    cluster.instance(id).spec.ec2_instance_id.clone()
}

fn shortfall_detail(cluster: &Cluster, id: InstanceId, res: &Reservation, s: Shortfall) -> String {
    match s {
        Shortfall::Cpu => format!("needs {} CPU units, {} remain", res.cpu, cluster.cpu_left(id)),
        Shortfall::Memory => format!("needs {} MiB, {} MiB remain", res.memory, cluster.mem_left(id)),
        Shortfall::Ports => "a required host port is in use, or the port limits are reached".into(),
        Shortfall::Eni => "no elastic network interface left".into(),
        Shortfall::Gpu => format!("needs {} GPUs, {} free", res.gpus, cluster.gpus_left(id)),
        Shortfall::Dimension => format!(
            "needs {:?} in further dimensions, {:?} left",
            res.extra,
            cluster.extra_left(id)
        ),
    }
}

/// Runs the pipeline over every instance. `record` keeps per-stage details. Sampling
/// strategies keep every candidate here: the scan draws no random numbers.
pub fn scan(plan: &Plan, v: &View, record: bool) -> Scan {
    let mut out = filter(plan, v, record);
    if out.failure.is_none() {
        let steps = record.then_some(&mut out.strategies);
        out.finalists = rank(plan, v, out.candidates.clone(), None, steps);
    }
    out
}

/// The filtering stages: status, resources, constraints. Without `record`, one pass
/// finds the candidates, and the stages are walked only to name a failure.
pub fn filter(plan: &Plan, v: &View, record: bool) -> Scan {
    let (cluster, res, group) = (v.cluster, v.res, v.group);
    if !record {
        let candidates: Vec<InstanceId> = cluster
            .ids()
            .filter(|&id| {
                cluster.in_scope(id, plan.scope)
                    && cluster.accepts_tasks(id)
                    && cluster.shortfall(id, res).is_none()
                    && plan.chain.constraints.iter().all(|c| c.holds(cluster, id, group))
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
        let reason = if removed.is_empty() {
            Failure::NoInstances
        } else {
            Failure::Agent
        };
        out.failure = Some((reason, removed.first().copied()));
        return out;
    }
    // Further dimensions (`ecsim pack`'s vector bins) are a stage only where a task has them.
    let further = (!res.extra.is_empty()).then_some(Shortfall::Dimension);
    for stage in [
        Shortfall::Cpu,
        Shortfall::Memory,
        Shortfall::Ports,
        Shortfall::Eni,
        Shortfall::Gpu,
    ]
    .into_iter()
    .chain(further)
    {
        let (keep, drop): (Vec<_>, Vec<_>) = cands
            .iter()
            .partition(|&&id| cluster.shortfall(id, res).is_none_or(|s| s > stage));
        if record {
            out.filters.push(FilterStep {
                stage: stage
                    .reason()
                    .as_str()
                    .trim_start_matches("RESOURCE:")
                    .to_ascii_lowercase(),
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
    for c in &plan.chain.constraints {
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

/// Applies the strategy chain to the candidates; returns the final ties. Sampling
/// strategies draw from `sampler`; without one (explanations) they keep every
/// candidate, so a scan draws no random numbers.
pub fn rank(
    plan: &Plan,
    v: &View,
    mut cands: Vec<InstanceId>,
    mut sampler: Option<Sampler>,
    mut record: Option<&mut Vec<StrategyStep>>,
) -> Vec<InstanceId> {
    let cluster = v.cluster;
    for s in &plan.chain.strategies {
        let drawn = match (s.role(), sampler.as_mut()) {
            (Role::Random, _) => None,
            (Role::Sample, Some(sm)) => Some(s.sample(&cands, v, sm)),
            (Role::Sample, None) => Some(cands.clone()),
            _ => {
                cands = narrow(s.as_ref(), &cands, v, record.as_deref_mut());
                continue;
            }
        };
        if let Some(steps) = record.as_deref_mut() {
            steps.push(StrategyStep {
                strategy: if s.role() == Role::Random || sampler.is_some() {
                    s.label()
                } else {
                    format!("{} (draws at random in the run; all candidates shown)", s.label())
                },
                scores: vec![],
                kept: drawn
                    .as_ref()
                    .unwrap_or(&cands)
                    .iter()
                    .map(|&id| ec2(cluster, id))
                    .collect(),
            });
        }
        match drawn {
            Some(kept) => cands = kept,
            None => break,
        }
    }
    cands
}

/// Keeps the candidates with the best (lowest) score of strategy `s`.
pub fn narrow(
    s: &dyn Strategy,
    cands: &[InstanceId],
    v: &View,
    record: Option<&mut Vec<StrategyStep>>,
) -> Vec<InstanceId> {
    let (scores, kept) = best(s, cands, v);
    if let Some(steps) = record {
        steps.push(StrategyStep {
            strategy: s.label(),
            scores: cands
                .iter()
                .zip(&scores)
                .map(|(&id, &sc)| (ec2(v.cluster, id), sc))
                .collect(),
            kept: kept.iter().map(|&id| ec2(v.cluster, id)).collect(),
        });
    }
    kept
}
