//! The record file of a sweep's finished runs: JSON lines, a header naming the sweep
//! ([`Layout`]) and the shard, then one line per run, appended and flushed as each run
//! finishes (in any order). A killed sweep keeps its finished runs there, `--resume`
//! runs only the rest, and `ecsim merge` joins the files of several shards into the
//! sweep.csv one machine would have written. A last line cut short by a kill is
//! ignored.

use super::{Layout, Shard, SweepRow};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The first line of a record file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// The sweep.
    pub layout: Layout,
    /// The shard, `[K, N]`.
    pub shard: (usize, usize),
}

/// The record file's name in the output folder: `sweep.runs.jsonl` for a whole sweep
/// (removed once sweep.csv is written), `shard-K-of-N.jsonl` for a shard.
pub fn file_name(shard: Shard) -> String {
    if shard == Shard::ALL {
        "sweep.runs.jsonl".into()
    } else {
        format!("shard-{}-of-{}.jsonl", shard.k, shard.n)
    }
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn invalid(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Invalid(vec![crate::error::Problem {
        file: path.display().to_string(),
        path: String::new(),
        position: (line > 0).then_some((line, 1)),
        message: message.into(),
    }])
}

/// An open record file, appended to from the threads running the sweep.
pub struct Records {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Records {
    /// Opens `path` for `layout` and `shard`. With `resume`, a file of the same sweep
    /// and shard keeps its finished runs, which are returned; otherwise (or when there
    /// is none) a new file is started.
    pub fn open(path: &Path, layout: &Layout, shard: Shard, resume: bool) -> Result<(Records, Vec<SweepRow>), Error> {
        let header = Header {
            layout: layout.clone(),
            shard: (shard.k, shard.n),
        };
        let mut kept = Vec::new();
        if resume && path.exists() {
            let (h, rows) = read(path)?;
            if h != header {
                return Err(invalid(
                    path,
                    1,
                    "--resume: this record file is of another sweep, or another shard of it (its name, scenario, variants, seeds or ecsim version differ); remove it or run without --resume",
                ));
            }
            // Only this shard's runs, each once (a file edited or joined by hand may repeat one).
            let mut seen = BTreeSet::new();
            kept = rows
                .into_iter()
                .filter(|r| shard.has(r.run) && seen.insert(r.run))
                .collect();
        }
        let mut text = serde_json::to_string(&header).map_err(|e| write_err(path, e))? + "\n";
        for r in &kept {
            text += &(serde_json::to_string(r).map_err(|e| write_err(path, e))? + "\n");
        }
        // Rewritten whole, so that a line cut short by a kill goes.
        std::fs::write(path, text).map_err(|e| write_err(path, e))?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| write_err(path, e))?;
        Ok((
            Records {
                path: path.to_path_buf(),
                file: Mutex::new(file),
            },
            kept,
        ))
    }

    /// Appends one finished run, at once.
    pub fn append(&self, row: &SweepRow) -> Result<(), Error> {
        let line = serde_json::to_string(row).map_err(|e| write_err(&self.path, e))? + "\n";
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| write_err(&self.path, e))
    }

    /// Deletes the file (the sweep is complete and sweep.csv written).
    pub fn remove(self) -> Result<(), Error> {
        std::fs::remove_file(&self.path).map_err(|e| write_err(&self.path, e))
    }
}

/// Reads a record file: its header and runs. A last line that does not parse (a run
/// being written when the sweep was killed) is ignored; any other bad line is an error.
pub fn read(path: &Path) -> Result<(Header, Vec<SweepRow>), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Read {
        file: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut lines = text.lines().enumerate();
    let header: Header = match lines.next() {
        Some((_, l)) => serde_json::from_str(l)
            .map_err(|e| invalid(path, 1, format!("not a sweep record file (its first line: {e})")))?,
        None => return Err(invalid(path, 0, "empty: not a sweep record file")),
    };
    let last = text.lines().count();
    let mut rows = Vec::new();
    for (i, l) in lines {
        match serde_json::from_str::<SweepRow>(l) {
            Ok(r) if r.run < header.layout.runs() => rows.push(r),
            Ok(r) => {
                return Err(invalid(
                    path,
                    i + 1,
                    format!("run {} is beyond this sweep's {} runs", r.run, header.layout.runs()),
                ));
            }
            Err(_) if i + 1 == last && !text.ends_with('\n') => {}
            Err(e) => return Err(invalid(path, i + 1, format!("not a run record: {e}"))),
        }
    }
    Ok((header, rows))
}

/// The shard record files in `dir` (or `dir` itself when it is a file), in name order.
pub fn shard_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Read {
            file: dir.display().to_string(),
            reason: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid(
            dir,
            0,
            "no shard file (shard-K-of-N.jsonl) here: give the --out folders of `ecsim sweep --shard`",
        ));
    }
    Ok(files)
}

/// Joins the runs of several record files of one sweep, in run order; refuses files of
/// different sweeps, a run found twice, and runs found nowhere, naming them.
pub fn merge(files: &[PathBuf]) -> Result<(Layout, Vec<SweepRow>), Error> {
    let mut layout: Option<(Layout, &PathBuf)> = None;
    let mut by_run: BTreeMap<usize, (SweepRow, &PathBuf)> = BTreeMap::new();
    for f in files {
        let (h, mut rows) = read(f)?;
        rows.sort_by_key(|r| r.run);
        match &layout {
            None => layout = Some((h.layout, f)),
            Some((l, first)) if *l != h.layout => {
                return Err(invalid(
                    f,
                    1,
                    format!(
                        "a shard of another sweep than {} (sweep `{}` {}, here `{}` {}): shards must come from the same sweep file, ecsim version and seeds",
                        first.display(),
                        l.name,
                        l.fingerprint,
                        h.layout.name,
                        h.layout.fingerprint
                    ),
                ));
            }
            Some(_) => {}
        }
        for r in rows {
            if let Some((_, other)) = by_run.get(&r.run) {
                return Err(invalid(
                    f,
                    0,
                    format!(
                        "run {} is also in {}: a shard was given twice, or shards of different N were mixed",
                        r.run,
                        other.display()
                    ),
                ));
            }
            by_run.insert(r.run, (r, f));
        }
    }
    let Some((layout, _)) = layout else {
        return Err(Error::invalid("merge", "", "no shard files given"));
    };
    let have: BTreeSet<usize> = by_run.keys().copied().collect();
    let missing: Vec<String> = (0..layout.runs())
        .filter(|r| !have.contains(r))
        .map(|r| r.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = missing.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
        return Err(Error::invalid(
            "merge",
            "",
            format!(
                "{} of sweep `{}`'s {} runs are in no shard file (runs {shown}{}): a shard is missing or unfinished (`ecsim sweep --shard K/N --resume` finishes it)",
                missing.len(),
                layout.name,
                layout.runs(),
                if missing.len() > 10 { ", …" } else { "" }
            ),
        ));
    }
    Ok((layout, by_run.into_values().map(|(r, _)| r).collect()))
}
