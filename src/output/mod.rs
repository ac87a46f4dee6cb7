//! Output files: summary.csv, tasks.csv, instances.csv, timeseries.csv, events.jsonl,
//! decisions.jsonl and sweep.csv. Every file is written to a temporary name and
//! renamed when complete; a failed run leaves nothing behind.

mod folder;
mod lines;
pub mod progress;
mod select;

use folder::write_err;
pub use folder::{OutDir, OutFile};
pub use select::{OUTPUT_NAMES, Outputs, human_bytes, size_warning};

use crate::error::Error;
use crate::scenario::Scenario;
use crate::sim::Outcome;
use crate::sim::journal::Recorder;
pub use crate::sim::rows::TaskRow;
use crate::sim::tasks::Row;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// Streams events.jsonl, decisions.jsonl and tasks.csv to temporary files during a
/// run, each written on its own thread ([`lines::Lines`]).
pub struct FileRecorder {
    events: Option<lines::Lines>,
    decisions: Option<lines::Lines>,
    tasks: Option<lines::Lines>,
    progress: progress::Progress,
}

impl FileRecorder {
    /// Opens the streams the outputs ask for.
    pub fn open(out: &mut OutDir, outputs: &Outputs) -> Result<FileRecorder, Error> {
        let mut stream = |wanted: bool, name: &str, file: &str| -> Result<Option<lines::Lines>, Error> {
            Ok(if wanted {
                Some(lines::Lines::spawn(
                    out.create(&outputs.file_name(name, file))?,
                    name == "events",
                ))
            } else {
                None
            })
        };
        let (events, decisions) = (
            stream(outputs.events, "events", "events.jsonl")?,
            stream(outputs.decisions, "decisions", "decisions.jsonl")?,
        );
        let mut tasks = stream(outputs.tasks, "tasks", "tasks.csv")?;
        if let Some(t) = &mut tasks {
            t.push_text(&task_header_line());
        }
        Ok(FileRecorder {
            events,
            decisions,
            tasks,
            progress: progress::Progress::Off,
        })
    }

    /// Shows the run's progress (see [`progress::Progress`]).
    pub fn with_progress(mut self, p: progress::Progress) -> Self {
        self.progress = p;
        self
    }

    /// Writes what the streams hold; reports the first write error.
    pub fn finish(self, dir: &Path) -> Result<(), Error> {
        self.progress.finish();
        for w in [self.events, self.decisions, self.tasks].into_iter().flatten() {
            w.finish().map_err(|e| write_err(dir, e))?;
        }
        Ok(())
    }
}

impl Recorder for FileRecorder {
    fn wants_events(&self) -> bool {
        self.events.is_some()
    }
    fn event(&mut self, record: Value) {
        if let Some(w) = &mut self.events {
            w.push(&record);
        }
    }
    fn takes_frames(&self) -> bool {
        self.events.is_some()
    }
    fn frames(&mut self, buf: Vec<u8>) -> Vec<u8> {
        match &mut self.events {
            Some(w) => w.frames(buf),
            None => buf,
        }
    }
    fn wants_decisions(&self) -> bool {
        self.decisions.is_some()
    }
    fn decision(&mut self, record: Value) {
        if let Some(w) = &mut self.decisions {
            w.push(&record);
        }
    }
    fn wants_tasks(&self) -> bool {
        self.events.is_some() || self.decisions.is_some()
    }
    fn wants_task_rows(&self) -> bool {
        self.tasks.is_some()
    }
    fn task_line(&mut self, line: &[u8]) {
        if let Some(w) = &mut self.tasks {
            w.push_text(line);
        }
    }
    fn progress(&mut self, now: crate::engine::SimTime, end: crate::engine::SimTime, events: u64) {
        self.progress.update(now, end, events);
    }
}

/// One instances.csv row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRow {
    /// Container instance id.
    pub container_instance_id: String,
    /// EC2 instance id.
    pub ec2_instance_id: String,
    /// Instance type.
    pub instance_type: String,
    /// Availability zone.
    pub availability_zone: String,
    /// Capacity provider, if any.
    pub capacity_provider: String,
    /// Registration time, seconds.
    pub registered_at: String,
    /// Deregistration time, seconds (empty while registered).
    pub deregistered_at: String,
    /// Registered CPU units.
    pub cpu: u32,
    /// Registered memory MiB.
    pub memory: u32,
    /// Tasks ever placed.
    pub tasks_placed: u64,
    /// The instance group or Auto Scaling group it belongs to.
    pub instance_group: String,
    /// When billing started (launch for Auto Scaling groups, else registration), seconds.
    pub launched_at: String,
    /// What it cost, USD.
    pub cost_usd: String,
    /// Its cluster.
    pub cluster: String,
    /// Its status at the end.
    pub status: String,
    /// Whether its agent was connected at the end.
    pub agent_connected: bool,
    /// `on-demand`, `spot` or `external`.
    pub purchase_option: &'static str,
    /// USD per hour it was billed at.
    pub hourly_usd: String,
    /// When billing ended (termination, or the end of the run), seconds.
    pub billing_ended_at: String,
}

fn secs(t: Option<crate::engine::SimTime>) -> String {
    t.map(|t| t.secs_string()).unwrap_or_default()
}

/// tasks.csv rows, in the order tasks and requests were recorded, from a run that kept
/// them (a run writing files streams them instead, as tasks finish).
pub fn task_rows<'a>(o: &'a Outcome, sc: &'a Scenario) -> Vec<TaskRow<'a>> {
    o.rows
        .iter()
        .map(|row| match *row {
            Row::Task(idx) => crate::sim::rows::task_row(o, sc, idx, &o.tasks[idx.idx()]),
            Row::Request(r) => crate::sim::rows::request_row(o, sc, &o.requests[r.0 as usize]),
        })
        .collect()
}

/// instances.csv rows, in registration order.
pub fn instance_rows(o: &Outcome) -> Vec<InstanceRow> {
    o.cluster
        .ids()
        .zip(&o.instance_costs)
        .map(|(id, bill)| (id, o.cluster.instance(id), bill))
        .map(|(id, i, bill)| InstanceRow {
            container_instance_id: i.container_instance_id(),
            ec2_instance_id: i.spec.ec2_instance_id.clone(),
            instance_type: i.spec.instance_type.to_string(),
            availability_zone: i.spec.availability_zone.clone(),
            capacity_provider: i
                .spec
                .provider
                .map(|p| o.provider_names[p.0 as usize].clone())
                .unwrap_or_default(),
            registered_at: i.registered_at.secs_string(),
            deregistered_at: secs(i.deregistered_at),
            cpu: i.spec.cpu,
            memory: i.spec.memory,
            tasks_placed: o.cluster.tasks_placed(id),
            instance_group: o.group_names.get(i.spec.origin as usize).cloned().unwrap_or_default(),
            launched_at: bill.from.secs_string(),
            cost_usd: crate::sim::metrics::fixed(bill.cost, 4),
            cluster: o.cluster_name(i.spec.ecs_cluster).to_string(),
            status: o.cluster.status(id).as_str().to_string(),
            agent_connected: o.cluster.agent_connected(id),
            purchase_option: bill.purchase_option,
            hourly_usd: crate::sim::metrics::fixed(bill.hourly, 6),
            billing_ended_at: bill.until.secs_string(),
        })
        .collect()
}

/// Writes `rows` as CSV (header from the first row's field names; an empty list
/// still gets the header, via `header`).
pub fn write_csv<T: Serialize>(w: impl Write, rows: &[T], header: &[&str]) -> Result<(), csv::Error> {
    let mut wr = csv::WriterBuilder::new().has_headers(!rows.is_empty()).from_writer(w);
    if rows.is_empty() {
        wr.write_record(header)?;
    }
    for r in rows {
        wr.serialize(r)?;
    }
    wr.flush()?;
    Ok(())
}

/// Writes rows of named cells as CSV; the header comes from the first row (every row
/// has the same columns).
pub fn write_cells(w: impl Write, rows: &[Vec<(String, String)>]) -> Result<(), csv::Error> {
    let mut wr = csv::Writer::from_writer(w);
    if let Some(first) = rows.first() {
        wr.write_record(first.iter().map(|(n, _)| n))?;
    }
    for r in rows {
        wr.write_record(r.iter().map(|(_, v)| v))?;
    }
    wr.flush()?;
    Ok(())
}

/// tasks.csv's header line.
fn task_header_line() -> Vec<u8> {
    let mut line = TASK_HEADER.join(",").into_bytes();
    line.push(b'\n');
    line
}

/// Writes tasks.csv: the header, then `rows`.
pub fn write_task_csv(mut w: impl Write, rows: &[TaskRow]) -> std::io::Result<()> {
    let mut buf = task_header_line();
    for r in rows {
        r.write_csv(&mut buf);
    }
    w.write_all(&buf)?;
    w.flush()
}

/// Header of tasks.csv (also written when there is no task).
pub const TASK_HEADER: &[&str] = &[
    "taskId",
    "taskDefinition",
    "group",
    "startedBy",
    "serviceName",
    "launchType",
    "capacityProvider",
    "containerInstanceId",
    "ec2InstanceId",
    "availabilityZone",
    "createdAt",
    "startedAt",
    "stoppedAt",
    "lastStatus",
    "stopCode",
    "stoppedReason",
    "arrivedAt",
    "stoppingAt",
    "cluster",
    "placedAt",
    "cpu",
    "memory",
];
/// Header of instances.csv.
pub const INSTANCE_HEADER: &[&str] = &[
    "containerInstanceId",
    "ec2InstanceId",
    "instanceType",
    "availabilityZone",
    "capacityProvider",
    "registeredAt",
    "deregisteredAt",
    "cpu",
    "memory",
    "tasksPlaced",
    "instanceGroup",
    "launchedAt",
    "costUsd",
    "cluster",
    "status",
    "agentConnected",
    "purchaseOption",
    "hourlyUsd",
    "billingEndedAt",
];

/// Writes the CSV files of one run into `out` (events and decisions are streamed
/// during the run by a [`FileRecorder`]).
pub fn write_run_files(out: &mut OutDir, o: &Outcome, outputs: &Outputs) -> Result<(), Error> {
    let dir = out.path().to_path_buf();
    let mut emit = |name: &str, file: &str, write: &dyn Fn(&mut OutFile) -> Result<(), csv::Error>| {
        let mut w = out.create(&outputs.file_name(name, file))?;
        write(&mut w).map_err(|e| write_err(&dir, e))?;
        w.finish().map_err(|e| write_err(&dir, e))
    };
    if outputs.summary {
        emit("summary", "summary.csv", &|w| write_cells(w, &[o.summary.cells()]))?;
    }
    if outputs.instances {
        emit("instances", "instances.csv", &|w| {
            write_csv(w, &instance_rows(o), INSTANCE_HEADER)
        })?;
    }
    if outputs.timeseries {
        let rows: Vec<_> = o.timeseries.iter().map(crate::sim::metrics::Sample::cells).collect();
        emit("timeseries", "timeseries.csv", &|w| write_cells(w, &rows))?;
    }
    if outputs.services {
        let rows: Vec<_> = o.service_samples.iter().map(|x| x.cells(o)).collect();
        emit("services", "services.csv", &|w| {
            if rows.is_empty() {
                write_csv::<()>(w, &[], &crate::sim::metrics::samples::SERVICE_HEADER)
            } else {
                write_cells(w, &rows)
            }
        })?;
    }
    Ok(())
}

/// A pool of `jobs` threads (all cores when `None`) for sweeps and `ecsim pack`.
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, crate::error::Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| crate::error::Error::Write {
            path: "thread pool".into(),
            reason: e.to_string(),
        })
}
