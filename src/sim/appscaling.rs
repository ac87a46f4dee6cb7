//! Part: Application Auto Scaling — the registered scalable targets, each demand-driven
//! service's one-minute metrics, the policies' alarms and cooldowns, scheduled actions,
//! and the desired counts they set (UpdateService calls invoked by
//! application-autoscaling.amazonaws.com), which in turn drive capacity providers'
//! managed scaling. docs/scenario-reference.md, "Service auto scaling", lists the rules
//! and each SIM CHOICE.

use super::ids::ServiceId;
use super::journal::{AlarmChange, Call, Record, Response};
use super::metrics::{Overload, ServiceLoad};
use super::services::{Rollout, ServiceStatus};
use super::{Event, Sim};
use crate::appscaling::demand::{Demand, Minute};
use crate::appscaling::policy::{IN_FRACTION, IN_POINTS, MAX_LOOKBACK_MIN, OUT_POINTS, Point, Policy};
use crate::appscaling::{EVENT_SOURCE, INVOKED_BY, ScalingCall};
use crate::control::appscaling::{Applied, Targets, apply};
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

/// One minute, the metrics' resolution.
const MINUTE: SimDuration = SimDuration(60_000);

/// A demand-driven service's meter.
#[derive(Clone, Debug)]
struct Meter {
    demand: Demand,
    running: u32,
    cpu: u64,
    mem: u64,
    since: SimTime,
    minute: Minute,
    history: VecDeque<Option<Point>>,
    mean_rps: f64,
    overload_minutes: u64,
    peak_shortfall: u32,
    task_size: (u32, u32),
}

/// A policy's cooldown marks and its alarms' states.
#[derive(Copy, Clone, Debug, Default)]
struct PolicyRun {
    /// The high (or step) and low alarms' states (None: INSUFFICIENT_DATA).
    alarms: [Option<bool>; 2],
    /// The last scale-out: when, the desired count before it, and the one it set.
    out: Option<(SimTime, u32, u32)>,
    /// The last scale-in.
    scaled_in: Option<SimTime>,
}

/// The Application Auto Scaling part of a run.
#[derive(Default)]
pub struct AppScaling {
    targets: Targets,
    meters: Vec<Option<Meter>>,
    activities: Vec<u64>,
    policies: BTreeMap<u32, PolicyRun>,
    minutes: u64,
}

impl AppScaling {
    /// A service was created (with its demand, if it has one, and its task size).
    pub fn service_created(&mut self, s: ServiceId, demand: Option<&Demand>, task_size: (u32, u32), now: SimTime) {
        debug_assert_eq!(s.idx(), self.meters.len());
        self.meters.push(demand.map(|d| Meter {
            demand: d.clone(),
            running: 0,
            cpu: 0,
            mem: 0,
            since: now,
            minute: Minute::default(),
            history: VecDeque::new(),
            mean_rps: 0.0,
            overload_minutes: 0,
            peak_shortfall: 0,
            task_size,
        }));
        self.activities.push(0);
    }

    /// A task of service `s` reserving (`cpu`, `mem`) started (+1) or stopped (−1) running.
    pub fn running_changed(&mut self, s: ServiceId, now: SimTime, up: bool, cpu: u32, mem: u32) {
        let Some(Some(m)) = self.meters.get_mut(s.idx()) else {
            return;
        };
        accumulate(m, now);
        if up {
            (m.running, m.cpu, m.mem) = (m.running + 1, m.cpu + cpu as u64, m.mem + mem as u64);
            m.task_size = (cpu, mem);
        } else {
            (m.running, m.cpu, m.mem) = (m.running - 1, m.cpu - cpu as u64, m.mem - mem as u64);
        }
    }

    /// Closes the minute ending `now` for every meter.
    fn close_minute(&mut self, now: SimTime) {
        self.minutes += 1;
        let secs = MINUTE.millis() as f64 / 1000.0;
        for m in self.meters.iter_mut().flatten() {
            accumulate(m, now);
            let point = m.minute.point(secs);
            let needed = m.minute.tasks_needed(&m.demand, secs, m.task_size);
            let mean_running = (m.minute.task_seconds / secs).floor() as u32;
            let over = point.is_some_and(|p| p.cpu_pct > 100.0 || p.mem_pct > 100.0) || m.minute.unserved > 0.0;
            m.overload_minutes += over as u64;
            m.peak_shortfall = m.peak_shortfall.max(needed.saturating_sub(mean_running));
            m.mean_rps = m.minute.requests / secs;
            if m.history.len() == MAX_LOOKBACK_MIN {
                m.history.pop_front();
            }
            m.history.push_back(point);
            m.minute = Minute::default();
        }
    }

    /// Service `s` at a sample.
    pub fn load(&self, s: ServiceId) -> Option<ServiceLoad> {
        let m = self.meters.get(s.idx())?.as_ref()?;
        let point = m.history.back().copied().flatten();
        Some(ServiceLoad {
            demand_rps: m.mean_rps,
            point,
            overloaded: point.is_some_and(|p| p.cpu_pct > 100.0 || p.mem_pct > 100.0)
                || (m.history.back().is_some_and(Option::is_none) && m.mean_rps > 0.0),
            activities: self.activities[s.idx()],
        })
    }

    /// Every demand-driven service's overload, by service id.
    pub fn overloads(&self) -> Vec<(ServiceId, Overload)> {
        self.meters
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let m = m.as_ref()?;
                Some((
                    ServiceId(i as u32),
                    Overload {
                        minutes: m.overload_minutes,
                        peak_shortfall: m.peak_shortfall,
                    },
                ))
            })
            .collect()
    }

    /// Desired-count changes made by Application Auto Scaling.
    pub fn activities(&self) -> u64 {
        self.activities.iter().sum()
    }
}

/// Adds the time since the meter's last change to its minute (demand at the piece's midpoint).
fn accumulate(m: &mut Meter, now: SimTime) {
    if now <= m.since {
        return;
    }
    let mid = (m.since.0 + now.0) as f64 / 2.0;
    let rps = m.demand.requests_per_second.per_minute_at(mid);
    let secs = (now.0 - m.since.0) as f64 / 1000.0;
    m.minute.add(&m.demand, secs, rps, m.running, m.cpu, m.mem);
    m.since = now;
}

/// Whether a scenario needs the metrics tick: a demand or a scaling call anywhere.
pub fn needed(sc: &crate::scenario::Scenario) -> bool {
    use crate::scenario::schema::ApiCall;
    !sc.scaling.is_empty()
        || sc.services.iter().any(|s| s.demand.is_some())
        || sc.timeline.iter().any(|e| match &e.request {
            ApiCall::AutoScaling(_) => true,
            ApiCall::CreateService(s) => s.demand.is_some(),
            _ => false,
        })
}

impl Sim<'_> {
    /// The wall-clock time of `t`, Unix ms.
    fn unix_ms(&self, t: SimTime) -> i64 {
        self.sc.start_unix_ms + t.0 as i64
    }

    /// An Application Auto Scaling call (at time 0 or on the timeline).
    pub(super) fn scaling_call(&mut self, c: &ScalingCall) {
        let now_ms = self.unix_ms(self.now());
        let mut targets = std::mem::take(&mut self.appscaling.targets);
        let result = apply(&mut targets, &self.call_state(), c, now_ms);
        self.appscaling.targets = targets;
        let applied = match result {
            Err(e) => {
                return self.record(|_| {
                    let req = serde_json::to_value(c).unwrap_or_default();
                    Record::Call(Call::failed(c.name(), req, e.code, e.message.clone()).from_source(EVENT_SOURCE))
                });
            }
            Ok(a) => a,
        };
        self.record(|_| {
            Record::Call(Call::ok(c.name(), c, Response::Json(serde_json::json!({}))).from_source(EVENT_SOURCE))
        });
        match applied {
            Applied::Bounds(cluster, name, min, max) => {
                if let Some(s) = self.services.find(cluster, &name) {
                    let d = self.services.get(s).desired;
                    self.autoscale(s, d.clamp(min, max));
                }
            }
            Applied::Policy(id) => {
                self.appscaling.policies.insert(id, PolicyRun::default());
            }
            Applied::Action(id) => self.schedule_action(id, now_ms),
            Applied::Removed => {}
        }
    }

    /// Schedules scheduled action `id`'s next run at or after `from_ms`.
    fn schedule_action(&mut self, id: u32, from_ms: i64) {
        let Some((_, a)) = self.appscaling.targets.action(id) else {
            return;
        };
        let base = a.start.unwrap_or(a.put_at).max(a.put_at);
        let from = from_ms.max(a.start.unwrap_or(from_ms));
        let Some(at) = a.schedule.next(base, from) else { return };
        if a.end.is_some_and(|e| at > e) || at < self.sc.start_unix_ms {
            return;
        }
        self.schedule(SimTime((at - self.sc.start_unix_ms) as u64), Event::ScheduledAction(id));
    }

    /// Scheduled action `id` runs: its target's new bounds, the desired count clamped into them.
    pub(super) fn scheduled_action(&mut self, id: u32) {
        let Some((t, _)) = self.appscaling.targets.action(id) else {
            return;
        };
        if !t.suspended.scheduled_scaling_suspended
            && let Some((cluster, name, min, max)) = self.appscaling.targets.run_action(id)
            && let Some(s) = self.services.find(cluster, &name)
        {
            let d = self.services.get(s).desired;
            self.autoscale(s, d.clamp(min, max));
        }
        let now_ms = self.unix_ms(self.now());
        self.schedule_action(id, now_ms + 1);
    }

    /// Sets service `s`'s desired count as Application Auto Scaling does: an
    /// UpdateService call on its behalf.
    fn autoscale(&mut self, s: ServiceId, desired: u32) {
        let svc = self.services.get(s);
        if svc.desired == desired || svc.status != ServiceStatus::Active {
            return;
        }
        let body = crate::ecs::api::UpdateService {
            cluster: Some(self.control.cluster_name(svc.cluster).to_string()),
            service: svc.name.clone(),
            desired_count: Some(desired as i64),
            ..Default::default()
        };
        self.appscaling.activities[s.idx()] += 1;
        self.update_service_by(&body, Some(INVOKED_BY));
    }

    /// Every minute: the minute's datapoints, then each target's policies.
    pub(super) fn metrics_tick(&mut self) {
        let now = self.now();
        self.appscaling.close_minute(now);
        let minute = self.appscaling.minutes as usize;
        let targets: Vec<_> = self
            .appscaling
            .targets
            .iter()
            .map(|t| {
                (
                    t.cluster,
                    t.service.clone(),
                    t.min,
                    t.max,
                    t.suspended,
                    t.policies.clone(),
                )
            })
            .collect();
        for (cluster, name, min, max, suspended, policies) in targets {
            let Some(s) = self.services.find(cluster, &name) else {
                continue;
            };
            let svc = self.services.get(s);
            if svc.status != ServiceStatus::Active || policies.is_empty() {
                continue;
            }
            let (running, desired) = (svc.totals().running, svc.desired);
            let deploying = svc.primary().rollout == Rollout::InProgress || svc.current_deployments().count() > 1;
            let Some(Some(meter)) = self.appscaling.meters.get(s.idx()) else {
                continue;
            };
            let history = &meter.history;
            let service = (self.control.cluster_name(cluster).to_string(), name.clone());
            let changes = alarm_changes(&policies, &mut self.appscaling.policies, history, minute, &service);
            let decision = decide(
                &policies,
                &self.appscaling.policies,
                history,
                minute,
                now,
                running,
                desired,
            );
            for c in changes {
                self.record(|_| Record::AlarmChange(c));
            }
            let mut new = desired;
            if let Some((cap, who)) = decision.out
                && !suspended.dynamic_scaling_out_suspended
            {
                new = cap.min(max).max(min);
                if new > desired {
                    for id in who {
                        self.appscaling.policies.entry(id).or_default().out = Some((now, desired, new));
                    }
                }
            } else if let Some((cap, who)) = decision.scale_in
                && !suspended.dynamic_scaling_in_suspended
                && !deploying
            {
                new = cap.max(min).min(max);
                if new < desired {
                    for id in who {
                        self.appscaling.policies.entry(id).or_default().scaled_in = Some(now);
                    }
                }
            }
            if new != desired {
                self.autoscale(s, new);
            }
        }
        self.schedule(now + MINUTE, Event::MetricsTick);
    }
}

/// The alarms whose state changed with the latest point: for target tracking, the
/// high and (unless scale-in is disabled) low alarm AWS creates, named as AWS names
/// them; for a step policy, its alarm at the end of each of its periods.
fn alarm_changes(
    policies: &[crate::control::appscaling::NamedPolicy],
    runs: &mut BTreeMap<u32, PolicyRun>,
    history: &VecDeque<Option<Point>>,
    minute: usize,
    service: &(String, String),
) -> Vec<AlarmChange> {
    let resource = format!("service/{}/{}", service.0, service.1);
    let state = |s: Option<bool>| match s {
        Some(true) => "ALARM",
        Some(false) => "OK",
        None => "INSUFFICIENT_DATA",
    };
    let mut out = Vec::new();
    for p in policies {
        let run = runs.entry(p.id).or_default();
        let mut alarms: Vec<(usize, String, Option<bool>, String, crate::appscaling::policy::Metric)> = Vec::new();
        match &p.policy {
            Policy::TargetTracking(tt) => {
                let values: Vec<Option<f64>> = history.iter().map(|h| h.map(|p| tt.metric.of(&p))).collect();
                let known = values.last().copied().flatten().is_some();
                let id = crate::ecs::ids::hex_id(0xA1, p.id as u64);
                let (id, low_id) = (&id[..8], &id[8..16]);
                alarms.push((
                    0,
                    format!("TargetTracking-{resource}-AlarmHigh-{id}"),
                    known.then(|| tt.high(&values)),
                    format!("{OUT_POINTS} datapoints above the threshold ({})", tt.target),
                    tt.metric,
                ));
                if !tt.disable_scale_in {
                    alarms.push((
                        1,
                        format!("TargetTracking-{resource}-AlarmLow-{low_id}"),
                        known.then(|| tt.low(&values)),
                        format!(
                            "{IN_POINTS} datapoints below the threshold ({})",
                            tt.target * IN_FRACTION
                        ),
                        tt.metric,
                    ));
                }
            }
            Policy::Step(st) => {
                let a = &st.alarm;
                if minute.is_multiple_of(a.period_minutes) {
                    let values: Vec<Option<f64>> = history.iter().map(|h| h.map(|p| a.metric.of(&p))).collect();
                    let known = values.last().copied().flatten().is_some();
                    alarms.push((
                        0,
                        a.name.clone(),
                        known.then(|| a.in_alarm(&values)),
                        format!(
                            "{} of {} periods breaching the threshold ({})",
                            a.to_alarm, a.periods, a.threshold
                        ),
                        a.metric,
                    ));
                }
            }
        }
        for (k, name, now, why, metric) in alarms {
            if run.alarms[k] != now {
                out.push(AlarmChange {
                    name,
                    state: state(now),
                    previous: state(run.alarms[k]),
                    reason: match now {
                        Some(true) => format!("Threshold Crossed: {why}"),
                        Some(false) => format!("Threshold no longer crossed: not {why}"),
                        None => "Insufficient Data: no datapoint in the last minute".into(),
                    },
                    metric: metric.cloudwatch(),
                    service: service.clone(),
                });
                run.alarms[k] = now;
            }
        }
    }
    out
}

/// What a target's policies say after a datapoint: scale out to a capacity (and which
/// policies said so), or scale in to one.
#[derive(Default)]
struct Decision {
    out: Option<(u32, Vec<u32>)>,
    scale_in: Option<(u32, Vec<u32>)>,
}

/// Out if any policy says out (the largest capacity); in only if every
/// target-tracking policy that may scale in agrees and some policy says in (the largest
/// capacity, the least scale-in).
fn decide(
    policies: &[crate::control::appscaling::NamedPolicy],
    runs: &BTreeMap<u32, PolicyRun>,
    history: &VecDeque<Option<Point>>,
    minute: usize,
    now: SimTime,
    running: u32,
    desired: u32,
) -> Decision {
    let mut d = Decision::default();
    let mut vetoed = false;
    let push = |slot: &mut Option<(u32, Vec<u32>)>, cap: u32, id: u32| match slot {
        Some((c, who)) if *c == cap => who.push(id),
        Some((c, _)) if *c > cap => {}
        _ => *slot = Some((cap, vec![id])),
    };
    for p in policies {
        let run = runs.get(&p.id).copied().unwrap_or_default();
        match &p.policy {
            Policy::TargetTracking(tt) => {
                let values: Vec<Option<f64>> = history.iter().map(|h| h.map(|p| tt.metric.of(&p))).collect();
                let last = values.last().copied().flatten();
                if tt.high(&values)
                    && let Some(v) = last
                {
                    let cap = tt.capacity(running, v);
                    // Inside the cooldown only a larger scale-out than the last one.
                    let floor = match run.out {
                        Some((at, _, set)) if now < at + tt.scale_out_cooldown => set.max(desired),
                        _ => desired,
                    };
                    if cap > floor {
                        push(&mut d.out, cap, p.id);
                    }
                }
                // A policy that never scales in leaves scale-in to the others.
                let cooling = run.scaled_in.is_some_and(|at| now < at + tt.scale_in_cooldown);
                match last {
                    _ if tt.disable_scale_in => {}
                    Some(v) if tt.low(&values) && !cooling => push(&mut d.scale_in, tt.capacity(running, v), p.id),
                    _ => vetoed = true,
                }
            }
            Policy::Step(st) => {
                let a = &st.alarm;
                if !minute.is_multiple_of(a.period_minutes) {
                    continue;
                }
                let values: Vec<Option<f64>> = history.iter().map(|h| h.map(|p| a.metric.of(&p))).collect();
                if !a.in_alarm(&values) {
                    continue;
                }
                let period: Vec<f64> = values[values.len() - a.period_minutes..]
                    .iter()
                    .flatten()
                    .copied()
                    .collect();
                if period.is_empty() {
                    continue;
                }
                let v = st.aggregation.over(&period);
                let Some(cap) = st.capacity(desired, v) else { continue };
                if cap > desired as i64 {
                    // Inside the cooldown, the capacity the last scale-out added counts.
                    let cap = match run.out {
                        Some((at, before, _)) if now < at + st.cooldown => st.capacity(before, v).unwrap_or(0),
                        _ => cap,
                    };
                    if cap > desired as i64 {
                        push(&mut d.out, cap.min(u32::MAX as i64) as u32, p.id);
                    }
                } else if cap < desired as i64 && run.scaled_in.is_none_or(|at| now >= at + st.cooldown) {
                    push(&mut d.scale_in, cap.max(0) as u32, p.id);
                }
            }
        }
    }
    if vetoed {
        d.scale_in = None;
    }
    d
}
