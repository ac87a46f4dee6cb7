//! Faults: instance failures, Availability Zone outages, agent disconnects (Spot
//! interruptions live with capacity), scheduled or random; and what they cost —
//! tasks stopped, replacements, task-minutes lost, time to recover.

use super::ids::{Origin, TaskIdx};
use super::journal::Record;
use super::task::{Reason, StopCode, TaskStatus};
use super::{Event, Sim, concern};
use crate::ecs::cluster::{InstanceId, InstanceStatus};
use crate::ecs::intern::Sym;
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::scenario::Scenario;
use crate::scenario::schema::FaultType;
use rand::RngExt;
use std::collections::{BTreeMap, VecDeque};

/// An Availability Zone outage under way or past.
#[derive(Clone, Debug)]
struct Outage {
    zone: String,
    /// Instance-group instances it took down, to register again when it ends.
    downed: Vec<InstanceId>,
}

/// The faults part of a run: random fault clocks, zones out, and what faults cost.
pub struct Faults {
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

impl Faults {
    /// Fresh state: one random stream per fault.
    pub fn new(sc: &Scenario, streams: RngStreams) -> Self {
        Faults {
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

    /// Counts a fault that took effect (a Spot interruption records its own event).
    pub fn count(&mut self) {
        self.stats.injected += 1;
    }

    /// Whether the zone named `z` is out.
    pub fn zone_name_out(&self, z: &str) -> bool {
        self.out.contains_key(z)
    }

    /// The fault statistics at the end of the run.
    pub fn summary(&self, end: SimTime) -> super::metrics::summary::FaultStats {
        let open: u64 = self.losses.iter().map(|l| end.since(*l).millis()).sum();
        let mut stats = self.stats.clone();
        stats.task_minutes_lost = (self.lost_ms + open) as f64 / 60_000.0;
        stats.unrecovered = u64::from(self.episode.is_some());
        stats
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
        let origin = self.fleet.cluster().instance(id).spec.origin as usize;
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
        !self.faults.out.is_empty() && self.faults.zone_name_out(self.fleet.cluster().symbols.resolve(z))
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
                let Some(id) = fault.ec2_instance_id.as_deref().and_then(|x| self.fleet.find(None, x)) else {
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
        if self.fleet.cluster().status(id) == InstanceStatus::Inactive {
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
        let cluster = self.fleet.cluster();
        let mut zones: Vec<String> = cluster
            .ids()
            .filter(|&i| cluster.status(i) != InstanceStatus::Inactive)
            .map(|i| cluster.instance(i).spec.availability_zone.clone())
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
        let cluster = self.fleet.cluster();
        let hit: Vec<InstanceId> = cluster
            .ids()
            .filter(|&i| {
                cluster.status(i) != InstanceStatus::Inactive && cluster.instance(i).spec.availability_zone == zone
            })
            .collect();
        let mut downed = Vec::new();
        for i in hit {
            let origin = self.fleet.cluster().instance(i).spec.origin as usize;
            if origin < self.sc.instance_groups.len() {
                downed.push(i);
            }
            self.terminate_instance(i, super::capacity::Cause::Failure);
        }
        let symbols = &self.fleet.cluster().symbols;
        let fargate: Vec<TaskIdx> = self
            .tasks
            .iter()
            .filter(|(_, task)| {
                task.pool.is_fargate()
                    && matches!(task.status, TaskStatus::Pending | TaskStatus::Running)
                    && task.zone.is_some_and(|z| symbols.resolve(z) == zone)
            })
            .map(|(t, _)| t)
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
            if let Some(id) = self.reregister(old) {
                self.capacity_freed(Some(id));
            }
        }
        self.services.mark_all_dirty();
    }

    /// An agent disconnects for `duration`: nothing new is placed there, its tasks
    /// keep running, and services count them lost only after the disconnect timeout.
    fn agent_disconnect(&mut self, id: InstanceId, duration: SimDuration) {
        if !self.fleet.cluster().agent_connected(id) {
            return;
        }
        self.fault_event(FaultType::AgentDisconnect, Some(id), None, Some(duration));
        self.fleet.set_agent_connected(id, false);
        let (n, _) = self.fleet.agent_history(id);
        self.record(|_| Record::InstanceChange(id, Some("agent disconnected".into())));
        let now = self.now();
        self.schedule(now + duration, Event::AgentReconnect(id, n));
        self.schedule(now + self.sc.agent_disconnect_timeout, Event::AgentTimeout(id, n));
        self.instances_changed(id);
    }

    /// The agent reconnects (unless it never could, or the instance is gone).
    pub(super) fn agent_reconnects(&mut self, id: InstanceId, n: u32) {
        let (disconnections, never) = self.fleet.agent_history(id);
        if disconnections != n || never || self.fleet.cluster().status(id) == InstanceStatus::Inactive {
            return;
        }
        self.fleet.set_agent_connected(id, true);
        self.record(|_| Record::InstanceChange(id, Some("agent reconnected".into())));
        self.instances_changed(id);
        self.capacity_freed(Some(id));
    }

    /// The disconnect timeout passed with the agent still away: its service tasks
    /// count as lost and are replaced.
    pub(super) fn agent_timeout(&mut self, id: InstanceId, n: u32) {
        if self.fleet.agent_history(id).0 != n || self.fleet.cluster().agent_connected(id) {
            return;
        }
        let ec2 = self.fleet.cluster().instance(id).spec.ec2_instance_id.clone();
        for t in self.fleet.tasks_on(id).to_vec() {
            if matches!(self.tasks.get(t).origin, Origin::Service(_)) {
                self.note_fault_loss(t);
                self.stop_task(
                    t,
                    StopCode::ServiceSchedulerInitiated,
                    Reason::AgentDisconnected(ec2.clone()),
                );
            }
        }
    }

    /// Records a fault taking effect (events.jsonl, and the summary's count).
    fn fault_event(
        &mut self,
        kind: FaultType,
        id: Option<InstanceId>,
        zone: Option<&str>,
        duration: Option<SimDuration>,
    ) {
        self.faults.count();
        self.record(|_| Record::Fault(kind, id, zone.map(str::to_string), duration));
    }

    /// A fault is about to stop task `t`: count it, and what it loses. A replica
    /// service task is lost until a replacement runs; a standalone task loses the rest
    /// of its run; a DAEMON task leaves with its instance and needs no replacement.
    pub(super) fn note_fault_loss(&mut self, t: TaskIdx) {
        let now = self.now();
        let task = self.tasks.get(t);
        if !task.is_live() {
            return;
        }
        self.faults.stats.tasks_stopped += 1;
        match task.origin {
            Origin::Service(s) if self.services.get(s).daemon => {}
            Origin::Service(s) => {
                self.services.get_mut(s).fault_debt += 1;
                self.faults.losses.push_back(now);
                self.faults.episode.get_or_insert(now);
            }
            _ => {
                let planned_end = match (task.started_at.get(), task.run_for) {
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
}
