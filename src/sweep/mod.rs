//! Sweeps: a base scenario, axes that set field paths, and seeds ([`expand`]); every
//! (variant, seed) run in parallel with rayon. Each finished run is appended to a
//! record file at once ([`store`]), so a killed sweep keeps what it finished and a
//! shard's runs can be merged elsewhere; sweep.csv is written from the records in run
//! order — byte-identical whatever the thread count, the shards or the interruptions.

pub mod expand;
pub mod load;
pub mod report;
pub mod store;

pub use expand::Sweep;
pub use load::load_sweep;

use crate::error::Error;
use crate::scenario::schema::Select;
use crate::sim::journal::SummaryOnly;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;

/// What the runs of a sweep are, without their scenarios: enough to number them, to
/// write sweep.csv and the comparison, and to tell one sweep's runs from another's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// The sweep's name.
    pub name: String,
    /// [`Sweep::fingerprint`].
    pub fingerprint: String,
    /// Axis names.
    pub axes: Vec<String>,
    /// Each configuration's label per axis, in run order.
    pub variants: Vec<Vec<String>>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// The question the comparison answers.
    pub select: Option<Select>,
}

impl Layout {
    /// How many runs: configurations × seeds.
    pub fn runs(&self) -> usize {
        self.variants.len() * self.seeds.len()
    }

    /// Run `run`'s configuration and seed (first axis slowest, seeds fastest).
    pub fn run(&self, run: usize) -> (usize, u64) {
        (run / self.seeds.len(), self.seeds[run % self.seeds.len()])
    }

    /// A configuration's label: its axis labels joined by ` / `.
    pub fn label(&self, variant: usize) -> String {
        self.variants[variant].join(" / ")
    }
}

impl Sweep {
    /// The sweep's [`Layout`].
    pub fn layout(&self) -> Layout {
        Layout {
            name: self.name.clone(),
            fingerprint: self.fingerprint.clone(),
            axes: self.axes.clone(),
            variants: self.variants.iter().map(|v| v.labels.clone()).collect(),
            seeds: self.seeds.clone(),
            select: self.select.clone(),
        }
    }
}

/// One run's result: its summary's cells, as sweep.csv writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// Run number.
    pub run: usize,
    /// The summary's (column, value) cells, `seed` included.
    pub cells: Vec<(String, String)>,
}

impl SweepRow {
    /// The value of summary column `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of column `name`, looked for first at position `hint` (runs of one
    /// sweep mostly share their columns), then anywhere.
    pub fn get_at(&self, hint: usize, name: &str) -> Option<&str> {
        match self.cells.get(hint) {
            Some((n, v)) if n == name => Some(v),
            _ => self.get(name),
        }
    }

    /// The value of summary column `name` as a number (0 when absent).
    pub fn number(&self, name: &str) -> f64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }
}

/// Which runs this process does: all, or shard `k` of `n` (runs whose number is `k`
/// modulo `n`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub k: usize,
    /// How many shards.
    pub n: usize,
}

impl Shard {
    /// Every run.
    pub const ALL: Shard = Shard { k: 0, n: 1 };

    /// `K/N`, K from 0.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write K/N with 0 ≤ K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether run `run` is this shard's.
    pub fn has(&self, run: usize) -> bool {
        run % self.n == self.k
    }
}

/// Runs this shard's runs of `sweep` not in `done`, on `jobs` threads (all cores when
/// `None`), handing each result to `finished` as it completes (any order); `tick` is
/// called once per run. Returns the new rows in run order.
pub fn run_sweep_with(
    sweep: &Sweep,
    shard: Shard,
    done: &std::collections::BTreeSet<usize>,
    jobs: Option<usize>,
    finished: &(dyn Fn(&SweepRow) -> Result<(), Error> + Sync),
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SweepRow>, Error> {
    let layout = sweep.layout();
    let todo: Vec<usize> = (0..layout.runs())
        .filter(|r| shard.has(*r) && !done.contains(r))
        .collect();
    let pool = crate::output::thread_pool(jobs)?;
    pool.install(|| {
        todo.par_iter()
            .map(|&run| {
                let (variant, seed) = layout.run(run);
                let out = crate::sim::run(&sweep.scenarios[variant], seed, &mut SummaryOnly);
                let row = SweepRow {
                    run,
                    cells: out.summary.cells(),
                };
                finished(&row)?;
                tick();
                Ok(row)
            })
            .collect::<Result<Vec<_>, Error>>()
    })
}

/// Runs every run of `sweep` on `jobs` threads (all cores when `None`), with a
/// progress bar on stderr when `progress` and stderr is a terminal; rows in run order.
pub fn run_sweep(sweep: &Sweep, jobs: Option<usize>, progress: bool) -> Result<Vec<SweepRow>, Error> {
    let bar = crate::output::progress::Counter::new(sweep.layout().runs() as u64, "runs", progress);
    let rows = run_sweep_with(sweep, Shard::ALL, &Default::default(), jobs, &|_| Ok(()), &|| bar.inc())?;
    bar.finish();
    Ok(rows)
}

/// sweep.csv: run, one column per axis, seed, then the summary columns (but its seed),
/// then `paretoWait` and `paretoInstances`. `rows` in run order.
pub fn write_sweep_csv(w: impl Write, layout: &Layout, rows: &[SweepRow]) -> Result<(), csv::Error> {
    let mut wr = csv::Writer::from_writer(w);
    // Variants may differ in their accounts (costUsd[…]): the columns are the union, in
    // first-seen order, and a run without one leaves it empty.
    let mut names: Vec<&str> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        for (n, _) in &r.cells {
            if n != "seed" && seen.insert(n.as_str()) {
                names.push(n);
            }
        }
    }
    // Where each column sits in the first row's cells, to find it at once in the others.
    let hints: Vec<usize> = names
        .iter()
        .map(|n| {
            rows.first()
                .and_then(|r| r.cells.iter().position(|(c, _)| c == n))
                .unwrap_or(0)
        })
        .collect();
    let pareto = report::pareto(layout, rows);
    let mut header: Vec<&str> = vec!["run"];
    header.extend(layout.axes.iter().map(String::as_str));
    header.push("seed");
    header.extend(names.iter().copied());
    header.extend(["paretoWait", "paretoInstances"]);
    wr.write_record(&header)?;
    for r in rows {
        let (variant, seed) = layout.run(r.run);
        let (run, seed) = (r.run.to_string(), seed.to_string());
        let mut rec: Vec<&str> = Vec::with_capacity(header.len());
        rec.push(&run);
        rec.extend(layout.variants[variant].iter().map(String::as_str));
        rec.push(&seed);
        rec.extend(
            names
                .iter()
                .zip(&hints)
                .map(|(n, &h)| r.get_at(h, n).unwrap_or_default()),
        );
        let (wait, instances) = pareto[variant];
        rec.extend([if wait { "1" } else { "0" }, if instances { "1" } else { "0" }]);
        wr.write_record(&rec)?;
    }
    wr.flush()?;
    Ok(())
}
