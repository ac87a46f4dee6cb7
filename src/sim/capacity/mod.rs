//! Capacity: the part of a run that owns the Auto Scaling groups (desired capacity,
//! instances, launches under way, warm-up), managed scaling's metric, the
//! PROVISIONING tasks waiting for a provider, the base/weight bookkeeping of provider
//! strategies, and Fargate's zones and Spot. Its decisions are pure functions of its
//! state and what it is shown; [`asg`] drives them on the run's clock.

mod asg;

use super::concern;
use super::ids::TaskIdx;
use crate::capacity::cost::Account;
use crate::capacity::providers::ProviderKind;
use crate::capacity::scaling::{self, Shape};
use crate::ecs::cluster::{GroupId, InstanceId};
use crate::ecs::intern::Sym;
use crate::ecs::provider::{Pool, ProviderId};
use crate::ecs::task_definition::Reservation;
use crate::engine::{RngStreams, SimDuration, SimTime, StreamRng};
use crate::scenario::Scenario;
use crate::scenario::instances::InstanceTemplate;
use crate::scenario::schema::FaultType;
use std::collections::{BTreeMap, VecDeque};

pub use asg::Cause;

/// Managed scaling evaluates every minute.
pub const TICK: SimDuration = SimDuration(60_000);
/// A Spot interruption notice comes two minutes ahead.
pub const SPOT_NOTICE: SimDuration = SimDuration(120_000);

/// An instance an Auto Scaling group is launching.
#[derive(Clone, Debug)]
pub struct Launching {
    /// The group.
    pub asg: usize,
    /// The EC2 id it will have.
    pub ec2_instance_id: String,
    /// Its zone.
    pub az: String,
    /// When it was launched (billing starts).
    pub launched_at: SimTime,
    /// A scale-in cancelled it before it registered.
    pub cancelled: bool,
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

/// The capacity part of a run.
pub struct Capacity {
    asgs: Vec<AsgState>,
    launches: Vec<Launching>,
    warm_until: BTreeMap<InstanceId, SimTime>,
    provider_of_asg: Vec<Option<ProviderId>>,
    provisioning: Vec<VecDeque<TaskIdx>>,
    fargate_running: Vec<u32>,
    fargate_zones: BTreeMap<(GroupId, Option<Pool>, Sym), u32>,
    live_by_provider: BTreeMap<(GroupId, ProviderId), u32>,
    launch_rngs: Vec<StreamRng>,
    scale_in_rngs: Vec<StreamRng>,
    spot_rngs: Vec<StreamRng>,
    fargate_spot_rng: StreamRng,
    fargate_start_rng: StreamRng,
}

/// When something happening `rate_per_hour` times an hour happens next after `now`.
fn exponential_after(rng: &mut StreamRng, rate_per_hour: f64, now: SimTime) -> Option<SimTime> {
    (rate_per_hour > 0.0).then(|| now + crate::engine::exponential_gap(rng, 3_600_000.0 / rate_per_hour))
}

/// The smallest and largest of a group's instance types, for sizing a scale-out.
fn shapes(templates: &[InstanceTemplate]) -> (Shape, Shape) {
    let small = Shape {
        cpu: templates.iter().map(|t| t.cpu).min().unwrap_or(0),
        memory: templates.iter().map(|t| t.memory).min().unwrap_or(0),
        enis: templates.iter().map(|t| t.task_enis).min().unwrap_or(0),
        gpus: templates.iter().map(|t| t.gpus).min().unwrap_or(0),
    };
    let large = Shape {
        cpu: templates.iter().map(|t| t.cpu).max().unwrap_or(0),
        memory: templates.iter().map(|t| t.memory).max().unwrap_or(0),
        enis: templates.iter().map(|t| t.task_enis).max().unwrap_or(0),
        gpus: templates.iter().map(|t| t.gpus).max().unwrap_or(0),
    };
    (small, large)
}

impl Capacity {
    /// Fresh state for a scenario: each group at its starting desired capacity.
    pub fn new(sc: &Scenario, streams: RngStreams) -> Self {
        let mut provider_of_asg = vec![None; sc.asgs.len()];
        for (i, p) in sc.capacity.providers.iter().enumerate() {
            if let ProviderKind::Asg { asg, .. } = p.kind {
                provider_of_asg[asg] = Some(ProviderId(i as u32));
            }
        }
        let per_asg = |c: u32| (0..sc.asgs.len() as u32).map(|a| streams.stream(c, a)).collect();
        Capacity {
            asgs: sc
                .asgs
                .iter()
                .map(|a| AsgState {
                    desired: a.desired_capacity,
                    ..Default::default()
                })
                .collect(),
            launches: Vec::new(),
            warm_until: BTreeMap::new(),
            provider_of_asg,
            provisioning: vec![VecDeque::new(); sc.capacity.providers.len()],
            fargate_running: vec![0; sc.capacity.providers.len()],
            fargate_zones: BTreeMap::new(),
            live_by_provider: BTreeMap::new(),
            launch_rngs: per_asg(concern::LAUNCH),
            scale_in_rngs: per_asg(concern::ASG_SCALE_IN),
            spot_rngs: per_asg(concern::SPOT),
            fargate_spot_rng: streams.stream(concern::FARGATE_SPOT, 0),
            fargate_start_rng: streams.stream(concern::FARGATE_START, 0),
        }
    }

    /// Cost accounts, in report order: EC2 and EXTERNAL instance groups, Auto Scaling
    /// group providers, then the Fargate providers that can be used.
    pub fn accounts(sc: &Scenario) -> Vec<Account> {
        let mut keys = Vec::new();
        if sc.instance_groups.iter().any(|g| !g.external) {
            keys.push(Account::Ec2);
        }
        if sc.instance_groups.iter().any(|g| g.external) {
            keys.push(Account::External);
        }
        let providers = &sc.capacity.providers;
        keys.extend(
            (0..providers.len())
                .filter(|&i| matches!(providers[i].kind, ProviderKind::Asg { .. }))
                .map(|i| Account::Provider(ProviderId(i as u32))),
        );
        use crate::ecs::api::LaunchType::Fargate;
        let fargate_launch = sc.services.iter().any(|s| s.launch_type == Some(Fargate))
            || sc.workloads.iter().any(|w| w.run_task.launch_type == Some(Fargate))
            || sc.timeline.iter().any(|e| {
                matches!(&e.request, crate::scenario::schema::ApiCall::RunTask(r) if r.launch_type == Some(Fargate))
            });
        for (i, p) in providers.iter().enumerate() {
            if let ProviderKind::Fargate { spot } = p.kind
                && (sc.capacity.is_associated(ProviderId(i as u32)) || (fargate_launch && !spot))
            {
                keys.push(Account::Provider(ProviderId(i as u32)));
            }
        }
        keys
    }

    /// The cost account of a pool's tasks or instances (launch type FARGATE bills to
    /// the FARGATE provider's account).
    pub fn account(sc: &Scenario, pool: Pool) -> Account {
        match pool {
            Pool::Ec2 => Account::Ec2,
            Pool::External => Account::External,
            Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } => Account::Provider(p),
            Pool::Fargate { spot, provider: None } => {
                let name = if spot {
                    crate::ecs::provider::FARGATE_SPOT
                } else {
                    crate::ecs::provider::FARGATE
                };
                Account::Provider(
                    sc.capacity
                        .provider(name)
                        .expect("FARGATE and FARGATE_SPOT always exist"),
                )
            }
        }
    }

    /// Whether a provider has managed scaling (its unplaceable tasks wait PROVISIONING).
    pub fn managed(sc: &Scenario, p: ProviderId) -> bool {
        matches!(
            sc.capacity.providers[p.0 as usize].kind,
            ProviderKind::Asg { scaling: Some(_), .. }
        )
    }

    /// PROVISIONING tasks in the run.
    pub fn provisioning_count(&self) -> u32 {
        self.provisioning.iter().map(|q| q.len() as u32).sum()
    }

    /// Provider `p`'s PROVISIONING tasks, oldest first.
    pub fn provisioning(&self, p: ProviderId) -> &VecDeque<TaskIdx> {
        &self.provisioning[p.0 as usize]
    }

    /// A task starts waiting PROVISIONING for provider `p`.
    pub fn start_provisioning(&mut self, p: ProviderId, t: TaskIdx) {
        self.provisioning[p.0 as usize].push_back(t);
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
        if let Some(p) = pool.provider() {
            let n = self.live_by_provider.entry((group, p)).or_default();
            *n = n.checked_add_signed(delta).expect("live task counts stay ≥ 0");
        }
    }

    /// A Fargate task of provider `p` reached RUNNING (`+1`) or stopped (`-1`).
    pub fn fargate_running(&mut self, pool: Pool, delta: i32) {
        if let Pool::Fargate { provider: Some(p), .. } = pool {
            let n = &mut self.fargate_running[p.0 as usize];
            *n = n.checked_add_signed(delta).expect("running counts stay ≥ 0");
        }
    }

    /// The zone for a new Fargate task of `group` on `pool`: of `zones`, the one holding
    /// the fewest of the group's tasks on that provider (FARGATE and FARGATE_SPOT each
    /// spread on their own), then the fewest of the group's Fargate tasks on any
    /// provider, then the first.
    pub fn fargate_zone(&mut self, group: GroupId, pool: Pool, zones: &[Sym]) -> Option<Sym> {
        if zones.is_empty() {
            return None;
        }
        let count = |p: Option<Pool>, z: Sym| self.fargate_zones.get(&(group, p, z)).copied().unwrap_or(0);
        let counts: Vec<(u32, u32)> = zones.iter().map(|z| (count(Some(pool), *z), count(None, *z))).collect();
        let z = zones[crate::capacity::fargate::choose_zone(&counts)];
        self.fargate_count(group, pool, Some(z), 1);
        Some(z)
    }

    /// A Fargate task of `pool` stopped: its zone holds one fewer.
    pub fn fargate_stopped(&mut self, group: GroupId, pool: Pool, zone: Option<Sym>) {
        self.fargate_count(group, pool, zone, -1);
    }

    /// Counts a Fargate task in or out of its zone, for its pool and (under `None`) for
    /// the group as a whole.
    fn fargate_count(&mut self, group: GroupId, pool: Pool, zone: Option<Sym>, delta: i32) {
        let Some(z) = zone else { return };
        for p in [Some(pool), None] {
            let n = self.fargate_zones.entry((group, p, z)).or_default();
            *n = n.checked_add_signed(delta).expect("zone counts stay ≥ 0");
        }
    }

    /// How long a Fargate task created now takes to reach RUNNING (before image pulls).
    pub fn fargate_start_latency(&mut self, sc: &Scenario) -> SimDuration {
        sc.fargate_start_latency.sample(&mut self.fargate_start_rng)
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

    /// Instances of groups and launches under way: an instance left the group.
    pub fn instance_left(&mut self, id: InstanceId) {
        for st in &mut self.asgs {
            st.instances.retain(|i| *i != id);
        }
    }

    /// Managed scaling of provider `p` (an Auto Scaling group provider with managed
    /// scaling) at `now`: CapacityProviderReservation from the busy instances and the
    /// PROVISIONING tasks' needs, then target tracking — a scale-out at once, a scale-in
    /// after 15 points below target; neither while an instance launched less than
    /// `instanceWarmupPeriod` ago (launching or registered) warms up.
    pub fn tick(
        &mut self,
        sc: &Scenario,
        p: ProviderId,
        now: SimTime,
        busy: impl Fn(InstanceId) -> bool,
        reservation: impl Fn(TaskIdx) -> Reservation,
    ) {
        let ProviderKind::Asg {
            asg,
            scaling: Some(cfg),
            ..
        } = &sc.capacity.providers[p.0 as usize].kind
        else {
            return;
        };
        let (asg, cfg) = (*asg, cfg);
        let st = &self.asgs[asg];
        let n = (st.instances.len() + st.launching.len()) as u32;
        let busy = st.instances.iter().filter(|&&i| busy(i)).count() as u32;
        let queue = &self.provisioning[p.0 as usize];
        let m = if queue.is_empty() {
            busy
        } else {
            let reservations: Vec<Reservation> = queue.iter().map(|&t| reservation(t)).collect();
            let refs: Vec<&Reservation> = reservations.iter().collect();
            let (small, large) = shapes(&sc.asgs[asg].templates);
            let needed = scaling::instances_needed(&refs, small, large);
            let launching = st.launching.len() as u32;
            n + scaling::step(needed.saturating_sub(launching), cfg)
        };
        let metric = scaling::reservation(m, n);
        let target = scaling::desired_for(m, cfg);
        let spec = &sc.asgs[asg];
        let warmup = SimDuration::from_secs(cfg.warmup_secs as u64);
        let warming = st
            .launching
            .iter()
            .any(|l| self.launches[*l as usize].launched_at + warmup > now)
            || st
                .instances
                .iter()
                .any(|i| self.warm_until.get(i).is_some_and(|w| *w > now));
        let st = &mut self.asgs[asg];
        st.metric = Some(metric);
        if target > st.desired {
            if !warming {
                st.desired = target.min(spec.max_size);
            }
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

    /// The per-provider timeseries columns at `at`.
    pub fn provider_samples(&self, sc: &Scenario, at: SimTime) -> Vec<super::metrics::samples::ProviderSample> {
        use super::metrics::samples::ProviderSample;
        sc.capacity
            .providers
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                matches!(p.kind, ProviderKind::Asg { .. }) || sc.capacity.is_associated(ProviderId(*i as u32))
            })
            .map(|(i, p)| match p.kind {
                ProviderKind::Asg { asg, .. } => {
                    let st = &self.asgs[asg];
                    let warming = st.launching.len() as u32
                        + st.instances
                            .iter()
                            .filter(|i| self.warm_until.get(i).is_some_and(|w| *w > at))
                            .count() as u32;
                    ProviderSample {
                        name: p.name.clone(),
                        asg: Some(sc.asgs[asg].name.clone()),
                        reservation: st.metric,
                        desired: Some(st.desired),
                        running: st.instances.len() as u32,
                        warming,
                        provisioning: self.provisioning[i].len() as u32,
                    }
                }
                ProviderKind::Fargate { .. } => ProviderSample {
                    name: p.name.clone(),
                    asg: None,
                    reservation: None,
                    desired: None,
                    running: self.fargate_running[i],
                    warming: 0,
                    provisioning: 0,
                },
            })
            .collect()
    }
}
