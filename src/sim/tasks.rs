//! The task store: every task of the run by creation order, the requests ECS never
//! turned into a task (kept apart), the order both were recorded in (tasks.csv's), and
//! how many are PENDING and RUNNING.

use super::ids::{Origin, RequestIdx, TaskIdx};
use super::task::{Reason, Request, StopCode, Task, TaskStatus};

/// A tasks.csv row: a task, or a request that never became one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A task.
    Task(TaskIdx),
    /// A request.
    Request(RequestIdx),
}

/// The run's tasks and requests.
///
/// Tasks live in slots: a task's slot is found through `slot_of`, by creation index.
/// When finished tasks are not kept ([`TaskStore::new`]), a STOPPED task gives up its
/// slot after the event that stopped it and leaves only what the summary needs (its
/// wait, whether it failed to start) in a [`Tally`]; requests are then only counted.
/// When rows are streamed, every task and request is numbered in tasks.csv's order,
/// and the tasks stopped by an event are listed for their rows before anything else.
#[derive(Clone, Debug)]
pub struct TaskStore {
    slots: Vec<Task>,
    slot_of: Vec<u32>,
    free: Vec<u32>,
    keep: bool,
    stream: bool,
    next_row: u32,
    stopped: Vec<TaskIdx>,
    requests: Vec<Request>,
    rows: Vec<Row>,
    pending: u32,
    running: u32,
    retired: Tally,
}

/// `slot_of` for a task whose slot was given up.
const GONE: u32 = u32::MAX;

/// What the summary needs of the run's tasks and requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Tasks created.
    pub created: u64,
    /// Requests that never became a task.
    pub requests: u64,
    /// Of those, still wanted at the end.
    pub requests_waiting: u64,
    /// Of those, abandoned after RunTask failures.
    pub requests_rejected: u64,
    /// Tasks PROVISIONING.
    pub provisioning: u64,
    /// Tasks stopped with TaskFailedToStart.
    pub failed_to_start: u64,
    /// Each started task's wait from arrival to RUNNING, milliseconds (in no order),
    /// by who asked for it.
    pub waits: Waits,
}

/// Waits in milliseconds, by origin: per service, per workload, and the timeline's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waits {
    /// By service index.
    pub services: Vec<Vec<u64>>,
    /// By workload index.
    pub workloads: Vec<Vec<u64>>,
    /// Timeline RunTask calls'.
    pub timeline: Vec<u64>,
}

impl Waits {
    fn push(&mut self, origin: Origin, wait: u64) {
        let (list, i) = match origin {
            Origin::Service(s) => (&mut self.services, s.idx()),
            Origin::Workload(w) => (&mut self.workloads, w.0 as usize),
            Origin::Timeline(_) => {
                self.timeline.push(wait);
                return;
            }
        };
        if list.len() <= i {
            list.resize(i + 1, Vec::new());
        }
        list[i].push(wait);
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.services.iter().chain(&self.workloads).map(Vec::len).sum::<usize>() + self.timeline.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every wait, in no order.
    pub fn all(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.len());
        for w in self.services.iter().chain(&self.workloads) {
            v.extend_from_slice(w);
        }
        v.extend_from_slice(&self.timeline);
        v
    }
}

impl Tally {
    fn add_task(&mut self, t: &Task) {
        if let Some(s) = t.started_at.get() {
            self.waits.push(t.origin, s.since(t.arrived_at).millis());
        }
        self.failed_to_start += u64::from(t.stop_code == Some(StopCode::TaskFailedToStart));
        self.provisioning += u64::from(t.status == TaskStatus::Provisioning);
    }

    fn add_request(&mut self, r: &Reason) {
        self.requests += 1;
        self.requests_waiting += u64::from(r.is_waiting());
        self.requests_rejected += u64::from(matches!(r, Reason::Rejected(_)));
    }
}

/// The ECS task id of the task created `idx`-th (from 0) in a run.
pub fn task_id(idx: TaskIdx) -> String {
    task_hex_id(idx).as_str().to_string()
}

/// [`task_id`] without allocating.
pub fn task_hex_id(idx: TaskIdx) -> crate::ecs::ids::HexId {
    crate::ecs::ids::HexId::new(0x7A, idx.0 as u64)
}

/// The task a task id (or ARN) names, if it is one of a run's.
pub fn parse_task_id(id: &str) -> Option<TaskIdx> {
    let id = id.rsplit('/').next().unwrap_or(id);
    crate::ecs::ids::parse_hex_id(0x7A, id).and_then(|n| u32::try_from(n).ok().map(TaskIdx))
}

impl TaskStore {
    /// An empty store; `keep`: every task and request stays to the end (for events,
    /// explain and tests), else finished tasks leave only their [`Tally`]; `stream`:
    /// tasks.csv rows are rendered as tasks stop ([`stopped`](Self::stopped)), so the
    /// store keeps no row order of its own.
    pub fn new(keep: bool, stream: bool) -> Self {
        TaskStore {
            slots: Vec::new(),
            slot_of: Vec::new(),
            free: Vec::new(),
            keep,
            stream,
            next_row: 0,
            stopped: Vec::new(),
            requests: Vec::new(),
            rows: Vec::new(),
            pending: 0,
            running: 0,
            retired: Tally::default(),
        }
    }

    /// Adds a task; returns its index.
    pub fn push(&mut self, mut t: Task) -> TaskIdx {
        let idx = TaskIdx(self.slot_of.len() as u32);
        t.row = self.next_row;
        self.next_row += 1;
        if t.status == TaskStatus::Pending {
            self.pending += 1;
        }
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = t;
                s
            }
            None => {
                self.slots.push(t);
                (self.slots.len() - 1) as u32
            }
        };
        self.slot_of.push(slot);
        if self.keep && !self.stream {
            self.rows.push(Row::Task(idx));
        }
        idx
    }

    /// Records a request that never became a task; when rows are streamed, returns it
    /// with its row number, for its row.
    pub fn not_created(&mut self, q: Request) -> Option<(u32, Request)> {
        let row = self.next_row;
        self.next_row += 1;
        let streamed = self.stream.then(|| (row, q.clone()));
        if !self.keep {
            self.retired.add_request(&q.reason);
            return streamed;
        }
        if !self.stream {
            self.rows.push(Row::Request(RequestIdx(self.requests.len() as u32)));
        }
        self.requests.push(q);
        streamed
    }

    /// A task (one not given up: live, or kept).
    pub fn get(&self, t: TaskIdx) -> &Task {
        &self.slots[self.slot_of[t.idx()] as usize]
    }

    /// The task `t`, if it exists and was not given up.
    pub fn find(&self, t: TaskIdx) -> Option<&Task> {
        match self.slot_of.get(t.idx()) {
            Some(&s) if s != GONE => Some(&self.slots[s as usize]),
            _ => None,
        }
    }

    /// The slot holding task `t` (not given up): the handle its events are scheduled
    /// on, since a slot holds one task at a time.
    pub fn slot(&self, t: TaskIdx) -> u32 {
        self.slot_of[t.idx()]
    }

    /// Asks the processor for task `t`, held in `slot`, ahead of its use: the slot's
    /// record and `t`'s entry in the slot table, neither waiting for the other.
    pub fn prefetch(&self, t: TaskIdx, slot: u32) {
        use crate::engine::prefetch::prefetch;
        if let (Some(s), Some(task)) = (self.slot_of.get(t.idx()), self.slots.get(slot as usize)) {
            prefetch(s, 1);
            prefetch(task, 3);
        }
    }

    /// Whether task `t` was created in this run (it may have been given up since).
    pub fn created(&self, t: TaskIdx) -> bool {
        t.idx() < self.slot_of.len()
    }

    /// A task, to change it; its status changes go through [`set_status`](Self::set_status).
    pub fn get_mut(&mut self, t: TaskIdx) -> &mut Task {
        &mut self.slots[self.slot_of[t.idx()] as usize]
    }

    /// Sets a task's status (and its version), keeping the PENDING and RUNNING counts.
    pub fn set_status(&mut self, t: TaskIdx, status: TaskStatus) {
        let task = &mut self.slots[self.slot_of[t.idx()] as usize];
        match task.status {
            TaskStatus::Pending => self.pending -= 1,
            TaskStatus::Running => self.running -= 1,
            _ => {}
        }
        match status {
            TaskStatus::Pending => self.pending += 1,
            TaskStatus::Running => self.running += 1,
            TaskStatus::Stopped if !self.keep || self.stream => self.stopped.push(t),
            _ => {}
        }
        task.status = status;
        task.version += 1;
    }

    /// The tasks stopped since the last [`retire_stopped`](Self::retire_stopped).
    pub fn stopped(&self) -> &[TaskIdx] {
        &self.stopped
    }

    /// Whether tasks.csv rows are streamed.
    pub fn streams(&self) -> bool {
        self.stream
    }

    /// Forgets the tasks stopped since the last call, giving up their slots when
    /// finished tasks are not kept: called between events, so that nothing of the event
    /// that stopped them still reads them.
    /// `freed` is told of each slot given up, before another task can take it.
    pub fn retire_stopped(&mut self, mut freed: impl FnMut(u32)) {
        if self.keep {
            self.stopped.clear();
            return;
        }
        for t in self.stopped.drain(..) {
            let slot = std::mem::replace(&mut self.slot_of[t.idx()], GONE);
            self.retired.add_task(&self.slots[slot as usize]);
            freed(slot);
            self.free.push(slot);
        }
    }

    /// Tasks created so far.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// True before the first task.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// The tasks not given up, with their indexes, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (TaskIdx, &Task)> {
        self.slot_of
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != GONE)
            .map(|(i, &s)| (TaskIdx(i as u32), &self.slots[s as usize]))
    }

    /// Every request that never became a task, in record order (none when not kept).
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// PENDING tasks.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    /// RUNNING tasks.
    pub fn running(&self) -> u32 {
        self.running
    }

    /// What the summary needs: the given-up tasks' tally with the rest's added.
    pub fn tally(&self) -> Tally {
        let mut t = self.retired.clone();
        t.created = self.slot_of.len() as u64;
        for (_, task) in self.iter() {
            t.add_task(task);
        }
        for r in &self.requests {
            t.add_request(&r.reason);
        }
        t
    }

    /// The tasks not given up in creation order (all of them when kept), the requests
    /// and the rows, for the run's outcome.
    pub fn into_parts(mut self) -> (Vec<Task>, Vec<Request>, Vec<Row>) {
        if !self.keep {
            // The live tasks, moved to the front in creation order and the rest cut off:
            // in place, since a copy would double the largest thing a run holds.
            let mut rank = vec![u32::MAX; self.slots.len()];
            let live = self.slot_of.iter().filter(|&&s| s != GONE).count() as u32;
            for (k, &s) in (0..).zip(self.slot_of.iter().filter(|&&s| s != GONE)) {
                rank[s as usize] = k;
            }
            for (k, r) in (live..).zip(rank.iter_mut().filter(|r| **r == u32::MAX)) {
                *r = k;
            }
            for i in 0..rank.len() {
                while rank[i] as usize != i {
                    let to = rank[i] as usize;
                    self.slots.swap(i, to);
                    rank.swap(i, to);
                }
            }
            self.slots.truncate(live as usize);
        }
        (self.slots, self.requests, self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::cluster::{ClusterId, GroupId};
    use crate::ecs::provider::Pool;
    use crate::ecs::registry::TaskDefId;
    use crate::engine::{OptTime, SimTime};
    use crate::sim::ids::{Origin, WorkloadId};

    fn task(arrived: u64) -> Task {
        Task {
            taskdef: TaskDefId(0),
            group: GroupId(0),
            origin: Origin::Workload(WorkloadId(0)),
            instance: None,
            arrived_at: SimTime(arrived),
            created_at: SimTime(arrived),
            placed_at: OptTime::NONE,
            started_at: OptTime::NONE,
            stopped_at: OptTime::NONE,
            status: TaskStatus::Pending,
            stop_code: None,
            reason: None,
            run_for: None,
            pool: Pool::Ec2,
            zone: None,
            meter: None,
            version: 1,
            cluster: ClusterId(0),
            deployment: Default::default(),
            healthy: false,
            stopping_at: OptTime::NONE,
            after_fault: false,
            row: 0,
        }
    }

    #[test]
    fn the_outcome_holds_the_live_tasks_in_creation_order_when_finished_ones_are_not_kept() {
        let mut store = TaskStore::new(false, false);
        let ids: Vec<TaskIdx> = (0..4).map(|i| store.push(task(i))).collect();
        // Stop 1 and 2, reuse their slots for 4 and 5 (created later, in lower slots).
        for &t in &ids[1..3] {
            store.set_status(t, TaskStatus::Stopped);
        }
        store.retire_stopped(|_| {});
        store.push(task(4));
        store.push(task(5));
        store.set_status(ids[0], TaskStatus::Stopped);
        store.retire_stopped(|_| {});
        let (tasks, ..) = store.into_parts();
        let arrived: Vec<u64> = tasks.iter().map(|t| t.arrived_at.millis()).collect();
        assert_eq!(arrived, vec![3, 4, 5]);
        assert_eq!(tasks.iter().map(|t| t.row).collect::<Vec<_>>(), vec![3, 4, 5]);
    }
}
