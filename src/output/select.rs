//! Which files a run writes (`--outputs`, `--compress`), and how big they would be.

/// Which files a run writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// summary.csv
    pub summary: bool,
    /// tasks.csv
    pub tasks: bool,
    /// instances.csv
    pub instances: bool,
    /// timeseries.csv
    pub timeseries: bool,
    /// services.csv
    pub services: bool,
    /// events.jsonl
    pub events: bool,
    /// decisions.jsonl (off unless asked for)
    pub decisions: bool,
    /// Files written gzipped (a `.gz` added to their names), by [`OUTPUT_NAMES`] position.
    pub gzip: [bool; 7],
}

/// Names accepted by `--outputs`.
pub const OUTPUT_NAMES: &[&str] = &[
    "summary",
    "tasks",
    "instances",
    "timeseries",
    "services",
    "events",
    "decisions",
];

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            summary: true,
            tasks: true,
            instances: true,
            timeseries: true,
            services: true,
            events: true,
            decisions: false,
            gzip: [false; 7],
        }
    }
}

/// Where output `name` stands in [`OUTPUT_NAMES`] (and in [`Outputs::gzip`]).
fn position(name: &str) -> Option<usize> {
    OUTPUT_NAMES.iter().position(|n| *n == name)
}

impl Outputs {
    /// Parses a comma-separated list such as `summary,timeseries`.
    pub fn parse(list: &str) -> Result<Outputs, String> {
        let mut o = Outputs {
            summary: false,
            tasks: false,
            instances: false,
            timeseries: false,
            services: false,
            events: false,
            decisions: false,
            gzip: [false; 7],
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, gz) = name.strip_suffix(".gz").map_or((name, false), |n| (n, true));
            if gz {
                o.set_gzip(name);
            }
            match name {
                "summary" => o.summary = true,
                "tasks" => o.tasks = true,
                "instances" => o.instances = true,
                "timeseries" => o.timeseries = true,
                "services" => o.services = true,
                "events" => o.events = true,
                "decisions" => o.decisions = true,
                other => {
                    return Err(format!(
                        "unknown output `{other}`: choose from {} (a `.gz` after a name, e.g. `events.gz`, writes it gzipped)",
                        OUTPUT_NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(o)
    }

    /// Gzips the per-task and per-event files: tasks.csv, events.jsonl, decisions.jsonl
    /// (`--compress`).
    pub fn compress_big(&mut self) {
        for name in ["tasks", "events", "decisions"] {
            self.set_gzip(name);
        }
    }

    fn set_gzip(&mut self, name: &str) {
        if let Some(i) = position(name) {
            self.gzip[i] = true;
        }
    }

    /// The file name output `name` (one of [`OUTPUT_NAMES`]) is written as: `file`, or
    /// `file.gz` when gzipped.
    pub fn file_name(&self, name: &str, file: &str) -> String {
        let gz = position(name).is_some_and(|i| self.gzip[i]);
        if gz { format!("{file}.gz") } else { file.to_string() }
    }

    /// The big files these outputs would write for a run of `tasks` task requests on
    /// up to `instances` instances, with their estimated sizes in bytes, largest first.
    /// Per task, measured on workload W: events.jsonl about 3.9 KB (its CloudTrail call and
    /// EventBridge state changes), tasks.csv about 260 bytes; decisions.jsonl about
    /// 65 bytes per instance per decision (every instance is listed with its verdict).
    pub fn estimate(&self, tasks: f64, instances: u64) -> Vec<(&'static str, f64)> {
        let mut files = Vec::new();
        if self.decisions {
            files.push(("decisions.jsonl", tasks * 65.0 * instances as f64));
        }
        if self.events {
            files.push(("events.jsonl", tasks * 3_900.0));
        }
        if self.tasks {
            files.push(("tasks.csv", tasks * 260.0));
        }
        files.sort_by(|a, b| b.1.total_cmp(&a.1));
        files
    }
}

/// What a run is about to write, when that is more than `limit` bytes: a line naming
/// the big files and how to write less.
pub fn size_warning(files: &[(&str, f64)], limit: f64) -> Option<String> {
    let total: f64 = files.iter().map(|f| f.1).sum();
    if total <= limit {
        return None;
    }
    let each: Vec<String> = files.iter().map(|(n, b)| format!("{n} ~{}", human_bytes(*b))).collect();
    Some(format!(
        "this run will write about {} ({}); --outputs summary,timeseries writes only the summary and samples",
        human_bytes(total),
        each.join(", ")
    ))
}

/// `1.2 GB`, `340 MB`, `12 KB`.
pub fn human_bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.0} MB", b / 1e6),
        b => format!("{:.0} KB", b / 1e3),
    }
}
