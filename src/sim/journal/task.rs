//! Task state change events ("ECS Task State Change", three per task: most of a big
//! run's events.jsonl). A change is taken first as a [`TaskChange`] — the task's numbers
//! and the run's names, borrowed — and made into its event here ([`TaskChange::event`]),
//! or copied into a compact frame ([`TaskChange::encode`], about a fifth of the event's
//! bytes) that a writer thread reads back ([`TaskChange::decode`]) and makes into the
//! same event, off the simulating thread.

use super::render::{Envelope, envelope};
use super::values::{Arn, Iso, WallClock};
use crate::ecs::cluster::InstanceId;
use crate::engine::{SimDuration, SimTime};
use crate::sim::Sim;
use crate::sim::ids::TaskIdx;
use crate::sim::task::{Reason, StopCode, TaskStatus};
use serde::Serialize;
use std::borrow::Cow;

/// A task's state change as the run knows it when it happens: what its event is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskChange<'a> {
    ecsim_event: Option<u64>,
    event_no: u64,
    now: SimTime,
    task: TaskIdx,
    instance: Option<InstanceId>,
    created_at: SimTime,
    started_at: Option<SimTime>,
    stopping_at: Option<SimTime>,
    stopped_at: Option<SimTime>,
    version: u32,
    revision: u32,
    desired_status: &'a str,
    last_status: &'a str,
    launch_type: &'a str,
    stop_code: Option<&'a str>,
    availability_zone: Option<&'a str>,
    capacity_provider_name: &'a str,
    cluster: &'a str,
    instance_cluster: &'a str,
    group: &'a str,
    started_by: &'a str,
    stopped_reason: Option<Cow<'a, str>>,
    family: &'a str,
}

impl Sim<'_> {
    /// Task `t`'s state change at `now`, event number `event_no` (see
    /// [`Journal::next_event_no`](super::Journal::next_event_no)), borrowing the run's
    /// names; `notice` is a stop notice not yet on the task, `ecsim_event` is set when the
    /// event is serialised directly (else the journal adds it).
    pub(in crate::sim) fn task_change<'a>(
        &'a self,
        t: TaskIdx,
        notice: Option<&'a (StopCode, Reason)>,
        now: SimTime,
        event_no: u64,
        ecsim_event: Option<u64>,
    ) -> TaskChange<'a> {
        let task = self.tasks.get(t);
        let cluster = self.fleet.cluster();
        let inst = task.instance.map(|i| cluster.instance(i));
        let (stop_code, reason) = match notice {
            Some((c, r)) => (Some(*c), Some(r)),
            None => (task.stop_code, task.reason.as_ref()),
        };
        let taskdef = self.control.registry().get(task.taskdef);
        TaskChange {
            ecsim_event,
            event_no,
            now,
            task: t,
            instance: task.instance,
            created_at: task.created_at,
            started_at: task.started_at.get(),
            stopping_at: task.stopping_at.get(),
            stopped_at: task.stopped_at.get(),
            version: task.version,
            revision: taskdef.revision,
            desired_status: match task.status {
                TaskStatus::Stopped | TaskStatus::Stopping => "STOPPED",
                _ => "RUNNING",
            },
            last_status: task.status.as_str(),
            launch_type: task.pool.launch_type(),
            stop_code: stop_code.map(|c| c.as_str()),
            availability_zone: inst
                .map(|i| i.spec.availability_zone.as_str())
                .or_else(|| task.zone.map(|z| cluster.symbols.resolve(z))),
            capacity_provider_name: crate::sim::rows::provider_name(self.sc, task.pool),
            cluster: self.control.cluster_name(task.cluster),
            instance_cluster: inst.map_or("", |i| self.control.cluster_name(i.spec.ecs_cluster)),
            group: cluster.group_name(task.group),
            started_by: crate::sim::rows::started_by(self, self.sc, task.origin, task.deployment),
            stopped_reason: reason.map(|r| r.text()),
            family: &taskdef.family,
        }
    }
}

impl<'a> TaskChange<'a> {
    /// The container instance the task is on, if any.
    pub fn instance(&self) -> Option<InstanceId> {
        self.instance
    }

    /// The change's EventBridge event, with wall-clock times from `clock`.
    pub fn event(self, clock: &WallClock) -> Envelope<TaskDetail<'a>, Arn<'a>> {
        let time = |t: Option<SimTime>| t.map(|t| clock.iso_of(t));
        let task_arn = Arn::task(self.cluster, self.task);
        let detail = TaskDetail {
            placed: None,
            availability_zone: self.availability_zone,
            capacity_provider_name: self.capacity_provider_name,
            cluster_arn: Arn::cluster(self.cluster),
            container_instance_arn: self.instance.map(|i| Arn::container_instance(self.instance_cluster, i)),
            created_at: time(Some(self.created_at)),
            desired_status: self.desired_status,
            group: self.group,
            last_status: self.last_status,
            launch_type: self.launch_type,
            started_at: time(self.started_at),
            started_by: self.started_by,
            stop_code: self.stop_code,
            stopped_at: time(self.stopped_at),
            stopped_reason: self.stopped_reason,
            stopping_at: time(self.stopping_at),
            task_arn,
            task_definition_arn: Arn::task_definition(self.family, self.revision),
            version: self.version,
        };
        let id = super::event_id(self.event_no);
        envelope(
            clock,
            self.now,
            id,
            "ECS Task State Change",
            task_arn,
            detail,
            self.ecsim_event,
        )
    }

    /// Appends the change as a frame for [`decode`](Self::decode), with the run's
    /// wall-clock start (`start_unix_ms`): numbers in eight or four little-endian bytes
    /// (all ones for none), then the names' lengths, then the names end to end (one UTF-8
    /// check reads them back).
    pub fn encode(&self, start_unix_ms: i64, out: &mut Vec<u8>) {
        let time = |t: Option<SimTime>| t.map_or(u64::MAX, SimTime::millis);
        let names = self.names();
        let mut head = [0u8; HEAD];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            head[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        for n in [
            self.ecsim_event.unwrap_or(u64::MAX),
            self.event_no,
            self.now.millis(),
            start_unix_ms as u64,
            self.created_at.millis(),
            time(self.started_at),
            time(self.stopping_at),
            time(self.stopped_at),
        ] {
            put(&n.to_le_bytes());
        }
        for n in [
            self.task.0,
            self.instance.map_or(u32::MAX, |i| i.0),
            self.version,
            self.revision,
        ] {
            put(&n.to_le_bytes());
        }
        let mut text = 0;
        for s in names {
            put(&s.map_or(u32::MAX, |s| s.len() as u32).to_le_bytes());
            text += s.map_or(0, str::len);
        }
        out.reserve(HEAD + text);
        out.extend_from_slice(&head);
        for s in names.into_iter().flatten() {
            out.extend_from_slice(s.as_bytes());
        }
    }

    /// The names a frame holds, in its order.
    fn names(&self) -> [Option<&str>; 12] {
        [
            Some(self.desired_status),
            Some(self.last_status),
            Some(self.launch_type),
            self.stop_code,
            self.availability_zone,
            Some(self.capacity_provider_name),
            Some(self.cluster),
            Some(self.instance_cluster),
            Some(self.group),
            Some(self.started_by),
            self.stopped_reason.as_deref(),
            Some(self.family),
        ]
    }

    /// The change an [`encode`](Self::encode)d frame holds, borrowing its names, and the
    /// run's wall-clock start. Panics on bytes `encode` did not write (a broken invariant).
    pub fn decode(frame: &'a [u8]) -> (TaskChange<'a>, i64) {
        let (head, text) = frame
            .split_first_chunk::<HEAD>()
            .expect("a frame holds what encode wrote");
        let u64_at = |i: usize| u64::from_le_bytes(head[i * 8..i * 8 + 8].try_into().expect("eight bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(head[64 + i * 4..64 + i * 4 + 4].try_into().expect("four bytes"));
        let time = |i: usize| Some(u64_at(i)).filter(|&ms| ms != u64::MAX).map(at);
        let text = std::str::from_utf8(text).expect("a frame's names are the run's UTF-8 strings");
        let mut names = [None; 12];
        let mut from = 0;
        for (k, name) in names.iter_mut().enumerate() {
            let len = u32_at(4 + k);
            if len != u32::MAX {
                *name = Some(&text[from..from + len as usize]);
                from += len as usize;
            }
        }
        assert_eq!(from, text.len(), "a task change frame ends with its names");
        let [
            desired_status,
            last_status,
            launch_type,
            stop_code,
            availability_zone,
            capacity_provider_name,
            cluster,
            instance_cluster,
            group,
            started_by,
            stopped_reason,
            family,
        ] = names;
        let given = |s: Option<&'a str>| s.expect("a frame holds every name a change has");
        let change = TaskChange {
            ecsim_event: Some(u64_at(0)).filter(|&e| e != u64::MAX),
            event_no: u64_at(1),
            now: at(u64_at(2)),
            task: TaskIdx(u32_at(0)),
            instance: Some(u32_at(1)).filter(|&i| i != u32::MAX).map(InstanceId),
            created_at: at(u64_at(4)),
            started_at: time(5),
            stopping_at: time(6),
            stopped_at: time(7),
            version: u32_at(2),
            revision: u32_at(3),
            desired_status: given(desired_status),
            last_status: given(last_status),
            launch_type: given(launch_type),
            stop_code,
            availability_zone,
            capacity_provider_name: given(capacity_provider_name),
            cluster: given(cluster),
            instance_cluster: given(instance_cluster),
            group: given(group),
            started_by: given(started_by),
            stopped_reason: stopped_reason.map(Cow::Borrowed),
            family: given(family),
        };
        (change, u64_at(3) as i64)
    }
}

/// A frame's bytes before its names: eight numbers of eight bytes, four of four, and the
/// twelve names' lengths.
const HEAD: usize = 8 * 8 + 4 * 4 + 12 * 4;

/// The simulated time `ms` milliseconds after the start.
fn at(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}

/// The detail of an "ECS Task State Change" event (members in sorted order, as
/// [`Envelope`]'s; a member with no value is left out, as ECS leaves it out, rather than
/// `null`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDetail<'a> {
    /// availabilityZone to containerInstanceArn written before, to be copied (see
    /// [`frame::Expander`](super::frame::Expander)); serde writes the members below.
    #[serde(skip)]
    pub(super) placed: Option<&'a [u8]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) availability_zone: Option<&'a str>,
    pub(super) capacity_provider_name: &'a str,
    pub(super) cluster_arn: Arn<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) container_instance_arn: Option<Arn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) created_at: Option<Iso>,
    pub(super) desired_status: &'a str,
    pub(super) group: &'a str,
    pub(super) last_status: &'a str,
    pub(super) launch_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) started_at: Option<Iso>,
    pub(super) started_by: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stop_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stopped_at: Option<Iso>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stopped_reason: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stopping_at: Option<Iso>,
    pub(super) task_arn: Arn<'a>,
    pub(super) task_definition_arn: Arn<'a>,
    pub(super) version: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::journal::frame::{self, Expander, Kind};

    /// A change with every member that may be absent present (`full`) or absent.
    fn change(full: bool) -> TaskChange<'static> {
        let t = |ms| Some(at(ms)).filter(|_| full);
        TaskChange {
            ecsim_event: Some(17).filter(|_| full),
            event_no: 40,
            now: at(9_500),
            task: TaskIdx(12),
            instance: Some(InstanceId(3)).filter(|_| full),
            created_at: at(1_000),
            started_at: t(2_000),
            stopping_at: t(9_000),
            stopped_at: t(9_500),
            version: 4,
            revision: 7,
            desired_status: "STOPPED",
            last_status: "STOPPED",
            launch_type: "EC2",
            stop_code: Some("UserInitiated").filter(|_| full),
            availability_zone: Some("us-east-1b").filter(|_| full),
            capacity_provider_name: if full { "spot \"cp\"" } else { "" },
            cluster: "blue",
            instance_cluster: if full { "blue" } else { "" },
            group: "service:web",
            started_by: if full { "ecs-svc/1234" } else { "" },
            stopped_reason: Some(Cow::Owned("scaled in,\n\tby \\ a user — ok".to_string())).filter(|_| full),
            family: "web",
        }
    }

    #[test]
    fn a_frame_holds_the_change_it_was_made_from() {
        for full in [true, false] {
            let c = change(full);
            let mut buf = vec![1, 2, 3];
            c.encode(-5_000, &mut buf);
            let (back, start) = TaskChange::decode(&buf[3..]);
            assert_eq!((back, start), (c, -5_000), "full: {full}");
        }
    }

    #[test]
    fn expanded_frames_are_the_lines_of_the_records() {
        let clock = WallClock::new(1_767_225_600_000);
        let json = serde_json::json!({"eventName": "CreateCluster", "n": 1});
        let mut frames = Vec::new();
        let mut want = Vec::new();
        // The third to fifth changes are on the first's instance, the fourth with another
        // capacity provider: its placement members differ from those before and after.
        let other_provider = TaskChange {
            capacity_provider_name: "FARGATE",
            ..change(true)
        };
        for c in [change(true), change(false), change(true), other_provider, change(true)] {
            frame::push_json(&mut frames, &json);
            want.extend_from_slice(format!("{json}\n").as_bytes());
            let at = frame::open(&mut frames, Kind::Task);
            c.encode(clock.start_unix_ms, &mut frames);
            frame::close(&mut frames, at);
            let event = c.event(&clock);
            want.extend_from_slice(serde_json::to_string(&event).unwrap().as_bytes());
            want.push(b'\n');
        }
        let mut got = Vec::new();
        Expander::default().expand(&frames, &mut got);
        assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
    }
}
