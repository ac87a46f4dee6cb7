//! `ecsim pack`: read the instances, pack them on every core, write `<set>.csv` per
//! class and print the summary.

use super::{out_dir, quiet};
use crate::error::Error;
use crate::output::OutDir;
use std::path::PathBuf;
use std::time::Instant;

/// Runs `ecsim pack`.
pub(super) fn pack(
    paths: &[PathBuf],
    strategy: &str,
    order: &str,
    key: &str,
    out: Option<PathBuf>,
    seed: u64,
    jobs: Option<usize>,
) -> Result<(), Error> {
    let opts = crate::pack::Options::parse(strategy, order, key)?;
    let found = crate::pack::discover(paths)?;
    if found.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::invalid(
            &named.join(", "),
            "",
            "no bin-packing instance here: BPPLIB files (.txt, .bpp) or VPSolver files (.vbp) were expected",
        ));
    }
    let loaded = crate::pack::load(found)?;
    let started = Instant::now();
    let bar = crate::output::progress::Counter::new(loaded.len() as u64, "instances", !quiet());
    let rows = crate::pack::run_pack(&loaded, &opts, seed, jobs, &|| bar.inc())?;
    bar.finish();
    let dir = out_dir(out, "pack");
    let mut out = OutDir::open(&dir)?;
    let mut sets: Vec<&str> = rows.iter().map(|r| r.set.as_str()).collect();
    sets.sort_unstable();
    sets.dedup();
    for set in &sets {
        let name = format!("{set}.csv");
        let mut w = csv::Writer::from_writer(out.create(&name)?);
        let written = (|| -> Result<(), csv::Error> {
            w.write_record(crate::pack::COLUMNS)?;
            for r in rows.iter().filter(|r| r.set == *set) {
                w.write_record(r.cells())?;
            }
            w.flush()?;
            Ok(())
        })();
        written.map_err(|e| Error::Write {
            path: dir.join(&name).display().to_string(),
            reason: e.to_string(),
        })?;
    }
    out.commit()?;
    say_raw!("{}", pack_table(&crate::pack::summarize(&rows)));
    say!(
        "wrote {} ({} instances × {} strategies × {} orders)",
        if sets.len() == 1 {
            dir.join(format!("{}.csv", sets[0])).display().to_string()
        } else {
            format!("{} files in {}", sets.len(), dir.display())
        },
        loaded.len(),
        opts.strategies.len(),
        opts.orders.len()
    );
    if !quiet() {
        eprintln!("{} packings in {:.2?} wall time", rows.len(), started.elapsed());
    }
    Ok(())
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
