//! `ecsim pack`: bin-packing benchmarks through the simulator's own placement engine.
//!
//! Items become tasks, bins identical container instances. A bin is registered only
//! when no open bin takes the next item (as a classical bin-packing heuristic opens a
//! new bin), so every strategy — ECS's and the research heuristics, built in or
//! registered — chooses among the open bins with the same [`Placer`] a run uses.
//! Items go in file order (`online`) or sorted largest first by a key (`decreasing`).
//! Bins used are scored against the optimum or the best lower bound published beside
//! the instance ([`bounds`]). Like the sweep layer, this layer reads files.

pub mod bounds;
pub mod format;
pub mod gpu_share;

pub use format::{Format, PackInstance};

use crate::ecs::cluster::{Cluster, InstanceSpec};
use crate::ecs::provider::Pool;
use crate::ecs::strategy::PlacementStrategy;
use crate::ecs::task_definition::Reservation;
use crate::engine::{RngStreams, SimTime};
use crate::error::Error;
use crate::placement::plan::Chain;
use crate::placement::{Placer, TieBreak};
use bounds::{Bounds, Known};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The order items are offered in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemOrder {
    /// As the file lists them.
    Online,
    /// Largest first by a key; equal keys keep file order.
    Decreasing(SortKey),
}

impl std::fmt::Display for ItemOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemOrder::Online => f.write_str("online"),
            ItemOrder::Decreasing(k) => write!(f, "decreasing:{}", k.name()),
        }
    }
}

/// What `decreasing` sorts by. Sizes are shares of the bin's capacity per dimension;
/// dimension 1 is CPU and dimension 2 memory (a 1-D item is both).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// Memory (dimension 2).
    Memory,
    /// CPU (dimension 1).
    Cpu,
    /// The sum of the shares (Mommessin et al.'s L1 with unit weights).
    Sum,
    /// The largest share (L∞): the default.
    Max,
    /// The shares weighted by the mean share of all items in each dimension (the dot
    /// product with the average demand; Mommessin et al.'s L1-Avg).
    DotProduct,
    /// The Euclidean norm of the shares (L2 with unit weights).
    L2Norm,
}

impl SortKey {
    /// Every key, as the command line names them.
    pub const ALL: [SortKey; 6] = [
        SortKey::Memory,
        SortKey::Cpu,
        SortKey::Sum,
        SortKey::Max,
        SortKey::DotProduct,
        SortKey::L2Norm,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Memory => "memory",
            SortKey::Cpu => "cpu",
            SortKey::Sum => "sum",
            SortKey::Max => "max",
            SortKey::DotProduct => "dotProduct",
            SortKey::L2Norm => "l2Norm",
        }
    }

    /// The key called `name`.
    pub fn parse(name: &str) -> Result<SortKey, String> {
        SortKey::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| {
            let all: Vec<&str> = SortKey::ALL.iter().map(|k| k.name()).collect();
            format!("unknown key `{name}`: one of {}", all.join(", "))
        })
    }
}

/// The order in which `inst`'s items are offered: indices into its items.
pub fn item_order(inst: &PackInstance, order: ItemOrder) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..inst.len() as u32).collect();
    let ItemOrder::Decreasing(key) = order else {
        return ids;
    };
    let d = inst.dims();
    let cap: Vec<f64> = inst.capacity.iter().map(|&c| c as f64).collect();
    let mean: Vec<f64> = (0..d)
        .map(|k| (0..inst.len()).map(|i| inst.item(i)[k] as f64 / cap[k]).sum::<f64>() / inst.len().max(1) as f64)
        .collect();
    let keys: Vec<f64> = (0..inst.len())
        .map(|i| {
            let s = inst.item(i);
            let share = |k: usize| s[k] as f64 / cap[k];
            match key {
                SortKey::Cpu => s[0] as f64,
                SortKey::Memory => s[d.min(2) - 1] as f64,
                SortKey::Sum => (0..d).map(share).sum(),
                SortKey::Max => (0..d).map(share).fold(0.0, f64::max),
                SortKey::DotProduct => (0..d).map(|k| share(k) * mean[k]).sum(),
                SortKey::L2Norm => (0..d).map(|k| share(k) * share(k)).sum(),
            }
        })
        .collect();
    ids.sort_by(|&a, &b| keys[b as usize].total_cmp(&keys[a as usize]));
    ids
}

/// A strategy as the command line names it: `TYPE` or `TYPE:FIELD`.
pub fn parse_strategy(spec: &str) -> Result<PlacementStrategy, String> {
    let (kind, field) = match spec.split_once(':') {
        Some((k, f)) => (k, Some(f)),
        None => (spec, None),
    };
    // binpack needs a field; in a packing benchmark memory is the usual one.
    let field = field.or((kind == "binpack").then_some("memory"));
    let s = PlacementStrategy::new(kind, field);
    Chain::compile(&[], &[], std::slice::from_ref(&s)).map_err(|e| format!("`{spec}`: {}", e.message))?;
    Ok(s)
}

/// What to run on every instance: strategies (each with the name the command line
/// gave it) and item orders.
#[derive(Clone, Debug)]
pub struct Options {
    /// Strategies, as named (`binpack:cpu`) and as built.
    pub strategies: Vec<(String, PlacementStrategy)>,
    /// Item orders.
    pub orders: Vec<ItemOrder>,
}

impl Options {
    /// `--strategy`, `--order` and `--key`, each comma-separated: strategies are `TYPE`
    /// or `TYPE:FIELD`; orders `online` and `decreasing`, the latter once per key.
    pub fn parse(strategy: &str, order: &str, key: &str) -> Result<Options, Error> {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        };
        let strategies = list(strategy)
            .into_iter()
            .map(|s| parse_strategy(&s).map(|p| (s, p)))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|m| Error::invalid("--strategy", "", m))?;
        let keys = list(key)
            .iter()
            .map(|k| SortKey::parse(k))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|m| Error::invalid("--key", "", m))?;
        let mut orders = Vec::new();
        for o in list(order) {
            match o.as_str() {
                "online" => orders.push(ItemOrder::Online),
                "decreasing" => orders.extend(keys.iter().map(|&k| ItemOrder::Decreasing(k))),
                _ => {
                    return Err(Error::invalid(
                        "--order",
                        "",
                        format!("unknown order `{o}`: online or decreasing"),
                    ));
                }
            }
        }
        if strategies.is_empty() || orders.is_empty() {
            return Err(Error::invalid(
                "--strategy, --order, --key",
                "",
                "give at least one strategy, one order and (for decreasing) one key",
            ));
        }
        Ok(Options { strategies, orders })
    }
}

/// What one item reserves: a 1-D item of size w is (w, w); dimension 1 is CPU,
/// dimension 2 memory, and further dimensions are the research mode's extra resources.
fn reservation(inst: &PackInstance, i: usize) -> Reservation {
    let s = inst.item(i);
    Reservation {
        cpu: s[0],
        memory: s[s.len().min(2) - 1],
        extra: s.get(2..).unwrap_or_default().to_vec(),
        ..Default::default()
    }
}

/// One bin, as a container instance: the capacities mapped as [`reservation`] maps
/// sizes.
fn bin(inst: &PackInstance, n: usize) -> InstanceSpec {
    let c = &inst.capacity;
    let mut spec = InstanceSpec::new(bin_name(n), c[0], c[c.len().min(2) - 1]);
    spec.extra = c.get(2..).unwrap_or_default().to_vec();
    spec
}

/// `bin-<n>`, written digit by digit: a packing opens hundreds of bins, and the
/// formatting machinery was a twentieth of FFD's time.
fn bin_name(n: usize) -> String {
    let mut name = Vec::with_capacity(24);
    name.extend_from_slice(b"bin-");
    crate::text::push_decimal(&mut name, n as u64);
    String::from_utf8(name).expect("ASCII digits")
}

/// Packs `inst`'s items in `order` with `strategy` through the placement engine;
/// the bins used. `seed` feeds random tie-breaks and sampling strategies.
pub fn pack(inst: &PackInstance, strategy: &PlacementStrategy, order: &[u32], seed: u64) -> Result<u64, String> {
    let chain = Chain::compile(&[], &[], std::slice::from_ref(strategy)).map_err(|e| e.message)?;
    let mut cluster = Cluster::new("default");
    let mut placer = Placer::new(
        TieBreak::LowestId,
        RngStreams::new(seed).stream(crate::sim::concern::PLACEMENT, 0),
    );
    let plan = placer.plan(&cluster, &chain, Pool::Ec2);
    let group = cluster.group("items");
    // At most one bin per item; the volume bound is a fair first guess.
    cluster.reserve(order.len().min(1024));
    for &i in order {
        let res = reservation(inst, i as usize);
        let id = match placer.pick(plan, &res, group, &cluster) {
            Some(id) => id,
            None => {
                let id = cluster.register(bin(inst, cluster.len()), SimTime::ZERO);
                placer.instance_changed(&cluster, id);
                placer.pick(plan, &res, group, &cluster).ok_or_else(|| {
                    format!(
                        "{}: {} put item {} on no bin, not even a new empty one",
                        inst.name,
                        chain.labels().join(", "),
                        i + 1
                    )
                })?
            }
        };
        placer.allocate(&mut cluster, id, &res, group);
    }
    Ok(cluster.len() as u64)
}

/// An instance file found under the paths given, with its set.
#[derive(Clone, Debug)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its class folder's name.
    pub set: String,
}

/// The instance files under `paths` (files, or folders searched recursively in name
/// order); files that are not instances (notes, tables, archives) are skipped, but a
/// file named directly must be one.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Found>, Error> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::Read {
            file: p.display().to_string(),
            reason: e.to_string(),
        })?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            match Format::of(p).filter(|_| !Bounds::is_table(p)) {
                Some(format) => out.push(found(p, format)),
                None => {
                    return Err(Error::invalid(
                        &p.display().to_string(),
                        "",
                        "not a bin-packing instance: give a BPPLIB file (.txt, .bpp), a VPSolver file (.vbp), or a folder of them",
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn found(path: &Path, format: Format) -> Found {
    let set = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("instances")
        .to_string();
    Found {
        path: path.to_path_buf(),
        format,
        set,
    }
}

fn walk(dir: &Path, out: &mut Vec<Found>) -> Result<(), Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Read {
            file: dir.display().to_string(),
            reason: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if let Some(format) = Format::of(&p).filter(|_| !Bounds::is_table(&p)) {
            out.push(found(&p, format));
        }
    }
    Ok(())
}

/// One instance, read, with what is known of its optimum.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it was found.
    pub found: Found,
    /// The instance.
    pub instance: PackInstance,
    /// The proven optimum, if any.
    pub optimum: Option<u64>,
    /// The best lower bound: the published one or the volume bound, whichever is higher.
    pub lower_bound: u64,
}

/// Reads every instance found, and looks up its optimum and lower bound.
pub fn load(found: Vec<Found>) -> Result<Vec<Loaded>, Error> {
    let mut bounds = Bounds::default();
    found
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f.path).map_err(|e| Error::Read {
                file: f.path.display().to_string(),
                reason: e.to_string(),
            })?;
            let instance = format::parse(&f.path.display().to_string(), &text, f.format)?;
            let known = bounds.lookup(&f.path, &instance.name)?.unwrap_or(Known::default());
            let lower_bound = known.lower_bound.max(instance.volume_bound());
            Ok(Loaded {
                found: f,
                optimum: known.optimum,
                lower_bound,
                instance,
            })
        })
        .collect()
}

/// One row of `<set>.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct PackRow {
    /// The class folder's name.
    pub set: String,
    /// The file name without its extension.
    pub instance: String,
    /// The strategy, as the command line named it.
    pub strategy: String,
    /// `online`, or `decreasing:<key>`.
    pub order: String,
    /// Items packed.
    pub items: u64,
    /// Bins used.
    pub bins: u64,
    /// The proven optimum, if any.
    pub optimum: Option<u64>,
    /// The best lower bound.
    pub lower_bound: u64,
    /// Bins over the optimum, or over the lower bound where none is proven.
    pub ratio: f64,
    /// Wall time of this packing, milliseconds (the one column that varies between runs).
    pub wall_ms: f64,
}

/// The CSV's columns.
pub const COLUMNS: [&str; 10] = [
    "set",
    "instance",
    "strategy",
    "order",
    "items",
    "bins",
    "optimum",
    "lowerBound",
    "ratio",
    "wallMs",
];

impl PackRow {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 10] {
        [
            self.set.clone(),
            self.instance.clone(),
            self.strategy.clone(),
            self.order.clone(),
            self.items.to_string(),
            self.bins.to_string(),
            self.optimum.map(|o| o.to_string()).unwrap_or_default(),
            self.lower_bound.to_string(),
            format!("{:.4}", self.ratio),
            format!("{:.3}", self.wall_ms),
        ]
    }
}

/// Packs every instance with every (strategy, order), in parallel over instances on
/// `jobs` threads (all cores when `None`); rows in instance, strategy, order order.
/// `tick` is called once per instance done.
pub fn run_pack(
    loaded: &[Loaded],
    opts: &Options,
    seed: u64,
    jobs: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<PackRow>, Error> {
    let pool = crate::output::thread_pool(jobs)?;
    let per_instance: Vec<Result<Vec<PackRow>, String>> = pool.install(|| {
        loaded
            .par_iter()
            .map(|l| {
                let rows = pack_one(l, opts, seed);
                tick();
                rows
            })
            .collect()
    });
    let mut rows = Vec::new();
    for (l, r) in loaded.iter().zip(per_instance) {
        rows.extend(r.map_err(|m| Error::invalid(&l.found.path.display().to_string(), "", m))?);
    }
    Ok(rows)
}

fn pack_one(l: &Loaded, opts: &Options, seed: u64) -> Result<Vec<PackRow>, String> {
    let mut rows = Vec::new();
    for (name, s) in &opts.strategies {
        for &o in &opts.orders {
            let items = item_order(&l.instance, o);
            // Wall time is measured for the wallMs column only; no decision reads it.
            let started = std::time::Instant::now();
            let bins = pack(&l.instance, s, &items, seed)?;
            let wall_ms = started.elapsed().as_secs_f64() * 1e3;
            let reference = l.optimum.unwrap_or(l.lower_bound).max(1);
            rows.push(PackRow {
                set: l.found.set.clone(),
                instance: l.instance.name.clone(),
                strategy: name.clone(),
                order: o.to_string(),
                items: l.instance.len() as u64,
                bins,
                optimum: l.optimum,
                lower_bound: l.lower_bound,
                ratio: bins as f64 / reference as f64,
                wall_ms,
            });
        }
    }
    Ok(rows)
}

/// One line of the printed summary: a (set, strategy, order) over its instances.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryLine {
    /// The set.
    pub set: String,
    /// The strategy.
    pub strategy: String,
    /// The order.
    pub order: String,
    /// Instances.
    pub instances: usize,
    /// Instances with a proven optimum.
    pub with_optimum: usize,
    /// Of those, the ones packed in the optimum.
    pub at_optimum: usize,
    /// Mean ratio.
    pub mean_ratio: f64,
    /// Worst ratio.
    pub worst_ratio: f64,
    /// Bins used in all.
    pub bins: u64,
}

/// The summary per (set, strategy, order), in the order they first appear.
pub fn summarize(rows: &[PackRow]) -> Vec<SummaryLine> {
    let mut out: Vec<SummaryLine> = Vec::new();
    for r in rows {
        let at = match out
            .iter()
            .position(|s| s.set == r.set && s.strategy == r.strategy && s.order == r.order)
        {
            Some(at) => at,
            None => {
                out.push(SummaryLine {
                    set: r.set.clone(),
                    strategy: r.strategy.clone(),
                    order: r.order.clone(),
                    instances: 0,
                    with_optimum: 0,
                    at_optimum: 0,
                    mean_ratio: 0.0,
                    worst_ratio: 0.0,
                    bins: 0,
                });
                out.len() - 1
            }
        };
        let s = &mut out[at];
        s.instances += 1;
        s.mean_ratio += r.ratio;
        s.worst_ratio = s.worst_ratio.max(r.ratio);
        s.bins += r.bins;
        if let Some(o) = r.optimum {
            s.with_optimum += 1;
            s.at_optimum += usize::from(r.bins == o);
        }
    }
    for s in &mut out {
        s.mean_ratio /= s.instances as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bins_are_named_by_their_number() {
        assert_eq!(
            [0, 7, 10, 4096].map(super::bin_name),
            ["bin-0", "bin-7", "bin-10", "bin-4096"]
        );
    }
}
