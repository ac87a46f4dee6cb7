//! The run loop: owns the cluster, tasks, services and capacity, applies placement
//! decisions, and emits records. Everything that decides lives in `placement` and
//! `capacity`; everything that mutates state lives here; nothing here touches a file.

mod capacity;
pub mod metrics;
pub mod records;
pub mod service;
pub mod task;

use crate::capacity::cost::{Costs, Meter};
use crate::capacity::{Pool, split};
use crate::ecs::api::{CreateService, RunTask};
use crate::ecs::cluster::{Cluster, GroupId, InstanceId, InstanceStatus, hex_id};
use crate::ecs::registry::{TaskDefId, TaskDefinitions};
use crate::ecs::task_definition::register;
use crate::engine::{EventQueue, RngStreams, SimDuration, SimTime, Slot, StreamRng};
use crate::error::Report;
use crate::placement::plan::{self, PlanId};
use crate::placement::{Decision, Placer};
use crate::scenario::Scenario;
use crate::scenario::capacity::Capacity;
use crate::scenario::schema::{ApiCall, Arrival, Retry};
use capacity::CapacityState;
use metrics::{Integrals, Summary, WaitStats, fixed};
use rand::RngExt;
use rand_distr::Exp1;
use records::{Arns, Recorder};
use serde_json::{Value, json};
use service::{LiveTask, ScaleIn, Service, choose_victim};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use task::{Origin, Reason, StopCode, Task, TaskIdx, TaskStatus};

/// Random-stream concerns: each gets independent streams, so drawing more for one
/// never changes another.
pub mod concern {
    /// Workload arrivals (index: workload).
    pub const ARRIVALS: u32 = 1;
    /// Task run times (index: workload, service, or timeline entry).
    pub const DURATIONS: u32 = 2;
    /// Placement tie-breaks.
    pub const PLACEMENT: u32 = 3;
    /// Faults (Spot interruptions).
    pub const FAULTS: u32 = 4;
    /// PENDING → RUNNING latency.
    pub const START_LATENCY: u32 = 5;
    /// Scale-in victim choice (services and Auto Scaling groups).
    pub const SCALE_IN: u32 = 6;
    /// EC2 launch latency (index: Auto Scaling group).
    pub const LAUNCH: u32 = 7;
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
    /// A task's essential container exits (cancellable on the task's slot).
    Exit(TaskIdx),
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

/// Everything a run leaves behind, for the output writers.
pub struct Outcome {
    /// The summary row.
    pub summary: Summary,
    /// timeseries.csv rows.
    pub timeseries: Vec<Sample>,
    /// The cluster at the end.
    pub cluster: Cluster,
    /// Task definitions at the end.
    pub registry: TaskDefinitions,
    /// Every task and task request, in arrival-record order.
    pub tasks: Vec<Task>,
    /// Services at the end.
    pub services: Vec<Service>,
    /// ARN and time formatting.
    pub arns: Arns,
    /// Instance group (then Auto Scaling group) names, by instance origin index.
    pub group_names: Vec<String>,
    /// Capacity provider names, by provider id.
    pub provider_names: Vec<String>,
    /// Per instance: launch time and what it cost.
    pub instance_costs: Vec<(SimTime, f64)>,
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

/// `startedBy` of a task: the service's deployment, or the RunTask's `startedBy`.
pub fn started_by(
    services: &[Service],
    workloads: &[crate::scenario::schema::Workload],
    timeline: &[crate::scenario::schema::TimelineEntry],
    t: &Task,
) -> String {
    match t.origin {
        Origin::Service(s) => services[s as usize].deployment.clone(),
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
    last_reason: &'static str,
    done: bool,
}

/// Where one task went.
enum Placement {
    /// Created on capacity (an instance, or Fargate).
    Placed(TaskIdx),
    /// Created PROVISIONING, waiting for managed scaling.
    Provisioning(TaskIdx),
    /// Not created: ECS's reason and the closest instance.
    Failed(&'static str, Option<InstanceId>),
}

/// What one task needs to be launched.
struct Launch {
    td: TaskDefId,
    group: GroupId,
    origin: Origin,
    arrived_at: SimTime,
    /// The subnets' zones (Fargate and awsvpc), if the request names subnets.
    zones: Vec<crate::ecs::intern::Sym>,
}

/// The reason a RunTask fails when the cluster has too many PROVISIONING tasks.
pub const PROVISIONING_LIMIT: &str = "Provisioning task limit reached";

struct Sim<'a> {
    sc: &'a Scenario,
    rec: &'a mut dyn Recorder,
    q: EventQueue<Event>,
    end: SimTime,
    streams: RngStreams,
    cluster: Cluster,
    placer: Placer,
    registry: TaskDefinitions,
    tasks: Vec<Task>,
    instance_tasks: Vec<Vec<TaskIdx>>,
    services: Vec<Service>,
    service_by_name: BTreeMap<String, usize>,
    waiting_services: BTreeSet<usize>,
    pending: Vec<PendingRun>,
    plans: BTreeMap<(Origin, TaskDefId, Pool), PlanId>,
    arrival_rngs: Vec<StreamRng>,
    duration_rngs: BTreeMap<u32, StreamRng>,
    start_rng: StreamRng,
    scale_in_rng: StreamRng,
    arns: Arns,
    caps: CapacityState,
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
    next_sample: SimTime,
}

/// Runs a scenario with `seed`, sending records to `rec`.
pub fn run(sc: &Scenario, seed: u64, rec: &mut dyn Recorder) -> Outcome {
    let streams = RngStreams::new(seed);
    let mut sim = Sim {
        sc,
        rec,
        q: EventQueue::new(),
        end: SimTime::ZERO + sc.duration,
        streams,
        cluster: Cluster::new(crate::scenario::build::CLUSTER_NAME),
        placer: Placer::new(sc.tie_break, streams.stream(concern::PLACEMENT, 0)),
        registry: TaskDefinitions::default(),
        tasks: Vec::new(),
        instance_tasks: Vec::new(),
        services: Vec::new(),
        service_by_name: BTreeMap::new(),
        waiting_services: BTreeSet::new(),
        pending: Vec::new(),
        plans: BTreeMap::new(),
        arrival_rngs: (0..sc.workloads.len() as u32)
            .map(|w| streams.stream(concern::ARRIVALS, w))
            .collect(),
        duration_rngs: BTreeMap::new(),
        start_rng: streams.stream(concern::START_LATENCY, 0),
        scale_in_rng: streams.stream(concern::SCALE_IN, 0),
        arns: Arns {
            cluster: crate::scenario::build::CLUSTER_NAME.into(),
            start_unix_ms: sc.start_unix_ms,
        },
        caps: CapacityState::new(sc, streams),
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
        next_sample: SimTime::ZERO,
    };
    sim.start();
    while let Some((t, ev)) = sim.q.pop_until(sim.end) {
        sim.sample_until(t);
        sim.integrals.advance(t, &sim.cluster, sim.cluster.active_count());
        sim.handle(ev);
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

    fn record(&mut self, v: Value) {
        self.rec.event(&v);
    }

    fn start(&mut self) {
        let sc = self.sc;
        for key in self.caps.cost_keys(sc) {
            self.costs.declare(&key);
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
                let mut spec = capacity::instance_spec(&g.template, &g.ec2_instance_ids[n], &az, gi as u32, hourly);
                spec.registered_at_unix_ms = g.registered_at_unix_ms;
                spec.external = g.external;
                let key = if g.external { "EXTERNAL" } else { "EC2" };
                let minimum = if g.external {
                    0.0
                } else {
                    crate::capacity::prices::MINIMUM_SECONDS
                };
                self.register_instance(spec, key, minimum, SimTime::ZERO);
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
        for (i, e) in sc.timeline.iter().enumerate() {
            self.schedule(SimTime::ZERO + e.at.0, Event::Timeline(i as u32));
        }
        for (i, f) in sc.faults.iter().enumerate() {
            if let Some(at) = f.at {
                self.schedule(SimTime::ZERO + at.0, Event::Fault(i as u32));
            }
        }
    }

    /// Registers a container instance and opens its cost meter (billing from `launched_at`).
    fn register_instance(
        &mut self,
        spec: crate::ecs::cluster::InstanceSpec,
        cost_key: &str,
        minimum_secs: f64,
        launched_at: SimTime,
    ) -> InstanceId {
        let hourly = spec.hourly_price;
        let id = self.cluster.register(spec, self.now());
        self.instance_tasks.push(Vec::new());
        let meter = self.costs.open(cost_key, hourly, minimum_secs, launched_at);
        self.instance_meters.push(meter);
        self.placer.instance_changed(&self.cluster, id);
        self.instance_event(id);
        id
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
        let e: f64 = self.arrival_rngs[w].sample(Exp1);
        SimDuration((e * 60_000.0 / rate_per_minute).round().max(1.0) as u64)
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
            Event::Exit(t) => self.stop_task(t, StopCode::EssentialContainerExited, Reason::Exited),
            Event::Timeline(i) => self.timeline_call(i),
            Event::ScalingTick => self.scaling_tick(),
            Event::Launched(l) => self.launched(l),
            Event::SpotNotice(i) => self.spot_notice(i),
            Event::SpotReclaim(i) => self.terminate_instance(i, true),
            Event::ProvisioningTimeout(t) => {
                self.stop_task(t, StopCode::TaskFailedToStart, Reason::ProvisioningTimeout)
            }
            Event::FargateSpotNotice(t) => self.fargate_spot_notice(t),
            Event::FargateSpotStop(t) => self.stop_task(t, StopCode::TerminationNotice, Reason::FargateSpotInterrupted),
            Event::Fault(f) => self.scheduled_fault(f as usize),
        }
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
            self.next_sample += self.sc.sample_interval;
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

    /// The plan of `origin`'s requests for `td` on `pool`.
    fn plan_for(
        &mut self,
        origin: Origin,
        td: TaskDefId,
        pool: Pool,
        constraints: &[crate::ecs::strategy::PlacementConstraint],
        strategies: Option<&[crate::ecs::strategy::PlacementStrategy]>,
    ) -> PlanId {
        if let Some(&p) = self.plans.get(&(origin, td, pool)) {
            return p;
        }
        let default = match origin {
            Origin::Service(_) => plan::service_default(),
            _ => plan::run_task_default(),
        };
        let all: Vec<_> = self
            .registry
            .get(td)
            .constraints
            .iter()
            .chain(constraints)
            .cloned()
            .collect();
        let refs: Vec<_> = all.iter().collect();
        let p = self
            .placer
            .plan(&mut self.cluster, &refs, strategies.unwrap_or(&default), pool)
            .expect("placement is checked when the scenario is loaded");
        self.plans.insert((origin, td, pool), p);
        p
    }

    /// The capacity a request's launch type or strategy resolves to.
    fn capacity_of(
        &self,
        launch_type: Option<crate::ecs::api::LaunchType>,
        strategy: Option<&[crate::capacity::StrategyItem]>,
    ) -> Capacity {
        self.sc
            .capacity
            .resolve(launch_type, strategy)
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
            return Placement::Placed(self.create_fargate_task(l, pool));
        }
        let plan = plan(self);
        let managed = matches!(pool, Pool::Provider(p) if self.caps.managed(self.sc, p));
        match self.decide(plan, l.td, l.group, l.origin, !managed) {
            Decision::Placed(inst) => Placement::Placed(self.create_task(l, pool, Some(inst))),
            Decision::Unplaced { reason, closest } => match pool {
                Pool::Provider(p) if self.caps.managed(self.sc, p) => {
                    if self.caps.provisioning_count() >= self.sc.provisioning_limit {
                        return Placement::Failed(PROVISIONING_LIMIT, None);
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

    fn run_task(&mut self, origin: Origin, request: RunTask, count: u32, attempt: u32, arrived_at: SimTime) {
        let now = self.now();
        let td = match self.registry.resolve(&request.task_definition) {
            Ok(td) => td,
            Err(m) => {
                if self.rec.wants_events() {
                    let v = self.arns.api_call(
                        now,
                        "RunTask",
                        serde_json::to_value(&request).unwrap_or_default(),
                        Value::Null,
                        Some(("ClientException", m)),
                    );
                    self.record(v);
                }
                return;
            }
        };
        let family = self.registry.get(td).family.clone();
        let group = self
            .cluster
            .group(&request.group.clone().unwrap_or_else(|| format!("family:{family}")));
        let duration = match origin {
            Origin::Workload(w) => Some((self.sc.workloads[w as usize].task_duration.clone(), w)),
            Origin::Timeline(e) => self.sc.timeline[e as usize]
                .task_duration
                .clone()
                .map(|d| (d, concern::TIMELINE_INDEX + e)),
            Origin::Service(_) => unreachable!("services do not call RunTask"),
        };
        let capacity = self.capacity_of(request.launch_type, request.capacity_provider_strategy.as_deref());
        let zones = self.zones_of(request.network_configuration.as_ref());
        let mut placed = Vec::new();
        let mut failures: Vec<(&'static str, Option<InstanceId>)> = Vec::new();
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
            };
            match self.launch(&l, pool, |s| s.plan_for(origin, td, pool, constraints, strategies)) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    self.tasks[t.0 as usize].run_for =
                        duration.as_ref().map(|(d, idx)| d.sample(self.duration_rng(*idx)));
                    placed.push(t);
                }
                Placement::Failed(reason, closest) => failures.push((reason, closest)),
            }
        }
        for (reason, _) in &failures {
            self.failures.add(reason);
            self.interval_failures.add(reason);
        }
        if self.rec.wants_events() {
            let tasks: Vec<Value> = placed.iter().map(|&t| self.task_summary(t)).collect();
            let fails: Vec<Value> = failures
                .iter()
                .map(|(reason, closest)| {
                    let arn = closest.map(|i| {
                        self.arns
                            .container_instance(&self.cluster.instance(i).container_instance_id)
                    });
                    json!({"arn": arn, "reason": reason})
                })
                .collect();
            let mut req = serde_json::to_value(&request).unwrap_or_default();
            req["count"] = json!(count);
            let mut v = self
                .arns
                .api_call(now, "RunTask", req, json!({"tasks": tasks, "failures": fails}), None);
            v["userAgent"] = json!(self.origin_label(origin));
            v["ecsimAttempt"] = json!(attempt);
            self.record(v);
        }
        if let Some(&(reason, _)) = failures.last() {
            let retry: Option<&Retry> = match origin {
                Origin::Workload(w) => self.sc.workloads[w as usize].retry.as_ref(),
                _ => None,
            };
            match retry {
                Some(r) if attempt < r.attempts => {
                    let wait = r.backoff.0.millis() as f64 * r.multiplier.unwrap_or(1.0).powi(attempt as i32);
                    let at = now + SimDuration(wait.round() as u64);
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
                    self.schedule(at, Event::Retry(idx));
                }
                _ => {
                    for _ in 0..failures.len() {
                        self.not_created(td, group, origin, arrived_at, Reason::Rejected(reason));
                    }
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
        });
        self.created += 1;
        self.caps.count_live(l.group, pool, 1);
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

    /// Puts a created (or PROVISIONING) task on instance `inst`: PENDING, then RUNNING.
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
        self.placer.allocation_changed(&self.cluster, inst);
        self.instance_tasks[inst.idx()].push(t);
        self.pending_count += 1;
        let latency = self.sc.task_start_latency.sample(&mut self.start_rng);
        self.schedule_on(now + latency, t, Event::Running(t));
        self.task_event(t);
    }

    /// Creates a Fargate task: no instance; the zone of its subnets holding the fewest
    /// of its group on this provider.
    fn create_fargate_task(&mut self, l: &Launch, pool: Pool) -> TaskIdx {
        let now = self.now();
        let zone = self.caps.fargate_zone(l.group, pool, &l.zones);
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
        let latency = self.sc.fargate_start_latency.sample(&mut self.start_rng);
        self.schedule_on(now + latency, idx, Event::Running(idx));
        self.task_event(idx);
        idx
    }

    fn task_running(&mut self, t: TaskIdx) {
        let now = self.now();
        let task = &mut self.tasks[t.0 as usize];
        task.status = TaskStatus::Running;
        task.started_at = Some(now);
        task.version += 1;
        let (run_for, pool) = (task.run_for, task.pool);
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
        {
            self.schedule_on(at, t, Event::FargateSpotNotice(t));
        }
        self.task_event(t);
    }

    fn stop_task(&mut self, t: TaskIdx, code: StopCode, reason: Reason) {
        let now = self.now();
        let task = &mut self.tasks[t.0 as usize];
        match task.status {
            TaskStatus::Provisioning => {}
            TaskStatus::Pending => self.pending_count -= 1,
            TaskStatus::Running => {
                self.running -= 1;
                if let Pool::Fargate { provider: Some(p), .. } = task.pool {
                    self.caps.fargate_running[p.0 as usize] -= 1;
                }
            }
            TaskStatus::Stopped | TaskStatus::NotCreated => return,
        }
        let was_provisioning = task.status == TaskStatus::Provisioning;
        task.status = TaskStatus::Stopped;
        task.stopped_at = Some(now);
        task.stop_code = Some(code);
        task.reason = Some(reason);
        task.version += 1;
        let (inst, td, group, origin, pool, meter) = (
            task.instance,
            task.taskdef,
            task.group,
            task.origin,
            task.pool,
            task.meter,
        );
        self.q.cancel(Slot(t.0));
        if was_provisioning {
            self.caps.forget_provisioning(t, pool);
        }
        self.caps.count_live(group, pool, -1);
        if let Some(m) = meter {
            self.costs.close(m, now);
        }
        if pool.is_fargate() {
            self.caps
                .fargate_stopped(self.tasks[t.0 as usize].group, pool, self.tasks[t.0 as usize].zone);
        }
        if let Some(inst) = inst {
            let res = &self.registry.get(td).reservation;
            self.cluster.release(inst, res, group);
            self.placer.allocation_changed(&self.cluster, inst);
            let on = &mut self.instance_tasks[inst.idx()];
            if let Some(k) = on.iter().position(|x| *x == t) {
                on.swap_remove(k);
            }
        }
        self.task_event(t);
        if let Origin::Service(s) = origin {
            self.services[s as usize].live.remove(&t);
            self.reconcile(s as usize);
        }
        if let Some(inst) = inst {
            self.capacity_freed(Some(inst));
        }
    }

    // ---- services ---------------------------------------------------------

    fn create_service(&mut self, body: &CreateService) {
        let now = self.now();
        let td = match self.registry.resolve(&body.task_definition) {
            Ok(td) => td,
            Err(m) => {
                if self.rec.wants_events() {
                    let v = self.arns.api_call(
                        now,
                        "CreateService",
                        serde_json::to_value(body).unwrap_or_default(),
                        Value::Null,
                        Some(("ClientException", m)),
                    );
                    self.record(v);
                }
                return;
            }
        };
        let index = self.services.len();
        let group = self.cluster.group(&format!("service:{}", body.service_name));
        let capacity = self.capacity_of(body.launch_type, body.capacity_provider_strategy.as_deref());
        let zones = self.zones_of(body.network_configuration.as_ref());
        self.services.push(Service {
            name: body.service_name.clone(),
            taskdef: td,
            group,
            desired: body.desired_count.unwrap_or(0) as u32,
            task_duration: body.task_duration.clone(),
            live: BTreeSet::new(),
            wanted: VecDeque::new(),
            last_reason: None,
            deployment: format!(
                "ecs-svc/{:019}",
                crate::ecs::cluster::mixed(0x5E, index as u64) % 10_000_000_000_000_000_000
            ),
            scale_in: ScaleIn::for_strategies(body.placement_strategy.as_deref()),
            capacity,
            zones,
            placement_strategy: body.placement_strategy.clone(),
            placement_constraints: body.placement_constraints.clone(),
        });
        self.service_by_name.insert(body.service_name.clone(), index);
        if self.rec.wants_events() {
            let v = self.arns.api_call(
                now,
                "CreateService",
                serde_json::to_value(body).unwrap_or_default(),
                json!({"service": {"serviceArn": self.arns.service(&body.service_name), "serviceName": body.service_name, "desiredCount": body.desired_count, "status": "ACTIVE", "taskDefinition": self.arns.task_definition(&self.registry.get(td).name())}}),
                None,
            );
            self.record(v);
        }
        self.reconcile(index);
    }

    /// Brings a service toward its desired count: wants more tasks, or stops some.
    fn reconcile(&mut self, s: usize) {
        let now = self.now();
        let svc = &mut self.services[s];
        let have = (svc.live.len() + svc.wanted.len()) as u32;
        if have < svc.desired {
            let n = svc.desired - have;
            svc.wanted.extend(std::iter::repeat_n(now, n as usize));
            self.waiting_count += n;
        }
        while (self.services[s].live.len() + self.services[s].wanted.len()) as u32 > self.services[s].desired {
            if let Some(arrived) = self.services[s].wanted.pop_back() {
                self.waiting_count -= 1;
                let (td, group) = (self.services[s].taskdef, self.services[s].group);
                self.not_created(td, group, Origin::Service(s as u32), arrived, Reason::NoLongerWanted);
                continue;
            }
            let victim = self.scale_in_victim(s);
            self.services[s].live.remove(&victim);
            self.stop_task(victim, StopCode::ServiceSchedulerInitiated, Reason::ScaleIn);
        }
        self.fill(s);
    }

    /// The task a service stops when its desired count falls: a PROVISIONING one first,
    /// then by the service's scale-in rule among those on instances (Fargate tasks:
    /// the newest).
    fn scale_in_victim(&mut self, s: usize) -> TaskIdx {
        let svc = &self.services[s];
        if let Some(&t) = svc
            .live
            .iter()
            .find(|t| self.tasks[t.0 as usize].status == TaskStatus::Provisioning)
        {
            return t;
        }
        let live: Vec<LiveTask> = svc
            .live
            .iter()
            .filter_map(|&t| {
                let task = &self.tasks[t.0 as usize];
                let res = &self.registry.get(task.taskdef).reservation;
                task.instance.map(|instance| LiveTask {
                    task: t,
                    instance,
                    cpu: res.cpu,
                    memory: res.memory,
                })
            })
            .collect();
        choose_victim(&svc.scale_in, &live, svc.group, &self.cluster, &mut self.scale_in_rng)
            .or_else(|| svc.live.iter().next_back().copied())
            .expect("a live task to stop")
    }

    /// Places the service's wanted tasks while capacity allows.
    fn fill(&mut self, s: usize) {
        while let Some(&arrived) = self.services[s].wanted.front() {
            let svc = &self.services[s];
            let Some(pool) = self.next_pool(&svc.capacity, svc.group) else {
                return;
            };
            let (td, group) = (svc.taskdef, svc.group);
            let l = Launch {
                td,
                group,
                origin: Origin::Service(s as u32),
                arrived_at: arrived,
                zones: self.services[s].zones.clone(),
            };
            let strategies = self.services[s].placement_strategy.clone();
            let constraints = self.services[s].placement_constraints.clone();
            let origin = Origin::Service(s as u32);
            match self.launch(&l, pool, |sim| {
                sim.plan_for(origin, td, pool, &constraints, strategies.as_deref())
            }) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    let dist = self.services[s].task_duration.clone();
                    self.tasks[t.0 as usize].run_for =
                        dist.map(|d| d.sample(self.duration_rng(concern::SERVICE_INDEX + s as u32)));
                    let svc = &mut self.services[s];
                    svc.wanted.pop_front();
                    svc.live.insert(t);
                    svc.last_reason = None;
                    self.waiting_count -= 1;
                }
                Placement::Failed(reason, _) => {
                    if self.services[s].last_reason.is_none() && self.rec.wants_events() {
                        let name = self.services[s].name.clone();
                        let eid = self.next_event_id();
                        let v = self.arns.state_change(
                            self.now(),
                            &eid,
                            "ECS Service Action",
                            &self.arns.service(&name),
                            json!({"eventType": "WARN", "eventName": "SERVICE_TASK_PLACEMENT_FAILURE", "clusterArn": self.arns.cluster(), "reason": reason}),
                        );
                        self.record(v);
                    }
                    self.services[s].last_reason = Some(reason);
                    self.waiting_services.insert(s);
                    return;
                }
            }
        }
        self.waiting_services.remove(&s);
    }

    /// Capacity came back (on `inst`, or a new instance): PROVISIONING tasks of its
    /// provider, then waiting services, in creation order, try again.
    fn capacity_freed(&mut self, inst: Option<InstanceId>) {
        if let Some(p) = inst.and_then(|i| self.cluster.instance(i).spec.provider) {
            self.place_provisioning(p);
        }
        let waiting: Vec<usize> = self.waiting_services.iter().copied().collect();
        for s in waiting {
            self.fill(s);
        }
    }

    // ---- timeline ---------------------------------------------------------

    fn timeline_call(&mut self, i: u32) {
        let entry = &self.sc.timeline[i as usize];
        let now = self.now();
        match &entry.request {
            ApiCall::RunTask(rt) => {
                let count = rt.count.unwrap_or(1) as u32;
                self.run_task(Origin::Timeline(i), rt.clone(), count, 0, now);
            }
            ApiCall::CreateService(cs) => self.create_service(cs),
            ApiCall::RegisterTaskDefinition(td) => self.register_task_definition(td),
            ApiCall::UpdateService(u) => {
                let name = u.service.rsplit('/').next().unwrap_or(&u.service).to_string();
                let s = self.service_by_name[&name];
                if let Some(d) = u.desired_count {
                    self.services[s].desired = d.max(0) as u32;
                }
                if self.rec.wants_events() {
                    let svc = &self.services[s];
                    let v = self.arns.api_call(
                        now,
                        "UpdateService",
                        serde_json::to_value(u).unwrap_or_default(),
                        json!({"service": {"serviceArn": self.arns.service(&svc.name), "desiredCount": svc.desired}}),
                        None,
                    );
                    self.record(v);
                }
                self.reconcile(s);
            }
            ApiCall::StopTask(st) => {
                let wanted = st.task.rsplit('/').next().unwrap_or(&st.task).to_string();
                let found = (0..self.tasks.len()).find(|&k| self.tasks[k].seq.is_some_and(|s| task_id(s) == wanted));
                let req = serde_json::to_value(st).unwrap_or_default();
                match found {
                    Some(k) => {
                        self.stop_task(
                            TaskIdx(k as u32),
                            StopCode::UserInitiated,
                            Reason::UserInitiated(st.reason.clone()),
                        );
                        if self.rec.wants_events() {
                            let task = self.task_summary(TaskIdx(k as u32));
                            let v = self.arns.api_call(now, "StopTask", req, json!({"task": task}), None);
                            self.record(v);
                        }
                    }
                    None => {
                        if self.rec.wants_events() {
                            let v = self.arns.api_call(
                                now,
                                "StopTask",
                                req,
                                Value::Null,
                                Some(("InvalidParameterException", "The referenced task was not found.".into())),
                            );
                            self.record(v);
                        }
                    }
                }
            }
        }
    }

    // ---- records ----------------------------------------------------------

    fn task_summary(&self, t: TaskIdx) -> Value {
        let task = &self.tasks[t.0 as usize];
        let id = task.seq.map(task_id).unwrap_or_default();
        json!({
            "taskArn": self.arns.task(&id),
            "lastStatus": task.status.as_str(),
            "containerInstanceArn": task.instance.map(|i| self.arns.container_instance(&self.cluster.instance(i).container_instance_id)),
            "group": self.cluster.group_name(task.group),
            "launchType": task.pool.launch_type(),
            "capacityProviderName": self.caps.provider_name(self.sc, task.pool),
            "taskDefinitionArn": self.arns.task_definition(&self.registry.get(task.taskdef).name()),
        })
    }

    fn task_event(&mut self, t: TaskIdx) {
        if !self.rec.wants_events() {
            return;
        }
        let task = &self.tasks[t.0 as usize];
        let id = task.seq.map(task_id).unwrap_or_default();
        let inst = task.instance.map(|i| self.cluster.instance(i));
        let time = |x: Option<SimTime>| x.map(|x| self.arns.iso(x));
        let deployment = match task.origin {
            Origin::Service(s) => self.services[s as usize].deployment.clone(),
            _ => String::new(),
        };
        let zone = inst
            .map(|i| i.spec.availability_zone.clone())
            .or_else(|| task.zone.map(|z| self.cluster.symbols.resolve(z).to_string()));
        let detail = json!({
            "clusterArn": self.arns.cluster(),
            "taskArn": self.arns.task(&id),
            "taskDefinitionArn": self.arns.task_definition(&self.registry.get(task.taskdef).name()),
            "containerInstanceArn": inst.map(|i| self.arns.container_instance(&i.container_instance_id)),
            "availabilityZone": zone,
            "group": self.cluster.group_name(task.group),
            "launchType": task.pool.launch_type(),
            "capacityProviderName": self.caps.provider_name(self.sc, task.pool),
            "startedBy": started_by(&self.services, &self.sc.workloads, &self.sc.timeline, task),
            "lastStatus": task.status.as_str(),
            "desiredStatus": if task.status == TaskStatus::Stopped { "STOPPED" } else { "RUNNING" },
            "createdAt": time(task.created_at),
            "startedAt": time(task.started_at),
            "stoppedAt": time(task.stopped_at),
            "stopCode": task.stop_code.map(|c| c.as_str()),
            "stoppedReason": task.reason.as_ref().map(|r| r.text(&deployment)),
            "version": task.version,
        });
        let resource = self.arns.task(&id);
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Task State Change", &resource, detail);
        self.record(v);
    }

    fn instance_event(&mut self, id: InstanceId) {
        if !self.rec.wants_events() {
            return;
        }
        let i = self.cluster.instance(id);
        let arn = self.arns.container_instance(&i.container_instance_id);
        let attributes: Vec<Value> = i
            .spec
            .attributes
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        let detail = json!({
            "clusterArn": self.arns.cluster(),
            "containerInstanceArn": arn,
            "ec2InstanceId": i.spec.ec2_instance_id,
            "capacityProviderName": i.spec.provider.map(|p| self.sc.capacity.providers[p.0 as usize].name.clone()),
            "status": self.cluster.status(id).as_str(),
            "agentConnected": self.cluster.agent_connected(id),
            "registeredAt": self.arns.iso(i.registered_at),
            "attributes": attributes,
            "registeredResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": i.spec.cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": i.spec.memory},
            ],
            "remainingResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": self.cluster.cpu_left(id)},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": self.cluster.mem_left(id)},
            ],
            "runningTasksCount": self.cluster.running_tasks(id),
            "versionInfo": {"agentVersion": i.spec.agent_version},
        });
        let eid = self.next_event_id();
        let v = self
            .arns
            .state_change(self.now(), &eid, "ECS Container Instance State Change", &arn, detail);
        self.record(v);
    }

    /// Who asked, as `service:web`, `workload:batch` or `timeline[3]`.
    fn origin_label(&self, origin: Origin) -> String {
        match origin {
            Origin::Service(s) => format!("service:{}", self.services[s as usize].name),
            Origin::Workload(w) => format!("workload:{}", self.sc.workloads[w as usize].name),
            Origin::Timeline(e) => format!("timeline[{e}]"),
        }
    }

    /// Places one task under `plan`, recording the decision when asked to. Without
    /// `want_reason` a failure is not explained (reason ""), which spares a scan.
    fn decide(&mut self, plan: PlanId, td: TaskDefId, group: GroupId, origin: Origin, want_reason: bool) -> Decision {
        let res = self.registry.get(td).reservation.clone();
        let d = if want_reason || self.rec.wants_decisions() {
            self.placer.decide(plan, &res, group, &self.cluster)
        } else {
            match self.placer.pick(plan, &res, group, &self.cluster) {
                Some(i) => Decision::Placed(i),
                None => Decision::Unplaced {
                    reason: "",
                    closest: None,
                },
            }
        };
        if !self.rec.wants_decisions() {
            return d;
        }

        let chosen = match d {
            Decision::Placed(i) => Some(i),
            Decision::Unplaced { .. } => None,
        };
        let task = chosen.map(|_| task_id(self.created));
        if self.rec.wants_decision_for(task.as_deref()) {
            let scan = self.placer.scan(plan, &res, group, &self.cluster, true);
            let origin = self.origin_label(origin);
            let ctx = crate::placement::explain::Context {
                time: self.now().secs_string(),
                task,
                origin,
                tie_break: self.placer.tie_break(),
            };
            let v = crate::placement::explain::record(
                &self.cluster,
                self.placer.plan_info(plan),
                &res,
                group,
                &scan,
                chosen,
                ctx,
            );
            self.rec.decision(&v);
        }
        d
    }

    // ---- the end ----------------------------------------------------------

    fn finish(mut self, seed: u64) -> Outcome {
        for s in 0..self.services.len() {
            let (td, group) = (self.services[s].taskdef, self.services[s].group);
            let reason = self.services[s].last_reason.unwrap_or("capacity was not yet checked");
            let wanted: Vec<SimTime> = self.services[s].wanted.drain(..).collect();
            for arrived in wanted {
                self.not_created(
                    td,
                    group,
                    Origin::Service(s as u32),
                    arrived,
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
        let count = |f: &dyn Fn(&Task) -> bool| self.tasks.iter().filter(|t| f(t)).count() as u64;
        let n = self.samples.len().max(1) as f64;
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
            cluster: self.cluster,
            registry: self.registry,
            tasks: self.tasks,
            services: self.services,
            arns: self.arns,
            group_names,
            provider_names: self.sc.capacity.providers.iter().map(|p| p.name.clone()).collect(),
            instance_costs,
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
        if matches!(t.status, TaskStatus::Pending | TaskStatus::Running) && !t.pool.is_fargate() {
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
    Ok(())
}
