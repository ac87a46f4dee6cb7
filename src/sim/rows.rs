//! tasks.csv rows: one per task and per request ECS never turned into a task, in the
//! order they were recorded. A run that keeps its tasks renders them at the end; a run
//! that does not streams each task's row when it stops ([`RowStream`] restores the
//! order), so the file is the same either way.

use super::Sim;
use super::ids::{DeploymentIdx, Origin, ServiceId, TaskIdx};
use super::outcome::{Outcome, run_task_started_by};
use super::services::Service;
use super::task::{Reason, Request, Task, TaskStatus};
use super::tasks::task_id;
use crate::ecs::cluster::{Cluster, ClusterId, GroupId};
use crate::ecs::registry::TaskDefId;
use crate::ecs::registry::TaskDefinitions;
use crate::engine::SimTime;
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::VecDeque;

/// One tasks.csv row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRow {
    /// ECS task id (empty for a request that never became a task).
    pub task_id: String,
    /// `family:revision`.
    pub task_definition: String,
    /// Task group.
    pub group: String,
    /// `startedBy`.
    pub started_by: String,
    /// The service, if any.
    pub service_name: String,
    /// `EC2`.
    pub launch_type: String,
    /// The capacity provider, if any.
    pub capacity_provider: String,
    /// Container instance id.
    pub container_instance_id: String,
    /// EC2 instance id.
    pub ec2_instance_id: String,
    /// Availability zone.
    pub availability_zone: String,
    /// When ECS created the task (placed it).
    pub created_at: String,
    /// When it reached RUNNING.
    pub started_at: String,
    /// When it stopped.
    pub stopped_at: String,
    /// Last status (empty: never became a task).
    pub last_status: String,
    /// Stop code.
    pub stop_code: String,
    /// Why it stopped, or why it never started.
    pub stopped_reason: String,
    /// When it was first asked for (a RunTask call, or a service wanting it).
    pub arrived_at: String,
    /// When it began stopping (SIGTERM sent, or stopped outright).
    pub stopping_at: String,
    /// Its cluster.
    pub cluster: String,
    /// When it was placed: on its instance, or on Fargate (empty: never placed). A
    /// PROVISIONING task is created before it is placed.
    pub placed_at: String,
    /// CPU units it reserves (its task-level size, or its containers' sum).
    pub cpu: u32,
    /// Memory MiB it reserves (its task-level size, or its containers' reservations).
    pub memory: u32,
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

fn secs(t: Option<crate::engine::SimTime>) -> String {
    t.map(|t| t.secs_string()).unwrap_or_default()
}

fn service_name(src: &dyn RowSource, origin: Origin) -> String {
    match origin {
        Origin::Service(s) => src.service(s).name.clone(),
        _ => String::new(),
    }
}

/// `startedBy` of a task (or request) of `origin`: its service deployment's id, or the
/// RunTask's `startedBy`.
pub(super) fn started_by(src: &dyn RowSource, sc: &Scenario, origin: Origin, deployment: DeploymentIdx) -> String {
    match origin {
        Origin::Service(s) => src.service(s).deployment(deployment).id.clone(),
        _ => run_task_started_by(sc, origin),
    }
}

/// The row of task `idx`.
pub fn task_row(src: &dyn RowSource, sc: &Scenario, idx: TaskIdx, t: &Task) -> TaskRow {
    let cluster = src.cluster();
    let inst = t.instance.map(|i| cluster.instance(i));
    let def = src.registry().get(t.taskdef);
    TaskRow {
        task_id: task_id(idx),
        task_definition: def.name(),
        group: cluster.group_name(t.group).to_string(),
        started_by: started_by(src, sc, t.origin, t.deployment),
        service_name: service_name(src, t.origin),
        launch_type: t.pool.launch_type().into(),
        capacity_provider: provider_name(sc, t.pool).to_string(),
        container_instance_id: inst.map(|i| i.container_instance_id()).unwrap_or_default(),
        ec2_instance_id: inst.map(|i| i.spec.ec2_instance_id.clone()).unwrap_or_default(),
        availability_zone: inst
            .map(|i| i.spec.availability_zone.clone())
            .or_else(|| t.zone.map(|z| cluster.symbols.resolve(z).to_string()))
            .unwrap_or_default(),
        created_at: t.created_at.secs_string(),
        started_at: secs(t.started_at.get()),
        stopped_at: secs(t.stopped_at.get()),
        last_status: t.status.as_str().to_string(),
        stop_code: t.stop_code.map(|c| c.as_str().to_string()).unwrap_or_default(),
        stopped_reason: t.reason.as_ref().map(|r| r.text()).unwrap_or_default(),
        arrived_at: t.arrived_at.secs_string(),
        stopping_at: secs(t.stopping_at.get()),
        cluster: src.cluster_name(t.cluster).to_string(),
        placed_at: secs(t.placed_at.get()),
        cpu: def.reservation.cpu,
        memory: def.reservation.memory,
    }
}

/// The row of a request that never became a task.
pub fn request_row(src: &dyn RowSource, sc: &Scenario, q: &Request) -> TaskRow {
    let def = src.registry().get(q.taskdef);
    TaskRow {
        task_id: String::new(),
        task_definition: def.name(),
        group: src.cluster().group_name(q.group).to_string(),
        started_by: started_by(src, sc, q.origin, Default::default()),
        service_name: service_name(src, q.origin),
        launch_type: String::new(),
        capacity_provider: String::new(),
        container_instance_id: String::new(),
        ec2_instance_id: String::new(),
        availability_zone: String::new(),
        created_at: String::new(),
        started_at: String::new(),
        stopped_at: String::new(),
        last_status: String::new(),
        stop_code: String::new(),
        stopped_reason: q.reason.text(),
        arrived_at: q.arrived_at.secs_string(),
        stopping_at: String::new(),
        cluster: String::new(),
        placed_at: String::new(),
        cpu: def.reservation.cpu,
        memory: def.reservation.memory,
    }
}

/// Rows rendered out of order (a task stops before an earlier one), held until every
/// earlier row is rendered, then handed on in order: a ring from the first row not
/// yet handed on, with a hole for each row still to come (a box of a rendered row
/// is moved, never its 500 bytes).
#[derive(Default)]
pub struct RowStream {
    next: u32,
    waiting: VecDeque<Option<Box<TaskRow>>>,
    held: usize,
}

impl RowStream {
    /// Row number `n` is rendered; `due` gets the rows now due, in order.
    pub fn ready(&mut self, n: u32, row: TaskRow, mut due: impl FnMut(TaskRow)) {
        let at = n.checked_sub(self.next).expect("each row is rendered once") as usize;
        if at > 0 {
            if self.waiting.len() <= at {
                self.waiting.resize_with(at + 1, || None);
            }
            self.waiting[at] = Some(Box::new(row));
            self.held += 1;
            return;
        }
        due(row);
        self.next += 1;
        self.waiting.pop_front();
        while let Some(Some(_)) = self.waiting.front() {
            let row = self.waiting.pop_front().flatten().expect("checked");
            due(*row);
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
            let row = request_row(self, self.sc, &q);
            self.journal.task_row(n, row);
        }
    }

    /// After each event: the rows of the tasks it stopped (when rows stream), then the
    /// task store forgets them.
    pub(super) fn retire_stopped(&mut self) {
        if self.tasks.streams() {
            for &t in self.tasks.stopped() {
                let task = self.tasks.get(t);
                let row = task_row(self, self.sc, t, task);
                self.journal.task_row(task.row, row);
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
        let rows: Vec<(u32, TaskRow)> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.status != TaskStatus::Stopped)
            .map(|(i, t)| (t.row, task_row(self, self.sc, i, t)))
            .collect();
        for (n, row) in rows {
            self.journal.task_row(n, row);
        }
        assert_eq!(self.journal.rows_held(), 0, "a tasks.csv row was never rendered");
    }
}
