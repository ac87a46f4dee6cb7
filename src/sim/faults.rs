//! Faults: instance failures, Availability Zone outages, agent disconnects (Spot
//! interruptions live with capacity), scheduled or random; and what they cost —
//! tasks stopped, replacements, task-minutes lost, time to recover.

use super::task::{Origin, Reason, StopCode, TaskIdx, TaskStatus};
use super::{Event, Sim, concern};
use crate::ecs::cluster::{InstanceId, InstanceStatus};
use crate::ecs::intern::Sym;
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::scenario::Scenario;
use crate::scenario::schema::FaultType;
use rand::RngExt;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};

/// An Availability Zone outage under way or past.
#[derive(Clone, Debug)]
struct Outage {
    zone: String,
    /// Instance-group instances it took down, to register again when it ends.
    downed: Vec<InstanceId>,
}

/// Fault bookkeeping of a run.
pub(super) struct FaultState {
    rngs: Vec<StreamRng>,
    outages: Vec<Outage>,
    /// Zones out now, with how many outages hold each.
    out: BTreeMap<String, u32>,
    /// When each lost service task was lost, oldest first (until a replacement runs).
    losses: VecDeque<SimTime>,
    /// When the current recovery began.
    episode: Option<SimTime>,
    stats: super::metrics::FaultStats,
    lost_ms: u64,
}

impl FaultState {
    /// Fresh state: one random stream per fault.
    pub fn new(sc: &Scenario, streams: RngStreams) -> Self {
        FaultState {
            rngs: (0..sc.faults.len() as u32)
                .map(|f| streams.stream(concern::FAULTS, 1 + f))
                .collect(),
            outages: Vec::new(),
            out: BTreeMap::new(),
            losses: VecDeque::new(),
            episode: None,
            stats: Default::default(),
            lost_ms: 0,
        }
    }
}

impl Sim<'_> {
    fn exp_gap(&mut self, f: usize) -> Option<SimDuration> {
        let rate = self.sc.faults[f].rate_per_hour?;
        Some(crate::engine::exponential_gap(
            &mut self.faults.rngs[f],
            3_600_000.0 / rate,
        ))
    }

    /// Schedules the scenario's faults: scheduled ones at their time, random zone
    /// outages on their clock (per-instance clocks start as instances register).
    pub(super) fn start_faults(&mut self) {
        if self.script.is_some() {
            return;
        }
        for (f, fault) in self.sc.faults.iter().enumerate() {
            if let Some(at) = fault.at {
                self.schedule(SimTime::ZERO + at.0, Event::Fault(f as u32));
            } else if fault.kind == FaultType::AzOutage
                && let Some(gap) = self.exp_gap(f)
            {
                self.schedule(SimTime::ZERO + gap, Event::ZoneFault(f as u32));
            }
        }
    }

    /// Starts the random per-instance fault clocks of a newly registered instance.
    pub(super) fn start_instance_faults(&mut self, id: InstanceId) {
        if self.script.is_some() {
            return;
        }
        let origin = self.cluster.instance(id).spec.origin as usize;
        for f in 0..self.sc.faults.len() {
            let fault = &self.sc.faults[f];
            if fault.rate_per_hour.is_none()
                || !matches!(fault.kind, FaultType::InstanceFailure | FaultType::AgentDisconnect)
            {
                continue;
            }
            if let Some(a) = &fault.auto_scaling_group {
                let groups = self.sc.instance_groups.len();
                let in_asg = origin >= groups && self.sc.asgs.get(origin - groups).is_some_and(|g| &g.name == a);
                if !in_asg {
                    continue;
                }
            }
            if let Some(gap) = self.exp_gap(f) {
                let at = self.now() + gap;
                self.schedule(at, Event::InstanceFault(f as u32, id));
            }
        }
    }

    /// Whether zone `z` is out.
    pub(super) fn zone_out(&self, z: Sym) -> bool {
        !self.faults.out.is_empty() && self.faults.out.contains_key(self.cluster.symbols.resolve(z))
    }

    /// Whether the zone named `z` is out.
    pub(super) fn zone_name_out(&self, z: &str) -> bool {
        self.faults.out.contains_key(z)
    }

    /// A scheduled fault.
    pub(super) fn scheduled_fault(&mut self, f: usize) {
        let fault = self.sc.faults[f].clone();
        match fault.kind {
            FaultType::AzOutage => {
                let zone = fault.availability_zone.clone().unwrap_or_default();
                let duration = fault.duration.map_or(SimDuration::ZERO, |d| d.0);
                self.zone_outage(&zone, duration);
            }
            _ => {
                let Some(id) = fault
                    .ec2_instance_id
                    .as_deref()
                    .and_then(|x| self.find_instance(None, x))
                else {
                    return;
                };
                self.instance_fault(f, id);
            }
        }
    }

    /// A fault that hits one instance.
    fn instance_fault(&mut self, f: usize, id: InstanceId) {
        let fault = &self.sc.faults[f];
        match fault.kind {
            FaultType::SpotInterruption => self.spot_notice(id),
            FaultType::InstanceFailure => {
                self.fault_event(FaultType::InstanceFailure, Some(id), None, None);
                self.terminate_instance(id, super::capacity::Cause::Failure);
            }
            FaultType::AgentDisconnect => {
                let d = fault.duration.map_or(SimDuration::ZERO, |d| d.0);
                self.agent_disconnect(id, d);
            }
            FaultType::AzOutage => {}
        }
    }

    /// A random per-instance fault fires; agent disconnects come again later.
    pub(super) fn random_instance_fault(&mut self, f: usize, id: InstanceId) {
        if self.cluster.status(id) == InstanceStatus::Inactive {
            return;
        }
        self.instance_fault(f, id);
        if self.sc.faults[f].kind == FaultType::AgentDisconnect
            && let Some(gap) = self.exp_gap(f)
        {
            let d = self.sc.faults[f].duration.map_or(SimDuration::ZERO, |d| d.0);
            let at = self.now() + d + gap;
            self.schedule(at, Event::InstanceFault(f as u32, id));
        }
    }

    /// A random zone outage: a zone with instances, uniformly; the next one after this
    /// one ends.
    pub(super) fn random_zone_fault(&mut self, f: usize) {
        let mut zones: Vec<String> = self
            .cluster
            .ids()
            .filter(|&i| self.cluster.status(i) != InstanceStatus::Inactive)
            .map(|i| self.cluster.instance(i).spec.availability_zone.clone())
            .filter(|z| !z.is_empty())
            .collect();
        zones.sort();
        zones.dedup();
        let d = self.sc.faults[f].duration.map_or(SimDuration::ZERO, |d| d.0);
        if !zones.is_empty() {
            let k = self.faults.rngs[f].random_range(0..zones.len());
            let zone = zones[k].clone();
            self.zone_outage(&zone, d);
        }
        if let Some(gap) = self.exp_gap(f) {
            let at = self.now() + d + gap;
            self.schedule(at, Event::ZoneFault(f as u32));
        }
    }

    /// An Availability Zone fails for `duration`: every instance there fails (groups'
    /// instances come back when it ends; Auto Scaling groups launch elsewhere
    /// meanwhile), and Fargate tasks there stop.
    fn zone_outage(&mut self, zone: &str, duration: SimDuration) {
        self.fault_event(FaultType::AzOutage, None, Some(zone), Some(duration));
        *self.faults.out.entry(zone.to_string()).or_default() += 1;
        let hit: Vec<InstanceId> = self
            .cluster
            .ids()
            .filter(|&i| {
                self.cluster.status(i) != InstanceStatus::Inactive
                    && self.cluster.instance(i).spec.availability_zone == zone
            })
            .collect();
        let mut downed = Vec::new();
        for i in hit {
            let origin = self.cluster.instance(i).spec.origin as usize;
            if origin < self.sc.instance_groups.len() {
                downed.push(i);
            }
            self.terminate_instance(i, super::capacity::Cause::Failure);
        }
        let fargate: Vec<TaskIdx> = (0..self.tasks.len() as u32)
            .map(TaskIdx)
            .filter(|&t| {
                let task = &self.tasks[t.0 as usize];
                task.pool.is_fargate()
                    && matches!(task.status, TaskStatus::Pending | TaskStatus::Running)
                    && task.zone.is_some_and(|z| self.cluster.symbols.resolve(z) == zone)
            })
            .collect();
        for t in fargate {
            self.note_fault_loss(t);
            self.stop_task(t, StopCode::TerminationNotice, Reason::ZoneOutage(zone.to_string()));
        }
        self.faults.outages.push(Outage {
            zone: zone.to_string(),
            downed,
        });
        let o = self.faults.outages.len() as u32 - 1;
        let at = self.now() + duration;
        self.schedule(at, Event::OutageEnd(o));
    }

    /// An outage ends: the zone takes tasks again; the instance-group instances it
    /// took down register again (new container instances, same EC2 ids).
    pub(super) fn outage_end(&mut self, o: usize) {
        let outage = self.faults.outages[o].clone();
        if let Some(n) = self.faults.out.get_mut(&outage.zone) {
            *n -= 1;
            if *n == 0 {
                self.faults.out.remove(&outage.zone);
            }
        }
        for old in outage.downed {
            let inst = self.cluster.instance(old);
            let mut spec = inst.spec.clone();
            spec.registered_at_unix_ms = self.sc.start_unix_ms + self.now().millis() as i64;
            let g = &self.sc.instance_groups[spec.origin as usize];
            let key = if g.external { "EXTERNAL" } else { "EC2" };
            let agent = super::calls::AgentSetup {
                iam_actions: &g.template.iam_actions,
                user_data: &g.template.user_data,
            };
            let now = self.now();
            let minimum = if g.external {
                0.0
            } else {
                crate::capacity::prices::MINIMUM_SECONDS
            };
            if let Some(id) = self.agent_registers(spec, agent, key, minimum, now) {
                self.capacity_freed(Some(id));
            }
        }
        for s in 0..self.services.len() {
            self.mark_dirty(s);
        }
    }

    /// An agent disconnects for `duration`: nothing new is placed there, its tasks
    /// keep running, and services count them lost only after the disconnect timeout.
    fn agent_disconnect(&mut self, id: InstanceId, duration: SimDuration) {
        if !self.cluster.agent_connected(id) {
            return;
        }
        self.fault_event(FaultType::AgentDisconnect, Some(id), None, Some(duration));
        self.cluster.set_agent_connected(id, false);
        self.placer.instance_changed(&self.cluster, id);
        self.runtime[id.idx()].disconnections += 1;
        let n = self.runtime[id.idx()].disconnections;
        self.instance_event(id, Some("agent disconnected"));
        let now = self.now();
        self.schedule(now + duration, Event::AgentReconnect(id, n));
        self.schedule(now + self.sc.agent_disconnect_timeout, Event::AgentTimeout(id, n));
        self.instances_changed(id);
    }

    /// The agent reconnects (unless it never could, or the instance is gone).
    pub(super) fn agent_reconnects(&mut self, id: InstanceId, n: u32) {
        let rt = &self.runtime[id.idx()];
        if rt.disconnections != n || rt.never_connects || self.cluster.status(id) == InstanceStatus::Inactive {
            return;
        }
        self.runtime[id.idx()].disconnections += 1;
        self.cluster.set_agent_connected(id, true);
        self.placer.instance_changed(&self.cluster, id);
        self.instance_event(id, Some("agent reconnected"));
        self.instances_changed(id);
        self.capacity_freed(Some(id));
    }

    /// The disconnect timeout passed with the agent still away: its service tasks
    /// count as lost and are replaced.
    pub(super) fn agent_timeout(&mut self, id: InstanceId, n: u32) {
        if self.runtime[id.idx()].disconnections != n || self.cluster.agent_connected(id) {
            return;
        }
        let ec2 = self.cluster.instance(id).spec.ec2_instance_id.clone();
        for t in self.instance_tasks[id.idx()].clone() {
            if matches!(self.tasks[t.0 as usize].origin, Origin::Service(_)) {
                self.note_fault_loss(t);
                self.stop_task(
                    t,
                    StopCode::ServiceSchedulerInitiated,
                    Reason::AgentDisconnected(ec2.clone()),
                );
            }
        }
    }

    /// Counts a fault that took effect (a Spot interruption records its own event).
    pub(super) fn count_fault(&mut self) {
        self.faults.stats.injected += 1;
    }

    /// Records a fault taking effect (events.jsonl, and the summary's count).
    fn fault_event(
        &mut self,
        kind: FaultType,
        id: Option<InstanceId>,
        zone: Option<&str>,
        duration: Option<SimDuration>,
    ) {
        self.faults.stats.injected += 1;
        if !self.rec.wants_events() {
            return;
        }
        let now = self.now();
        let eid = self.next_event_id();
        let ec2 = id.map(|i| self.cluster.instance(i).spec.ec2_instance_id.clone());
        let v = json!({
            "version": "0", "id": eid, "detail-type": "ecsim Fault Injected", "source": "ecsim",
            "account": super::records::ACCOUNT, "time": self.arns.iso(now), "simTime": now.secs_string(),
            "region": super::records::REGION, "resources": [],
            "detail": {"type": kind.as_str(), "ec2InstanceId": ec2, "availabilityZone": zone,
                       "duration": duration.map(|d| d.secs_string())},
        });
        self.record(v);
    }

    /// A fault is about to stop task `t`: count it, and what it loses. A replica
    /// service task is lost until a replacement runs; a standalone task loses the rest
    /// of its run; a DAEMON task leaves with its instance and needs no replacement.
    pub(super) fn note_fault_loss(&mut self, t: TaskIdx) {
        let now = self.now();
        let task = &self.tasks[t.0 as usize];
        if !matches!(
            task.status,
            TaskStatus::Pending | TaskStatus::Running | TaskStatus::Provisioning
        ) {
            return;
        }
        self.faults.stats.tasks_stopped += 1;
        match task.origin {
            Origin::Service(s) if self.services[s as usize].daemon => {}
            Origin::Service(s) => {
                self.services[s as usize].fault_debt += 1;
                self.faults.losses.push_back(now);
                self.faults.episode.get_or_insert(now);
            }
            _ => {
                let planned_end = match (task.started_at, task.run_for) {
                    (Some(st), Some(d)) => (st + d).min(self.end),
                    (None, Some(d)) => (now + d).min(self.end),
                    (_, None) => self.end,
                };
                self.faults.lost_ms += planned_end.since(now).millis();
            }
        }
    }

    /// A replacement for a lost service task reached RUNNING (`replaced`), or the
    /// service no longer wants one.
    pub(super) fn fault_replaced(&mut self, replaced: bool) {
        let now = self.now();
        let Some(lost) = self.faults.losses.pop_front() else {
            return;
        };
        if replaced {
            self.faults.stats.replacements += 1;
        }
        self.faults.lost_ms += now.since(lost).millis();
        if self.faults.losses.is_empty()
            && let Some(start) = self.faults.episode.take()
        {
            self.faults.stats.recoveries_s.push(now.since(start).as_secs_f64());
        }
    }

    /// The fault statistics at the end of the run.
    pub(super) fn fault_summary(&mut self) -> super::metrics::FaultStats {
        let end = self.end;
        let open: u64 = self.faults.losses.iter().map(|l| end.since(*l).millis()).sum();
        let mut stats = self.faults.stats.clone();
        stats.task_minutes_lost = (self.faults.lost_ms + open) as f64 / 60_000.0;
        stats.unrecovered = u64::from(self.faults.episode.is_some());
        stats
    }
}
