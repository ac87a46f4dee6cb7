//! The run loop: owns the cluster, tasks, services and capacity, applies placement
//! decisions, and emits records. Everything that decides lives in `placement`,
//! `capacity` and `ecs::deployment`; everything that mutates state lives here and in
//! the submodules (`scheduler` for services, `calls` for the API timeline, `faults`,
//! `images`, `capacity`); nothing here touches a file.

mod calls;
mod capacity;
mod events;
mod faults;
mod images;
pub mod metrics;
pub mod records;
mod scheduler;
pub mod service;
pub mod task;

use crate::capacity::cost::{Costs, Meter};
use crate::capacity::providers::{Associations, Capacity};
use crate::capacity::split;
use crate::ecs::api::RunTask;
use crate::ecs::cluster::{Cluster, GroupId, InstanceId, InstanceStatus, hex_id};
use crate::ecs::failure::Failure;
use crate::ecs::provider::Pool;
use crate::ecs::registry::{TaskDefId, TaskDefinitions};
use crate::ecs::task_definition::register;
use crate::engine::{EventQueue, RngStreams, SimDuration, SimTime, Slot, StreamRng};
use crate::error::Report;
use crate::placement::plan::{self, PlanId};
use crate::placement::{Decision, Placer};
use crate::scenario::Scenario;
use crate::scenario::schema::{ApiCall, Arrival, Retry};
use capacity::CapacityState;
use metrics::{Integrals, Summary, WaitStats, fixed};
use rand::RngExt;
use records::{Arns, Recorder};
use serde_json::{Value, json};
use service::Service;
use std::collections::{BTreeMap, BTreeSet};
use task::{Origin, Reason, StopCode, Task, TaskIdx, TaskStatus};

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
    /// Start failures (startFailureProbability).
    pub const START_FAILURE: u32 = 8;
    /// How long containers take to exit after SIGTERM.
    pub const STOP_LATENCY: u32 = 9;
    /// Creation to RUNNING on Fargate.
    pub const FARGATE_START: u32 = 10;
    /// An Auto Scaling group's scale-in victim choice (index: group).
    pub const ASG_SCALE_IN: u32 = 11;
    /// EC2 Spot interruptions (index: Auto Scaling group).
    pub const SPOT: u32 = 12;
    /// Fargate Spot interruptions.
    pub const FARGATE_SPOT: u32 = 13;
    /// Stream index offset for services.
    pub const SERVICE_INDEX: u32 = 0x8000_0000;
    /// Stream index offset for timeline entries.
    pub const TIMELINE_INDEX: u32 = 0x4000_0000;
}

/// The ECS task id of the task created `seq`-th (from 0) in a run.
pub fn task_id(seq: u32) -> String {
    hex_id(0x7A, seq as u64)
}

/// The closed set of events a run schedules.
#[derive(Copy, Clone, Debug)]
enum Event {
    /// A workload calls RunTask.
    Arrival(u32),
    /// A client retries a RunTask (index into the pending retries).
    Retry(u32),
    /// A task reaches RUNNING (cancellable on the task's slot).
    Running(TaskIdx),
    /// A service task counts as healthy (cancellable on the task's slot).
    Healthy(TaskIdx),
    /// A task's essential container exits (cancellable on the task's slot).
    Exit(TaskIdx),
    /// A STOPPING task's containers have exited (cancellable on the task's slot).
    Stopped(TaskIdx),
    /// A timeline call (index into the sorted timeline).
    Timeline(u32),
    /// Managed scaling and Auto Scaling groups act, every minute.
    ScalingTick,
    /// An EC2 instance launched by an Auto Scaling group registers (index into launches).
    Launched(u32),
    /// A Spot interruption notice for an instance.
    SpotNotice(InstanceId),
    /// A Spot instance is reclaimed, two minutes after its notice.
    SpotReclaim(InstanceId),
    /// A PROVISIONING task's timeout (cancellable on the task's slot).
    ProvisioningTimeout(TaskIdx),
    /// A Fargate Spot task's two-minute warning (cancellable on the task's slot).
    FargateSpotNotice(TaskIdx),
    /// A Fargate Spot task stops after its warning (cancellable on the task's slot).
    FargateSpotStop(TaskIdx),
    /// A scheduled fault (index into the scenario's faults).
    Fault(u32),
    /// A random per-instance fault (fault index, instance).
    InstanceFault(u32, InstanceId),
    /// The next random zone outage of a fault.
    ZoneFault(u32),
    /// A zone outage ends (index into the run's outages).
    OutageEnd(u32),
    /// A disconnected agent reconnects (instance, disconnection number).
    AgentReconnect(InstanceId, u32),
    /// A disconnected agent's tasks count as lost (instance, disconnection number).
    AgentTimeout(InstanceId, u32),
    /// A throttled service may launch again.
    ServiceCheck(u32),
    /// What one engine event of a replayed log did (index into its batches).
    ReplayBatch(u32),
}

/// Per capacity provider, what the timeseries shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSample {
    /// The provider's name.
    pub name: String,
    /// Its Auto Scaling group's name, if any.
    pub asg: Option<String>,
    /// The last CapacityProviderReservation (Auto Scaling group providers).
    pub reservation: Option<f64>,
    /// The group's desired capacity.
    pub desired: Option<u32>,
    /// Registered instances (Auto Scaling group providers) or running tasks (Fargate).
    pub running: u32,
    /// Instances still launching or within their warm-up.
    pub warming: u32,
    /// Tasks PROVISIONING on the provider.
    pub provisioning: u32,
}

/// One timeseries.csv row: the state at the end of instant `time`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample time.
    pub time: SimTime,
    /// RUNNING tasks.
    pub running_tasks: u32,
    /// PENDING tasks.
    pub pending_tasks: u32,
    /// PROVISIONING tasks.
    pub provisioning_tasks: u32,
    /// Registered (ACTIVE) instances.
    pub instances: u32,
    /// Reserved CPU and memory, % of registered.
    pub reserved_pct: (f64, f64),
    /// Task requests wanted but not placed (service shortfall, RunTask retries pending).
    pub waiting_tasks: u32,
    /// Instances running at least one task.
    pub busy_instances: u32,
    /// Free CPU and memory on instances where the typical task no longer fits, % of registered.
    pub stranded_pct: (f64, f64),
    /// Instances a perfect packer would need at least, from total reservations.
    pub instances_lower_bound: u32,
    /// RunTask failures since the previous sample, by reason.
    pub failures: metrics::Failures,
    /// Cost accrued so far, USD.
    pub cost_usd: f64,
    /// Per capacity provider.
    pub providers: Vec<ProviderSample>,
}

impl Sample {
    /// The columns of timeseries.csv, in order.
    pub fn cells(&self) -> Vec<(String, String)> {
        use metrics::cell;
        let mut c = vec![
            cell("time", self.time.secs_string()),
            cell("runningTasks", self.running_tasks),
            cell("pendingTasks", self.pending_tasks),
            cell("provisioningTasks", self.provisioning_tasks),
            cell("instances", self.instances),
            cell("cpuReservedPct", fixed(self.reserved_pct.0, 2)),
            cell("memReservedPct", fixed(self.reserved_pct.1, 2)),
            cell("waitingTasks", self.waiting_tasks),
            cell("busyInstances", self.busy_instances),
            cell("strandedCpuPct", fixed(self.stranded_pct.0, 2)),
            cell("strandedMemPct", fixed(self.stranded_pct.1, 2)),
            cell("instancesLowerBound", self.instances_lower_bound),
            cell("costUsd", fixed(self.cost_usd, 4)),
        ];
        c.extend(self.failures.cells("placementFailures"));
        for p in &self.providers {
            if let Some(asg) = &p.asg {
                let r = p.reservation.map(|r| fixed(r, 2)).unwrap_or_default();
                c.push(cell(&format!("capacityProviderReservation[{}]", p.name), r));
                c.push(cell(&format!("desiredCapacity[{asg}]"), p.desired.unwrap_or(0)));
            }
            c.push(cell(&format!("runningInstances[{}]", p.name), p.running));
            c.push(cell(&format!("warmingInstances[{}]", p.name), p.warming));
            c.push(cell(&format!("provisioningTasks[{}]", p.name), p.provisioning));
        }
        c
    }
}

/// Header of services.csv (also written when there is no service).
pub const SERVICE_HEADER: [&str; 12] = [
    "time",
    "serviceName",
    "cluster",
    "status",
    "desiredCount",
    "runningCount",
    "pendingCount",
    "waitingCount",
    "deployments",
    "primaryDeployment",
    "taskDefinition",
    "rolloutState",
];

/// One services.csv row: a service's state at the end of instant `time`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSample {
    /// The sample time.
    pub time: SimTime,
    /// The service (index into the outcome's services).
    pub service: u32,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: &'static str,
    /// `desiredCount`.
    pub desired: u32,
    /// RUNNING tasks.
    pub running: u32,
    /// PENDING and PROVISIONING tasks.
    pub pending: u32,
    /// Tasks wanted but not yet placed.
    pub waiting: u32,
    /// Deployments not yet INACTIVE.
    pub deployments: u32,
    /// The PRIMARY deployment (index into the service's deployments).
    pub primary: u32,
    /// Its `rolloutState`.
    pub rollout_state: &'static str,
}

impl ServiceSample {
    /// The columns of services.csv, in order (names from the run's outcome).
    pub fn cells(&self, o: &Outcome) -> Vec<(String, String)> {
        let svc = &o.services[self.service as usize];
        let d = &svc.deployments[self.primary as usize];
        let values: [String; SERVICE_HEADER.len()] = [
            self.time.secs_string(),
            svc.name.clone(),
            o.arns.cluster_name(svc.cluster).to_string(),
            self.status.to_string(),
            self.desired.to_string(),
            self.running.to_string(),
            self.pending.to_string(),
            self.waiting.to_string(),
            self.deployments.to_string(),
            d.id.clone(),
            o.registry.get(d.config.taskdef).name(),
            self.rollout_state.to_string(),
        ];
        SERVICE_HEADER.iter().map(|n| n.to_string()).zip(values).collect()
    }
}

/// An instance that never became usable, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Unusable {
    /// Its EC2 instance id.
    pub ec2_instance_id: String,
    /// Registered, but the agent never connected (else: never registered).
    pub registered: bool,
    /// Why.
    pub reason: String,
}

/// Everything a run leaves behind, for the output writers.
pub struct Outcome {
    /// The summary row.
    pub summary: Summary,
    /// timeseries.csv rows.
    pub timeseries: Vec<Sample>,
    /// services.csv rows.
    pub service_samples: Vec<ServiceSample>,
    /// The cluster at the end.
    pub cluster: Cluster,
    /// Task definitions at the end.
    pub registry: TaskDefinitions,
    /// Every task and task request, in arrival-record order.
    pub tasks: Vec<Task>,
    /// Services at the end.
    pub services: Vec<Service>,
    /// ARN and time formatting, and the run's cluster names.
    pub arns: Arns,
    /// Instance group (then Auto Scaling group) names, by instance origin index.
    pub group_names: Vec<String>,
    /// Capacity provider names, by provider id.
    pub provider_names: Vec<String>,
    /// Per instance: launch time and what it cost.
    pub instance_costs: Vec<(SimTime, f64)>,
    /// Instances that never became usable.
    pub unusable: Vec<Unusable>,
    /// The end of the run.
    pub end: SimTime,
}

impl Outcome {
    /// The ECS task id of a created task.
    pub fn task_id(&self, t: &Task) -> Option<String> {
        t.seq.map(task_id)
    }

    /// The capacity provider a task ran on, if any.
    pub fn provider_name(&self, pool: Pool) -> &str {
        match pool {
            Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } => &self.provider_names[p.0 as usize],
            _ => "",
        }
    }
}

/// `startedBy` of a task: its service deployment, or the RunTask's `startedBy`.
pub fn started_by(
    services: &[Service],
    workloads: &[crate::scenario::schema::Workload],
    timeline: &[crate::scenario::schema::TimelineEntry],
    t: &Task,
) -> String {
    match t.origin {
        Origin::Service(s) => services[s as usize].deployments[t.deployment as usize].id.clone(),
        Origin::Workload(w) => workloads[w as usize].run_task.started_by.clone().unwrap_or_default(),
        Origin::Timeline(e) => match &timeline[e as usize].request {
            ApiCall::RunTask(rt) => rt.started_by.clone().unwrap_or_default(),
            _ => String::new(),
        },
    }
}

/// A RunTask waiting for its client-side retry.
struct PendingRun {
    origin: Origin,
    request: RunTask,
    count: u32,
    attempt: u32,
    arrived_at: SimTime,
    last_reason: Failure,
    done: bool,
}

/// Where one task went.
enum Placement {
    /// Created on capacity (an instance, or Fargate).
    Placed(TaskIdx),
    /// Created PROVISIONING, waiting for managed scaling.
    Provisioning(TaskIdx),
    /// Not created: ECS's reason and the closest instance.
    Failed(Failure, Option<InstanceId>),
}

/// What one task needs to be launched.
struct Launch {
    td: TaskDefId,
    group: GroupId,
    origin: Origin,
    arrived_at: SimTime,
    /// The subnets' zones (Fargate and awsvpc), if the request names subnets.
    zones: Vec<crate::ecs::intern::Sym>,
    /// Its cluster.
    cluster: u32,
    /// A service task's deployment.
    deployment: u32,
    /// It replaces a task a fault stopped.
    after_fault: bool,
}

/// What the run knows of each registered instance beyond the cluster's model.
#[derive(Clone, Debug, Default)]
struct InstanceRuntime {
    /// Images on the instance: when each became (or becomes) available.
    images: BTreeMap<crate::ecs::intern::Sym, SimTime>,
    /// Disconnections so far (stale reconnects and timeouts are ignored).
    disconnections: u32,
    /// The agent can never connect (no ecs:Poll).
    never_connects: bool,
}

struct Sim<'a> {
    sc: &'a Scenario,
    script: Option<&'a crate::replay::Script>,
    rec: &'a mut dyn Recorder,
    q: EventQueue<Event>,
    end: SimTime,
    streams: RngStreams,
    cluster: Cluster,
    placer: Placer,
    registry: TaskDefinitions,
    tasks: Vec<Task>,
    instance_tasks: Vec<Vec<TaskIdx>>,
    runtime: Vec<InstanceRuntime>,
    images: crate::ecs::intern::Interner,
    services: Vec<Service>,
    service_by_name: BTreeMap<(u32, String), usize>,
    waiting_services: BTreeSet<usize>,
    dirty: BTreeSet<(bool, usize)>,
    pending: Vec<PendingRun>,
    plans: BTreeMap<(Origin, u32, TaskDefId, Pool), PlanId>,
    arrival_rngs: Vec<StreamRng>,
    duration_rngs: BTreeMap<u32, StreamRng>,
    start_rng: StreamRng,
    fargate_start_rng: StreamRng,
    scale_in_rngs: BTreeMap<u32, StreamRng>,
    start_failure_rng: StreamRng,
    stop_rng: StreamRng,
    arns: Arns,
    caps: CapacityState,
    associations: Vec<Associations>,
    costs: Costs,
    instance_meters: Vec<Meter>,
    created: u32,
    running: u32,
    pending_count: u32,
    waiting_count: u32,
    failures: metrics::Failures,
    interval_failures: metrics::Failures,
    event_ids: u64,
    integrals: Integrals,
    samples: Vec<Sample>,
    service_samples: Vec<ServiceSample>,
    next_sample: SimTime,
    tokens: BTreeMap<String, (String, Value)>,
    faults: faults::FaultState,
    unusable: Vec<Unusable>,
    deployments: (u64, u64, u64),
    pulls: (u64, u64),
    replay_seq: BTreeMap<String, u32>,
    replay_retries: BTreeMap<String, u32>,
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
        rec,
        q: EventQueue::new(),
        end: SimTime::ZERO + sc.duration,
        streams,
        cluster: Cluster::new(crate::ecs::api::DEFAULT_CLUSTER),
        placer: Placer::new(sc.tie_break, streams.stream(concern::PLACEMENT, 0)),
        registry: TaskDefinitions::default(),
        tasks: Vec::new(),
        instance_tasks: Vec::new(),
        runtime: Vec::new(),
        images: crate::ecs::intern::Interner::default(),
        services: Vec::new(),
        service_by_name: BTreeMap::new(),
        waiting_services: BTreeSet::new(),
        dirty: BTreeSet::new(),
        pending: Vec::new(),
        plans: BTreeMap::new(),
        arrival_rngs: (0..sc.workloads.len() as u32)
            .map(|w| streams.stream(concern::ARRIVALS, w))
            .collect(),
        duration_rngs: BTreeMap::new(),
        start_rng: streams.stream(concern::START_LATENCY, 0),
        fargate_start_rng: streams.stream(concern::FARGATE_START, 0),
        scale_in_rngs: BTreeMap::new(),
        start_failure_rng: streams.stream(concern::START_FAILURE, 0),
        stop_rng: streams.stream(concern::STOP_LATENCY, 0),
        arns: Arns {
            clusters: Vec::new(),
            start_unix_ms: sc.start_unix_ms,
        },
        caps: CapacityState::new(sc, streams),
        associations: Vec::new(),
        costs: Costs::default(),
        instance_meters: Vec::new(),
        created: 0,
        running: 0,
        pending_count: 0,
        waiting_count: 0,
        failures: metrics::Failures::default(),
        interval_failures: metrics::Failures::default(),
        event_ids: 0,
        integrals: Integrals::default(),
        samples: Vec::new(),
        service_samples: Vec::new(),
        next_sample: SimTime::ZERO,
        tokens: BTreeMap::new(),
        faults: faults::FaultState::new(sc, streams),
        unusable: Vec::new(),
        deployments: (0, 0, 0),
        pulls: (0, 0),
        replay_seq: BTreeMap::new(),
        replay_retries: BTreeMap::new(),
    };
    sim.start();
    sim.settle();
    while let Some((t, ev)) = sim.q.pop_until(sim.end) {
        sim.sample_until(t);
        sim.integrals.advance(t, &sim.cluster, sim.cluster.active_count());
        sim.handle(ev);
        sim.settle();
    }
    sim.sample_until(sim.end + SimDuration(1));
    sim.integrals.advance(sim.end, &sim.cluster, sim.cluster.active_count());
    sim.finish(seed)
}

impl Sim<'_> {
    fn now(&self) -> SimTime {
        self.q.now()
    }

    fn next_event_id(&mut self) -> String {
        self.event_ids += 1;
        hex_id(0xE7, self.event_ids)
    }

    /// Sends a record to the recorder, stamped with the engine event that produced it
    /// (0: the run's start), so a replay can group what happened together.
    fn record(&mut self, mut v: Value) {
        v["ecsimEvent"] = json!(self.q.delivered());
        self.rec.event(&v);
    }

    fn start(&mut self) {
        let sc = self.sc;
        for key in self.caps.cost_keys(sc) {
            self.costs.declare(&key);
        }
        for name in &sc.clusters {
            self.add_cluster(name, None);
        }
        for (gi, g) in sc.instance_groups.iter().enumerate() {
            let hourly = if g.external {
                sc.prices.external_hour
            } else {
                sc.prices
                    .ec2_hour(&g.template.instance_type, g.template.on_demand_hour, false)
            };
            for n in 0..g.count as usize {
                let az = g.availability_zones[n % g.availability_zones.len()].clone();
                let mut spec = capacity::instance_spec(sc, &g.template, &g.ec2_instance_ids[n], &az, gi as u32, hourly);
                spec.registered_at_unix_ms = g.registered_at_unix_ms;
                spec.external = g.external;
                let key = if g.external { "EXTERNAL" } else { "EC2" };
                let minimum = if g.external {
                    0.0
                } else {
                    crate::capacity::prices::MINIMUM_SECONDS
                };
                let agent = calls::AgentSetup {
                    iam_actions: &g.template.iam_actions,
                    user_data: &g.template.user_data,
                };
                self.agent_registers(spec, agent, key, minimum, SimTime::ZERO);
            }
        }
        self.start_capacity();
        for td in &sc.task_definitions {
            self.register_task_definition(td);
        }
        for s in &sc.services {
            self.create_service(s);
        }
        for (w, wl) in sc.workloads.iter().enumerate() {
            let first = match &wl.arrival {
                Arrival::Poisson { .. } => self.poisson_gap(w),
                Arrival::Fixed { .. } => SimDuration::ZERO,
            };
            self.schedule(SimTime::ZERO + first, Event::Arrival(w as u32));
        }
        if self.script.is_some() {
            self.schedule_replay();
        } else {
            for (i, e) in sc.timeline.iter().enumerate() {
                self.schedule(SimTime::ZERO + e.at.0, Event::Timeline(i as u32));
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
            self.q.schedule_on(at, Slot(t.0), ev);
        }
    }

    fn poisson_gap(&mut self, w: usize) -> SimDuration {
        let Arrival::Poisson { rate_per_minute } = self.sc.workloads[w].arrival else {
            unreachable!("poisson_gap on a fixed arrival")
        };
        crate::engine::exponential_gap(&mut self.arrival_rngs[w], 60_000.0 / rate_per_minute)
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival(w) => {
                let wl = &self.sc.workloads[w as usize];
                let gap = match &wl.arrival {
                    Arrival::Poisson { .. } => self.poisson_gap(w as usize),
                    Arrival::Fixed { interval } => interval.0,
                };
                let now = self.now();
                self.schedule(now + gap, Event::Arrival(w));
                let request = wl.run_task.clone();
                let count = request.count.unwrap_or(1) as u32;
                self.run_task(Origin::Workload(w), request, count, 0, now);
            }
            Event::Retry(p) => {
                let p = p as usize;
                self.pending[p].done = true;
                self.waiting_count -= self.pending[p].count;
                let (origin, request, count, attempt, arrived) = {
                    let pr = &self.pending[p];
                    (pr.origin, pr.request.clone(), pr.count, pr.attempt, pr.arrived_at)
                };
                self.run_task(origin, request, count, attempt, arrived);
            }
            Event::Running(t) => self.task_running(t),
            Event::Healthy(t) => self.task_healthy(t),
            Event::Exit(t) => self.stop_task(t, StopCode::EssentialContainerExited, Reason::Exited),
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
            Event::ServiceCheck(s) => self.mark_dirty(s as usize),
            Event::ReplayBatch(k) => self.replay_batch(k),
        }
    }

    /// After every event: services whose state changed reconcile, DAEMON services
    /// first (their tasks go before replica tasks), then in creation order.
    fn settle(&mut self) {
        while let Some((_, s)) = self.dirty.pop_first() {
            self.reconcile(s);
        }
    }

    /// Marks a service for reconciliation after the current event.
    fn mark_dirty(&mut self, s: usize) {
        let replica = !self.services[s].daemon;
        self.dirty.insert((replica, s));
    }

    fn sample_until(&mut self, t: SimTime) {
        while self.next_sample < t && self.next_sample <= self.end {
            let (rc, rm) = self.cluster.reserved_totals();
            let (gc, gm) = self.cluster.registered_totals();
            let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
            let (stranded_cpu, stranded_mem, biggest) = self.stranded();
            let lower_bound = if biggest.0 == 0 || biggest.1 == 0 {
                0
            } else {
                rc.div_ceil(biggest.0 as u64).max(rm.div_ceil(biggest.1 as u64)) as u32
            };
            let at = self.next_sample;
            let providers = self.provider_samples(at);
            self.samples.push(Sample {
                time: at,
                running_tasks: self.running,
                pending_tasks: self.pending_count,
                provisioning_tasks: self.caps.provisioning_count(),
                instances: self.cluster.active_count(),
                reserved_pct: (pct(rc, gc), pct(rm, gm)),
                waiting_tasks: self.waiting_count,
                busy_instances: self.cluster.busy_count(),
                stranded_pct: (pct(stranded_cpu, gc), pct(stranded_mem, gm)),
                instances_lower_bound: lower_bound,
                failures: std::mem::take(&mut self.interval_failures),
                cost_usd: self.costs.total(at),
                providers,
            });
            for s in 0..self.services.len() {
                let sample = self.service_sample(s, at);
                self.service_samples.push(sample);
            }
            self.next_sample += self.sc.sample_interval;
        }
    }

    fn service_sample(&self, s: usize, at: SimTime) -> ServiceSample {
        let svc = &self.services[s];
        let totals = svc.totals();
        ServiceSample {
            time: at,
            service: s as u32,
            status: svc.status.as_str(),
            desired: svc.desired,
            running: totals.running,
            pending: totals.live - totals.running,
            waiting: svc.wanted.len() as u32,
            deployments: svc.current_deployments().count() as u32,

            primary: svc.primary as u32,
            rollout_state: svc.primary().rollout.as_str(),
        }
    }

    /// Free CPU and memory on ACTIVE instances where the typical task (median CPU,
    /// median memory of the tasks placed so far) no longer fits; and the largest
    /// registered CPU and memory of an ACTIVE instance.
    fn stranded(&self) -> (u64, u64, (u32, u32)) {
        let typical = self.placer.shapes().typical();
        let (mut cpu, mut mem, mut biggest) = (0u64, 0u64, (0u32, 0u32));
        for id in self.cluster.ids() {
            if self.cluster.status(id) != InstanceStatus::Active {
                continue;
            }
            let (rc, rm) = self.cluster.registered(id);
            biggest = (biggest.0.max(rc), biggest.1.max(rm));
            let (c, m) = (self.cluster.cpu_left(id), self.cluster.mem_left(id));
            if typical.is_some_and(|(tc, tm)| c < tc || m < tm) {
                cpu += c as u64;
                mem += m as u64;
            }
        }
        (cpu, mem, biggest)
    }

    fn duration_rng(&mut self, index: u32) -> &mut StreamRng {
        let streams = self.streams;
        self.duration_rngs
            .entry(index)
            .or_insert_with(|| streams.stream(concern::DURATIONS, index))
    }

    // ---- task definitions -------------------------------------------------

    fn register_task_definition(&mut self, body: &crate::ecs::task_definition::RegisterTaskDefinition) {
        let mut report = Report::new(&self.sc.file);
        let revision = self.registry.next_revision(&body.family);
        let td = register(body, revision, "RegisterTaskDefinition", &mut report)
            .expect("task definitions are checked when the scenario is loaded");
        let name = td.name();
        self.registry.add(td);
        if self.rec.wants_events() {
            let v = self.arns.api_call(
                self.now(),
                "RegisterTaskDefinition",
                serde_json::to_value(body).unwrap_or_default(),
                json!({"taskDefinition": {"taskDefinitionArn": self.arns.task_definition(&name), "family": body.family, "revision": revision, "status": "ACTIVE"}}),
                None,
            );
            self.record(v);
        }
    }

    /// The plan of `origin`'s requests (`variant`: a service's deployment) for `td` on
    /// `pool` in cluster `cluster`.
    #[allow(clippy::too_many_arguments)]
    fn plan_for(
        &mut self,
        origin: Origin,
        variant: u32,
        td: TaskDefId,
        pool: Pool,
        cluster: u32,
        constraints: &[crate::ecs::strategy::PlacementConstraint],
        strategies: Option<&[crate::ecs::strategy::PlacementStrategy]>,
    ) -> PlanId {
        if let Some(&p) = self.plans.get(&(origin, variant, td, pool)) {
            return p;
        }
        let default = match origin {
            Origin::Service(_) => plan::service_default(),
            _ => plan::run_task_default(),
        };
        let chain = crate::placement::plan::Chain::compile(
            &self.registry.get(td).constraints,
            constraints,
            strategies.unwrap_or(&default),
        )
        .expect("placement is checked when the scenario is loaded");
        let scope = crate::ecs::provider::Scope {
            pool,
            cluster: crate::ecs::cluster::ClusterId(cluster),
        };
        let p = self.placer.plan(&self.cluster, &chain, scope);
        self.plans.insert((origin, variant, td, pool), p);
        p
    }

    /// The capacity a request's launch type or strategy resolves to in `cluster`.
    fn capacity_of(
        &self,
        cluster: u32,
        launch_type: Option<crate::ecs::api::LaunchType>,
        strategy: Option<&[crate::ecs::provider::StrategyItem]>,
    ) -> Capacity {
        self.sc
            .capacity
            .resolve(&self.associations[cluster as usize], launch_type, strategy)
            .expect("capacity is checked when the scenario is loaded")
    }

    /// The pool of the next task of `group` under `capacity`: the launch type's, or the
    /// strategy item the base/weight split names given the group's live tasks.
    fn next_pool(&self, capacity: &Capacity, group: GroupId) -> Option<Pool> {
        match capacity {
            Capacity::Pool(p) => Some(*p),
            Capacity::Strategy(items) => {
                let providers: Vec<_> = items.iter().map(|(p, _)| *p).collect();
                let held = self.caps.held(group, &providers);
                let its: Vec<split::Item> = items.iter().map(|(_, i)| *i).collect();
                split::next(&its, &held).map(|i| self.sc.capacity.pool_of(items[i].0))
            }
        }
    }

    fn zones_of(&mut self, network: Option<&crate::ecs::api::NetworkConfiguration>) -> Vec<crate::ecs::intern::Sym> {
        let names = network
            .map_or(Ok(vec![]), |n| self.sc.capacity.zones(n.subnets()))
            .expect("subnets are checked");
        names.iter().map(|z| self.cluster.symbols.intern(z)).collect()
    }

    // ---- one task ---------------------------------------------------------

    /// Places one task on `pool`: on Fargate, on an instance, PROVISIONING, or not at all.
    fn launch(&mut self, l: &Launch, pool: Pool, plan: impl FnOnce(&mut Self) -> PlanId) -> Placement {
        if pool.is_fargate() {
            return match self.create_fargate_task(l, pool) {
                Some(t) => Placement::Placed(t),
                None => Placement::Failed(Failure::NoInstances, None),
            };
        }
        let plan = plan(self);
        let managed = matches!(pool, Pool::Provider(p) if self.caps.managed(self.sc, p));
        match self.decide(plan, l.td, l.group, l.origin, !managed) {
            Decision::Placed(inst) => Placement::Placed(self.create_task(l, pool, Some(inst))),
            Decision::Unplaced { reason, closest } => match pool {
                Pool::Provider(p) if self.caps.managed(self.sc, p) => {
                    if self.caps.provisioning_count() >= self.sc.provisioning_limit {
                        return Placement::Failed(Failure::ProvisioningLimit, None);
                    }
                    let t = self.create_task(l, pool, None);
                    self.caps.provisioning[p.0 as usize].push_back(t);
                    let at = self.now() + self.sc.provisioning_timeout;
                    self.schedule_on(at, t, Event::ProvisioningTimeout(t));
                    Placement::Provisioning(t)
                }
                _ => Placement::Failed(reason, closest),
            },
        }
    }

    // ---- RunTask ----------------------------------------------------------

    /// A RunTask call: `count` tasks, `attempt` (0: the first call) of a request that
    /// arrived at `arrived_at`. Returns the response's tasks and failures.
    fn run_task(&mut self, origin: Origin, request: RunTask, count: u32, attempt: u32, arrived_at: SimTime) {
        let now = self.now();
        let cluster = self.cluster_index(request.cluster.as_deref());
        let td = match (cluster, self.registry.resolve(&request.task_definition)) {
            (Some(c), Ok(td)) => (c, td),
            (None, _) | (_, Err(_)) => {
                let (code, m) = match cluster {
                    None => ("ClusterNotFoundException", "Cluster not found.".to_string()),
                    Some(_) => (
                        "ClientException",
                        self.registry
                            .resolve(&request.task_definition)
                            .err()
                            .unwrap_or_default(),
                    ),
                };
                if self.rec.wants_events() {
                    let v = self.arns.api_call(
                        now,
                        "RunTask",
                        serde_json::to_value(&request).unwrap_or_default(),
                        Value::Null,
                        Some((code, m)),
                    );
                    self.record(v);
                }
                return;
            }
        };
        let (cluster, td) = td;
        let family = self.registry.get(td).family.clone();
        let group = self
            .cluster
            .group(&request.group.clone().unwrap_or_else(|| format!("family:{family}")));
        let duration = match origin {
            Origin::Workload(w) if self.script.is_none() => {
                Some((self.sc.workloads[w as usize].task_duration.clone(), w))
            }
            Origin::Timeline(e) => self.sc.timeline[e as usize]
                .task_duration
                .clone()
                .map(|d| (d, concern::TIMELINE_INDEX + e)),
            _ => None,
        };
        let capacity = self.capacity_of(
            cluster,
            request.launch_type,
            request.capacity_provider_strategy.as_deref(),
        );
        let zones = self.zones_of(request.network_configuration.as_ref());
        let mut placed = Vec::new();
        let mut failures: Vec<(Failure, Option<InstanceId>)> = Vec::new();
        let strategies = request.placement_strategy.as_deref();
        let constraints = &request.placement_constraints;
        for _ in 0..count {
            let Some(pool) = self.next_pool(&capacity, group) else {
                break;
            };
            let l = Launch {
                td,
                group,
                origin,
                arrived_at,
                zones: zones.clone(),
                cluster,
                deployment: 0,
                after_fault: false,
            };
            match self.launch(&l, pool, |s| {
                s.plan_for(origin, 0, td, pool, cluster, constraints, strategies)
            }) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    self.tasks[t.0 as usize].run_for =
                        duration.as_ref().map(|(d, idx)| d.sample(self.duration_rng(*idx)));
                    placed.push(t);
                }
                Placement::Failed(reason, closest) => failures.push((reason, closest)),
            }
        }
        for (reason, _) in &failures {
            self.failures.add(*reason);
            self.interval_failures.add(*reason);
        }
        let retry: Option<&Retry> = match origin {
            Origin::Workload(w) => self.sc.workloads[w as usize].retry.as_ref(),
            _ => None,
        };
        let client = self.replay_client(origin);
        let retries = match (&client, retry) {
            (Some(c), _) => c.retries,
            (None, Some(r)) => attempt < r.attempts,
            (None, None) => false,
        };
        let response = if self.rec.wants_events() || request.client_token.is_some() {
            let tasks: Vec<Value> = placed.iter().map(|&t| self.task_summary(t)).collect();
            let fails: Vec<Value> = failures
                .iter()
                .map(|(reason, closest)| {
                    let arn = closest.map(|i| self.container_instance_arn(i));
                    json!({"arn": arn, "reason": reason.as_str()})
                })
                .collect();
            json!({"tasks": tasks, "failures": fails})
        } else {
            Value::Null
        };
        if let Some(token) = &request.client_token {
            let text = Self::token_text(&request);
            self.tokens.insert(format!("RunTask:{token}"), (text, response.clone()));
        }
        if self.rec.wants_events() {
            let mut req = serde_json::to_value(&request).unwrap_or_default();
            req["count"] = json!(count);
            let mut v = self.arns.api_call(now, "RunTask", req, response, None);
            v["userAgent"] = json!(self.origin_label(origin));
            v["ecsimClient"] = json!({
                "attempt": attempt,
                "arrivedAt": arrived_at.secs_string(),
                "request": self.client_request_id(origin, arrived_at),
                "retries": retries && !failures.is_empty(),
            });
            self.record(v);
        }
        if let Some(&(reason, _)) = failures.last() {
            if retries {
                let n = failures.len() as u32;
                self.pending.push(PendingRun {
                    origin,
                    request,
                    count: n,
                    attempt: attempt + 1,
                    arrived_at,
                    last_reason: reason,
                    done: false,
                });
                self.waiting_count += n;
                let idx = self.pending.len() as u32 - 1;
                match (client, retry) {
                    (Some(c), _) => self.replay_pending(c.request, idx),
                    (None, Some(r)) => {
                        let wait = r.backoff.0.millis() as f64 * r.multiplier.unwrap_or(1.0).powi(attempt as i32);
                        let at = now + SimDuration(wait.round() as u64);
                        self.schedule(at, Event::Retry(idx));
                    }
                    (None, None) => {}
                }
            } else {
                for _ in 0..failures.len() {
                    self.not_created(td, group, origin, arrived_at, Reason::Rejected(reason));
                }
            }
        }
    }

    fn not_created(&mut self, td: TaskDefId, group: GroupId, origin: Origin, arrived_at: SimTime, reason: Reason) {
        self.tasks.push(Task {
            seq: None,
            taskdef: td,
            group,
            origin,
            instance: None,
            arrived_at,
            created_at: None,
            started_at: None,
            stopped_at: None,
            status: TaskStatus::NotCreated,
            stop_code: None,
            reason: Some(reason),
            run_for: None,
            pool: Pool::Ec2,
            zone: None,
            meter: None,
            version: 0,
            cluster: 0,
            deployment: 0,
            healthy: false,
            stopping_at: None,
            after_fault: false,
        });
    }

    // ---- task lifecycle ---------------------------------------------------

    /// Records a new task (the next creation sequence number) and counts it live.
    fn push_task(
        &mut self,
        l: &Launch,
        pool: Pool,
        status: TaskStatus,
        zone: Option<crate::ecs::intern::Sym>,
        meter: Option<Meter>,
    ) -> TaskIdx {
        let idx = TaskIdx(self.tasks.len() as u32);
        self.tasks.push(Task {
            seq: Some(self.created),
            taskdef: l.td,
            group: l.group,
            origin: l.origin,
            instance: None,
            arrived_at: l.arrived_at,
            created_at: Some(self.now()),
            started_at: None,
            stopped_at: None,
            status,
            stop_code: None,
            reason: None,
            run_for: None,
            pool,
            zone,
            meter,
            version: 1,
            cluster: l.cluster,
            deployment: l.deployment,
            healthy: false,
            stopping_at: None,
            after_fault: l.after_fault,
        });
        if self.script.is_some() {
            self.replay_seq.insert(task_id(self.created), idx.0);
        }
        self.created += 1;
        self.caps.count_live(l.group, pool, 1);
        if let Origin::Service(s) = l.origin {
            let svc = &mut self.services[s as usize];
            svc.live.insert(idx);
            svc.deployments[l.deployment as usize].counts.live += 1;
        }
        idx
    }

    /// Creates a task on `pool`: PENDING on `inst`, or PROVISIONING without one.
    fn create_task(&mut self, l: &Launch, pool: Pool, inst: Option<InstanceId>) -> TaskIdx {
        let idx = self.push_task(l, pool, TaskStatus::Provisioning, None, None);
        match inst {
            Some(i) => self.start_on(idx, i),
            None => self.task_event(idx),
        }
        idx
    }

    /// Puts a created (or PROVISIONING) task on instance `inst`: PENDING, then RUNNING
    /// after the agent's start latency and the image pulls.
    fn start_on(&mut self, t: TaskIdx, inst: InstanceId) {
        let now = self.now();
        let task = &mut self.tasks[t.0 as usize];
        let (td, group) = (task.taskdef, task.group);
        // A PROVISIONING task's timeout dies with the old slot generation.
        self.q.cancel(Slot(t.0));
        task.instance = Some(inst);
        task.status = TaskStatus::Pending;
        task.version += 1;
        let res = &self.registry.get(td).reservation;
        self.cluster.allocate(inst, res, group);
        self.placer.placed(&self.cluster, inst, group);
        self.instance_tasks[inst.idx()].push(t);
        self.pending_count += 1;
        let latency = self.sc.task_start_latency.sample(&mut self.start_rng);
        let pull = self.pull_images(td, Some(inst));
        self.schedule_on(now + latency + pull, t, Event::Running(t));
        self.task_event(t);
    }

    /// Creates a Fargate task: no instance; the zone of its subnets holding the fewest
    /// of its group on this provider (None when every such zone is out).
    fn create_fargate_task(&mut self, l: &Launch, pool: Pool) -> Option<TaskIdx> {
        let now = self.now();
        let zones: Vec<_> = l.zones.iter().copied().filter(|z| !self.zone_out(*z)).collect();
        if zones.is_empty() && !l.zones.is_empty() {
            return None;
        }
        let zone = self.caps.fargate_zone(l.group, &zones);
        let res = &self.registry.get(l.td).reservation;
        let Pool::Fargate { spot, .. } = pool else {
            unreachable!("a Fargate pool")
        };
        let hourly = self.sc.prices.fargate_hour(res.cpu, res.memory, spot);
        let key = self.caps.cost_key(self.sc, pool);
        let meter = self
            .costs
            .open(&key, hourly, crate::capacity::prices::MINIMUM_SECONDS, now);
        let idx = self.push_task(l, pool, TaskStatus::Pending, zone, Some(meter));
        self.pending_count += 1;
        let latency = self.sc.fargate_start_latency.sample(&mut self.fargate_start_rng);
        let pull = self.pull_images(l.td, None);
        self.schedule_on(now + latency + pull, idx, Event::Running(idx));
        self.task_event(idx);
        Some(idx)
    }

    fn task_running(&mut self, t: TaskIdx) {
        let now = self.now();
        let td = self.tasks[t.0 as usize].taskdef;
        if let Some(p) = self.registry.get(td).body.start_failure_probability
            && p > 0.0
            && self.start_failure_rng.random::<f64>() < p
        {
            self.stop_task(t, StopCode::TaskFailedToStart, Reason::StartFailed);
            return;
        }
        let task = &mut self.tasks[t.0 as usize];
        task.status = TaskStatus::Running;
        task.started_at = Some(now);
        task.version += 1;
        let (run_for, pool, origin, deployment, after_fault) =
            (task.run_for, task.pool, task.origin, task.deployment, task.after_fault);
        self.pending_count -= 1;
        self.running += 1;
        if let Pool::Fargate { provider: Some(p), .. } = pool {
            self.caps.fargate_running[p.0 as usize] += 1;
        }
        if let Some(d) = run_for {
            self.schedule_on(now + d, t, Event::Exit(t));
        }
        if let Pool::Fargate { spot: true, .. } = pool
            && let Some(at) = self.caps.fargate_spot_interruption(self.sc, now)
            && run_for.is_none_or(|d| at < now + d)
            && self.script.is_none()
        {
            self.schedule_on(at, t, Event::FargateSpotNotice(t));
        }
        if let Origin::Service(s) = origin {
            let svc = &mut self.services[s as usize];
            svc.deployments[deployment as usize].counts.running += 1;
            svc.throttle = None;
            self.schedule_on(now + crate::ecs::deployment::HEALTHY_AFTER, t, Event::Healthy(t));
            if after_fault {
                self.fault_replaced(true);
            }
        }
        self.task_event(t);
    }

    /// A RUNNING service task passed its health grace: it counts toward
    /// minimumHealthyPercent and resets the circuit breaker's count.
    fn task_healthy(&mut self, t: TaskIdx) {
        let task = &mut self.tasks[t.0 as usize];
        if task.status != TaskStatus::Running || task.healthy {
            return;
        }
        task.healthy = true;
        let (origin, d) = (task.origin, task.deployment as usize);
        if let Origin::Service(s) = origin {
            let dep = &mut self.services[s as usize].deployments[d];
            dep.counts.healthy += 1;
            dep.failed_tasks = 0;
            self.mark_dirty(s as usize);
        }
    }

    /// Stops a task. A RUNNING task the scheduler or a user stops gets SIGTERM (when its
    /// agent is connected) and passes through STOPPING for its containers' exit time,
    /// capped by the stop timeout; every other stop is immediate, and ends a STOPPING
    /// task at once.
    fn stop_task(&mut self, t: TaskIdx, code: StopCode, reason: Reason) {
        let now = self.now();
        let task = &self.tasks[t.0 as usize];
        let signalled = matches!(code, StopCode::ServiceSchedulerInitiated | StopCode::UserInitiated);
        let graceful = signalled
            && task.status == TaskStatus::Running
            && task.instance.is_none_or(|i| self.cluster.agent_connected(i));
        match task.status {
            TaskStatus::Stopped | TaskStatus::NotCreated => return,
            TaskStatus::Stopping => {
                // Already told to stop: only the end of its capacity cuts that short.
                if !signalled {
                    self.q.cancel(Slot(t.0));
                    self.task_stopped(t);
                }
                return;
            }
            _ => {}
        }

        let wait = if graceful {
            let timeout = self.stop_timeout(t);
            self.sc.task_stop_latency.sample(&mut self.stop_rng).min(timeout)
        } else {
            SimDuration::ZERO
        };
        self.leave_service(t);
        let task = &mut self.tasks[t.0 as usize];
        match task.status {
            TaskStatus::Pending => self.pending_count -= 1,
            TaskStatus::Running => {
                self.running -= 1;
                if let Pool::Fargate { provider: Some(p), .. } = task.pool {
                    self.caps.fargate_running[p.0 as usize] -= 1;
                }
            }
            _ => {}
        }
        let was_provisioning = task.status == TaskStatus::Provisioning;
        task.stop_code = Some(code);
        task.reason = Some(reason);
        task.stopping_at = Some(now);
        let (group, pool) = (task.group, task.pool);
        self.q.cancel(Slot(t.0));
        if was_provisioning {
            self.caps.forget_provisioning(t, pool);
        }
        self.caps.count_live(group, pool, -1);
        if wait > SimDuration::ZERO {
            let task = &mut self.tasks[t.0 as usize];
            task.status = TaskStatus::Stopping;
            task.version += 1;
            self.schedule_on(now + wait, t, Event::Stopped(t));
            self.task_event(t);
        } else {
            self.task_stopped(t);
        }
        if let (Origin::Service(s), StopCode::TaskFailedToStart) = (self.tasks[t.0 as usize].origin, code) {
            let d = self.tasks[t.0 as usize].deployment as usize;
            self.task_failed_to_start(s as usize, d);
        }
    }

    /// The task's containers have exited: STOPPED, its resources released.
    fn task_stopped(&mut self, t: TaskIdx) {
        let now = self.now();
        let task = &mut self.tasks[t.0 as usize];
        task.status = TaskStatus::Stopped;
        task.stopped_at = Some(now);
        task.version += 1;
        let (inst, td, group, pool, meter, zone) = (
            task.instance,
            task.taskdef,
            task.group,
            task.pool,
            task.meter,
            task.zone,
        );
        if let Some(m) = meter {
            self.costs.close(m, now);
        }
        if pool.is_fargate() {
            self.caps.fargate_stopped(group, zone);
        }
        if let Some(inst) = inst {
            let res = &self.registry.get(td).reservation;
            self.cluster.release(inst, res, group);
            self.placer.released(&self.cluster, inst, group);
            let on = &mut self.instance_tasks[inst.idx()];
            if let Some(k) = on.iter().position(|x| *x == t) {
                on.swap_remove(k);
            }
        }
        self.task_event(t);
        if let Some(inst) = inst {
            if self.cluster.status(inst) == InstanceStatus::Draining {
                self.daemons_dirty();
            }
            self.capacity_freed(Some(inst));
        }
    }

    /// A service's task stops being live: its service's counts.
    fn leave_service(&mut self, t: TaskIdx) {
        let task = &self.tasks[t.0 as usize];
        let Origin::Service(s) = task.origin else { return };
        let (d, running, healthy) = (
            task.deployment as usize,
            task.status == TaskStatus::Running,
            task.healthy,
        );
        let unreplaced = task.after_fault && task.started_at.is_none();
        let s = s as usize;
        let svc = &mut self.services[s];
        if unreplaced {
            svc.fault_debt += 1;
        }

        svc.live.remove(&t);
        svc.doomed.remove(&t);
        let c = &mut svc.deployments[d].counts;
        c.live -= 1;
        if running {
            c.running -= 1;
        }
        if healthy {
            c.healthy -= 1;
        }
        self.mark_dirty(s);
    }

    /// The stop timeout of a task: its containers' `stopTimeout`, else its instance
    /// agent's ECS_CONTAINER_STOP_TIMEOUT (Fargate: 30 s).
    fn stop_timeout(&self, t: TaskIdx) -> SimDuration {
        let task = &self.tasks[t.0 as usize];
        let td = self.registry.get(task.taskdef);
        let from_containers = td
            .body
            .container_definitions
            .iter()
            .filter_map(|c| c.stop_timeout)
            .max()
            .map(|s| SimDuration::from_secs(s as u64));
        from_containers.unwrap_or_else(|| match task.instance {
            Some(i) => self.cluster.instance(i).spec.agent.stop_timeout,
            None => crate::ecs::agent::DEFAULT_STOP_TIMEOUT,
        })
    }

    /// Capacity came back (on `inst`, or a new instance): PROVISIONING tasks of its
    /// provider place now; waiting services try again after the event.
    fn capacity_freed(&mut self, inst: Option<InstanceId>) {
        if let Some(p) = inst.and_then(|i| self.cluster.instance(i).spec.provider) {
            self.place_provisioning(p);
        }
        let waiting: Vec<usize> = self.waiting_services.iter().copied().collect();
        for s in waiting {
            self.mark_dirty(s);
        }
    }

    /// The index of the cluster a request names, if it exists now.
    fn cluster_index(&self, reference: Option<&str>) -> Option<u32> {
        let name = crate::ecs::api::cluster_name(reference);
        self.arns.clusters.iter().position(|c| c == name).map(|i| i as u32)
    }

    /// Adds a cluster (at time 0, by CreateCluster, or by an agent), recording the call.
    fn add_cluster(&mut self, name: &str, user_agent: Option<&str>) -> u32 {
        if let Some(i) = self.cluster_index(Some(name)) {
            return i;
        }
        self.arns.clusters.push(name.to_string());
        let assoc = self.sc.capacity.clusters.get(name).cloned().unwrap_or_default();
        self.associations.push(assoc);
        let i = self.arns.clusters.len() as u32 - 1;
        if self.rec.wants_events() {
            let mut v = self.arns.api_call(
                self.now(),
                "CreateCluster",
                json!({"clusterName": name}),
                json!({"cluster": {"clusterArn": self.arns.cluster(i), "clusterName": name, "status": "ACTIVE"}}),
                None,
            );
            if let Some(ua) = user_agent {
                v["userAgent"] = json!(ua);
            }
            if self.event_ids == 0 && self.arns.clusters.len() == 1 {
                v["ecsimRun"] = json!({"seed": self.streams.master(), "settings": self.sc.settings});
            }
            self.record(v);
            let assoc = &self.associations[i as usize];
            if !assoc.associated.is_empty() {
                let providers = &self.sc.capacity.providers;
                let names: Vec<&str> = assoc
                    .associated
                    .iter()
                    .map(|p| providers[p.0 as usize].name.as_str())
                    .collect();
                let strategy: Vec<Value> = assoc
                    .default_strategy
                    .iter()
                    .map(|(p, it)| json!({"capacityProvider": providers[p.0 as usize].name, "base": it.base, "weight": it.weight}))
                    .collect();
                let body =
                    json!({"cluster": name, "capacityProviders": names, "defaultCapacityProviderStrategy": strategy});
                let v = self.arns.api_call(
                    self.now(),
                    "PutClusterCapacityProviders",
                    body,
                    json!({"cluster": {"clusterArn": self.arns.cluster(i), "capacityProviders": names}}),
                    None,
                );
                self.record(v);
            }
        }
        i
    }

    // ---- the end ----------------------------------------------------------

    fn finish(mut self, seed: u64) -> Outcome {
        for s in 0..self.services.len() {
            let (td, group) = (self.services[s].primary().config.taskdef, self.services[s].group);
            let reason = self.services[s].last_reason;
            let wanted: Vec<service::Want> = self.services[s].wanted.drain(..).collect();
            for w in wanted {
                self.not_created(
                    td,
                    group,
                    Origin::Service(s as u32),
                    w.at,
                    Reason::WaitingForCapacity(reason),
                );
            }
        }
        let pending = std::mem::take(&mut self.pending);
        for p in pending.iter().filter(|p| !p.done) {
            let td = self
                .registry
                .resolve(&p.request.task_definition)
                .expect("resolved before");
            let family = self.registry.get(td).family.clone();
            let group = self
                .cluster
                .group(&p.request.group.clone().unwrap_or_else(|| format!("family:{family}")));
            for _ in 0..p.count {
                self.not_created(
                    td,
                    group,
                    p.origin,
                    p.arrived_at,
                    Reason::WaitingForRetry(p.last_reason),
                );
            }
        }
        let waits: Vec<u64> = self
            .tasks
            .iter()
            .filter_map(|t| t.started_at.map(|s| s.since(t.arrived_at).millis()))
            .collect();
        let started = waits.len() as u64;
        let w = WaitStats::from_millis(waits);
        self.costs.close_all(self.end);
        let by_key = self.costs.accrued(self.end);
        let fault_stats = self.fault_summary();
        let count = |f: &dyn Fn(&Task) -> bool| self.tasks.iter().filter(|t| f(t)).count() as u64;
        let n = self.samples.len().max(1) as f64;
        let shortfall = self
            .services
            .iter()
            .filter(|s| s.status == service::ServiceStatus::Active)
            .map(|s| s.desired.saturating_sub(s.totals().running) as u64)
            .sum();
        let summary = Summary {
            scenario: self.sc.name.clone(),
            seed,
            tasks_arrived: self.tasks.len() as u64,
            tasks_placed: count(&|t| t.seq.is_some()),
            placement_failures: self.failures.clone(),
            tasks_waiting_at_end: count(&|t| {
                t.reason.as_ref().is_some_and(Reason::is_waiting) || t.status == TaskStatus::Provisioning
            }),
            tasks_failed_to_start: count(&|t| t.stop_code == Some(StopCode::TaskFailedToStart)),
            wait: w,
            instances_max: self.integrals.instances_max,
            reserved_mean_pct: self.integrals.reserved_pct(),
            cost_usd: by_key.iter().map(|(_, v)| v).sum(),
            cost_by_key: by_key,
            events: self.q.delivered(),
            tasks_rejected: count(&|t| matches!(t.reason, Some(Reason::Rejected(_)))),
            tasks_started: started,
            instances_used_max: self.integrals.busy_max,
            instances_used_mean: self.integrals.busy_mean(self.sc.duration),
            stranded_mean_pct: (
                self.samples.iter().map(|s| s.stranded_pct.0).sum::<f64>() / n,
                self.samples.iter().map(|s| s.stranded_pct.1).sum::<f64>() / n,
            ),
            instances_lower_bound: (
                self.samples.iter().map(|s| s.instances_lower_bound).max().unwrap_or(0),
                self.samples.iter().map(|s| s.instances_lower_bound as f64).sum::<f64>() / n,
            ),
            service_shortfall_at_end: shortfall,
            deployments: self.deployments,
            faults: fault_stats,
            instances_unusable: (
                self.unusable.iter().filter(|u| !u.registered).count() as u64,
                self.unusable.iter().filter(|u| u.registered).count() as u64,
            ),
            image_pull_mean_s: if self.pulls.0 == 0 {
                0.0
            } else {
                self.pulls.1 as f64 / self.pulls.0 as f64 / 1000.0
            },
        };
        let mut group_names: Vec<String> = self.sc.instance_groups.iter().map(|g| g.name.clone()).collect();
        group_names.extend(self.sc.asgs.iter().map(|a| a.name.clone()));
        let instance_costs = self
            .cluster
            .ids()
            .map(|id| {
                let m = self.instance_meters[id.idx()];
                (
                    self.caps.launched_at(id).unwrap_or(SimTime::ZERO),
                    self.costs.so_far(m, self.end),
                )
            })
            .collect();
        Outcome {
            summary,
            timeseries: self.samples,
            service_samples: self.service_samples,
            cluster: self.cluster,
            registry: self.registry,
            tasks: self.tasks,
            services: self.services,
            arns: self.arns,
            group_names,
            provider_names: self.sc.capacity.providers.iter().map(|p| p.name.clone()).collect(),
            instance_costs,
            unusable: self.unusable,
            end: self.end,
        }
    }
}

/// Whether every instance's reservations are within its registered capacity, and the
/// cluster totals agree with the live tasks (used by tests after runs).
pub fn check_invariants(o: &Outcome) -> Result<(), String> {
    let mut cpu = vec![0u64; o.cluster.len()];
    let mut mem = vec![0u64; o.cluster.len()];
    for t in &o.tasks {
        if matches!(
            t.status,
            TaskStatus::Pending | TaskStatus::Running | TaskStatus::Stopping
        ) && !t.pool.is_fargate()
        {
            let i = t.instance.ok_or("a live task without an instance")?;
            let r = &o.registry.get(t.taskdef).reservation;
            cpu[i.idx()] += r.cpu as u64;
            mem[i.idx()] += r.memory as u64;
        }
    }
    for id in o.cluster.ids() {
        let inst = o.cluster.instance(id);
        if cpu[id.idx()] > inst.spec.cpu as u64 || mem[id.idx()] > inst.spec.memory as u64 {
            return Err(format!("{} is over-committed", inst.spec.ec2_instance_id));
        }
        if o.cluster.cpu_left(id) as u64 + cpu[id.idx()] != inst.spec.cpu as u64
            || o.cluster.mem_left(id) as u64 + mem[id.idx()] != inst.spec.memory as u64
        {
            return Err(format!(
                "{}: remaining resources disagree with its tasks",
                inst.spec.ec2_instance_id
            ));
        }
        if o.cluster.status(id) == InstanceStatus::Inactive && o.cluster.running_tasks(id) > 0 {
            return Err(format!("{} is INACTIVE with tasks", inst.spec.ec2_instance_id));
        }
    }
    let mut live = vec![0u32; o.services.len()];
    for t in &o.tasks {
        if let Origin::Service(s) = t.origin
            && matches!(
                t.status,
                TaskStatus::Provisioning | TaskStatus::Pending | TaskStatus::Running
            )
        {
            live[s as usize] += 1;
        }
    }
    for (s, n) in o.services.iter().zip(live) {
        if n != s.totals().live || n as usize != s.live.len() {
            return Err(format!("service {}: live counts disagree with its tasks", s.name));
        }
    }
    Ok(())
}
