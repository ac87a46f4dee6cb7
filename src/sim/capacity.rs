//! The run loop's capacity side: Auto Scaling groups launching and terminating
//! instances, managed scaling every minute, PROVISIONING tasks, Spot interruptions,
//! Fargate zones.

use super::task::{Origin, Reason, StopCode, TaskIdx, TaskStatus};
use super::{Event, ProviderSample, Sim, concern};
use crate::capacity::providers::ProviderKind;
use crate::capacity::scaling::{self, Shape};
use crate::ecs::cluster::{GroupId, InstanceId, InstanceSpec, InstanceStatus};
use crate::ecs::intern::Sym;
use crate::ecs::provider::{Pool, ProviderId};
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::scenario::Scenario;
use crate::scenario::instances::InstanceTemplate;
use crate::scenario::schema::FaultType;
use rand::RngExt;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};

/// Managed scaling evaluates every minute.
const TICK: SimDuration = SimDuration(60_000);
/// A Spot interruption notice comes two minutes ahead.
const SPOT_NOTICE: SimDuration = SimDuration(120_000);

/// Why an instance is terminated.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Its Auto Scaling group scaled in.
    ScaleIn,
    /// EC2 reclaimed its Spot capacity.
    Spot,
    /// It failed (a fault).
    Failure,
}

/// The container instance a template registers as.
pub fn instance_spec(
    sc: &Scenario,
    t: &InstanceTemplate,
    ec2_instance_id: &str,
    az: &str,
    origin: u32,
    hourly: f64,
) -> InstanceSpec {
    let mut attributes = t.attributes.clone();
    attributes.insert("ecs.availability-zone".into(), az.to_string());
    InstanceSpec {
        ec2_instance_id: ec2_instance_id.to_string(),
        instance_type: t.instance_type.clone(),
        availability_zone: az.to_string(),
        cpu: t.cpu,
        memory: t.memory,
        task_enis: t.task_enis,
        reserved_ports: t.reserved_ports.clone(),
        attributes,
        agent_version: t.agent_version.clone(),
        registered_at_unix_ms: 0,
        origin,
        hourly_price: hourly,
        provider: None,
        external: false,
        ecs_cluster: Default::default(),
        agent: t.agent.clone(),
        pull_bandwidth: t.pull_bandwidth.unwrap_or(sc.image_pull.bandwidth_mib_per_s),
    }
}

/// An instance an Auto Scaling group is launching.
#[derive(Clone, Debug)]
struct Launching {
    asg: usize,
    ec2_instance_id: String,
    az: String,
    launched_at: SimTime,
    cancelled: bool,
}

/// One Auto Scaling group's state.
#[derive(Clone, Debug, Default)]
struct AsgState {
    desired: u32,
    instances: Vec<InstanceId>,
    launching: Vec<u32>,
    next_number: u32,
    below_target_minutes: u32,
    metric: Option<f64>,
}

/// Capacity state of a run.
pub(super) struct CapacityState {
    asgs: Vec<AsgState>,
    launches: Vec<Launching>,
    launched_at: BTreeMap<InstanceId, SimTime>,
    warm_until: BTreeMap<InstanceId, SimTime>,
    provider_of_asg: Vec<Option<ProviderId>>,
    /// PROVISIONING tasks per provider, oldest first.
    pub provisioning: Vec<VecDeque<TaskIdx>>,
    /// RUNNING tasks per Fargate provider.
    pub fargate_running: Vec<u32>,
    fargate_zones: BTreeMap<(GroupId, Sym), u32>,
    live_by_provider: BTreeMap<(GroupId, ProviderId), u32>,
    launch_rngs: Vec<StreamRng>,
    scale_in_rngs: Vec<StreamRng>,
    spot_rngs: Vec<StreamRng>,
    fargate_spot_rng: StreamRng,
}

impl CapacityState {
    /// Fresh state for a scenario.
    pub fn new(sc: &Scenario, streams: RngStreams) -> Self {
        let mut provider_of_asg = vec![None; sc.asgs.len()];
        for (i, p) in sc.capacity.providers.iter().enumerate() {
            if let ProviderKind::Asg { asg, .. } = p.kind {
                provider_of_asg[asg] = Some(ProviderId(i as u32));
            }
        }
        CapacityState {
            asgs: sc
                .asgs
                .iter()
                .map(|a| AsgState {
                    desired: a.desired_capacity,
                    ..Default::default()
                })
                .collect(),
            launches: Vec::new(),
            launched_at: BTreeMap::new(),
            warm_until: BTreeMap::new(),
            provider_of_asg,
            provisioning: vec![VecDeque::new(); sc.capacity.providers.len()],
            fargate_running: vec![0; sc.capacity.providers.len()],
            fargate_zones: BTreeMap::new(),
            live_by_provider: BTreeMap::new(),
            launch_rngs: (0..sc.asgs.len() as u32)
                .map(|a| streams.stream(concern::LAUNCH, a))
                .collect(),
            scale_in_rngs: (0..sc.asgs.len() as u32)
                .map(|a| streams.stream(concern::ASG_SCALE_IN, a))
                .collect(),
            spot_rngs: (0..sc.asgs.len() as u32)
                .map(|a| streams.stream(concern::SPOT, a))
                .collect(),
            fargate_spot_rng: streams.stream(concern::FARGATE_SPOT, 0),
        }
    }

    /// Cost accounts, in report order.
    pub fn cost_keys(&self, sc: &Scenario) -> Vec<String> {
        let mut keys = Vec::new();
        if sc.instance_groups.iter().any(|g| !g.external) {
            keys.push("EC2".to_string());
        }
        if sc.instance_groups.iter().any(|g| g.external) {
            keys.push("EXTERNAL".to_string());
        }
        keys.extend(
            sc.capacity
                .providers
                .iter()
                .filter(|p| matches!(p.kind, ProviderKind::Asg { .. }))
                .map(|p| p.name.clone()),
        );
        let fargate_launch = sc.services.iter().any(|s| s.launch_type == Some(crate::ecs::api::LaunchType::Fargate))
            || sc.workloads.iter().any(|w| w.run_task.launch_type == Some(crate::ecs::api::LaunchType::Fargate))
            || sc.timeline.iter().any(|e| {
                matches!(&e.request, crate::scenario::schema::ApiCall::RunTask(r) if r.launch_type == Some(crate::ecs::api::LaunchType::Fargate))
            });
        for (i, p) in sc.capacity.providers.iter().enumerate() {
            if let ProviderKind::Fargate { spot } = p.kind
                && (sc.capacity.is_associated(ProviderId(i as u32)) || (fargate_launch && !spot))
            {
                keys.push(p.name.clone());
            }
        }

        keys
    }

    /// The cost account of a pool's tasks or instances.
    pub fn cost_key(&self, sc: &Scenario, pool: Pool) -> String {
        match pool {
            Pool::Ec2 => "EC2".into(),
            Pool::External => "EXTERNAL".into(),
            Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } => {
                sc.capacity.providers[p.0 as usize].name.clone()
            }
            Pool::Fargate {
                spot: false,
                provider: None,
            } => crate::ecs::provider::FARGATE.into(),
            Pool::Fargate {
                spot: true,
                provider: None,
            } => crate::ecs::provider::FARGATE_SPOT.into(),
        }
    }

    /// The capacity provider of a pool, as ECS names it in task events (empty for none).
    pub fn provider_name(&self, sc: &Scenario, pool: Pool) -> String {
        match pool {
            Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } => {
                sc.capacity.providers[p.0 as usize].name.clone()
            }
            _ => String::new(),
        }
    }

    /// Whether a provider has managed scaling (its unplaceable tasks wait PROVISIONING).
    pub fn managed(&self, sc: &Scenario, p: ProviderId) -> bool {
        matches!(
            sc.capacity.providers[p.0 as usize].kind,
            ProviderKind::Asg { scaling: Some(_), .. }
        )
    }

    /// PROVISIONING tasks in the cluster.
    pub fn provisioning_count(&self) -> u32 {
        self.provisioning.iter().map(|q| q.len() as u32).sum()
    }

    /// Drops a task from its provider's PROVISIONING queue.
    pub fn forget_provisioning(&mut self, t: TaskIdx, pool: Pool) {
        if let Pool::Provider(p) = pool {
            self.provisioning[p.0 as usize].retain(|x| *x != t);
        }
    }

    /// Live (PROVISIONING, PENDING or RUNNING) tasks of `group` on each provider of a
    /// strategy: how many each item already holds. SIM CHOICE: a strategy's base and
    /// weights apply to the group's live tasks — a service's, or a RunTask group's across
    /// calls (ECS does not say how weights carry across RunTask calls).
    pub fn held(&self, group: GroupId, providers: &[ProviderId]) -> Vec<u32> {
        providers
            .iter()
            .map(|p| self.live_by_provider.get(&(group, *p)).copied().unwrap_or(0))
            .collect()
    }

    /// A task of `group` became live on `pool` (`+1`) or stopped (`-1`).
    pub fn count_live(&mut self, group: GroupId, pool: Pool, delta: i32) {
        if let Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } = pool {
            let n = self.live_by_provider.entry((group, p)).or_default();
            *n = n.checked_add_signed(delta).expect("live task counts stay ≥ 0");
        }
    }

    /// The zone for a new Fargate task of `group`: of `zones`, the one holding the
    /// fewest of the group's Fargate tasks (whatever their provider), the first on ties.
    pub fn fargate_zone(&mut self, group: GroupId, zones: &[Sym]) -> Option<Sym> {
        if zones.is_empty() {
            return None;
        }
        let counts: Vec<u32> = zones
            .iter()
            .map(|z| self.fargate_zones.get(&(group, *z)).copied().unwrap_or(0))
            .collect();
        let z = zones[crate::capacity::fargate::choose_zone(&counts)];
        *self.fargate_zones.entry((group, z)).or_default() += 1;
        Some(z)
    }

    /// A Fargate task stopped: its zone holds one fewer.
    pub fn fargate_stopped(&mut self, group: GroupId, zone: Option<Sym>) {
        if let Some(z) = zone
            && let Some(n) = self.fargate_zones.get_mut(&(group, z))
        {
            *n -= 1;
        }
    }

    /// When a Fargate Spot task started now is interrupted, if a random rate is set.
    pub fn fargate_spot_interruption(&mut self, sc: &Scenario, now: SimTime) -> Option<SimTime> {
        let rate = sc
            .faults
            .iter()
            .filter(|f| {
                f.kind == FaultType::SpotInterruption
                    && f.capacity_provider.as_deref() == Some(crate::ecs::provider::FARGATE_SPOT)
            })
            .filter_map(|f| f.rate_per_hour)
            .sum::<f64>();
        exponential_after(&mut self.fargate_spot_rng, rate, now)
    }

    /// When an instance was launched (Auto Scaling group instances).
    pub fn launched_at(&self, id: InstanceId) -> Option<SimTime> {
        self.launched_at.get(&id).copied()
    }
}

/// When something happening `rate_per_hour` times an hour happens next after `now`.
fn exponential_after(rng: &mut StreamRng, rate_per_hour: f64, now: SimTime) -> Option<SimTime> {
    (rate_per_hour > 0.0).then(|| now + crate::engine::exponential_gap(rng, 3_600_000.0 / rate_per_hour))
}

fn shapes(templates: &[InstanceTemplate]) -> (Shape, Shape) {
    let small = Shape {
        cpu: templates.iter().map(|t| t.cpu).min().unwrap_or(0),
        memory: templates.iter().map(|t| t.memory).min().unwrap_or(0),
        enis: templates.iter().map(|t| t.task_enis).min().unwrap_or(0),
    };
    let large = Shape {
        cpu: templates.iter().map(|t| t.cpu).max().unwrap_or(0),
        memory: templates.iter().map(|t| t.memory).max().unwrap_or(0),
        enis: templates.iter().map(|t| t.task_enis).max().unwrap_or(0),
    };
    (small, large)
}

impl Sim<'_> {
    /// Auto Scaling groups start with `desiredCapacity` instances registered at time 0.
    pub(super) fn start_capacity(&mut self) {
        for a in 0..self.sc.asgs.len() {
            for _ in 0..self.sc.asgs[a].desired_capacity {
                let l = self.begin_launch(a);
                self.launched(l);
            }
        }
        let managed = self
            .sc
            .capacity
            .providers
            .iter()
            .any(|p| matches!(p.kind, ProviderKind::Asg { .. }));
        if managed {
            self.schedule(SimTime::ZERO + TICK, Event::ScalingTick);
        }
    }

    /// Starts launching an instance in group `a`, in its least populated zone.
    fn begin_launch(&mut self, a: usize) -> u32 {
        let spec = &self.sc.asgs[a];
        let st = &self.caps.asgs[a];
        let mut per_zone: Vec<u32> = vec![0; spec.availability_zones.len()];
        let zone_of = |z: &str| spec.availability_zones.iter().position(|x| x == z);
        for &i in &st.instances {
            if let Some(k) = zone_of(&self.cluster.instance(i).spec.availability_zone) {
                per_zone[k] += 1;
            }
        }
        for &l in &st.launching {
            if let Some(k) = zone_of(&self.caps.launches[l as usize].az) {
                per_zone[k] += 1;
            }
        }
        let open: Vec<usize> = (0..per_zone.len())
            .filter(|&k| !self.zone_name_out(&spec.availability_zones[k]))
            .collect();
        let k = if open.is_empty() {
            crate::capacity::fargate::choose_zone(&per_zone)
        } else {
            let counts: Vec<u32> = open.iter().map(|&k| per_zone[k]).collect();
            open[crate::capacity::fargate::choose_zone(&counts)]
        };
        let st = &mut self.caps.asgs[a];
        st.next_number += 1;
        let l = Launching {
            asg: a,
            ec2_instance_id: format!("{}-{}", spec.name, st.next_number),
            az: spec.availability_zones[k].clone(),
            launched_at: self.now(),
            cancelled: false,
        };
        self.caps.launches.push(l);
        let idx = self.caps.launches.len() as u32 - 1;
        self.caps.asgs[a].launching.push(idx);
        idx
    }

    /// A launched instance registers with the cluster.
    pub(super) fn launched(&mut self, l: u32) {
        let launch = self.caps.launches[l as usize].clone();
        let a = launch.asg;
        self.caps.asgs[a].launching.retain(|x| *x != l);
        if launch.cancelled {
            return;
        }
        let spec = &self.sc.asgs[a];
        let t = spec.launch_template();
        let hourly = self.sc.prices.ec2_hour(&t.instance_type, t.on_demand_hour, spec.spot);
        let origin = (self.sc.instance_groups.len() + a) as u32;
        let mut is = instance_spec(self.sc, t, &launch.ec2_instance_id, &launch.az, origin, hourly);
        is.registered_at_unix_ms = self.sc.start_unix_ms + self.now().millis() as i64;
        let now = self.now();
        let provider =
            self.caps.provider_of_asg[a].filter(|p| self.sc.capacity.providers[p.0 as usize].created_at <= now);
        is.provider = provider;
        let key = match provider {
            Some(p) => self.sc.capacity.providers[p.0 as usize].name.clone(),
            None => "EC2".to_string(),
        };
        let agent = super::calls::AgentSetup {
            iam_actions: &t.iam_actions,
            user_data: &t.user_data,
        };
        let Some(id) = self.agent_registers(
            is,
            agent,
            &key,
            crate::capacity::prices::MINIMUM_SECONDS,
            launch.launched_at,
        ) else {
            return;
        };
        self.caps.launched_at.insert(id, launch.launched_at);
        self.caps.asgs[a].instances.push(id);
        if let Some(ProviderKind::Asg { scaling: Some(cfg), .. }) =
            provider.map(|p| &self.sc.capacity.providers[p.0 as usize].kind)
        {
            let warm = self.now() + SimDuration::from_secs(cfg.warmup_secs as u64);
            self.caps.warm_until.insert(id, warm);
        }
        if spec.spot {
            let rate: f64 = self
                .sc
                .faults
                .iter()
                .filter(|f| {
                    f.kind == FaultType::SpotInterruption && f.auto_scaling_group.as_deref() == Some(&spec.name)
                })
                .filter_map(|f| f.rate_per_hour)
                .sum();
            let now = self.now();
            if let Some(at) = exponential_after(&mut self.caps.spot_rngs[a], rate, now) {
                self.schedule(at, Event::SpotNotice(id));
            }
        }
        self.capacity_freed(Some(id));
    }

    /// Places the PROVISIONING tasks of provider `p` that now fit, oldest first; a
    /// shape that did not fit is not tried again in the same pass.
    pub(super) fn place_provisioning(&mut self, p: ProviderId) {
        if self.caps.provisioning[p.0 as usize].is_empty() {
            return;
        }
        let queue: Vec<TaskIdx> = self.caps.provisioning[p.0 as usize].iter().copied().collect();

        let mut failed: Vec<crate::ecs::registry::TaskDefId> = Vec::new();
        for t in queue {
            let task = &self.tasks[t.0 as usize];
            let (td, group, origin, pool) = (task.taskdef, task.group, task.origin, task.pool);
            if failed.contains(&td) {
                continue;
            }
            let plan = match origin {
                super::task::Origin::Service(s) => {
                    let d = self.tasks[t.0 as usize].deployment;
                    let svc = &self.services[s as usize];
                    let config = &svc.deployments[d as usize].config;
                    let (c, st, cluster) = (
                        config.placement_constraints.clone(),
                        config.placement_strategy.clone(),
                        svc.cluster,
                    );
                    self.plan_for(origin, d, td, pool, cluster, &c, st.as_deref())
                }
                _ => {
                    let Some(&plan) = self.plans.get(&(origin, 0, td, pool)) else {
                        continue;
                    };
                    plan
                }
            };
            match self.decide(plan, td, group, origin, false) {
                crate::placement::Decision::Placed(inst) => {
                    self.caps.forget_provisioning(t, pool);
                    self.start_on(t, inst);
                }
                crate::placement::Decision::Unplaced { .. } => failed.push(td),
            }
        }
    }

    /// Every minute: managed scaling of each Auto Scaling group provider, then each
    /// group brought to its desired capacity.
    pub(super) fn scaling_tick(&mut self) {
        let now = self.now();
        for (pi, p) in self.sc.capacity.providers.iter().enumerate() {
            let ProviderKind::Asg {
                asg,
                scaling: Some(cfg),
                ..
            } = p.kind
            else {
                continue;
            };
            if p.created_at > now {
                continue;
            }
            let st = &self.caps.asgs[asg];
            let n = (st.instances.len() + st.launching.len()) as u32;
            let busy = st
                .instances
                .iter()
                .filter(|&&i| self.cluster.running_tasks(i) > 0)
                .count() as u32;
            let queue = &self.caps.provisioning[pi];
            let m = if queue.is_empty() {
                busy
            } else {
                let reservations: Vec<&crate::ecs::task_definition::Reservation> = queue
                    .iter()
                    .map(|t| &self.registry.get(self.tasks[t.0 as usize].taskdef).reservation)
                    .collect();
                let (small, large) = shapes(&self.sc.asgs[asg].templates);
                let needed = scaling::instances_needed(&reservations, small, large);
                let launching = st.launching.len() as u32;
                n + scaling::step(needed.saturating_sub(launching), &cfg)
            };
            let metric = scaling::reservation(m, n);
            let target = scaling::desired_for(m, &cfg);
            let spec = &self.sc.asgs[asg];
            let warming = st
                .instances
                .iter()
                .any(|i| self.caps.warm_until.get(i).is_some_and(|w| *w > now));
            let st = &mut self.caps.asgs[asg];
            st.metric = Some(metric);
            if target > st.desired {
                st.desired = target.min(spec.max_size);
                st.below_target_minutes = 0;
            } else if target < st.desired && !warming {
                st.below_target_minutes += 1;
                if st.below_target_minutes >= scaling::SCALE_IN_MINUTES {
                    st.desired = target.max(spec.min_size);
                    st.below_target_minutes = 0;
                }
            } else {
                st.below_target_minutes = 0;
            }
        }
        for a in 0..self.sc.asgs.len() {
            self.reconcile_asg(a);
        }
        self.schedule(now + TICK, Event::ScalingTick);
    }

    /// Launches or terminates instances until group `a` holds its desired capacity.
    /// Scale-in cancels launches first, then terminates instances in the zone with the
    /// most, at random within it; with managed termination protection only instances
    /// running no task may go.
    fn reconcile_asg(&mut self, a: usize) {
        let desired = self.caps.asgs[a].desired;
        let current = (self.caps.asgs[a].instances.len() + self.caps.asgs[a].launching.len()) as u32;
        for _ in current..desired {
            let l = self.begin_launch(a);
            let latency = self.sc.asgs[a].launch_latency.sample(&mut self.caps.launch_rngs[a]);
            let at = self.now() + latency;
            self.schedule(at, Event::Launched(l));
        }
        let mut excess = current.saturating_sub(desired);
        while excess > 0 {
            if let Some(l) = self.caps.asgs[a].launching.pop() {
                self.caps.launches[l as usize].cancelled = true;
                excess -= 1;
                continue;
            }
            let protect = self.caps.provider_of_asg[a].is_some_and(|p| {
                matches!(
                    self.sc.capacity.providers[p.0 as usize].kind,
                    ProviderKind::Asg {
                        termination_protection: true,
                        ..
                    }
                )
            });
            let candidates: Vec<InstanceId> = self.caps.asgs[a]
                .instances
                .iter()
                .copied()
                .filter(|&i| !protect || self.cluster.running_tasks(i) == 0)
                .collect();
            if candidates.is_empty() {
                return;
            }
            let zone_count = |z: &str| {
                self.caps.asgs[a]
                    .instances
                    .iter()
                    .filter(|&&i| self.cluster.instance(i).spec.availability_zone == z)
                    .count()
            };
            let most = candidates
                .iter()
                .map(|&i| zone_count(&self.cluster.instance(i).spec.availability_zone))
                .max()
                .unwrap_or(0);
            let in_zone: Vec<InstanceId> = candidates
                .into_iter()
                .filter(|&i| zone_count(&self.cluster.instance(i).spec.availability_zone) == most)
                .collect();
            let victim = in_zone[self.caps.scale_in_rngs[a].random_range(0..in_zone.len())];
            self.terminate_instance(victim, Cause::ScaleIn);
            excess -= 1;
        }
    }

    /// Terminates an instance: its tasks stop (DAEMON tasks last), it deregisters,
    /// billing ends. It passes through DRAINING first.
    pub(super) fn terminate_instance(&mut self, id: InstanceId, cause: Cause) {
        if self.cluster.status(id) == InstanceStatus::Inactive {
            return;
        }
        let now = self.now();
        if self.cluster.status(id) == InstanceStatus::Active {
            self.set_instance_status(id, InstanceStatus::Draining);
        }
        let ec2_instance_id = self.cluster.instance(id).spec.ec2_instance_id.clone();
        let (code, spot) = match cause {
            Cause::Spot => (StopCode::SpotInterruption, true),
            Cause::ScaleIn | Cause::Failure => (StopCode::TerminationNotice, false),
        };
        let mut tasks = self.instance_tasks[id.idx()].clone();
        tasks.sort_by_key(|t| {
            let daemon =
                matches!(self.tasks[t.0 as usize].origin, Origin::Service(s) if self.services[s as usize].daemon);
            (daemon, *t)
        });
        for t in tasks {
            if cause != Cause::ScaleIn {
                self.note_fault_loss(t);
            }
            self.stop_task(
                t,
                code,
                Reason::InstanceTerminated {
                    ec2_instance_id: ec2_instance_id.clone(),
                    spot,
                },
            );
        }
        self.set_instance_status(id, InstanceStatus::Inactive);
        self.costs.close(self.instance_meters[id.idx()], now);
        for st in &mut self.caps.asgs {
            st.instances.retain(|i| *i != id);
        }
        self.instances_changed(id);
    }

    /// A Spot notice: two minutes, draining first when the agent is told to.
    pub(super) fn spot_notice(&mut self, id: InstanceId) {
        if self.cluster.status(id) == InstanceStatus::Inactive {
            return;
        }
        let now = self.now();
        self.count_fault();
        if self.rec.wants_events() {
            let eid = self.next_event_id();
            let spec = &self.cluster.instance(id).spec;
            let v = json!({
                "version": "0", "id": eid, "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
                "account": super::records::ACCOUNT, "time": self.arns.iso(now), "simTime": now.secs_string(),
                "region": super::records::REGION, "resources": [format!("arn:aws:ec2:{}:{}:instance/{}", super::records::REGION, super::records::ACCOUNT, spec.ec2_instance_id)],
                "detail": {"instance-id": spec.ec2_instance_id, "instance-action": "terminate"},
            });
            self.record(v);
        }
        if self.cluster.instance(id).spec.agent.spot_draining && self.cluster.status(id) == InstanceStatus::Active {
            self.drain_instance(id);
        }
        self.schedule(now + SPOT_NOTICE, Event::SpotReclaim(id));
    }

    /// A Fargate Spot warning: the task stops two minutes later.
    pub(super) fn fargate_spot_notice(&mut self, t: TaskIdx) {
        if self.tasks[t.0 as usize].status != TaskStatus::Running {
            return;
        }
        self.count_fault();
        self.tasks[t.0 as usize].version += 1;
        if self.rec.wants_events() {
            self.tasks[t.0 as usize].stop_code = Some(StopCode::TerminationNotice);
            self.tasks[t.0 as usize].reason = Some(Reason::FargateSpotInterrupted);
            self.task_event(t);
            self.tasks[t.0 as usize].stop_code = None;
            self.tasks[t.0 as usize].reason = None;
        }
        let at = self.now() + SPOT_NOTICE;
        self.schedule_on(at, t, Event::FargateSpotStop(t));
    }

    /// The per-provider timeseries columns at `at`.
    pub(super) fn provider_samples(&self, at: SimTime) -> Vec<ProviderSample> {
        self.sc
            .capacity
            .providers
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                matches!(p.kind, ProviderKind::Asg { .. }) || self.sc.capacity.is_associated(ProviderId(*i as u32))
            })
            .map(|(i, p)| match p.kind {
                ProviderKind::Asg { asg, .. } => {
                    let st = &self.caps.asgs[asg];
                    let warming = st.launching.len() as u32
                        + st.instances
                            .iter()
                            .filter(|i| self.caps.warm_until.get(i).is_some_and(|w| *w > at))
                            .count() as u32;
                    ProviderSample {
                        name: p.name.clone(),
                        asg: Some(self.sc.asgs[asg].name.clone()),
                        reservation: st.metric,
                        desired: Some(st.desired),
                        running: st.instances.len() as u32,
                        warming,
                        provisioning: self.caps.provisioning[i].len() as u32,
                    }
                }
                ProviderKind::Fargate { .. } => ProviderSample {
                    name: p.name.clone(),
                    asg: None,
                    reservation: None,
                    desired: None,
                    running: self.caps.fargate_running[i],
                    warming: 0,
                    provisioning: 0,
                },
            })
            .collect()
    }
}
