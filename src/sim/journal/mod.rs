//! The journal: what a run tells its recorder. Every record is a typed [`Record`],
//! built only when the recorder wants records and rendered to the JSON of events.jsonl
//! in one place ([`render`]): CloudTrail records of API calls and EventBridge events
//! of tasks, container instances, services, deployments and faults. Placement
//! decisions go to the recorder's decision stream.

pub mod frame;
pub mod instance;
mod json;
pub mod render;
pub mod task;
pub mod values;

use crate::ecs::cluster::{ClusterId, InstanceId};
use crate::ecs::failure::Failure;
use crate::ecs::registry::TaskDefId;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::schema::FaultType;
use crate::sim::ids::{DeploymentIdx, ServiceId, TaskIdx};
use crate::sim::task::{Reason, StopCode};
use serde_json::{Value, json};
use std::rc::Rc;
pub use values::WallClock;

/// The region every ARN and price refers to.
pub const REGION: &str = "us-east-1";
/// The simulated account.
pub const ACCOUNT: &str = "123456789012";

/// Receives the run's records, one JSON object each. The simulation never does IO:
/// the CLI gives it a recorder that writes files.
pub trait Recorder {
    /// Whether events.jsonl records are wanted (skips building them when not).
    fn wants_events(&self) -> bool;
    /// One events.jsonl record (the recorder owns it: it may write it on another thread).
    fn event(&mut self, record: Value);
    /// Whether events.jsonl records may come as [`frame`]s, a buffer of them at a time
    /// ([`frames`](Self::frames)), rather than one `Value` each: the frequent records are
    /// then never built as a `Value`, and the recorder makes the frames into lines with a
    /// [`frame::Expander`] (on its writer thread). Asked once, when the run starts.
    fn takes_frames(&self) -> bool {
        false
    }
    /// A buffer of whole frames, the records' next in order (asked only when
    /// [`takes_frames`](Self::takes_frames)); returns an empty buffer to fill next.
    fn frames(&mut self, mut buf: Vec<u8>) -> Vec<u8> {
        buf.clear();
        buf
    }
    /// Whether decisions.jsonl records are wanted.
    fn wants_decisions(&self) -> bool {
        false
    }
    /// Whether the decision that would create task `task_id` (None: a failed
    /// decision) is wanted; asked only when [`wants_decisions`](Self::wants_decisions).
    fn wants_decision_for(&self, _task_id: Option<&str>) -> bool {
        true
    }
    /// One decisions.jsonl record.
    fn decision(&mut self, _record: Value) {}
    /// Whether every task's record is wanted in the outcome (tasks.csv, tests); when
    /// not, a finished task leaves only what the summary needs, and requests that never
    /// became tasks are only counted. Records rendered during the run read tasks, so
    /// a recorder that wants events or decisions keeps them.
    fn wants_tasks(&self) -> bool {
        true
    }
    /// Whether tasks.csv rows are wanted as tasks stop (then finished tasks need not be
    /// kept for them).
    fn wants_task_rows(&self) -> bool {
        false
    }
    /// One tasks.csv line (a row, rendered), in the file's order.
    fn task_line(&mut self, _line: &[u8]) {}
    /// The run has reached simulated time `now` of `end` after `events` events (told
    /// every [`PROGRESS_EVERY`] events).
    fn progress(&mut self, _now: SimTime, _end: SimTime, _events: u64) {}
}

/// How many engine events pass between [`Recorder::progress`] calls.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// The id of the run's `n`-th EventBridge event.
pub fn event_id(n: u64) -> crate::ecs::ids::HexId {
    crate::ecs::ids::HexId::new(0xE7, n)
}

/// A recorder that keeps nothing.
pub struct Discard;

impl Recorder for Discard {
    fn wants_events(&self) -> bool {
        false
    }
    fn event(&mut self, _record: Value) {}
}

/// A recorder for the summary alone: no records, and finished tasks are not kept
/// (sweeps, benchmarks).
pub struct SummaryOnly;

impl Recorder for SummaryOnly {
    fn wants_events(&self) -> bool {
        false
    }
    fn event(&mut self, _record: Value) {}
    fn wants_tasks(&self) -> bool {
        false
    }
}

/// A recorder that keeps everything in memory (tests, small runs).
#[derive(Default)]
pub struct Collect {
    /// events.jsonl records.
    pub events: Vec<Value>,
    /// decisions.jsonl records.
    pub decisions: Vec<Value>,
}

impl Recorder for Collect {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, record: Value) {
        self.events.push(record);
    }
    fn wants_decisions(&self) -> bool {
        true
    }
    fn decision(&mut self, record: Value) {
        self.decisions.push(record);
    }
}

/// `INFO`, `WARN` or `ERROR`: a service or deployment event's `eventType`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Informational.
    Info,
    /// Something needs attention.
    Warn,
    /// Something failed.
    Error,
}

impl Severity {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        }
    }
}

/// What an "ECS Service Action" event says beyond its name.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionDetail {
    /// Nothing more.
    None,
    /// A message.
    Message(String),
    /// A task could not be placed, and why.
    PlacementFailure(Failure, String),
    /// Rebalancing moves tasks from one zone to another.
    Rebalancing(String, String),
}

/// A successful call's `responseElements`.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// Rendered before (an idempotent replay's: the first call's response).
    Json(Value),
    /// A RunTask's tasks and failures.
    RunTask(render::RunTaskResult),
    /// A service as DescribeServices shows it.
    Service(ServiceId),
    /// A registered task definition.
    TaskDefinition(TaskDefId),
    /// A cluster.
    Cluster(ClusterId),
    /// A cluster and its capacity providers' names.
    ClusterProviders(ClusterId, Vec<String>),
    /// A capacity provider, by name.
    CapacityProvider(String),
    /// Container instances whose state changed, and failures (ARN or reference, reason).
    Instances(Vec<InstanceId>, Vec<(String, &'static str)>),
    /// A registered container instance.
    Registered(InstanceId),
    /// A deregistered container instance.
    Deregistered(InstanceId),
    /// A stopped task.
    StoppedTask(TaskIdx),
}

/// A call's `requestParameters`.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// As a JSON value.
    Value(Value),
    /// Rendered once as JSON text, for parameters sent again and again (a workload's
    /// RunTask).
    Rendered(Rc<str>),
}

impl Body {
    /// Parameters as a JSON value.
    pub fn value(request: impl serde::Serialize) -> Body {
        Body::Value(json_value(request))
    }

    /// Parameters rendered once: the text serde_json writes for `request`'s JSON value.
    pub fn render(request: impl serde::Serialize) -> Body {
        let text = serde_json::to_string(&json_value(request)).expect("a JSON value renders");
        Body::Rendered(text.into())
    }
}

/// An API body as a JSON value (its keys sorted, as events.jsonl writes them).
fn json_value(request: impl serde::Serialize) -> Value {
    serde_json::to_value(request).expect("API bodies are JSON")
}

impl serde::Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Value(v) => v.serialize(s),
            Body::Rendered(text) => serde_json::from_str::<Value>(text)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

/// A CloudTrail record of an API call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The API.
    pub api: &'static str,
    /// `requestParameters`.
    pub request: Body,
    /// `responseElements`, or the error code and message.
    pub result: Result<Response, (&'static str, String)>,
    /// `userAgent` (who called: `ecs-agent`, `workload:batch`, …).
    pub user_agent: Option<Rc<str>>,
    /// ecsim's RunTask client facts (`ecsimClient`).
    pub client: Option<ClientFacts>,
    /// The call repeated an earlier one's clientToken and parameters (`ecsimIdempotentReplay`).
    pub idempotent: bool,
    /// The run's first record: it carries the seed and settings a replay needs (`ecsimRun`).
    pub announces_run: bool,
    /// A refused call's exception members beyond its message (ConflictException's
    /// `resourceIds`), shown as its `responseElements`.
    pub error_members: Option<Value>,
    /// `eventSource` (default `ecs.amazonaws.com`).
    pub event_source: &'static str,
    /// The AWS service that made the call on the account's behalf (`userIdentity.invokedBy`).
    pub invoked_by: Option<&'static str>,
}

/// What ecsim's RunTask client knows of a call (`ecsimClient`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClientFacts {
    /// Which try of the request this is (0 for the first).
    pub attempt: u32,
    /// When the request first arrived.
    pub arrived_at: SimTime,
    /// The request's id (`<origin>@<arrival>` or the replayed log's).
    pub request: String,
    /// Whether the client tries again for the tasks this call did not place.
    pub retries: bool,
}

impl Call {
    /// A call with request body `request` (an API body or JSON), answered with `response`.
    pub fn ok(api: &'static str, request: impl serde::Serialize, response: Response) -> Self {
        Call::with_body(api, Body::value(request), response)
    }

    /// A call whose `requestParameters` are `request`, answered with `response`.
    pub fn with_body(api: &'static str, request: Body, response: Response) -> Self {
        Call {
            api,
            request,
            result: Ok(response),
            user_agent: None,
            client: None,
            idempotent: false,
            announces_run: false,
            error_members: None,
            event_source: "ecs.amazonaws.com",
            invoked_by: None,
        }
    }

    /// A call that failed with ECS error `code`.
    pub fn failed(api: &'static str, request: impl serde::Serialize, code: &'static str, message: String) -> Self {
        Call {
            result: Err((code, message)),
            ..Call::ok(api, request, Response::Json(Value::Null))
        }
    }

    /// The same call, to another AWS service (`eventSource`).
    pub fn from_source(mut self, source: &'static str) -> Self {
        self.event_source = source;
        self
    }

    /// The same call, made by AWS service `service` on the account's behalf.
    pub fn invoked_by(mut self, service: &'static str) -> Self {
        self.invoked_by = Some(service);
        self.by(service)
    }

    /// The same call, made by `agent`.
    pub fn by(mut self, agent: impl Into<Rc<str>>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }
}

/// A CloudWatch alarm of a scaling policy changed state.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmChange {
    /// The alarm's name.
    pub name: String,
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub state: &'static str,
    /// The state before.
    pub previous: &'static str,
    /// Why, in CloudWatch's words.
    pub reason: String,
    /// The metric's (namespace, name).
    pub metric: (&'static str, &'static str),
    /// The service's cluster and name (the metric's dimensions).
    pub service: (String, String),
}

impl AlarmChange {
    /// The EventBridge event (`id`, at ISO time `at`, simulated `now`).
    pub fn event(&self, id: String, at: &str, now: SimTime) -> Value {
        serde_json::json!({
            "version": "0", "id": id, "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
            "account": ACCOUNT, "time": at, "simTime": now.secs_string(),
            "region": REGION, "resources": [format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{}", self.name)],
            "detail": {
                "alarmName": self.name,
                "state": {"value": self.state, "reason": self.reason, "timestamp": at},
                "previousState": {"value": self.previous},
                "configuration": {"metrics": [{"metricStat": {
                    "metric": {"namespace": self.metric.0, "name": self.metric.1,
                               "dimensions": {"ClusterName": self.service.0, "ServiceName": self.service.1}},
                    "period": 60, "stat": "Average"}}]},
            },
        })
    }
}

/// One record of the journal.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// An API call.
    Call(Call),
    /// An "ECS Task State Change" (with a Spot warning's stop code and reason).
    TaskChange(TaskIdx, Option<(StopCode, Reason)>),
    /// An "ECS Container Instance State Change", with why when the agent or its role caused it.
    InstanceChange(InstanceId, Option<String>),
    /// An "ECS Service Action".
    ServiceAction(ServiceId, Severity, &'static str, ActionDetail),
    /// A "CloudWatch Alarm State Change" of a scaling policy's alarm.
    AlarmChange(AlarmChange),
    /// An "ECS Deployment State Change": severity, event name, reason.
    DeploymentChange(ServiceId, DeploymentIdx, Severity, &'static str, String),
    /// An "EC2 Spot Instance Interruption Warning".
    SpotWarning(InstanceId),
    /// An "ecsim Fault Injected" event.
    Fault(FaultType, Option<InstanceId>, Option<String>, Option<SimDuration>),
}

/// Bytes of frames the journal gathers before it hands them to the recorder.
const FRAMES: usize = 1 << 18;

/// Where records go, and what stamps them.
pub struct Journal<'a> {
    rec: &'a mut dyn Recorder,
    clock: WallClock,
    /// Whether the recorder takes frames; then `frames` gathers them.
    framed: bool,
    frames: Vec<u8>,
    frame_at: usize,
    event_ids: u64,
    rows: crate::sim::rows::RowStream,
}

impl<'a> Journal<'a> {
    /// A journal writing to `rec`, with wall-clock times from `start_unix_ms`.
    pub fn new(rec: &'a mut dyn Recorder, start_unix_ms: i64) -> Self {
        let framed = rec.takes_frames();
        Journal {
            rec,
            clock: WallClock::new(start_unix_ms),
            framed,
            frames: if framed { Vec::with_capacity(FRAMES) } else { Vec::new() },
            frame_at: 0,
            event_ids: 0,
            rows: Default::default(),
        }
    }

    /// Whether records are wanted.
    pub fn wants(&self) -> bool {
        self.rec.wants_events()
    }

    /// Tells the recorder how far the run is.
    pub fn progress(&mut self, now: SimTime, end: SimTime, events: u64) {
        self.rec.progress(now, end, events);
    }

    /// Whether placement decisions are wanted.
    pub fn wants_decisions(&self) -> bool {
        self.rec.wants_decisions()
    }

    /// Whether the decision creating task `task_id` is wanted.
    pub fn wants_decision_for(&self, task_id: Option<&str>) -> bool {
        self.rec.wants_decision_for(task_id)
    }

    /// Wall-clock times of simulated times.
    pub fn clock(&self) -> &WallClock {
        &self.clock
    }

    /// The next EventBridge event id.
    pub fn next_event_id(&mut self) -> crate::ecs::ids::HexId {
        event_id(self.next_event_no())
    }

    /// The number of the next EventBridge event (its id is [`event_id`] of it).
    pub fn next_event_no(&mut self) -> u64 {
        self.event_ids += 1;
        self.event_ids
    }

    /// No record was written yet.
    pub fn is_first(&self) -> bool {
        self.event_ids == 0
    }

    /// Writes a rendered record, stamped with the engine event that produced it (0: the
    /// run's start), so a replay can group what happened together.
    pub fn write(&mut self, mut v: Value, engine_event: u64) {
        v["ecsimEvent"] = json!(engine_event);
        if self.framed {
            frame::push_json(&mut self.frames, &v);
            self.hand_over_if_full();
        } else {
            self.rec.event(v);
        }
    }

    /// Whether the recorder takes frames ([`frame`]): records may then be written in
    /// place ([`lend_buffer`](Self::lend_buffer)), task state changes as
    /// [`frame::Kind::Task`].
    pub fn takes_frames(&self) -> bool {
        self.framed
    }

    /// The frames buffer with a frame of `kind` opened at its end, for its body to be
    /// written while the run's state is borrowed; give it back through
    /// [`written`](Self::written). Only when the recorder takes frames.
    pub fn lend_buffer(&mut self, kind: frame::Kind) -> Vec<u8> {
        debug_assert!(self.framed, "frames are written only for a recorder that takes them");
        let mut buf = std::mem::take(&mut self.frames);
        self.frame_at = frame::open(&mut buf, kind);
        buf
    }

    /// Gives back the lent buffer with the frame's body at its end.
    pub fn written(&mut self, mut buf: Vec<u8>) {
        frame::close(&mut buf, self.frame_at);
        self.frames = buf;
        self.hand_over_if_full();
    }

    fn hand_over_if_full(&mut self) {
        if self.frames.len() >= FRAMES {
            let full = std::mem::take(&mut self.frames);
            self.frames = self.rec.frames(full);
        }
    }

    /// Writes a decision record.
    pub fn decision(&mut self, v: Value) {
        self.rec.decision(v);
    }

    /// Row `n` of tasks.csv is rendered as `line`: handed on once every earlier row is.
    pub fn task_line(&mut self, n: u32, line: Vec<u8>) {
        let rec = &mut *self.rec;
        self.rows.ready(n, line, |l| rec.task_line(l));
    }

    /// An empty buffer to render a tasks.csv row into, for [`task_line`](Self::task_line).
    pub fn line_buffer(&mut self) -> Vec<u8> {
        self.rows.buffer()
    }

    /// tasks.csv rows waiting for an earlier one.
    pub fn rows_held(&self) -> usize {
        self.rows.held()
    }
}

/// The frames not handed over yet go to the recorder when the run's journal ends.
impl Drop for Journal<'_> {
    fn drop(&mut self) {
        if !self.frames.is_empty() {
            let last = std::mem::take(&mut self.frames);
            self.rec.frames(last);
        }
    }
}
