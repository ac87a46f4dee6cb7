//! The sweep's input shapes: a scenario's `[sweep]` table, a sweep file, its axes and
//! its question (re-exported by [`schema`](super::schema)).

use serde::{Deserialize, Serialize};

/// A scenario's own `[sweep]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepTable {
    /// Each variant runs once per seed.
    pub seeds: Vec<u64>,
    /// The axes; runs are their cartesian product.
    #[serde(default)]
    pub axes: Vec<Axis>,
    /// The question the printed comparison answers.
    #[serde(default)]
    pub select: Option<Select>,
    /// Configurations not to run: each entry names axes and a label of each
    /// (`{ strategy = "binpack-memory", launchType = "FARGATE" }`); a configuration
    /// with all of them is left out.
    #[serde(default)]
    pub exclude: Vec<std::collections::BTreeMap<String, String>>,
}

/// Which variant a sweep recommends: the one with the least mean `minimize` among
/// those whose mean `where` column meets its bound, e.g. `minimize = "costUsd"`,
/// `where = "waitP95S < 60"`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Select {
    /// The summary column to minimise.
    pub minimize: String,
    /// A bound: `<column> <op> <number>`, op one of <, <=, >, >=.
    #[serde(default, rename = "where")]
    pub condition: Option<String>,
}

/// A sweep file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepFile {
    /// Results go to `results/<name>/`.
    pub name: String,
    /// The base scenario, relative to the sweep file.
    pub scenario: String,
    /// Each variant runs once per seed.
    pub seeds: Vec<u64>,
    /// The axes.
    #[serde(default)]
    pub axes: Vec<Axis>,
    /// The question the printed comparison answers.
    #[serde(default)]
    pub select: Option<Select>,
    /// Configurations not to run: each entry names axes and a label of each
    /// (`{ strategy = "binpack-memory", launchType = "FARGATE" }`); a configuration
    /// with all of them is left out.
    #[serde(default)]
    pub exclude: Vec<std::collections::BTreeMap<String, String>>,
}

/// One axis: a field path with values, or labelled values each setting several paths.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Axis {
    /// The axis name (a sweep.csv column).
    pub name: String,
    /// For a simple axis: the field path its values set.
    #[serde(default)]
    pub path: Option<String>,
    /// Values (simple axis) or `{ label, set = { path = value, … } }` tables; `set = {}`
    /// is the baseline, the base scenario as it is.
    pub values: Vec<serde_json::Value>,
    /// Another (earlier) axis this one steps with, value by value, instead of crossing
    /// it: both have as many values, and the i-th goes with the i-th.
    #[serde(default)]
    pub zip_with: Option<String>,
}
