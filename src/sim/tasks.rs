//! The task store: every task of the run by creation order, the requests ECS never
//! turned into a task (kept apart), the order both were recorded in (tasks.csv's), and
//! how many are PENDING and RUNNING.

use super::ids::{Origin, RequestIdx, TaskIdx};
use super::task::{Reason, Request, Task, TaskStatus};
use crate::ecs::cluster::GroupId;
use crate::ecs::registry::TaskDefId;
use crate::engine::SimTime;

/// A tasks.csv row: a task, or a request that never became one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A task.
    Task(TaskIdx),
    /// A request.
    Request(RequestIdx),
}

/// The run's tasks and requests.
#[derive(Clone, Debug, Default)]
pub struct TaskStore {
    tasks: Vec<Task>,
    requests: Vec<Request>,
    rows: Vec<Row>,
    pending: u32,
    running: u32,
}

/// The ECS task id of the task created `idx`-th (from 0) in a run.
pub fn task_id(idx: TaskIdx) -> String {
    crate::ecs::ids::hex_id(0x7A, idx.0 as u64)
}

/// The task a task id (or ARN) names, if it is one of a run's.
pub fn parse_task_id(id: &str) -> Option<TaskIdx> {
    let id = id.rsplit('/').next().unwrap_or(id);
    crate::ecs::ids::parse_hex_id(0x7A, id).and_then(|n| u32::try_from(n).ok().map(TaskIdx))
}

impl TaskStore {
    /// Adds a task; returns its index.
    pub fn push(&mut self, t: Task) -> TaskIdx {
        let idx = TaskIdx(self.tasks.len() as u32);
        if t.status == TaskStatus::Pending {
            self.pending += 1;
        }
        self.tasks.push(t);
        self.rows.push(Row::Task(idx));
        idx
    }

    /// Records a request that never became a task.
    pub fn not_created(
        &mut self,
        taskdef: TaskDefId,
        group: GroupId,
        origin: Origin,
        arrived_at: SimTime,
        reason: Reason,
    ) {
        self.rows.push(Row::Request(RequestIdx(self.requests.len() as u32)));
        self.requests.push(Request {
            taskdef,
            group,
            origin,
            arrived_at,
            reason,
        });
    }

    /// A task.
    pub fn get(&self, t: TaskIdx) -> &Task {
        &self.tasks[t.idx()]
    }

    /// The task `t`, if it exists.
    pub fn find(&self, t: TaskIdx) -> Option<&Task> {
        self.tasks.get(t.idx())
    }

    /// A task, to change it; its status changes go through [`set_status`](Self::set_status).
    pub fn get_mut(&mut self, t: TaskIdx) -> &mut Task {
        &mut self.tasks[t.idx()]
    }

    /// Sets a task's status (and its version), keeping the PENDING and RUNNING counts.
    pub fn set_status(&mut self, t: TaskIdx, status: TaskStatus) {
        let task = &mut self.tasks[t.idx()];
        match task.status {
            TaskStatus::Pending => self.pending -= 1,
            TaskStatus::Running => self.running -= 1,
            _ => {}
        }
        match status {
            TaskStatus::Pending => self.pending += 1,
            TaskStatus::Running => self.running += 1,
            _ => {}
        }
        task.status = status;
        task.version += 1;
    }

    /// Tasks created so far.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True before the first task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Every task, in creation order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Every request that never became a task, in record order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// Tasks and requests in the order they were recorded.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// PENDING tasks.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    /// RUNNING tasks.
    pub fn running(&self) -> u32 {
        self.running
    }

    /// Everything, for the run's outcome.
    pub fn into_parts(self) -> (Vec<Task>, Vec<Request>, Vec<Row>) {
        (self.tasks, self.requests, self.rows)
    }
}
