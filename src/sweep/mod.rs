//! Sweeps: a base scenario, axes that set field paths, and seeds ([`expand`]); every
//! (variant, seed) run in parallel with rayon, results collected by run index — so
//! sweep.csv is byte-identical whatever the thread count.

pub mod expand;

pub use expand::{Sweep, load_sweep};

use crate::error::Error;
use crate::sim::journal::SummaryOnly;
use crate::sim::metrics::Summary;
use rayon::prelude::*;
use std::io::Write;

/// One sweep.csv row.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// Run number.
    pub run: usize,
    /// The variant's label per axis.
    pub labels: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// The run's summary.
    pub summary: Summary,
}

/// Runs every run of `sweep` on `jobs` threads (all cores when `None`), with a
/// progress bar on stderr when `progress` and stderr is a terminal.
pub fn run_sweep(sweep: &Sweep, jobs: Option<usize>, progress: bool) -> Result<Vec<SweepRow>, Error> {
    let runs = sweep.runs();
    let bar = crate::output::progress::counter(runs.len() as u64, "runs", progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Write {
            path: "thread pool".into(),
            reason: e.to_string(),
        })?;
    let rows = pool.install(|| {
        runs.par_iter()
            .map(|r| {
                let out = crate::sim::run(&sweep.scenarios[r.variant], r.seed, &mut SummaryOnly);
                bar.inc(1);
                SweepRow {
                    run: r.index,
                    labels: sweep.variants[r.variant].labels.clone(),
                    seed: r.seed,
                    summary: out.summary,
                }
            })
            .collect::<Vec<_>>()
    });
    bar.finish_and_clear();
    Ok(rows)
}

/// sweep.csv: run, one column per axis, seed, then the summary columns (but its seed).
pub fn write_sweep_csv(w: impl Write, sweep: &Sweep, rows: &[SweepRow]) -> Result<(), csv::Error> {
    let mut wr = csv::Writer::from_writer(w);
    // Variants may differ in their accounts (costUsd[…]): the columns are the union, in
    // first-seen order, and a run without one leaves it empty.
    let cells: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|r| r.summary.cells().into_iter().filter(|(n, _)| n != "seed").collect())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for c in &cells {
        for (n, _) in c {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let mut header: Vec<String> = vec!["run".into()];
    header.extend(sweep.axes.iter().cloned());
    header.push("seed".into());
    header.extend(names.iter().cloned());
    wr.write_record(&header)?;
    for (r, c) in rows.iter().zip(&cells) {
        let mut rec = vec![r.run.to_string()];
        rec.extend(r.labels.iter().cloned());
        rec.push(r.seed.to_string());
        rec.extend(names.iter().map(|n| {
            c.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        }));
        wr.write_record(&rec)?;
    }
    wr.flush()?;
    Ok(())
}

/// Columns of the printed comparison.
const SHOWN: &[&str] = &[
    "tasksArrived",
    "tasksPlaced",
    "tasksWaitingAtEnd",
    "waitMeanS",
    "waitP50S",
    "waitP95S",
    "waitP99S",
    "instancesUsedMax",
    "instancesUsedMean",
    "cpuReservedMeanPct",
    "memReservedMeanPct",
    "costUsd",
];

fn align(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 || c.parse::<f64>().is_err() {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The comparison printed after a sweep: one line per run, then the mean over seeds
/// of each variant.
pub fn comparison_table(sweep: &Sweep, rows: &[SweepRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut header: Vec<String> = vec!["run".into()];
    header.extend(sweep.axes.iter().cloned());
    header.push("seed".into());
    header.extend(SHOWN.iter().map(|s| s.to_string()));
    let pick = |s: &Summary| -> Vec<String> { SHOWN.iter().map(|k| s.get(k).unwrap_or_default()).collect() };
    let mut table = vec![header.clone()];
    for r in rows {
        let mut line = vec![r.run.to_string()];
        line.extend(r.labels.iter().cloned());
        line.push(r.seed.to_string());
        line.extend(pick(&r.summary));
        table.push(line);
    }
    let mut out = align(&table);
    if sweep.seeds.len() > 1 {
        let mut means = vec![{
            let mut h = vec!["variant".to_string()];
            h.extend(SHOWN.iter().map(|s| s.to_string()));
            h
        }];
        for variant in &sweep.variants {
            let of_variant: Vec<Vec<f64>> = rows
                .iter()
                .filter(|r| r.labels == variant.labels)
                .map(|r| pick(&r.summary).iter().map(|x| x.parse().unwrap_or(0.0)).collect())
                .collect();
            let n = of_variant.len().max(1) as f64;
            let mut line = vec![variant.labels.join(" / ")];
            for c in 0..SHOWN.len() {
                let mean = of_variant.iter().map(|r| r[c]).sum::<f64>() / n;
                line.push(if SHOWN[c] == "costUsd" {
                    format!("{mean:.4}")
                } else {
                    format!("{mean:.2}")
                });
            }
            means.push(line);
        }
        out.push_str(&format!("\nMean over {} seeds:\n", sweep.seeds.len()));
        out.push_str(&align(&means));
    }
    if let Some(sel) = &sweep.select {
        out.push('\n');
        out.push_str(&answer(sweep, rows, sel));
    }
    out
}

/// The variant a sweep's `select` asks for, as a sentence.
pub fn answer(sweep: &Sweep, rows: &[SweepRow], sel: &crate::scenario::schema::Select) -> String {
    let mean = |labels: &[String], col: &str| -> f64 {
        let vals: Vec<f64> = rows
            .iter()
            .filter(|r| r.labels == labels)
            .filter_map(|r| r.summary.get(col).and_then(|v| v.parse().ok()))
            .collect();
        vals.iter().sum::<f64>() / vals.len().max(1) as f64
    };
    let bound = sel.condition.as_deref().and_then(|c| expand::parse_condition(c).ok());
    let holds = |labels: &[String]| match &bound {
        None => true,
        Some((col, op, n)) => {
            let v = mean(labels, col);
            match op.as_str() {
                "<" => v < *n,
                "<=" => v <= *n,
                ">" => v > *n,
                _ => v >= *n,
            }
        }
    };
    let best = sweep
        .variants
        .iter()
        .filter(|v| holds(&v.labels))
        .min_by(|a, b| mean(&a.labels, &sel.minimize).total_cmp(&mean(&b.labels, &sel.minimize)));
    let cond = sel
        .condition
        .as_deref()
        .map(|c| format!(" with mean {c}"))
        .unwrap_or_default();
    match best {
        Some(v) => format!(
            "Least mean {}{cond}: {} ({} = {:.4} over {} seeds)\n",
            sel.minimize,
            v.labels.join(" / "),
            sel.minimize,
            mean(&v.labels, &sel.minimize),
            sweep.seeds.len()
        ),
        None => format!("No variant has mean {}.\n", sel.condition.as_deref().unwrap_or("")),
    }
}
