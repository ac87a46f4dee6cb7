//! Not ECS — research mode: GPU sharing on Alibaba's openb trace, the experiment of
//! Weng et al., "Beware of Fragmentation" (USENIX ATC'23).
//!
//! ECS gives a task whole GPUs; openb pods may ask for a share of one (`gpu_milli`
//! below 1000), so this mode keeps each node's GPUs as thousandths left per device and
//! does not go through the ECS placement engine. The experiment, as the paper's
//! simulator runs it: the cluster is the node list, fixed; the pod list is sampled
//! until its GPU demand is 130 % of the cluster's GPUs, then shuffled; pods arrive one
//! by one and never leave; a pod that fits nowhere fails and the next one comes. The
//! measure is the share of the cluster's GPUs allocated — when the first pod fails, when
//! the demand that arrived reaches 100 % of the GPUs (the paper's headline column), and
//! at the end.
//!
//! Policies score every node that fits (CPU, memory, GPU model and GPUs); the highest
//! score wins and ties are broken uniformly at random, as kube-scheduler does:
//! - `random`: a node chosen uniformly.
//! - `dotProduct`: the dot product of the node's CPU and GPUs left with the pod's
//!   request (each over 128 cores and 8 GPUs), smallest first.
//! - `bestFit`: the CPU and GPUs left after placing (each over 128 cores and 8 GPUs,
//!   weighted equally), least first.
//! - `fragmentation` (FGD): the node whose expected GPU fragmentation, measured against
//!   the workload's typical pods, grows least.
//!
//! A share of a GPU goes on the fullest device that takes it (on a random one under
//! `random`, on the one that fragments least under `fragmentation`); whole GPUs are the
//! lowest-numbered free ones. Nodes are put in a random order per run and the first of
//! equally scored nodes in that order wins, as in the paper's simulator (with ties
//! drawn at random instead, FGD places 8-GPU pods much worse: its score ties often).

mod load;
mod node;

pub use load::load;

use crate::engine::RngStreams;
use crate::error::Error;
use node::{Memo, Node, Pod, Typical, score};
use rand::RngExt;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The most GPUs a node may have in this mode.
pub const MAX_GPUS: usize = 8;
/// Thousandths of a GPU in one GPU.
pub(crate) const MILLI: u32 = 1000;
/// The pod list's GPU demand is sampled to this share of the cluster's GPUs.
pub const DEMAND: f64 = 1.3;
/// The node list looked for beside a pod list and in its parents.
pub const NODE_LIST: &str = "openb_node_list_all_node.csv";

/// A policy of this mode.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GpuPolicy {
    /// A node chosen uniformly among those that fit.
    Random,
    /// The smallest dot product of resources left and request.
    DotProduct,
    /// The least CPU and GPU left after placing.
    BestFit,
    /// The least growth of expected GPU fragmentation (FGD).
    Fragmentation,
}

impl GpuPolicy {
    /// Every policy, in the paper's order.
    pub const ALL: [GpuPolicy; 4] = [
        GpuPolicy::Random,
        GpuPolicy::DotProduct,
        GpuPolicy::BestFit,
        GpuPolicy::Fragmentation,
    ];

    /// Its name, as `--strategy` gives it (the names of ecsim's strategies of the same idea).
    pub fn name(self) -> &'static str {
        match self {
            GpuPolicy::Random => "random",
            GpuPolicy::DotProduct => "dotProduct",
            GpuPolicy::BestFit => "bestFit",
            GpuPolicy::Fragmentation => "fragmentation",
        }
    }

    /// The policy called `name`, if this mode has one.
    pub fn of(name: &str) -> Option<GpuPolicy> {
        GpuPolicy::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// True when `path` is an openb pod list (a CSV whose header names `cpu_milli`,
/// `num_gpu` and `gpu_milli`).
pub fn is_pod_list(path: &Path) -> bool {
    if path.extension().and_then(|e| e.to_str()) != Some("csv") {
        return false;
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut header = String::new();
    let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(f), &mut header);
    let cols: Vec<&str> = header.trim().split(',').map(str::trim).collect();
    ["cpu_milli", "num_gpu", "gpu_milli"].iter().all(|c| cols.contains(c))
}

/// The experiment's inputs: the cluster and the pod list, in this mode's units.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The class folder's name.
    pub set: String,
    /// The pod list's file name without its extension.
    pub instance: String,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
}

impl Experiment {
    /// GPUs in the cluster.
    pub fn gpus(&self) -> u64 {
        self.nodes.iter().map(|n| n.gpus as u64).sum()
    }
}

/// The node list for the pod list at `path`: [`NODE_LIST`] in its folder or a parent.
pub fn node_list_for(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .map(|d| d.join(NODE_LIST))
        .find(|p| p.is_file())
}

/// The workload of run `run`: the pod list sampled (pods drawn again, or dropped, at
/// random) until its GPU demand is [`DEMAND`] times the cluster's, then shuffled.
/// The same for every policy, so policies meet the same pods.
fn workload(e: &Experiment, seed: u64, run: u32) -> Vec<Pod> {
    let mut rng = RngStreams::new(seed).stream(crate::sim::concern::GPU_WORKLOAD, run);
    let target = (DEMAND * (e.gpus() * MILLI as u64) as f64) as u64;
    let mut pods = e.pods.clone();
    let mut demand: u64 = pods.iter().map(Pod::total_milli).sum();
    if demand < target {
        loop {
            let p = e.pods[rng.random_range(0..e.pods.len())];
            if demand + p.total_milli() > target {
                break;
            }
            demand += p.total_milli();
            pods.push(p);
        }
    } else {
        while demand > target && !pods.is_empty() {
            let p = pods.remove(rng.random_range(0..pods.len()));
            demand -= p.total_milli();
        }
    }
    pods.shuffle(&mut rng);
    pods
}

/// One run of one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuRow {
    /// The class folder's name.
    pub set: String,
    /// The pod list.
    pub instance: String,
    /// The policy's name.
    pub strategy: String,
    /// The run (0-based): its workload sample and shuffle.
    pub run: u32,
    /// Pods that arrived.
    pub pods: u64,
    /// Pods that fitted nowhere.
    pub failed_pods: u64,
    /// GPUs in the cluster.
    pub total_gpus: u64,
    /// GPUs allocated (% of the cluster's) when the first pod failed; none if none did.
    pub at_first_failure_pct: Option<f64>,
    /// GPUs allocated (%) when the GPU demand that arrived reached the cluster's GPUs.
    pub at_full_demand_pct: f64,
    /// GPUs allocated (%) after the last pod.
    pub final_pct: f64,
    /// Wall time, milliseconds (the one column that varies between runs).
    pub wall_ms: f64,
}

/// The columns of `<set>-gpu.csv`.
pub const COLUMNS: [&str; 11] = [
    "set",
    "instance",
    "strategy",
    "run",
    "pods",
    "failedPods",
    "totalGpus",
    "allocatedAtFirstFailurePct",
    "allocatedAtFullDemandPct",
    "finalAllocatedPct",
    "wallMs",
];

impl GpuRow {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 11] {
        [
            self.set.clone(),
            self.instance.clone(),
            self.strategy.clone(),
            self.run.to_string(),
            self.pods.to_string(),
            self.failed_pods.to_string(),
            self.total_gpus.to_string(),
            self.at_first_failure_pct.map(|v| format!("{v:.2}")).unwrap_or_default(),
            format!("{:.2}", self.at_full_demand_pct),
            format!("{:.2}", self.final_pct),
            format!("{:.3}", self.wall_ms),
        ]
    }
}

/// Runs `policy` on run `run`'s workload.
pub fn run(e: &Experiment, policy: GpuPolicy, seed: u64, run: u32) -> GpuRow {
    let started = std::time::Instant::now();
    let pods = workload(e, seed, run);
    let typical = Typical::of(&pods);
    let mut memo = Memo {
        typical: &typical,
        seen: HashMap::new(),
    };
    let mut rng = RngStreams::new(seed).stream(crate::sim::concern::GPU_TIES, run);
    let mut nodes = e.nodes.clone();
    // The simulator the paper used names nodes in a random order and keeps the first of
    // equally scored nodes in that order; the same here.
    nodes.shuffle(&mut rng);
    let mut before: Vec<Option<f64>> = vec![None; nodes.len()];
    let capacity = (e.gpus() * MILLI as u64) as f64;
    let (mut arrived, mut allocated, mut failed) = (0u64, 0u64, 0u64);
    let (mut first_failure, mut full_demand) = (None, None);
    let mut fitting = Vec::new();
    for p in &pods {
        arrived += p.total_milli();
        fitting.clear();
        fitting.extend((0..nodes.len()).filter(|&i| nodes[i].fits(p)));
        let chosen = if fitting.is_empty() {
            None
        } else if policy == GpuPolicy::Random {
            // A node, and a device for a share, uniformly (the paper's Random).
            let i = fitting[rng.random_range(0..fitting.len())];
            let devices: Vec<usize> = (0..nodes[i].gpus as usize)
                .filter(|&d| nodes[i].left[d] as u32 >= p.milli)
                .collect();
            Some((
                i,
                devices
                    .get(rng.random_range(0..devices.len().max(1)))
                    .copied()
                    .unwrap_or(0),
            ))
        } else {
            let mut best: Option<(i64, usize, usize)> = None;
            for &i in &fitting {
                let n = &nodes[i];
                let b = match policy {
                    GpuPolicy::Fragmentation => *before[i].get_or_insert_with(|| memo.fragmentation(n)),
                    _ => 0.0,
                };
                let (s, d) = score(policy, n, p, &mut memo, b);
                if best.is_none_or(|b| s > b.0) {
                    best = Some((s, i, d));
                }
            }
            best.map(|(_, i, d)| (i, d))
        };
        match chosen {
            Some((i, d)) => {
                let devices = nodes[i].devices(p, d);
                nodes[i] = nodes[i].after(p, &devices);
                before[i] = None;
                allocated += p.total_milli();
            }
            None => {
                failed += 1;
                first_failure.get_or_insert(100.0 * allocated as f64 / capacity);
            }
        }
        if full_demand.is_none() && arrived as f64 >= capacity {
            full_demand = Some(100.0 * allocated as f64 / capacity);
        }
    }
    let final_pct = 100.0 * allocated as f64 / capacity;
    GpuRow {
        set: e.set.clone(),
        instance: e.instance.clone(),
        strategy: policy.name().to_string(),
        run,
        pods: pods.len() as u64,
        failed_pods: failed,
        total_gpus: e.gpus(),
        at_first_failure_pct: first_failure,
        at_full_demand_pct: full_demand.unwrap_or(final_pct),
        final_pct,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
    }
}

/// Every (experiment, policy, run), in parallel on `jobs` threads; rows in experiment,
/// policy, run order. `tick` is called once per run done.
pub fn run_all(
    experiments: &[Experiment],
    policies: &[GpuPolicy],
    runs: u32,
    seed: u64,
    jobs: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<GpuRow>, Error> {
    let cells: Vec<(&Experiment, GpuPolicy, u32)> = experiments
        .iter()
        .flat_map(|e| policies.iter().flat_map(move |&p| (0..runs).map(move |r| (e, p, r))))
        .collect();
    let pool = crate::output::thread_pool(jobs)?;
    Ok(pool.install(|| {
        cells
            .par_iter()
            .map(|&(e, p, r)| {
                let row = run(e, p, seed, r);
                tick();
                row
            })
            .collect()
    }))
}

/// The mean over runs of one (set, instance, strategy).
#[derive(Clone, Debug, PartialEq)]
pub struct GpuSummary {
    /// The set.
    pub set: String,
    /// The pod list.
    pub instance: String,
    /// The policy.
    pub strategy: String,
    /// Runs.
    pub runs: usize,
    /// Mean GPUs allocated (%) at the first failure, over the runs that had one.
    pub at_first_failure_pct: Option<f64>,
    /// Mean GPUs allocated (%) at 100 % demand.
    pub at_full_demand_pct: f64,
    /// Mean GPUs allocated (%) at the end.
    pub final_pct: f64,
}

/// The means per (set, instance, strategy), in the order they first appear.
pub fn summarize(rows: &[GpuRow]) -> Vec<GpuSummary> {
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in rows {
        let k = (r.set.as_str(), r.instance.as_str(), r.strategy.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(set, instance, strategy)| {
            let of: Vec<&GpuRow> = rows
                .iter()
                .filter(|r| r.set == set && r.instance == instance && r.strategy == strategy)
                .collect();
            let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            GpuSummary {
                set: set.to_string(),
                instance: instance.to_string(),
                strategy: strategy.to_string(),
                runs: of.len(),
                at_first_failure_pct: mean(of.iter().filter_map(|r| r.at_first_failure_pct).collect()),
                at_full_demand_pct: mean(of.iter().map(|r| r.at_full_demand_pct).collect()).unwrap_or(0.0),
                final_pct: mean(of.iter().map(|r| r.final_pct).collect()).unwrap_or(0.0),
            }
        })
        .collect()
}
