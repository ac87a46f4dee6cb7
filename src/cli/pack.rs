//! `ecsim pack`: read the instances, pack them on every core, write `<set>.csv` per
//! class and print the summary.

use super::{out_dir, quiet};
use crate::error::Error;
use crate::output::OutDir;
use crate::pack::gpu_share::{self, GpuPolicy};
use std::path::PathBuf;
use std::time::Instant;

/// Runs `ecsim pack`: bin-packing instances through the placement engine, and openb
/// pod lists through the GPU-sharing research mode.
#[allow(clippy::too_many_arguments)]
pub(super) fn pack(
    paths: &[PathBuf],
    strategy: Option<&str>,
    order: &str,
    key: &str,
    out: Option<PathBuf>,
    seed: u64,
    runs: u32,
    jobs: Option<usize>,
) -> Result<(), Error> {
    let opts = crate::pack::Options::parse(strategy.unwrap_or("firstFit,bestFit"), order, key)?;
    let (gpu, bins): (Vec<_>, Vec<_>) = crate::pack::discover(paths)?
        .into_iter()
        .partition(|f| f.format == crate::pack::Format::OpenbPods);
    if gpu.is_empty() && bins.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::invalid(
            &named.join(", "),
            "",
            "no bin-packing instance here: BPPLIB files (.txt, .bpp), VPSolver files (.vbp) or openb pod lists (.csv) were expected",
        ));
    }
    let policies = gpu_policies(strategy);
    if !gpu.is_empty() && policies.is_empty() {
        let names: Vec<&str> = GpuPolicy::ALL.iter().map(|p| p.name()).collect();
        return Err(Error::invalid(
            "--strategy",
            "",
            format!(
                "openb pod lists run in the GPU-sharing mode, whose strategies are {}",
                names.join(", ")
            ),
        ));
    }
    let experiments = gpu.iter().map(gpu_share::load).collect::<Result<Vec<_>, Error>>()?;
    let loaded = crate::pack::load(bins)?;
    let started = Instant::now();
    let work = loaded.len() as u64 + (experiments.len() * policies.len()) as u64 * runs as u64;
    let bar = crate::output::progress::Counter::new(work, "packings", !quiet());
    let rows = crate::pack::run_pack(&loaded, &opts, seed, jobs, &|| bar.inc())?;
    let gpu_rows = gpu_share::run_all(&experiments, &policies, runs, seed, jobs, &|| bar.inc())?;
    bar.finish();
    let dir = out_dir(out, "pack");
    let mut out = OutDir::open(&dir)?;
    let mut files = Vec::new();
    for set in distinct(rows.iter().map(|r| r.set.as_str())) {
        let cells = rows.iter().filter(|r| r.set == set).map(|r| r.cells());
        files.push(write_csv(
            &mut out,
            &dir,
            format!("{set}.csv"),
            &crate::pack::COLUMNS,
            cells,
        )?);
    }
    for set in distinct(gpu_rows.iter().map(|r| r.set.as_str())) {
        let cells = gpu_rows.iter().filter(|r| r.set == set).map(|r| r.cells());
        files.push(write_csv(
            &mut out,
            &dir,
            format!("{set}-gpu.csv"),
            &gpu_share::COLUMNS,
            cells,
        )?);
    }
    out.commit()?;
    if !rows.is_empty() {
        say_raw!("{}", pack_table(&crate::pack::summarize(&rows)));
        say!(
            "{} instances × {} strategies × {} orders",
            loaded.len(),
            opts.strategies.len(),
            opts.orders.len()
        );
    }
    if !gpu_rows.is_empty() {
        say_raw!("{}", gpu_table(&gpu_share::summarize(&gpu_rows)));
        say!(
            "research mode (not ECS): GPU sharing, {} pod lists × {} strategies × {runs} runs",
            experiments.len(),
            policies.len()
        );
    }
    say!(
        "wrote {}",
        match files.as_slice() {
            [one] => dir.join(one).display().to_string(),
            _ => format!("{} files in {}", files.len(), dir.display()),
        }
    );
    if !quiet() {
        eprintln!(
            "{} packings in {:.2?} wall time",
            rows.len() + gpu_rows.len(),
            started.elapsed()
        );
    }
    Ok(())
}

/// The GPU-sharing policies `--strategy` names (all four by default); other strategies
/// are for bin packing only.
fn gpu_policies(strategy: Option<&str>) -> Vec<GpuPolicy> {
    match strategy {
        None => GpuPolicy::ALL.to_vec(),
        Some(list) => list.split(',').filter_map(|s| GpuPolicy::of(s.trim())).collect(),
    }
}

/// The distinct values, sorted.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = values.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Writes `name` in `out` (a header, then rows); its name.
fn write_csv<const N: usize>(
    out: &mut OutDir,
    dir: &std::path::Path,
    name: String,
    header: &[&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(out.create(&name)?);
    let written = (|| -> Result<(), csv::Error> {
        w.write_record(header)?;
        for r in rows {
            w.write_record(r)?;
        }
        w.flush()?;
        Ok(())
    })();
    written.map_err(|e| Error::Write {
        path: dir.join(&name).display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(name)
}

/// The printed summary of the GPU-sharing runs: means over runs.
fn gpu_table(lines: &[gpu_share::GpuSummary]) -> String {
    let mut t = format!(
        "{:<28} {:<26} {:<14} {:>5} {:>14} {:>14} {:>10}\n",
        "set", "instance", "strategy", "runs", "firstFailure%", "fullDemand%", "final%"
    );
    for l in lines {
        let first = l.at_first_failure_pct.map_or("-".to_string(), |v| format!("{v:.2}"));
        t += &format!(
            "{:<28} {:<26} {:<14} {:>5} {:>14} {:>14.2} {:>10.2}\n",
            l.set, l.instance, l.strategy, l.runs, first, l.at_full_demand_pct, l.final_pct
        );
    }
    t
}

/// The printed summary: one line per set, strategy and order.
fn pack_table(lines: &[crate::pack::SummaryLine]) -> String {
    let mut t = format!(
        "{:<24} {:<16} {:<20} {:>9} {:>10} {:>10} {:>11} {:>10}\n",
        "set", "strategy", "order", "instances", "bins", "meanRatio", "atOptimum", "worstRatio"
    );
    for l in lines {
        let at = if l.with_optimum == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", 100.0 * l.at_optimum as f64 / l.with_optimum as f64)
        };
        t += &format!(
            "{:<24} {:<16} {:<20} {:>9} {:>10} {:>10.4} {:>11} {:>10.4}\n",
            l.set, l.strategy, l.order, l.instances, l.bins, l.mean_ratio, at, l.worst_ratio
        );
    }
    t
}
