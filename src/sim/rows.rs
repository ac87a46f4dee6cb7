//! tasks.csv rows: one per task and per request ECS never turned into a task, in the
//! order they were recorded. A run that keeps its tasks renders them at the end; a run
//! that does not streams each task's row when it stops ([`RowStream`] restores the
//! order), so the file is the same either way.

use super::Sim;
use super::ids::{DeploymentIdx, Origin, ServiceId, TaskIdx};
use super::outcome::{Outcome, run_task_started_by};
use super::services::Service;
use super::task::{Reason, Request, Task, TaskStatus};
use super::tasks::task_hex_id;
use crate::ecs::cluster::{Cluster, ClusterId, GroupId};
use crate::ecs::ids::HexId;
use crate::ecs::registry::TaskDefId;
use crate::ecs::registry::TaskDefinitions;
use crate::engine::SimTime;
use crate::scenario::Scenario;
use crate::text::push_decimal;
use std::borrow::Cow;
use std::collections::VecDeque;

/// One tasks.csv row, borrowing what it can from the run (or its outcome); the columns
/// are [`TASK_HEADER`](crate::output::TASK_HEADER)'s.
#[derive(Clone, Debug)]
pub struct TaskRow<'a> {
    /// ECS task id (None: a request that never became a task).
    pub task_id: Option<HexId>,
    /// The task definition's family (the cell is `family:revision`).
    pub family: &'a str,
    /// The task definition's revision.
    pub revision: u32,
    /// Task group.
    pub group: &'a str,
    /// `startedBy`.
    pub started_by: &'a str,
    /// The service, if any.
    pub service_name: &'a str,
    /// `EC2`, `FARGATE` or `EXTERNAL` (empty: never became a task).
    pub launch_type: &'static str,
    /// The capacity provider, if any.
    pub capacity_provider: &'a str,
    /// Container instance id.
    pub container_instance_id: Option<HexId>,
    /// EC2 instance id.
    pub ec2_instance_id: &'a str,
    /// Availability zone.
    pub availability_zone: &'a str,
    /// When ECS created the task (placed it).
    pub created_at: Option<SimTime>,
    /// When it reached RUNNING.
    pub started_at: Option<SimTime>,
    /// When it stopped.
    pub stopped_at: Option<SimTime>,
    /// Last status (empty: never became a task).
    pub last_status: &'static str,
    /// Stop code.
    pub stop_code: &'static str,
    /// Why it stopped, or why it never started.
    pub stopped_reason: Cow<'a, str>,
    /// When it was first asked for (a RunTask call, or a service wanting it).
    pub arrived_at: SimTime,
    /// When it began stopping (SIGTERM sent, or stopped outright).
    pub stopping_at: Option<SimTime>,
    /// Its cluster.
    pub cluster: &'a str,
    /// When it was placed: on its instance, or on Fargate (empty: never placed). A
    /// PROVISIONING task is created before it is placed.
    pub placed_at: Option<SimTime>,
    /// CPU units it reserves (its task-level size, or its containers' sum).
    pub cpu: u32,
    /// Memory MiB it reserves (its task-level size, or its containers' reservations).
    pub memory: u32,
}

impl TaskRow<'_> {
    /// `family:revision`.
    pub fn task_definition(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }

    /// Appends the row as one CSV line, as the `csv` crate writes it (a field holding a
    /// comma, quote or line break quoted, its quotes doubled): a row is rendered for
    /// every task of a run, so it is written straight into the line, not through a
    /// serializer and a string per cell. Ids, families (letters, digits, `_` and `-`),
    /// numbers and ECS's own words need no quotes and are not checked.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        let id = |out: &mut Vec<u8>, id: Option<HexId>| {
            if let Some(id) = id {
                out.extend_from_slice(id.as_str().as_bytes());
            }
            out.push(b',');
        };
        id(out, self.task_id);
        out.extend_from_slice(self.family.as_bytes());
        out.push(b':');
        push_decimal(out, self.revision as u64);
        out.push(b',');
        for t in [self.group, self.started_by, self.service_name] {
            csv_field(out, t);
            out.push(b',');
        }
        out.extend_from_slice(self.launch_type.as_bytes());
        out.push(b',');
        csv_field(out, self.capacity_provider);
        out.push(b',');
        id(out, self.container_instance_id);
        for t in [self.ec2_instance_id, self.availability_zone] {
            csv_field(out, t);
            out.push(b',');
        }
        for t in [self.created_at, self.started_at, self.stopped_at] {
            csv_secs(out, t);
            out.push(b',');
        }
        for t in [self.last_status, self.stop_code] {
            out.extend_from_slice(t.as_bytes());
            out.push(b',');
        }
        csv_field(out, &self.stopped_reason);
        out.push(b',');
        csv_secs(out, Some(self.arrived_at));
        out.push(b',');
        csv_secs(out, self.stopping_at);
        out.push(b',');
        csv_field(out, self.cluster);
        out.push(b',');
        csv_secs(out, self.placed_at);
        out.push(b',');
        push_decimal(out, self.cpu as u64);
        out.push(b',');
        push_decimal(out, self.memory as u64);
        out.push(b'\n');
    }
}

/// Whether a cell must be quoted: it holds a comma, a quote or a line break (all below
/// `-`).
fn needs_quotes(s: &[u8]) -> bool {
    crate::text::any_special(s, b'-', None, |b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// A text cell, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(out: &mut Vec<u8>, s: &str) {
    if !needs_quotes(s.as_bytes()) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A time cell: seconds with three decimals, or empty.
fn csv_secs(out: &mut Vec<u8>, t: Option<SimTime>) {
    if let Some(t) = t {
        crate::text::push_secs(out, t.millis());
    }
}

/// What a row reads besides its task: the run's state, during the run or at its end.
pub trait RowSource {
    /// Task definitions.
    fn registry(&self) -> &TaskDefinitions;
    /// The container instances.
    fn cluster(&self) -> &Cluster;
    /// A service.
    fn service(&self, s: ServiceId) -> &Service;
    /// A cluster's name.
    fn cluster_name(&self, c: ClusterId) -> &str;
}

impl RowSource for Outcome {
    fn registry(&self) -> &TaskDefinitions {
        &self.registry
    }
    fn cluster(&self) -> &Cluster {
        &self.cluster
    }
    fn service(&self, s: ServiceId) -> &Service {
        &self.services[s.idx()]
    }
    fn cluster_name(&self, c: ClusterId) -> &str {
        Outcome::cluster_name(self, c)
    }
}

impl RowSource for Sim<'_> {
    fn registry(&self) -> &TaskDefinitions {
        self.control.registry()
    }
    fn cluster(&self) -> &Cluster {
        self.fleet.cluster()
    }
    fn service(&self, s: ServiceId) -> &Service {
        self.services.get(s)
    }
    fn cluster_name(&self, c: ClusterId) -> &str {
        self.control.cluster_name(c)
    }
}

/// The capacity provider a task of `pool` runs on, by name (empty for none).
pub(super) fn provider_name(sc: &Scenario, pool: crate::ecs::provider::Pool) -> &str {
    pool.provider()
        .map_or("", |p| sc.capacity.providers[p.0 as usize].name.as_str())
}

fn service_name(src: &dyn RowSource, origin: Origin) -> &str {
    match origin {
        Origin::Service(s) => &src.service(s).name,
        _ => "",
    }
}

/// `startedBy` of a task (or request) of `origin`: its service deployment's id, or the
/// RunTask's `startedBy`.
pub(super) fn started_by<'a>(
    src: &'a dyn RowSource,
    sc: &'a Scenario,
    origin: Origin,
    deployment: DeploymentIdx,
) -> &'a str {
    match origin {
        Origin::Service(s) => &src.service(s).deployment(deployment).id,
        _ => run_task_started_by(sc, origin),
    }
}

/// The row of task `idx`.
pub fn task_row<'a>(src: &'a dyn RowSource, sc: &'a Scenario, idx: TaskIdx, t: &'a Task) -> TaskRow<'a> {
    let cluster = src.cluster();
    let inst = t.instance.map(|i| cluster.instance(i));
    let def = src.registry().get(t.taskdef);
    TaskRow {
        task_id: Some(task_hex_id(idx)),
        family: &def.family,
        revision: def.revision,
        group: cluster.group_name(t.group),
        started_by: started_by(src, sc, t.origin, t.deployment),
        service_name: service_name(src, t.origin),
        launch_type: t.pool.launch_type(),
        capacity_provider: provider_name(sc, t.pool),
        container_instance_id: inst.map(|i| i.container_instance_hex_id()),
        ec2_instance_id: inst.map_or("", |i| &i.spec.ec2_instance_id),
        availability_zone: inst
            .map(|i| i.spec.availability_zone.as_str())
            .or_else(|| t.zone.map(|z| cluster.symbols.resolve(z)))
            .unwrap_or_default(),
        created_at: Some(t.created_at),
        started_at: t.started_at.get(),
        stopped_at: t.stopped_at.get(),
        last_status: t.status.as_str(),
        stop_code: t.stop_code.map_or("", |c| c.as_str()),
        stopped_reason: t.reason.as_ref().map(|r| r.text()).unwrap_or_default(),
        arrived_at: t.arrived_at,
        stopping_at: t.stopping_at.get(),
        cluster: src.cluster_name(t.cluster),
        placed_at: t.placed_at.get(),
        cpu: def.reservation.cpu,
        memory: def.reservation.memory,
    }
}

/// The row of a request that never became a task.
pub fn request_row<'a>(src: &'a dyn RowSource, sc: &'a Scenario, q: &'a Request) -> TaskRow<'a> {
    let def = src.registry().get(q.taskdef);
    TaskRow {
        task_id: None,
        family: &def.family,
        revision: def.revision,
        group: src.cluster().group_name(q.group),
        started_by: started_by(src, sc, q.origin, Default::default()),
        service_name: service_name(src, q.origin),
        launch_type: "",
        capacity_provider: "",
        container_instance_id: None,
        ec2_instance_id: "",
        availability_zone: "",
        created_at: None,
        started_at: None,
        stopped_at: None,
        last_status: "",
        stop_code: "",
        stopped_reason: q.reason.text(),
        arrived_at: q.arrived_at,
        stopping_at: None,
        cluster: "",
        placed_at: None,
        cpu: def.reservation.cpu,
        memory: def.reservation.memory,
    }
}

/// Room for a typical row (W's are about 260 bytes), so that a new buffer is not grown
/// byte range by byte range.
const ROW_CAPACITY: usize = 320;

/// Rows rendered out of order (a task stops before an earlier one), held until every
/// earlier row is rendered, then handed on in order: a ring from the first row not
/// yet handed on, with a hole for each row still to come. A held row keeps the buffer
/// it was rendered in, and buffers handed on are used again, so rendering allocates
/// only while the number of held rows grows.
#[derive(Default)]
pub struct RowStream {
    next: u32,
    waiting: VecDeque<Option<Vec<u8>>>,
    held: usize,
    spare: Vec<Vec<u8>>,
}

impl RowStream {
    /// An empty buffer to render a row into.
    pub fn buffer(&mut self) -> Vec<u8> {
        let mut line = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(ROW_CAPACITY));
        line.clear();
        line
    }

    /// Row number `n` is rendered as `line`; `due` gets the lines now due, in order.
    pub fn ready(&mut self, n: u32, line: Vec<u8>, mut due: impl FnMut(&[u8])) {
        let at = n.checked_sub(self.next).expect("each row is rendered once") as usize;
        if at > 0 {
            if self.waiting.len() <= at {
                self.waiting.resize_with(at + 1, || None);
            }
            self.waiting[at] = Some(line);
            self.held += 1;
            return;
        }
        due(&line);
        self.spare.push(line);
        self.next += 1;
        self.waiting.pop_front();
        while let Some(Some(_)) = self.waiting.front() {
            let line = self.waiting.pop_front().flatten().expect("checked");
            due(&line);
            self.spare.push(line);
            self.held -= 1;
            self.next += 1;
        }
    }

    /// Rows held, waiting for an earlier one.
    pub fn held(&self) -> usize {
        self.held
    }
}

impl Sim<'_> {
    /// Records a request ECS never turned into a task (and its row, when rows stream).
    pub(super) fn not_created(
        &mut self,
        taskdef: TaskDefId,
        group: GroupId,
        origin: Origin,
        arrived_at: SimTime,
        reason: Reason,
    ) {
        let q = Request {
            taskdef,
            group,
            origin,
            arrived_at,
            reason,
        };
        if let Some((n, q)) = self.tasks.not_created(q) {
            let mut line = self.journal.line_buffer();
            request_row(self, self.sc, &q).write_csv(&mut line);
            self.journal.task_line(n, line);
        }
    }

    /// After each event: the rows of the tasks it stopped (when rows stream), then the
    /// task store forgets them.
    pub(super) fn retire_stopped(&mut self) {
        if self.tasks.streams() {
            for &t in self.tasks.stopped() {
                let mut line = self.journal.line_buffer();
                let task = self.tasks.get(t);
                task_row(self, self.sc, t, task).write_csv(&mut line);
                self.journal.task_line(task.row, line);
            }
        }
        // A slot's events die with the task that held it.
        let q = &mut self.q;
        self.tasks.retire_stopped(|slot| q.cancel(crate::engine::Slot(slot)));
    }

    /// At the end, when rows stream: the rows of the tasks not stopped, after which
    /// every row has been handed on.
    pub(super) fn stream_remaining_rows(&mut self) {
        if !self.tasks.streams() {
            return;
        }
        self.retire_stopped();
        let lines: Vec<(u32, Vec<u8>)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.status != TaskStatus::Stopped)
            .map(|(i, t)| {
                let mut line = Vec::new();
                task_row(self, self.sc, i, t).write_csv(&mut line);
                (t.row, line)
            })
            .collect();
        for (n, line) in lines {
            self.journal.task_line(n, line);
        }
        assert_eq!(self.journal.rows_held(), 0, "a tasks.csv row was never rendered");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_exactly_when_they_hold_a_comma_quote_or_line_break() {
        for (cell, quoted) in [
            ("", false),
            ("us-east-1a", false),
            ("Essential container in task exited", false),
            ("i-0123456789abcdef0~é", false),
            ("0123456789abcd,", true),
            ("01234567\"", true),
            ("0123456\n", true),
            ("\r", true),
            ("01234567012345670123456701234567x,y", true),
        ] {
            assert_eq!(needs_quotes(cell.as_bytes()), quoted, "{cell:?}");
        }
    }

    #[test]
    fn a_row_is_the_line_the_csv_crate_writes() {
        let row = TaskRow {
            task_id: Some(HexId::new(0x7A, 4)),
            family: "web",
            revision: 3,
            group: "service:web",
            started_by: "",
            service_name: "web",
            launch_type: "EC2",
            capacity_provider: "",
            container_instance_id: None,
            ec2_instance_id: "i-1",
            availability_zone: "us-east-1a",
            created_at: Some(SimTime(1_005)),
            started_at: Some(SimTime(0)),
            stopped_at: None,
            last_status: "STOPPED",
            stop_code: "UserInitiated",
            stopped_reason: "said \"stop\", then\nstopped\r".into(),
            arrived_at: SimTime(123_456_789),
            stopping_at: Some(SimTime(70)),
            cluster: "a,b",
            placed_at: None,
            cpu: 256,
            memory: 0,
        };
        let mut line = Vec::new();
        row.write_csv(&mut line);
        let secs = |t: Option<SimTime>| t.map(|t| t.secs_string()).unwrap_or_default();
        let cells: Vec<String> = vec![
            row.task_id.map(|i| i.to_string()).unwrap_or_default(),
            row.task_definition(),
            row.group.into(),
            row.started_by.into(),
            row.service_name.into(),
            row.launch_type.into(),
            row.capacity_provider.into(),
            String::new(),
            row.ec2_instance_id.into(),
            row.availability_zone.into(),
            secs(row.created_at),
            secs(row.started_at),
            secs(row.stopped_at),
            row.last_status.into(),
            row.stop_code.into(),
            row.stopped_reason.to_string(),
            secs(Some(row.arrived_at)),
            secs(row.stopping_at),
            row.cluster.into(),
            secs(row.placed_at),
            row.cpu.to_string(),
            row.memory.to_string(),
        ];
        assert_eq!(cells.len(), crate::output::TASK_HEADER.len());
        let mut want = csv::Writer::from_writer(Vec::new());
        want.write_record(&cells).unwrap();
        let want = want.into_inner().unwrap();
        assert_eq!(String::from_utf8(line).unwrap(), String::from_utf8(want).unwrap());
    }
}
