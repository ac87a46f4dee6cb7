//! Optima and lower bounds published beside the instances, looked up in the
//! instance's folder and its parents: BPPLIB's `Bounds.txt` (`name LB UB`), the CT01
//! set's `derived_bounds.csv` (`best_LB`, `best_UB`, `proven_optimal`), and the
//! Mommessin sets' `results_data/*.csv` (tab-separated `instance_name, LB, OPT`, −1
//! for unknown).

use crate::error::{Error, Problem};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a table says of one instance.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Known {
    /// The proven optimum, if any.
    pub optimum: Option<u64>,
    /// The best known lower bound (0 when the table gives none).
    pub lower_bound: u64,
}

/// One table: instance name → what it says.
type Table = BTreeMap<String, Known>;

/// The tables found so far, by folder (read once each).
#[derive(Debug, Default)]
pub struct Bounds {
    by_folder: BTreeMap<PathBuf, Vec<Table>>,
}

/// How many folders up from an instance the lookup goes.
const LEVELS: usize = 4;

impl Bounds {
    /// What the nearest table naming `name` says, searching the folder of `file` and
    /// its parents; `None` when no table names it.
    pub fn lookup(&mut self, file: &Path, name: &str) -> Result<Option<Known>, Error> {
        let mut dir = file.parent();
        for _ in 0..LEVELS {
            let Some(d) = dir else { break };
            if !self.by_folder.contains_key(d) {
                let tables = read_folder(d)?;
                self.by_folder.insert(d.to_path_buf(), tables);
            }
            if let Some(k) = self.by_folder[d].iter().find_map(|t| t.get(name)) {
                return Ok(Some(*k));
            }
            dir = d.parent().filter(|p| !p.as_os_str().is_empty());
        }
        Ok(None)
    }

    /// Whether `path` is one of the tables this lookup reads (not an instance).
    pub fn is_table(path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name == "Bounds.txt" || name == "derived_bounds.csv"
    }
}

fn bad(file: &Path, line: usize, message: String) -> Error {
    Error::Invalid(vec![Problem {
        file: file.display().to_string(),
        path: String::new(),
        position: Some((line, 1)),
        message,
    }])
}

fn read(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file).map_err(|e| Error::Read {
        file: file.display().to_string(),
        reason: e.to_string(),
    })
}

fn number(file: &Path, line: usize, what: &str, v: &str) -> Result<i64, Error> {
    v.trim()
        .parse()
        .map_err(|_| bad(file, line, format!("{what} is `{v}`: a whole number was expected")))
}

fn read_folder(dir: &Path) -> Result<Vec<Table>, Error> {
    let mut tables = Vec::new();
    let bounds = dir.join("Bounds.txt");
    if bounds.is_file() {
        tables.push(bpplib(&bounds, &read(&bounds)?)?);
    }
    let derived = dir.join("derived_bounds.csv");
    if derived.is_file() {
        tables.push(ct01(&derived, &read(&derived)?)?);
    }
    let results = dir.join("results_data");
    if results.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&results)
            .map_err(|e| Error::Read {
                file: results.display().to_string(),
                reason: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        files.sort();
        for f in files {
            let text = read(&f)?;
            if text.starts_with("instance_name\tLB\tOPT") {
                tables.push(mommessin(&f, &text)?);
            }
        }
    }
    Ok(tables)
}

/// BPPLIB's `Bounds.txt`: `name LB UB` per line.
fn bpplib(file: &Path, text: &str) -> Result<Table, Error> {
    let mut t = Table::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [name, lb, ub] = f[..] else {
            return Err(bad(file, i + 1, "expected `name LB UB`".into()));
        };
        let (lb, ub) = (number(file, i + 1, "LB", lb)?, number(file, i + 1, "UB", ub)?);
        t.insert(
            name.to_string(),
            Known {
                optimum: (lb == ub && lb > 0).then_some(ub as u64),
                lower_bound: lb.max(0) as u64,
            },
        );
    }
    Ok(t)
}

/// Columns of a header line, by name.
fn columns(file: &Path, header: &str, sep: char, want: &[&str]) -> Result<Vec<usize>, Error> {
    let names: Vec<&str> = header.split(sep).map(str::trim).collect();
    want.iter()
        .map(|w| {
            names
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| bad(file, 1, format!("no column `{w}` in the header")))
        })
        .collect()
}

/// A header line (after `#` comments) and numbered data rows.
fn rows(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
}

/// The CT01 set's `derived_bounds.csv`.
fn ct01(file: &Path, text: &str) -> Result<Table, Error> {
    let mut it = rows(text);
    let Some((_, header)) = it.next() else {
        return Ok(Table::new());
    };
    let c = columns(file, header, ',', &["instance", "best_LB", "best_UB", "proven_optimal"])?;
    let mut t = Table::new();
    for (line, row) in it {
        let f: Vec<&str> = row.split(',').collect();
        let cell = |k: usize| f.get(c[k]).copied().unwrap_or("");
        let lb = number(file, line, "best_LB", cell(1))?;
        let ub = number(file, line, "best_UB", cell(2))?;
        let proven = cell(3).trim() == "1" && lb == ub;
        t.insert(
            cell(0).to_string(),
            Known {
                optimum: proven.then_some(ub as u64),
                lower_bound: lb.max(0) as u64,
            },
        );
    }
    Ok(t)
}

/// A Mommessin results table: `instance_name, LB, OPT` (−1: unknown), tab-separated.
fn mommessin(file: &Path, text: &str) -> Result<Table, Error> {
    let mut t = Table::new();
    for (line, row) in rows(text).skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 3 {
            return Err(bad(file, line, "expected `instance_name, LB, OPT, …`".into()));
        }
        let lb = number(file, line, "LB", f[1])?;
        let opt = number(file, line, "OPT", f[2])?;
        t.insert(
            f[0].to_string(),
            Known {
                optimum: (opt > 0).then_some(opt as u64),
                lower_bound: lb.max(0) as u64,
            },
        );
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_table_shape() {
        let p = Path::new("t");
        let b = bpplib(p, "u1\t40\t40\nu2 10 11\n").unwrap();
        assert_eq!(b["u1"].optimum, Some(40));
        assert_eq!(
            b["u2"],
            Known {
                optimum: None,
                lower_bound: 10
            }
        );
        let c = ct01(
            p,
            "# note\ninstance,n,LB,best_LB,best_UB,proven_optimal\nCL_1,25,6,6,6,1\nCL_2,25,6,6,7,0\n",
        )
        .unwrap();
        assert_eq!(c["CL_1"].optimum, Some(6));
        assert_eq!(
            c["CL_2"],
            Known {
                optimum: None,
                lower_bound: 6
            }
        );
        let m = mommessin(p, "instance_name\tLB\tOPT\nc1\t6\t6\nc2\t5\t-1\n").unwrap();
        assert_eq!(m["c1"].optimum, Some(6));
        assert_eq!(
            m["c2"],
            Known {
                optimum: None,
                lower_bound: 5
            }
        );
        let e = bpplib(p, "u1 40\n").unwrap_err().to_string();
        assert_eq!(e, "t:1:1: expected `name LB UB`");
    }
}
