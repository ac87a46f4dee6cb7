//! A run: a loop over the event queue, and the parts of the world it drives.
//!
//! Each part owns its state behind its own methods — the fleet (container instances,
//! the placer), the task store, the services, capacity (Auto Scaling groups, managed
//! scaling, Fargate), faults, clients (RunTask callers, retries, clientTokens), the
//! control plane (clusters, task definitions), the journal and the metrics. A change
//! that touches several parts happens in one place, [`rules`], which alone holds the
//! rules between them ("a placed task reserves its instance, counts toward its
//! service and its provider, and is journaled"). Calls are checked by
//! [`crate::control`], the same functions `ecsim validate` runs. Nothing here does IO.

mod appscaling;
mod calls;
mod capacity;
mod clients;
mod control;
mod faults;
mod fleet;
pub mod ids;
pub mod journal;
pub mod metrics;
mod outcome;
pub mod rows;
mod rules;
pub mod services;
pub mod task;
pub mod tasks;

use crate::ecs::cluster::InstanceStatus;
use crate::engine::{EventQueue, RngStreams, SimDuration, SimTime, Slot};
use crate::scenario::Scenario;
use capacity::Capacity;
use clients::Clients;
use control::ControlPlane;
use faults::Faults;
use fleet::Fleet;
use ids::{CallIdx, Origin, ServiceId, TaskIdx, WorkloadId};
use journal::{Journal, Recorder};
use metrics::Metrics;
use metrics::samples::{Sample, ServiceSample};
use metrics::summary::{Summary, WaitStats};
use services::{Service, ServiceStatus, Services};
use task::{Reason, StopCode};
use tasks::TaskStore;

pub use fleet::Unusable;
pub use outcome::{Outcome, check_invariants};
pub use tasks::task_id;

/// Random-stream concerns: each concern's consumers get their own streams (the index),
/// so drawing more for one consumer never changes another's draws.
pub mod concern {
    /// Workload arrivals (index: workload).
    pub const ARRIVALS: u32 = 1;
    /// Task run times (index: workload, service, or timeline entry).
    pub const DURATIONS: u32 = 2;
    /// Placement tie-breaks (the placer).
    pub const PLACEMENT: u32 = 3;
    /// Random faults (index: 1 + fault).
    pub const FAULTS: u32 = 4;
    /// PENDING → RUNNING latency on EC2 and external instances (the container agent).
    pub const START_LATENCY: u32 = 5;
    /// A service's scale-in victim choice (index: service).
    pub const SCALE_IN: u32 = 6;
    /// EC2 launch latency (index: Auto Scaling group).
    pub const LAUNCH: u32 = 7;
    /// Start failures (startFailureProbability; the container agent).
    pub const START_FAILURE: u32 = 8;
    /// How long containers take to exit after SIGTERM (the container agent).
    pub const STOP_LATENCY: u32 = 9;
    /// Creation to RUNNING on Fargate.
    pub const FARGATE_START: u32 = 10;
    /// An Auto Scaling group's scale-in victim choice (index: group).
    pub const ASG_SCALE_IN: u32 = 11;
    /// EC2 Spot interruptions (index: Auto Scaling group).
    pub const SPOT: u32 = 12;
    /// Fargate Spot interruptions.
    pub const FARGATE_SPOT: u32 = 13;
    /// Which of a trace's tasks a `sample` keeps (index: workload).
    pub const TRACE_SAMPLE: u32 = 14;
    /// `ecsim pack`'s GPU-sharing mode: a run's workload sample and shuffle (index: run).
    pub const GPU_WORKLOAD: u32 = 15;
    /// `ecsim pack`'s GPU-sharing mode: ties between nodes (index: run).
    pub const GPU_TIES: u32 = 16;
    /// Stream index offset for services.
    pub const SERVICE_INDEX: u32 = 0x8000_0000;
    /// Stream index offset for timeline entries.
    pub const TIMELINE_INDEX: u32 = 0x4000_0000;
}

/// The closed set of events a run schedules.
#[derive(Copy, Clone, Debug)]
enum Event {
    /// A workload calls RunTask.
    Arrival(WorkloadId),
    /// A client retries a RunTask (index into the pending retries).
    Retry(u32),
    /// A task reaches RUNNING (cancellable on the task's slot).
    Running(TaskIdx),
    /// A service task counts as healthy (cancellable on the task's slot).
    Healthy(TaskIdx),
    /// A task's essential container exits (cancellable on the task's slot); its
    /// container instance, so that the run can prefetch it.
    Exit(TaskIdx, Option<crate::ecs::cluster::InstanceId>),
    /// A STOPPING task's containers have exited (cancellable on the task's slot).
    Stopped(TaskIdx),
    /// A timeline call.
    Timeline(CallIdx),
    /// Managed scaling and Auto Scaling groups act, every minute.
    ScalingTick,
    /// An EC2 instance launched by an Auto Scaling group registers (index into launches).
    Launched(u32),
    /// A Spot interruption notice for an instance.
    SpotNotice(crate::ecs::cluster::InstanceId),
    /// A Spot instance is reclaimed, two minutes after its notice.
    SpotReclaim(crate::ecs::cluster::InstanceId),
    /// A PROVISIONING task's timeout (cancellable on the task's slot).
    ProvisioningTimeout(TaskIdx),
    /// A Fargate Spot task's two-minute warning (cancellable on the task's slot).
    FargateSpotNotice(TaskIdx),
    /// A Fargate Spot task stops after its warning (cancellable on the task's slot).
    FargateSpotStop(TaskIdx),
    /// A scheduled fault (index into the scenario's faults).
    Fault(u32),
    /// A random per-instance fault (fault index, instance).
    InstanceFault(u32, crate::ecs::cluster::InstanceId),
    /// The next random zone outage of a fault.
    ZoneFault(u32),
    /// A zone outage ends (index into the run's outages).
    OutageEnd(u32),
    /// A disconnected agent reconnects (instance, disconnection number).
    AgentReconnect(crate::ecs::cluster::InstanceId, u32),
    /// A disconnected agent's tasks count as lost (instance, disconnection number).
    AgentTimeout(crate::ecs::cluster::InstanceId, u32),
    /// A throttled service may launch again.
    ServiceCheck(ServiceId),
    /// What one engine event of a replayed log did (index into its batches).
    ReplayBatch(u32),
    /// A minute of service metrics ends: datapoints, alarms, scaling policies.
    MetricsTick,
    /// A scheduled action runs (its run-wide id).
    ScheduledAction(u32),
}

/// The state of a run: its scenario, its clock, and its parts.
struct Sim<'a> {
    sc: &'a Scenario,
    script: Option<&'a crate::replay::Script>,
    q: EventQueue<Event>,
    end: SimTime,
    streams: RngStreams,
    fleet: Fleet,
    tasks: TaskStore,
    services: Services,
    capacity: Capacity,
    faults: Faults,
    clients: Clients,
    control: ControlPlane,
    journal: Journal<'a>,
    metrics: Metrics,
    appscaling: appscaling::AppScaling,
}

/// Runs a scenario with `seed`, sending records to `rec`.
pub fn run(sc: &Scenario, seed: u64, rec: &mut dyn Recorder) -> Outcome {
    run_with(sc, None, seed, rec)
}

/// Runs a replayed log's scenario, repeating what its script recorded beyond the calls.
pub fn replay(sc: &Scenario, script: &crate::replay::Script, seed: u64, rec: &mut dyn Recorder) -> Outcome {
    run_with(sc, Some(script), seed, rec)
}

fn run_with(sc: &Scenario, script: Option<&crate::replay::Script>, seed: u64, rec: &mut dyn Recorder) -> Outcome {
    let streams = RngStreams::new(seed);
    let mut sim = Sim {
        sc,
        script,
        q: EventQueue::new(),
        end: SimTime::ZERO + sc.duration,
        streams,
        fleet: Fleet::new(sc.tie_break, streams),
        tasks: TaskStore::new(rec.wants_tasks(), rec.wants_task_rows()),
        services: Services::default(),
        capacity: Capacity::new(sc, streams),
        faults: Faults::new(sc, streams),
        clients: Clients::new(sc, streams),
        control: ControlPlane::default(),
        journal: Journal::new(rec, sc.start_unix_ms),
        metrics: Metrics::default(),
        appscaling: appscaling::AppScaling::default(),
    };
    sim.start();
    sim.settle();
    while let Some((t, ev)) = sim.q.pop_until_hinting(sim.end, |slot, e| {
        if let (Some(s), Event::Running(n) | Event::Exit(n, _) | Event::Stopped(n) | Event::Healthy(n)) = (slot, e) {
            sim.tasks.prefetch(*n, s.0);
        }
        if let Event::Exit(_, Some(i)) = e {
            sim.fleet.prefetch(*i);
        }
    }) {
        sim.sample_until(t);
        sim.metrics.advance(t, sim.fleet.cluster());
        sim.handle(ev);
        sim.settle();
        sim.retire_stopped();
        let events = sim.q.delivered();
        if events.is_multiple_of(journal::PROGRESS_EVERY) {
            sim.journal.progress(t, sim.end, events);
        }
    }
    sim.sample_until(sim.end + SimDuration(1));
    sim.metrics.advance(sim.end, sim.fleet.cluster());
    sim.finish(seed)
}

impl Sim<'_> {
    fn now(&self) -> SimTime {
        self.q.now()
    }

    fn start(&mut self) {
        let sc = self.sc;
        for a in Capacity::accounts(sc) {
            self.metrics.declare(a);
        }
        for name in &sc.clusters {
            self.add_cluster(name, None);
        }
        self.start_instance_groups();
        self.start_capacity();
        for td in &sc.task_definitions {
            self.register_task_definition(td);
        }
        for s in &sc.services {
            self.create_service(s);
        }
        for c in &sc.scaling {
            self.scaling_call(c);
        }
        if appscaling::needed(sc) {
            self.schedule(SimTime::ZERO + SimDuration::from_secs(60), Event::MetricsTick);
        }
        self.start_clients();
        if self.script.is_some() {
            self.schedule_replay();
        } else {
            for (i, e) in sc.timeline.iter().enumerate() {
                self.schedule(SimTime::ZERO + e.at.0, Event::Timeline(CallIdx(i as u32)));
            }
        }
        self.start_faults();
    }

    fn schedule(&mut self, at: SimTime, ev: Event) {
        if at <= self.end {
            self.q.schedule(at, ev);
        }
    }

    fn schedule_on(&mut self, at: SimTime, t: TaskIdx, ev: Event) {
        if at <= self.end {
            let slot = self.tasks.slot(t);
            self.q.schedule_on(at, Slot(slot), ev);
        }
    }

    /// Drops the events scheduled for task `t`.
    fn cancel_events(&mut self, t: TaskIdx) {
        let slot = self.tasks.slot(t);
        self.q.cancel(Slot(slot));
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival(w) => self.arrival(w),
            Event::Retry(p) => self.retry(p),
            Event::Running(t) => self.task_running(t),
            Event::Healthy(t) => self.task_healthy(t),
            Event::Exit(t, _) => self.stop_task(t, StopCode::EssentialContainerExited, Reason::Exited),
            Event::Stopped(t) => self.task_stopped(t),
            Event::Timeline(i) => self.timeline_call(i),
            Event::ScalingTick => self.scaling_tick(),
            Event::Launched(l) => self.launched(l),
            Event::SpotNotice(i) => self.spot_notice(i),
            Event::SpotReclaim(i) => self.terminate_instance(i, capacity::Cause::Spot),
            Event::ProvisioningTimeout(t) => {
                self.stop_task(t, StopCode::TaskFailedToStart, Reason::ProvisioningTimeout)
            }
            Event::FargateSpotNotice(t) => self.fargate_spot_notice(t),
            Event::FargateSpotStop(t) => {
                self.note_fault_loss(t);
                self.stop_task(t, StopCode::TerminationNotice, Reason::FargateSpotInterrupted)
            }
            Event::Fault(f) => self.scheduled_fault(f as usize),
            Event::InstanceFault(f, i) => self.random_instance_fault(f as usize, i),
            Event::ZoneFault(f) => self.random_zone_fault(f as usize),
            Event::OutageEnd(o) => self.outage_end(o as usize),
            Event::AgentReconnect(i, n) => self.agent_reconnects(i, n),
            Event::AgentTimeout(i, n) => self.agent_timeout(i, n),
            Event::ServiceCheck(s) => self.services.mark_dirty(s),
            Event::ReplayBatch(k) => self.replay_batch(k),
            Event::MetricsTick => self.metrics_tick(),
            Event::ScheduledAction(id) => self.scheduled_action(id),
        }
    }

    /// After every event: services whose state changed reconcile, DAEMON services
    /// first (their tasks go before replica tasks), then in creation order.
    fn settle(&mut self) {
        while let Some(s) = self.services.next_dirty() {
            self.reconcile(s);
        }
    }

    /// Who asked for a task, as `service:web`, `workload:batch` or `timeline[3]`.
    fn origin_label(&self, origin: Origin) -> String {
        match origin {
            Origin::Service(s) => format!("service:{}", self.services.get(s).name),
            Origin::Workload(w) => format!("workload:{}", self.sc.workloads[w.0 as usize].name),
            Origin::Timeline(e) => format!("timeline[{}]", e.0),
        }
    }

    fn sample_until(&mut self, t: SimTime) {
        while self.metrics.next_sample() < t && self.metrics.next_sample() <= self.end {
            let at = self.metrics.next_sample();
            let cluster = self.fleet.cluster();
            let (rc, rm) = cluster.reserved_totals();
            let (gc, gm) = cluster.registered_totals();
            let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
            let (stranded_cpu, stranded_mem, biggest) = self.stranded();
            let lower_bound = if biggest.0 == 0 || biggest.1 == 0 {
                0
            } else {
                rc.div_ceil(biggest.0 as u64).max(rm.div_ceil(biggest.1 as u64)) as u32
            };
            let row = Sample {
                time: at,
                running_tasks: self.tasks.running(),
                pending_tasks: self.tasks.pending(),
                provisioning_tasks: self.capacity.provisioning_count(),
                instances: cluster.active_count(),
                reserved_pct: (pct(rc, gc), pct(rm, gm)),
                waiting_tasks: self.metrics.waiting_now(),
                busy_instances: cluster.busy_count(),
                stranded_pct: (pct(stranded_cpu, gc), pct(stranded_mem, gm)),
                instances_lower_bound: lower_bound,
                failures: self.metrics.take_interval_failures(),
                cost_usd: self.metrics.costs().total(at),
                providers: self.capacity.provider_samples(self.sc, at),
            };
            let services = self
                .services
                .iter()
                .map(|(s, svc)| service_sample(s, svc, at, self.appscaling.load(s)))
                .collect();
            self.metrics.sampled(row, services, self.sc.sample_interval);
        }
    }

    /// Free CPU and memory on ACTIVE instances where the typical task (median CPU,
    /// median memory of the tasks placed so far) no longer fits; and the largest
    /// registered CPU and memory of an ACTIVE instance.
    fn stranded(&self) -> (u64, u64, (u32, u32)) {
        let cluster = self.fleet.cluster();
        let typical = self.fleet.placer().shapes().typical();
        let (mut cpu, mut mem, mut biggest) = (0u64, 0u64, (0u32, 0u32));
        for id in cluster.ids() {
            if cluster.status(id) != InstanceStatus::Active {
                continue;
            }
            let (rc, rm) = cluster.registered(id);
            biggest = (biggest.0.max(rc), biggest.1.max(rm));
            let (c, m) = (cluster.cpu_left(id), cluster.mem_left(id));
            if typical.is_some_and(|(tc, tm)| c < tc || m < tm) {
                cpu += c as u64;
                mem += m as u64;
            }
        }
        (cpu, mem, biggest)
    }

    // ---- the end ----------------------------------------------------------

    /// Waits per service and per workload, keyed `service:<name>` and
    /// `workload:<name>` (services of one name in several clusters together).
    fn waits_by_origin(&self, waits: &tasks::Waits) -> Vec<(String, WaitStats)> {
        let mut keyed: Vec<(String, Vec<u64>)> = Vec::new();
        let mut add = |key: String, w: Option<&Vec<u64>>| {
            let w = w.map(Vec::as_slice).unwrap_or_default();
            match keyed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.extend_from_slice(w),
                None => keyed.push((key, w.to_vec())),
            }
        };
        for (id, svc) in self.services.iter() {
            add(format!("service:{}", svc.name), waits.services.get(id.idx()));
        }
        for (i, w) in self.sc.workloads.iter().enumerate() {
            add(format!("workload:{}", w.name), waits.workloads.get(i));
        }
        keyed.into_iter().map(|(k, v)| (k, WaitStats::from_millis(v))).collect()
    }

    fn finish(mut self, seed: u64) -> Outcome {
        for s in self.services.ids() {
            let svc = self.services.get(s);
            let (td, group, reason) = (svc.primary().config.taskdef, svc.group, svc.last_reason);
            let wanted: Vec<services::Want> = self.services.get_mut(s).wanted.drain(..).collect();
            for w in wanted {
                self.not_created(td, group, Origin::Service(s), w.at, Reason::WaitingForCapacity(reason));
            }
        }
        self.clients_give_up();
        self.stream_remaining_rows();
        let end = self.end;
        self.metrics.close_all(end);
        let by_key: Vec<(String, f64)> = self
            .metrics
            .costs()
            .accrued(end)
            .into_iter()
            .map(|(a, v)| (a.name(&self.sc.capacity).to_string(), v))
            .collect();
        let fault_stats = self.faults.summary(end);
        let tally = self.tasks.tally();
        let samples = self.metrics.samples();
        let n = samples.len().max(1) as f64;
        let shortfall = self
            .services
            .iter()
            .filter(|(_, s)| s.status == ServiceStatus::Active)
            .map(|(_, s)| s.desired.saturating_sub(s.totals().running) as u64)
            .sum();
        let integrals = self.metrics.integrals();
        let unusable = self.fleet.unusable();
        let summary = Summary {
            scenario: self.sc.name.clone(),
            seed,
            tasks_arrived: tally.created + tally.requests,
            tasks_placed: tally.created,
            placement_failures: self.metrics.failures().clone(),
            service_placement_failures: self.metrics.service_failures().clone(),
            tasks_waiting_at_end: tally.requests_waiting + tally.provisioning,
            tasks_failed_to_start: tally.failed_to_start,
            tasks_started: tally.waits.len() as u64,
            wait: WaitStats::from_millis(tally.waits.all()),
            wait_by: self.waits_by_origin(&tally.waits),
            instances_max: integrals.instances_max,
            reserved_mean_pct: integrals.reserved_pct(),
            cost_usd: by_key.iter().map(|(_, v)| v).sum(),
            cost_by_key: by_key,
            events: self.q.delivered(),
            tasks_rejected: tally.requests_rejected,
            instances_used_max: integrals.busy_max,
            instances_used_mean: integrals.busy_mean(self.sc.duration),
            stranded_mean_pct: (
                samples.iter().map(|s| s.stranded_pct.0).sum::<f64>() / n,
                samples.iter().map(|s| s.stranded_pct.1).sum::<f64>() / n,
            ),
            instances_lower_bound: (
                samples.iter().map(|s| s.instances_lower_bound).max().unwrap_or(0),
                samples.iter().map(|s| s.instances_lower_bound as f64).sum::<f64>() / n,
            ),
            service_shortfall_at_end: shortfall,
            deployments: self.services.stats,
            faults: fault_stats,
            instances_unusable: (
                unusable.iter().filter(|u| !u.registered).count() as u64,
                unusable.iter().filter(|u| u.registered).count() as u64,
            ),
            image_pull_mean_s: self.metrics.pull_mean_s(),
            scaling_activities: self.appscaling.activities(),
            overload_by: self
                .appscaling
                .overloads()
                .into_iter()
                .map(|(s, o)| (self.services.get(s).name.clone(), o))
                .collect(),
        };
        let mut group_names: Vec<String> = self.sc.instance_groups.iter().map(|g| g.name.clone()).collect();
        group_names.extend(self.sc.asgs.iter().map(|a| a.name.clone()));
        let instance_costs = self
            .fleet
            .cluster()
            .ids()
            .map(|id| {
                let m = self.metrics.instance_meter(id);
                let (from, until, hourly) = self.metrics.costs().span(m);
                let spec = &self.fleet.cluster().instance(id).spec;
                let asg = (spec.origin as usize).checked_sub(self.sc.instance_groups.len());
                let purchase_option = if spec.external {
                    "external"
                } else if asg.and_then(|a| self.sc.asgs.get(a)).is_some_and(|a| a.spot) {
                    "spot"
                } else {
                    "on-demand"
                };
                outcome::InstanceBill {
                    purchase_option,
                    from,
                    until: until.unwrap_or(end),
                    hourly,
                    cost: self.metrics.costs().so_far(m, end),
                }
            })
            .collect();
        let unusable = unusable.to_vec();
        let (timeseries, service_samples) = self.metrics.into_samples();
        let (tasks, requests, rows) = self.tasks.into_parts();
        let (registry, clusters) = self.control.into_parts();
        Outcome {
            summary,
            timeseries,
            service_samples,
            cluster: self.fleet.into_cluster(),
            registry,
            tasks,
            requests,
            rows,
            services: self.services.into_list(),
            clusters,
            group_names,
            provider_names: self.sc.capacity.providers.iter().map(|p| p.name.clone()).collect(),
            instance_costs,
            unusable,
            end,
        }
    }
}

/// One services.csv row.
fn service_sample(s: ServiceId, svc: &Service, at: SimTime, load: Option<metrics::ServiceLoad>) -> ServiceSample {
    let totals = svc.totals();
    ServiceSample {
        time: at,
        service: s,
        status: svc.status.as_str(),
        desired: svc.desired,
        running: totals.running,
        pending: totals.live - totals.running,
        waiting: svc.wanted.len() as u32,
        deployments: svc.current_deployments().count() as u32,
        primary: svc.primary,
        rollout_state: svc.primary().rollout.as_str(),
        load,
    }
}
