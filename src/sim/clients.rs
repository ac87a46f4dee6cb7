//! Clients: the part of a run that calls RunTask — the workloads' arrival processes,
//! the timeline's RunTask calls, client-side retries of failed requests, clientToken
//! idempotency, and a replay's recorded clients — and the RunTask front end that
//! checks each call ([`crate::control::tasks::run_task`]) and places its tasks.

use super::ids::{CallIdx, Origin, TaskIdx, WorkloadId};
use super::journal::render::RunTaskResult;
use super::journal::{Body, Call, ClientFacts, Record, Response};
use super::rules::{Launch, Placement};
use super::task::Reason;
use super::{Event, Sim, concern};
use crate::control::tasks::RunTaskCall;
use crate::control::{ApiError, token_text};
use crate::ecs::api::RunTask;
use crate::ecs::cluster::{GroupId, InstanceId};
use crate::ecs::failure::Failure;
use crate::ecs::registry::TaskDefId;
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::scenario::Scenario;
use crate::scenario::schema::{Arrival, Retry};
use serde_json::Value;
use smallvec::SmallVec;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A RunTask checked against the control plane: shared by every arrival of a workload
/// until a cluster, association or task definition changes.
type Checked = Result<Rc<RunTaskCall>, ApiError>;

/// A trace row's call: its shape, and its tasks' run time (None: until the end).
#[derive(Copy, Clone, Debug)]
pub(super) struct TraceCall {
    shape: u32,
    run_for: Option<SimDuration>,
}

/// A RunTask waiting for its client-side retry.
struct PendingRun {
    origin: Origin,
    trace: Option<TraceCall>,
    request: RunTask,
    td: TaskDefId,
    group: GroupId,
    count: u32,
    attempt: u32,
    arrived_at: SimTime,
    last_reason: Failure,
    done: bool,
}

/// The clients part of a run.
pub struct Clients {
    streams: RngStreams,
    arrival_rngs: Vec<StreamRng>,
    duration_rngs: BTreeMap<u32, StreamRng>,
    pending: Vec<PendingRun>,
    /// Slots of `pending` whose retry was made, for reuse.
    free: Vec<u32>,
    tokens: BTreeMap<String, (String, Value)>,
    replay_retries: BTreeMap<String, u32>,
    checked: Vec<Option<(u64, Checked)>>,
    trace_checked: rustc_hash::FxHashMap<(u32, u32), (u64, Checked)>,
    trace_next: Vec<usize>,
    sample_rngs: Vec<StreamRng>,
    /// A workload's RunTask parameters by (workload, trace shape or `u32::MAX`, count),
    /// rendered for events.jsonl once.
    bodies: rustc_hash::FxHashMap<(u32, u32, u32), Body>,
    /// Each workload's calls' `userAgent` (`workload:<name>`).
    labels: Vec<Rc<str>>,
}

impl Clients {
    /// Fresh clients: one arrival stream per workload.
    pub fn new(sc: &Scenario, streams: RngStreams) -> Self {
        Clients {
            streams,
            arrival_rngs: (0..sc.workloads.len() as u32)
                .map(|w| streams.stream(concern::ARRIVALS, w))
                .collect(),
            duration_rngs: BTreeMap::new(),
            pending: Vec::new(),
            free: Vec::new(),
            tokens: BTreeMap::new(),
            replay_retries: BTreeMap::new(),
            checked: vec![None; sc.workloads.len()],
            trace_checked: Default::default(),
            trace_next: vec![0; sc.workloads.len()],
            sample_rngs: (0..sc.workloads.len() as u32)
                .map(|w| streams.stream(concern::TRACE_SAMPLE, w))
                .collect(),
            bodies: Default::default(),
            labels: sc
                .workloads
                .iter()
                .map(|w| Rc::from(format!("workload:{}", w.name)))
                .collect(),
        }
    }

    /// A Poisson workload's next call after `now` (None: its rate stays 0 from now on).
    fn next_poisson(&mut self, sc: &Scenario, w: WorkloadId, now: SimTime) -> Option<SimTime> {
        let Some(Arrival::Poisson { rate_per_minute }) = &sc.workloads[w.0 as usize].arrival else {
            unreachable!("next_poisson on a fixed arrival")
        };
        rate_per_minute.next_after(now, &mut self.arrival_rngs[w.0 as usize])
    }

    /// The run-time stream of a workload or timeline call (`index` as in [`concern::DURATIONS`]).
    fn duration_rng(&mut self, index: u32) -> &mut StreamRng {
        let streams = self.streams;
        self.duration_rngs
            .entry(index)
            .or_insert_with(|| streams.stream(concern::DURATIONS, index))
    }

    /// The answer an earlier call with the same clientToken (its [`token_key`]) got:
    /// `Ok(response)` when the parameters were the same too, `Err(response)` when they differ.
    ///
    /// [`token_key`]: crate::control::token_key
    pub fn token(&self, key: &str, text: &str) -> Option<Result<Value, Value>> {
        let (prev, response) = self.tokens.get(key)?;
        Some(if prev == text {
            Ok(response.clone())
        } else {
            Err(response.clone())
        })
    }

    /// Remembers a clientToken's call and answer under its key.
    pub fn remember_token(&mut self, key: String, text: String, response: Value) {
        self.tokens.insert(key, (text, response));
    }
}

impl Sim<'_> {
    /// Schedules every workload's first arrival.
    pub(super) fn start_clients(&mut self) {
        for (w, wl) in self.sc.workloads.iter().enumerate() {
            let w = WorkloadId(w as u32);
            let first = match &wl.arrival {
                Some(Arrival::Poisson { .. }) => self.clients.next_poisson(self.sc, w, SimTime::ZERO),
                Some(Arrival::Fixed { .. }) => Some(SimTime::ZERO),
                None => self.sc.traces[w.0 as usize]
                    .as_ref()
                    .and_then(|t| t.rows.first())
                    .map(|r| r.at),
            };
            if let Some(t) = first {
                self.schedule(t, Event::Arrival(w));
            }
        }
    }

    /// A workload calls RunTask, and schedules its next call.
    pub(super) fn arrival(&mut self, w: WorkloadId) {
        let sc = self.sc;
        let wl = &sc.workloads[w.0 as usize];
        let now = self.now();
        let next = match &wl.arrival {
            Some(Arrival::Poisson { .. }) => self.clients.next_poisson(sc, w, now),
            Some(Arrival::Fixed { interval }) => Some(now + interval.0),
            None => return self.trace_arrival(w),
        };
        if let Some(t) = next {
            self.schedule(t, Event::Arrival(w));
        }
        let count = wl.run_task.count.unwrap_or(1) as u32;
        self.run_task(Origin::Workload(w), &wl.run_task, count, 0, now, None);
    }

    /// A trace workload's next row: its tasks (each kept with the trace's `sample`
    /// share), in RunTask calls of at most 10; then the following row is scheduled.
    fn trace_arrival(&mut self, w: WorkloadId) {
        let sc = self.sc;
        let Some(t) = sc.traces[w.0 as usize].as_deref() else {
            return;
        };
        let i = self.clients.trace_next[w.0 as usize];
        self.clients.trace_next[w.0 as usize] += 1;
        if let Some(next) = t.rows.get(i + 1) {
            self.schedule(next.at, Event::Arrival(w));
        }
        let row = t.rows[i];
        let mut count = row.count;
        if t.sample < 1.0 {
            let rng = &mut self.clients.sample_rngs[w.0 as usize];
            count = (0..row.count)
                .filter(|_| crate::engine::rng::unit_open_closed(rng) <= t.sample)
                .count() as u32;
        }
        let call = TraceCall {
            shape: row.shape,
            run_for: row.run_for,
        };
        let now = self.now();
        while count > 0 {
            let n = count.min(crate::control::tasks::MAX_RUN_TASK_COUNT as u32);
            count -= n;
            self.run_task(
                Origin::Workload(w),
                &t.requests[row.shape as usize],
                n,
                0,
                now,
                Some(call),
            );
        }
    }

    /// A client retries the failed part of a RunTask.
    pub(super) fn retry(&mut self, p: u32) {
        self.clients.free.push(p);
        let pr = &mut self.clients.pending[p as usize];
        pr.done = true;
        let (origin, request, count, attempt, arrived) =
            (pr.origin, pr.request.clone(), pr.count, pr.attempt, pr.arrived_at);
        self.metrics.waiting(-(count as i64));
        let trace = pr.trace;
        self.run_task(origin, &request, count, attempt, arrived, trace);
    }

    /// Checks a RunTask at the current state: a workload's check is kept until a
    /// cluster, association or task definition changes.
    fn check_run_task(&mut self, origin: Origin, request: &RunTask, trace: Option<TraceCall>) -> Checked {
        let epoch = self.control.epoch();
        let cached = match (origin, trace) {
            (Origin::Workload(w), Some(c)) => self.clients.trace_checked.get(&(w.0, c.shape)),
            (Origin::Workload(w), None) => self.clients.checked[w.0 as usize].as_ref(),
            _ => None,
        };
        if let Some((e, r)) = cached
            && *e == epoch
        {
            return r.clone();
        }
        let st = super::control::RunState {
            control: &self.control,
            services: &self.services,
            capacity: &self.sc.capacity,
            now: self.now(),
        };
        let r = crate::control::tasks::run_task(&st, request).map(Rc::new);
        match (origin, trace) {
            (Origin::Workload(w), Some(c)) => {
                self.clients.trace_checked.insert((w.0, c.shape), (epoch, r.clone()));
            }
            (Origin::Workload(w), None) => self.clients.checked[w.0 as usize] = Some((epoch, r.clone())),
            _ => {}
        }
        r
    }

    /// A RunTask call: `count` tasks, `attempt` (0: the first call) of a request that
    /// arrived at `arrived_at`. Failures are retried when the client retries, and
    /// otherwise recorded as requests ECS never turned into tasks.
    pub(super) fn run_task(
        &mut self,
        origin: Origin,
        request: &RunTask,
        count: u32,
        attempt: u32,
        arrived_at: SimTime,
        trace: Option<TraceCall>,
    ) {
        let now = self.now();
        let call = match self.check_run_task(origin, request, trace) {
            Ok(c) => c,
            Err(e) => {
                self.record(|_| {
                    let req = serde_json::to_value(request).unwrap_or_default();
                    Record::Call(Call::failed("RunTask", req, e.code, e.message.clone()))
                });
                return;
            }
        };
        let td = call.config.taskdef;
        let group = self.fleet.intern_group(&call.group);
        let duration = match origin {
            Origin::Workload(w) if self.script.is_none() => {
                self.sc.workloads[w.0 as usize].task_duration.clone().map(|d| (d, w.0))
            }
            Origin::Timeline(e) => self.sc.timeline[e.0 as usize]
                .task_duration
                .clone()
                .map(|d| (d, concern::TIMELINE_INDEX + e.0)),
            _ => None,
        };
        let zones: Vec<_> = call.config.zones.iter().map(|z| self.fleet.intern(z)).collect();
        // Most calls start one task: no heap lists for them.
        let mut placed: SmallVec<[TaskIdx; 2]> = SmallVec::new();
        let mut failures: SmallVec<[(Failure, Option<InstanceId>); 1]> = SmallVec::new();
        for _ in 0..count {
            let Some(pool) = self.next_pool(&call.config.capacity, group) else {
                break;
            };
            let l = Launch {
                td,
                group,
                origin,
                arrived_at,
                zones: zones.clone(),
                cluster: call.cluster,
                deployment: Default::default(),
                after_fault: false,
            };
            let scope = crate::ecs::provider::Scope {
                pool,
                cluster: call.cluster,
            };
            let chain = &call.config.chain;
            match self.launch(&l, pool, |s| {
                s.fleet.plan((origin, 0, td, pool), || chain.clone(), scope)
            }) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    let run_for = match trace {
                        Some(c) if self.script.is_none() => c.run_for,
                        _ => duration
                            .as_ref()
                            .map(|(d, idx)| d.sample(self.clients.duration_rng(*idx))),
                    };
                    self.tasks.get_mut(t).run_for = run_for;
                    placed.push(t);
                }
                Placement::Failed(reason, closest) => failures.push((reason, closest)),
            }
        }
        for (reason, _) in &failures {
            self.metrics.failed(*reason);
        }
        let retry: Option<&Retry> = match origin {
            Origin::Workload(w) => self.sc.workloads[w.0 as usize].retry.as_ref(),
            _ => None,
        };
        let client = self.replay_client(origin);
        let retries = match (&client, retry) {
            (Some(c), _) => c.retries,
            (None, Some(r)) => attempt < r.attempts,
            (None, None) => false,
        };
        // What the retry below needs of the failures: the last reason and how many.
        let failed = (failures.last().map(|&(reason, _)| reason), failures.len() as u32);
        let result = RunTaskResult {
            tasks: placed,
            failures,
        };
        if let Some(token) = &request.client_token {
            let key = crate::control::token_key("RunTask", request.cluster.as_deref(), token);
            let response = self.run_task_json(&result);
            self.clients.remember_token(key, token_text(request), response);
        }
        if self.journal.wants() {
            let (body, agent) = self.run_task_body(origin, trace, request, count);
            let facts = ClientFacts {
                attempt,
                arrived_at,
                request: match &client {
                    Some(c) => c.request.clone(),
                    None => request_id(&agent, arrived_at),
                },
                retries: retries && failed.1 > 0,
            };
            let response = Response::RunTask(result);
            self.record(|_| {
                let mut c = Call::with_body("RunTask", body, response).by(agent);
                c.client = Some(facts);
                Record::Call(c)
            });
        }
        let (Some(reason), n) = failed else {
            return;
        };
        if !retries {
            for _ in 0..n {
                self.not_created(td, group, origin, arrived_at, Reason::Rejected(reason));
            }
            return;
        }
        let run = PendingRun {
            origin,
            trace,
            request: request.clone(),
            td,
            group,
            count: n,
            attempt: attempt + 1,
            arrived_at,
            last_reason: reason,
            done: false,
        };
        let idx = match self.clients.free.pop() {
            Some(i) => {
                self.clients.pending[i as usize] = run;
                i
            }
            None => {
                self.clients.pending.push(run);
                self.clients.pending.len() as u32 - 1
            }
        };
        self.metrics.waiting(n as i64);
        match (client, retry) {
            (Some(c), _) => {
                self.clients.replay_retries.insert(c.request, idx);
            }
            (None, Some(r)) => {
                let wait = r.backoff.0.millis() as f64 * libm::pow(r.multiplier.unwrap_or(1.0), attempt as f64);
                self.schedule(now + SimDuration(wait.round() as u64), Event::Retry(idx));
            }
            (None, None) => {}
        }
    }

    /// At the end: retries still pending are requests that never became tasks.
    pub(super) fn clients_give_up(&mut self) {
        for p in std::mem::take(&mut self.clients.pending).iter().filter(|p| !p.done) {
            for _ in 0..p.count {
                self.not_created(
                    p.td,
                    p.group,
                    p.origin,
                    p.arrived_at,
                    Reason::WaitingForRetry(p.last_reason),
                );
            }
        }
    }

    // ---- replay -----------------------------------------------------------

    /// A recorded RunTask's client facts, when replaying.
    pub(super) fn replay_client(&self, origin: Origin) -> Option<crate::replay::Client> {
        match (origin, self.script) {
            (Origin::Timeline(e), Some(s)) => s.clients.get(&e.0).cloned(),
            _ => None,
        }
    }

    /// RunTask's parameters as a call for `count` tasks sends them, and who sends them
    /// (`userAgent`): a workload's are rendered once per count (and trace shape).
    fn run_task_body(
        &mut self,
        origin: Origin,
        trace: Option<TraceCall>,
        request: &RunTask,
        count: u32,
    ) -> (Body, Rc<str>) {
        let body = || RunTask {
            count: Some(count as i64),
            ..request.clone()
        };
        match origin {
            Origin::Workload(w) => {
                let key = (w.0, trace.map_or(u32::MAX, |c| c.shape), count);
                let rendered = self.clients.bodies.entry(key).or_insert_with(|| Body::render(body()));
                (rendered.clone(), self.clients.labels[w.0 as usize].clone())
            }
            _ => (Body::value(body()), self.origin_label(origin).into()),
        }
    }

    /// A replayed retry is made: the pending request it continues is done.
    pub(super) fn replay_retried(&mut self, request: &str) {
        if let Some(p) = self.clients.replay_retries.remove(request) {
            self.clients.free.push(p);
            let p = &mut self.clients.pending[p as usize];
            p.done = true;
            let n = p.count;
            self.metrics.waiting(-(n as i64));
        }
    }

    /// A timeline RunTask: an idempotent retry answers with the first call's response.
    pub(super) fn timeline_run_task(&mut self, i: CallIdx, rt: &RunTask) {
        let count = rt.count.unwrap_or(1).max(0) as u32;
        if self.token_seen("RunTask", rt.cluster.as_deref(), rt.client_token.as_deref(), rt) {
            return;
        }
        let (attempt, arrived) = match self.replay_client(Origin::Timeline(i)) {
            Some(c) => {
                self.replay_retried(&c.request);
                (c.attempt, c.arrived_at)
            }
            None => (0, self.now()),
        };
        self.run_task(Origin::Timeline(i), rt, count, attempt, arrived, None);
    }

    /// A repeated clientToken in `cluster`: true when the call was answered (the first
    /// result, or an error for other parameters: RunTask's ConflictException names the
    /// first call's tasks in `resourceIds`).
    pub(super) fn token_seen<T: serde::Serialize>(
        &mut self,
        api: &'static str,
        cluster: Option<&str>,
        token: Option<&str>,
        body: &T,
    ) -> bool {
        let Some(token) = token else { return false };
        let key = crate::control::token_key(api, cluster, token);
        let Some(seen) = self.clients.token(&key, &token_text(body)) else {
            return false;
        };
        self.record(|_| {
            let request = serde_json::to_value(body).unwrap_or_default();
            Record::Call(match seen {
                Ok(response) => {
                    let mut c = Call::ok(api, request, Response::Json(response));
                    c.idempotent = true;
                    c
                }
                Err(first) if api == "RunTask" => {
                    let ids: Vec<Value> = first["tasks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|t| t["taskArn"].clone())
                        .collect();
                    let mut c = Call::failed(
                        api,
                        request,
                        crate::control::code::CONFLICT,
                        "The provided clientToken is already in use with a different RunTask request.".into(),
                    );
                    c.error_members = Some(serde_json::json!({ "resourceIds": ids }));
                    c
                }
                Err(_) => Call::failed(
                    api,
                    request,
                    crate::control::code::INVALID,
                    "The clientToken was already used with different request parameters.".into(),
                ),
            })
        });
        true
    }
}

/// The id a run gives one client request across its retries: `<userAgent>@<arrival>`.
fn request_id(agent: &str, arrived_at: SimTime) -> String {
    let mut id = Vec::with_capacity(agent.len() + 16);
    id.extend_from_slice(agent.as_bytes());
    id.push(b'@');
    crate::text::push_secs(&mut id, arrived_at.millis());
    String::from_utf8(id).expect("a name and digits are UTF-8")
}
