//! `ecsim sweep` and `ecsim merge`: runs recorded as they finish, shards, resumption,
//! sweep.csv written from the records, and the printed comparison and answers.

use super::{SloOptions, out_dir, print_warnings, quiet};
use crate::error::Error;
use crate::output::OutDir;
use crate::sweep::report::{Slo, comparison_table};
use crate::sweep::store::{Records, file_name, merge as merge_records, shard_files};
use crate::sweep::{Layout, Shard, SweepRow, load_sweep, run_sweep_with, write_sweep_csv};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The configuration `--variant` names: its number, or its label as sweep.csv shows
/// it (axis labels joined by ` / `).
pub(super) fn variant_number(layout: &Layout, v: &str) -> Result<usize, String> {
    let n = (0..layout.variants.len()).find(|&i| layout.label(i) == v);
    n.or_else(|| v.parse().ok().filter(|&i: &usize| i < layout.variants.len()))
        .ok_or_else(|| {
            let shown: Vec<String> = (0..layout.variants.len().min(12))
                .map(|i| format!("{i} `{}`", layout.label(i)))
                .collect();
            format!(
                "no configuration `{v}`: give its number (0 to {}) or its label: {}{}",
                layout.variants.len() - 1,
                shown.join(", "),
                if layout.variants.len() > 12 { ", …" } else { "" }
            )
        })
}

/// `--shard K/N`.
pub(super) fn shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

fn slo_of(o: &SloOptions) -> Result<Option<Slo>, Error> {
    o.slo
        .as_deref()
        .map(|s| Slo::parse(s, o.slo_quantile).map_err(|m| Error::invalid("--slo", "", m)))
        .transpose()
}

/// Runs `ecsim sweep`.
pub(super) fn sweep(
    file: &Path,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    shard: Option<Shard>,
    resume: bool,
    slo: &SloOptions,
    report: bool,
) -> Result<(), Error> {
    let slo = slo_of(slo)?;
    let sw = load_sweep(file)?;
    for sc in sw.scenarios.iter().take(1) {
        print_warnings(&sc.warnings);
    }
    print_warnings(&sw.warnings);
    let layout = sw.layout();
    let shard = shard.unwrap_or(Shard::ALL);
    let dir = out_dir(out, &sw.name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::Write {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let records_path = dir.join(file_name(shard));
    if !resume && records_path.exists() && !quiet() {
        eprintln!(
            "note: starting over: {} holds runs of an unfinished sweep; --resume keeps them",
            records_path.display()
        );
    }
    let (records, kept) = Records::open(&records_path, &layout, shard, resume)?;
    let done = kept.iter().map(|r| r.run).collect();
    let mine = (0..layout.runs()).filter(|r| shard.has(*r)).count();
    if resume && !quiet() {
        eprintln!("resuming: {} of {mine} runs already done", kept.len());
    }
    let started = Instant::now();
    let bar = crate::output::progress::Counter::new(mine.saturating_sub(kept.len()) as u64, "runs", !quiet());
    let new = run_sweep_with(&sw, shard, &done, jobs, &|r| records.append(r), &|| bar.inc())?;
    bar.finish();
    let ran = new.len();
    let mut rows = kept;
    rows.extend(new);
    rows.sort_by_key(|r| r.run);
    if shard != Shard::ALL {
        say!(
            "shard {}/{} of sweep `{}`: {} of its {mine} runs done; wrote {}",
            shard.k,
            shard.n,
            layout.name,
            rows.len(),
            records_path.display()
        );
        say!("join the shards with: ecsim merge OUT {} …", dir.display());
    } else {
        finish(&dir, &layout, &rows, slo.as_ref())?;
        records.remove()?;
        if report {
            super::draw_report(&dir, None)?;
        }
    }
    if !quiet() {
        eprintln!("{ran} runs in {:.2?} wall time", started.elapsed());
    }
    Ok(())
}

/// Runs `ecsim merge`.
pub(super) fn merge(out: &Path, shards: &[PathBuf], slo: &SloOptions) -> Result<(), Error> {
    let slo = slo_of(slo)?;
    let mut files = Vec::new();
    for s in shards {
        files.extend(shard_files(s)?);
    }
    let (layout, rows) = merge_records(&files)?;
    finish(out, &layout, &rows, slo.as_ref())
}

/// Writes sweep.csv into `dir` and prints the comparison.
fn finish(dir: &Path, layout: &Layout, rows: &[SweepRow], slo: Option<&Slo>) -> Result<(), Error> {
    let mut out = OutDir::open(dir)?;
    let w = out.create("sweep.csv")?;
    write_sweep_csv(w, layout, rows).map_err(|e| Error::Write {
        path: dir.join("sweep.csv").display().to_string(),
        reason: e.to_string(),
    })?;
    out.commit()?;
    say_raw!("{}", comparison_table(layout, rows, slo));
    say!("wrote {}", dir.join("sweep.csv").display());
    Ok(())
}
