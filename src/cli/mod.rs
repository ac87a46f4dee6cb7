//! The `ecsim` command line: parse arguments, call the library, print, set the exit code.
//! It is part of the library so that a program of one's own — one that registers its own
//! placement strategy, say — can offer every command with [`main`] (see
//! examples/custom_strategy.rs).

use crate::error::{Error, Problem};
use crate::output::{FileRecorder, OutDir, Outputs, write_run_files};
use crate::scenario::load_scenario;
use crate::sim::journal::Recorder;
use crate::sweep::load_sweep;
use clap::{Args, Parser, Subcommand};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Prints a line to standard output; when the reader has gone (a closed pipe, as with
/// `| head`), ends quietly instead of panicking.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// [`say!`] without the newline.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write;
        if write!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod pack;
mod sweep;

#[derive(Parser)]
#[command(
    name = "ecsim",
    version,
    about = "A discrete-event simulator of Amazon ECS scheduling, and a benchmark for placement and capacity strategies."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print no progress, no warnings and no timing on standard error (results and errors still print).
    #[arg(long, short, global = true)]
    quiet: bool,
}

/// `--quiet`: set once, before any command runs.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// An objective the sweep's answer must meet.
#[derive(Args)]
struct SloOptions {
    /// The cheapest configuration meeting this on every seed is printed as `answer: …`,
    /// e.g. "waitP95S<=60" (a summary column, <, <=, > or >=, a number).
    #[arg(long)]
    slo: Option<String>,
    /// The share of seeds that must meet --slo (default 1: every seed).
    #[arg(long, default_value_t = 1.0)]
    slo_quantile: f64,
}

/// Where a run writes, with which seed, and which files.
#[derive(Args)]
struct RunOptions {
    /// Output folder (default: results/<scenario name>; a replay adds -replay).
    #[arg(long, value_parser = folder)]
    out: Option<PathBuf>,
    /// Master seed, overriding the scenario's (a replay's: the one the log recorded).
    #[arg(long)]
    seed: Option<u64>,
    /// Files to write, comma-separated: summary, tasks, instances, timeseries, services, events, decisions;
    /// a `.gz` after a name (`events.gz`) writes that file gzipped.
    #[arg(long, default_value = "summary,tasks,instances,timeseries,services,events")]
    outputs: String,
    /// Gzip the per-task and per-event files: tasks.csv.gz, events.jsonl.gz, decisions.jsonl.gz
    /// (about a tenth of the size; replay reads them as they are).
    #[arg(long)]
    compress: bool,
    /// Also draw SVG charts of the outputs into <out>/report/ with an index.html (as `ecsim report`).
    #[arg(long)]
    report: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario and write summary.csv, tasks.csv, instances.csv, timeseries.csv, services.csv and events.jsonl.
    ///
    /// Example: ecsim run scenarios/default.toml --seed 7 --out /tmp/run7
    ///
    /// Results go to results/<name>/ unless --out is given. A [sweep] table in the file is ignored.
    /// Large runs: --outputs summary,timeseries skips the per-task and per-event files.
    Run {
        /// The scenario file (.toml or .json).
        file: PathBuf,
        #[command(flatten)]
        options: RunOptions,
        /// Also write decisions.jsonl: every placement decision, explained (slower).
        #[arg(long)]
        decisions: bool,
        /// Run one configuration of the file's sweep (a sweep file, or a scenario's [sweep] table):
        /// its label as sweep.csv shows it (axis labels joined by " / ") or its number from 0;
        /// the seed is --seed, default the sweep's first.
        #[arg(long)]
        variant: Option<String>,
    },
    /// Run a scenario's [sweep] table, or a sweep file, in parallel; write sweep.csv and print a comparison.
    ///
    /// Example: ecsim sweep scenarios/default.toml --jobs 2
    ///
    /// Runs are the cartesian product of the axes' values × seeds, numbered first axis slowest,
    /// seeds fastest. sweep.csv is byte-identical whatever --jobs is.
    Sweep {
        /// A scenario with a [sweep] table, or a sweep file (name, scenario, seeds, axes).
        file: PathBuf,
        /// Output folder (default: results/<sweep name>).
        #[arg(long, value_parser = folder)]
        out: Option<PathBuf>,
        /// Threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard K of N (K from 0: the runs whose number is K modulo N) and write
        /// shard-K-of-N.jsonl instead of sweep.csv; `ecsim merge` joins the shards.
        #[arg(long, value_parser = sweep::shard)]
        shard: Option<crate::sweep::Shard>,
        /// Keep the runs an interrupted sweep (or shard) finished, and run only the rest.
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        slo: SloOptions,
        /// Also draw the sweep's chart (cost against p95 wait, the Pareto frontier) into <out>/report/.
        #[arg(long)]
        report: bool,
    },
    /// Join the shard files of a sweep into the sweep.csv (and comparison) one machine would have written.
    ///
    /// Example: ecsim merge results/big shard0/ shard1/ shard2/
    ///
    /// Refuses shards of different sweeps, and runs found twice or in no shard, naming them.
    Merge {
        /// The output folder for sweep.csv.
        #[arg(value_parser = folder)]
        out: PathBuf,
        /// The shards' --out folders (or their shard-K-of-N.jsonl files).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        #[command(flatten)]
        slo: SloOptions,
    },
    /// Check a scenario or sweep file without running it.
    ///
    /// Example: ecsim validate scenarios/default.toml
    Validate {
        /// The scenario or sweep file.
        file: PathBuf,
    },
    /// Replay a CloudTrail-style log: ecsim's own events.jsonl, or a CloudTrail export of ECS calls.
    ///
    /// Example: ecsim run scenarios/default.toml --out /tmp/run && ecsim replay /tmp/run/events.jsonl --out /tmp/replayed
    ///
    /// The log's calls become the timeline; its recorded exits, Spot warnings and faults happen again at
    /// their times. Calls ecsim does not model are listed once in a warning. A real CloudTrail export
    /// carries no ecsim settings: give --scenario for the settings and instances to use.
    Replay {
        /// The log: JSON lines (events.jsonl), a CloudTrail file ({"Records": [...]}), one CloudTrail
        /// record, any of these gzipped, or a folder of them (a CloudTrail S3 prefix).
        file: PathBuf,
        /// A scenario whose settings and infrastructure the replay uses (its own calls are left out).
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Explain one placement decision: candidates, filters, strategy scores, tie-break, choice.
    ///
    /// Example: ecsim explain scenarios/teach.toml --task 3
    ///
    /// --task takes a task id from tasks.csv, or N for the N-th task created (from 1): the N-th
    /// row of tasks.csv that has a taskId. Every task can be explained: one the strategies
    /// placed, a PROVISIONING task placed later, a DAEMON task, a Fargate task.
    Explain {
        /// The scenario file.
        file: PathBuf,
        /// The task id, or N for the N-th task created (the N-th row of tasks.csv with a taskId).
        #[arg(long)]
        task: String,
        /// Master seed, overriding the scenario's.
        #[arg(long)]
        seed: Option<u64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Score placement strategies on bin-packing benchmarks against proven optima.
    ///
    /// Example: ecsim pack ../shared/benchmarks/bpplib-1d --strategy firstFit,bestFit --order decreasing
    ///
    /// Reads BPPLIB files (.txt, .bpp: n, c, then n weights) and VPSolver files (.vbp), or folders of
    /// them; other files are skipped. An openb pod list (.csv) runs the GPU-sharing research mode instead
    /// (not ECS: shares of a GPU) on the node list beside it, as the FGD paper's experiment: the GPUs
    /// allocated when demand reaches the cluster's GPUs, per strategy, written to <out>/<set>-gpu.csv. Items are tasks, bins identical container instances, packed by the
    /// simulator's own placement engine; a bin opens when no open bin takes the next item. Optima and
    /// lower bounds come from Bounds.txt, derived_bounds.csv or results_data/*.csv in the instance's folder
    /// or its parents. Writes <out>/<set>.csv (a row per instance, strategy and order) and prints a summary.
    Pack {
        /// Instance files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Strategies, comma-separated: TYPE or TYPE:FIELD (binpack:cpu; binpack alone packs memory).
        /// Default: firstFit,bestFit; on openb pod lists random,dotProduct,bestFit,fragmentation.
        #[arg(long)]
        strategy: Option<String>,
        /// Item orders, comma-separated: online (file order), decreasing (largest first by --key).
        #[arg(long, default_value = "decreasing")]
        order: String,
        /// What decreasing sorts by, comma-separated for several: memory, cpu, sum, max, dotProduct, l2Norm.
        #[arg(long, default_value = "max")]
        key: String,
        /// Output folder (default: results/pack).
        #[arg(long, value_parser = folder)]
        out: Option<PathBuf>,
        /// Seed for random tie-breaks and sampling strategies.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Runs per openb pod list and strategy, each with its own sample and shuffle of the pods.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        runs: u32,
        /// Threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Draw SVG charts of an output folder of run, replay, sweep or pack, with an index.html.
    ///
    /// Example: ecsim run scenarios/busy-day.toml --out /tmp/day && ecsim report /tmp/day --at 19h
    ///
    /// A run's folder: tasks and instances, reservations, cost, managed scaling, each service's demand,
    /// utilization and desired count, and a packing view (needs tasks.csv and instances.csv). A sweep's:
    /// cost against p95 wait with the Pareto frontier. ecsim pack's: the mean ratio per strategy, and on
    /// openb pod lists the GPUs allocated at full demand.
    /// Charts go to <DIR>/report/; open index.html in a browser (no network needed).
    Report {
        /// The output folder.
        dir: PathBuf,
        /// The packing view's time, e.g. 19h or 3600s (default: when most tasks run).
        #[arg(long, value_parser = sim_time)]
        at: Option<f64>,
    },
    /// Print a shell completion script.
    ///
    /// Example: ecsim completions bash
    ///
    /// bash: `ecsim completions bash > ~/.local/share/bash-completion/completions/ecsim`;
    /// zsh: into a folder on $fpath as `_ecsim`; fish: `~/.config/fish/completions/ecsim.fish`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// An output folder: any path but `-` (ecsim writes several files, not one stream).
fn folder(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        return Err(
            "ecsim writes a folder of files, so `-` (standard output) cannot be one; \
                    give a folder, e.g. --out /tmp/run (summary.csv is in it; \
                    --outputs summary writes only that)"
                .to_string(),
        );
    }
    Ok(PathBuf::from(s))
}

/// A simulated time such as `19h` or `90s`, in seconds.
fn sim_time(s: &str) -> Result<f64, String> {
    crate::engine::duration::parse_duration(s).map(|d| d.millis() as f64 / 1000.0)
}

/// Draws the charts of output folder `dir` and says where they are.
fn draw_report(dir: &Path, at: Option<f64>) -> Result<(), Error> {
    let charts = crate::report::write(dir, &crate::report::Options { at })?;
    say!(
        "wrote {} ({})",
        dir.join("report").join("index.html").display(),
        counted(charts.len(), "chart")
    );
    Ok(())
}

fn print_warnings(ws: &[Problem]) {
    if quiet() {
        return;
    }
    for w in ws {
        eprintln!("warning: {w}");
    }
}

fn out_dir(out: Option<PathBuf>, name: &str) -> PathBuf {
    out.unwrap_or_else(|| Path::new("results").join(name))
}

/// The files `--outputs` and `--compress` ask for.
fn outputs_of(o: &RunOptions) -> Result<Outputs, Error> {
    let mut outputs = Outputs::parse(&o.outputs).map_err(|m| Error::invalid("--outputs", "", m))?;
    if o.compress {
        outputs.compress_big();
    }
    Ok(outputs)
}

fn run(file: &Path, o: RunOptions, decisions: bool, variant: Option<&str>) -> Result<(), Error> {
    let mut outputs = outputs_of(&o)?;
    outputs.decisions |= decisions;
    if let Some(v) = variant {
        let sw = load_sweep(file)?;
        let layout = sw.layout();
        let n = sweep::variant_number(&layout, v)
            .map_err(|m| Error::invalid(&file.display().to_string(), "--variant", m))?;
        let sc = &sw.scenarios[n];
        print_warnings(&sc.warnings);
        let dir = out_dir(o.out, &format!("{}-variant-{n}", sw.name));
        if !quiet() {
            eprintln!("configuration {n}: {}", layout.label(n));
        }
        execute(sc, None, o.seed.unwrap_or(layout.seeds[0]), &dir, &outputs)?;
        return if o.report { draw_report(&dir, None) } else { Ok(()) };
    }
    let sc = load_scenario(file)?;
    print_warnings(&sc.warnings);
    let dir = out_dir(o.out, &sc.name);
    execute(&sc, None, o.seed.unwrap_or(sc.seed), &dir, &outputs)?;
    if o.report { draw_report(&dir, None) } else { Ok(()) }
}

fn replay(file: &Path, base: Option<PathBuf>, o: RunOptions) -> Result<(), Error> {
    let outputs = outputs_of(&o)?;
    let base = match base {
        Some(b) => {
            let format = crate::scenario::load::format_of(&b)?;
            let t = crate::scenario::load::read(&b)?;
            let file = b.display().to_string();
            Some(crate::replay::Base {
                doc: crate::scenario::load::parse_value(&t, format, &file)?,
                file,
                dir: b.parent().map(Path::to_path_buf).unwrap_or_default(),
            })
        }
        None => None,
    };
    let entries = crate::replay::log::read(file)?;
    let r = crate::replay::from_log(entries, &file.display().to_string(), base)?;
    let sc = r.scenario;
    print_warnings(&sc.warnings);
    let dir = out_dir(o.out, &format!("{}-replay", sc.name));
    execute(&sc, Some(&r.script), o.seed.unwrap_or(sc.seed), &dir, &outputs)?;
    if o.report { draw_report(&dir, None) } else { Ok(()) }
}

/// Runs a checked scenario (with a replay's script) and writes its files into `dir`.
fn execute(
    sc: &crate::scenario::Scenario,
    script: Option<&crate::replay::Script>,
    seed: u64,
    dir: &Path,
    outputs: &Outputs,
) -> Result<(), Error> {
    let dir = dir.to_path_buf();
    let files = outputs.estimate(sc.expected_task_requests(), sc.instances_at_most());
    if let Some(w) = crate::output::size_warning(&files, 1e9).filter(|_| !quiet()) {
        eprintln!("note: {w}");
    }
    let started = Instant::now();
    let mut out = OutDir::open(&dir)?;
    let progress = crate::output::progress::Progress::new(quiet(), crate::engine::SimTime::ZERO + sc.duration);
    let mut rec = FileRecorder::open(&mut out, outputs)?.with_progress(progress);
    let outcome = match script {
        Some(s) => crate::sim::replay(sc, s, seed, &mut rec),
        None => crate::sim::run(sc, seed, &mut rec),
    };
    rec.finish(&dir)?;
    write_run_files(&mut out, &outcome, outputs)?;
    out.commit()?;
    let s = &outcome.summary;
    say!("{}", s.headline());
    say!("wrote {}", dir.display());
    if !quiet() {
        eprintln!("{} events in {:.2?} wall time", s.events, started.elapsed());
    }
    Ok(())
}

fn validate(file: &Path) -> Result<(), Error> {
    let text = crate::scenario::load::read(file)?;
    let is_sweep_file = file.extension().is_some_and(|e| e == "toml" || e == "json")
        && crate::scenario::load::parse_value(
            &text,
            crate::scenario::load::format_of(file)?,
            &file.display().to_string(),
        )?
        .get("scenario")
        .is_some();
    if is_sweep_file {
        let sw = load_sweep(file)?;
        print_warnings(&sw.scenarios[0].warnings);
        print_warnings(&sw.warnings);
        say!(
            "{}: a valid sweep: {} variants × {} seeds = {} runs",
            file.display(),
            sw.variants.len(),
            sw.seeds.len(),
            sw.layout().runs()
        );
        return Ok(());
    }
    let sc = load_scenario(file)?;
    // One verdict: the [sweep] table is checked before anything is called valid.
    let sweep = sc.sweep.as_ref().map(|_| load_sweep(file)).transpose()?;
    print_warnings(&sc.warnings);
    let mut parts = Vec::new();
    if !sc.instance_groups.is_empty() {
        let instances: u32 = sc.instance_groups.iter().map(|g| g.count).sum();
        parts.push(format!(
            "{} in {}",
            counted(instances as usize, "instance"),
            counted(sc.instance_groups.len(), "instance group")
        ));
    }
    if !sc.asgs.is_empty() {
        let desired: u32 = sc.asgs.iter().map(|a| a.desired_capacity).sum();
        let max: u32 = sc.asgs.iter().map(|a| a.max_size).sum();
        parts.push(format!(
            "{} ({desired} instances at the start, at most {max})",
            counted(sc.asgs.len(), "Auto Scaling group")
        ));
    }
    parts.push(counted(sc.task_definitions.len(), "task definition"));
    parts.push(counted(sc.services.len(), "service"));
    parts.push(counted(sc.workloads.len(), "workload"));
    parts.push(counted(sc.timeline.len(), "timeline call"));
    say!(
        "{}: a valid scenario `{}`: {}",
        file.display(),
        sc.name,
        parts.join(", ")
    );
    if let Some(sw) = sweep {
        print_warnings(&sw.warnings);
        say!(
            "  with a valid [sweep]: {} variants × {} seeds = {} runs",
            sw.variants.len(),
            sw.seeds.len(),
            sw.layout().runs()
        );
    }
    Ok(())
}

/// `n thing` or `n things`.
fn counted(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// Keeps the decision that created one task.
struct ExplainOne {
    target: String,
    found: Option<Value>,
}

impl Recorder for ExplainOne {
    fn wants_events(&self) -> bool {
        false
    }
    fn event(&mut self, _record: Value) {}
    fn wants_decisions(&self) -> bool {
        self.found.is_none()
    }
    fn wants_decision_for(&self, task_id: Option<&str>) -> bool {
        task_id == Some(self.target.as_str())
    }
    fn decision(&mut self, record: Value) {
        self.found = Some(record);
    }
}

fn explain(file: &Path, task: &str, seed: Option<u64>, json: bool) -> Result<(), Error> {
    let sc = load_scenario(file)?;
    print_warnings(&sc.warnings);
    let given = task.rsplit('/').next().unwrap_or(task);
    let target = match given.parse::<u32>() {
        Ok(n) if n >= 1 && given.len() < 32 => crate::sim::task_id(crate::sim::ids::TaskIdx(n - 1)),
        _ => given.to_string(),
    };
    let mut rec = ExplainOne { target, found: None };
    crate::sim::run(&sc, seed.unwrap_or(sc.seed), &mut rec);
    match rec.found {
        Some(v) if json => say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
        Some(v) => say_raw!("{}", crate::placement::explain::render_text(&v)),
        None => {
            return Err(Error::invalid(
                &file.display().to_string(),
                "--task",
                format!(
                    "no task `{task}` was placed in this run: give a taskId from tasks.csv (`ecsim run`), or N for the N-th task created"
                ),
            ));
        }
    }
    Ok(())
}

/// Runs the command line: parses the process arguments, runs the command, prints, and
/// returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.command {
        Command::Run {
            file,
            options,
            decisions,
            variant,
        } => run(&file, options, decisions, variant.as_deref()),
        Command::Sweep {
            file,
            out,
            jobs,
            shard,
            resume,
            slo,
            report,
        } => sweep::sweep(&file, out, jobs, shard, resume, &slo, report),
        Command::Merge { out, shards, slo } => sweep::merge(&out, &shards, &slo),
        Command::Validate { file } => validate(&file),
        Command::Explain { file, task, seed, json } => explain(&file, &task, seed, json),
        Command::Replay {
            file,
            scenario,
            options,
        } => replay(&file, scenario, options),
        Command::Pack {
            paths,
            strategy,
            order,
            key,
            out,
            seed,
            runs,
            jobs,
        } => pack::pack(&paths, strategy.as_deref(), &order, &key, out, seed, runs, jobs),
        Command::Report { dir, at } => draw_report(&dir, at),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "ecsim", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
