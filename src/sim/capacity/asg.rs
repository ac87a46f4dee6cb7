//! Capacity on the run's clock: instance groups registering at the start, Auto
//! Scaling groups launching and terminating instances, managed scaling every minute,
//! PROVISIONING tasks placed as instances arrive, Spot notices.

use super::{Capacity, Launching, SPOT_NOTICE, TICK, exponential_after};
use crate::capacity::cost::Account;
use crate::capacity::providers::ProviderKind;
use crate::ecs::cluster::{Cluster, GroupId, InstanceId, InstanceSpec, InstanceStatus};
use crate::ecs::provider::{ProviderId, Scope};
use crate::engine::{SimDuration, SimTime};
use crate::scenario::Scenario;
use crate::scenario::instances::InstanceTemplate;
use crate::scenario::schema::FaultType;
use crate::sim::ids::{Origin, TaskIdx};
use crate::sim::journal::Record;
use crate::sim::rules::{AgentSetup, Billing};
use crate::sim::task::{Reason, StopCode, TaskStatus};
use crate::sim::{Event, Sim};
use rand::RngExt;

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
fn instance_spec(
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
        instance_type: t.instance_type.clone().into(),
        availability_zone: az.to_string(),
        cpu: t.cpu,
        memory: t.memory,
        task_enis: t.task_enis,
        gpus: t.gpus,
        extra: Vec::new(),
        reserved_ports: t.reserved_ports.clone(),
        attributes,
        agent_version: t.agent_version.clone().into(),
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

impl Capacity {
    /// Starts launching an instance in group `a` at `now`, in its least populated zone
    /// that is not out: `zone_of` gives a registered instance's zone.
    fn begin_launch(
        &mut self,
        sc: &Scenario,
        a: usize,
        now: SimTime,
        zone_of_instance: impl Fn(InstanceId) -> String,
        zone_out: impl Fn(&str) -> bool,
    ) -> u32 {
        let spec = &sc.asgs[a];
        let st = &self.asgs[a];
        let mut per_zone: Vec<u32> = vec![0; spec.availability_zones.len()];
        let zone_of = |z: &str| spec.availability_zones.iter().position(|x| x == z);
        for &i in &st.instances {
            if let Some(k) = zone_of(&zone_of_instance(i)) {
                per_zone[k] += 1;
            }
        }
        for &l in &st.launching {
            if let Some(k) = zone_of(&self.launches[l as usize].az) {
                per_zone[k] += 1;
            }
        }
        let open: Vec<usize> = (0..per_zone.len())
            .filter(|&k| !zone_out(&spec.availability_zones[k]))
            .collect();
        let k = if open.is_empty() {
            crate::capacity::fargate::choose_zone(&per_zone)
        } else {
            let counts: Vec<u32> = open.iter().map(|&k| per_zone[k]).collect();
            open[crate::capacity::fargate::choose_zone(&counts)]
        };
        let st = &mut self.asgs[a];
        st.next_number += 1;
        self.launches.push(Launching {
            asg: a,
            ec2_instance_id: format!("{}-{}", spec.name, st.next_number),
            az: spec.availability_zones[k].clone(),
            launched_at: now,
            cancelled: false,
        });
        let idx = self.launches.len() as u32 - 1;
        self.asgs[a].launching.push(idx);
        idx
    }
}

impl Sim<'_> {
    fn begin_launch(&mut self, a: usize) -> u32 {
        let (cluster, faults) = (self.fleet.cluster(), &self.faults);
        self.capacity.begin_launch(
            self.sc,
            a,
            self.q.now(),
            |i| cluster.instance(i).spec.availability_zone.clone(),
            |z| faults.zone_name_out(z),
        )
    }

    /// Instance groups register at time 0.
    pub(in crate::sim) fn start_instance_groups(&mut self) {
        let sc = self.sc;
        for (gi, g) in sc.instance_groups.iter().enumerate() {
            let hourly = if g.external {
                sc.prices.external_hour
            } else {
                sc.prices
                    .ec2_hour(&g.template.instance_type, g.template.on_demand_hour, false)
            };
            let billing = Billing::standalone(g.external, SimTime::ZERO);
            for n in 0..g.count as usize {
                let az = g.availability_zones[n % g.availability_zones.len()].clone();
                let mut spec = instance_spec(sc, &g.template, &g.ec2_instance_ids[n], &az, gi as u32, hourly);
                spec.registered_at_unix_ms = g.registered_at_unix_ms;
                spec.external = g.external;
                let agent = AgentSetup {
                    iam_actions: &g.template.iam_actions,
                    user_data: &g.template.user_data,
                };
                self.agent_registers(spec, agent, billing);
            }
        }
    }

    /// An instance group's instance that an outage took down registers again: a new
    /// container instance, the same EC2 id.
    pub(in crate::sim) fn reregister(&mut self, old: InstanceId) -> Option<InstanceId> {
        let now = self.now();
        let mut spec = self.fleet.cluster().registered_spec(old);
        spec.registered_at_unix_ms = self.sc.start_unix_ms + now.millis() as i64;
        let g = &self.sc.instance_groups[spec.origin as usize];
        let billing = Billing::standalone(g.external, now);
        let agent = AgentSetup {
            iam_actions: &g.template.iam_actions,
            user_data: &g.template.user_data,
        };
        self.agent_registers(spec, agent, billing)
    }

    /// Auto Scaling groups start with `desiredCapacity` instances registered at time 0.
    pub(in crate::sim) fn start_capacity(&mut self) {
        for a in 0..self.sc.asgs.len() {
            for _ in 0..self.sc.asgs[a].desired_capacity {
                let l = self.begin_launch(a);
                self.launched(l);
            }
        }
        // They were launched before the run began: past their warm-up.
        self.capacity.warm_until.clear();
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

    /// A launched instance registers with the cluster.
    pub(in crate::sim) fn launched(&mut self, l: u32) {
        let launch = self.capacity.launches[l as usize].clone();
        let a = launch.asg;
        self.capacity.asgs[a].launching.retain(|x| *x != l);
        if launch.cancelled {
            return;
        }
        let now = self.now();
        let spec = &self.sc.asgs[a];
        let t = spec.launch_template();
        let hourly = self.sc.prices.ec2_hour(&t.instance_type, t.on_demand_hour, spec.spot);
        let origin = (self.sc.instance_groups.len() + a) as u32;
        let mut is = instance_spec(self.sc, t, &launch.ec2_instance_id, &launch.az, origin, hourly);
        is.registered_at_unix_ms = self.sc.start_unix_ms + now.millis() as i64;
        let provider =
            self.capacity.provider_of_asg[a].filter(|p| self.sc.capacity.providers[p.0 as usize].created_at <= now);
        is.provider = provider;
        let billing = Billing {
            account: provider.map_or(Account::Ec2, Account::Provider),
            minimum_secs: crate::capacity::prices::MINIMUM_SECONDS,
            from: launch.launched_at,
        };
        let agent = AgentSetup {
            iam_actions: &t.iam_actions,
            user_data: &t.user_data,
        };
        let Some(id) = self.agent_registers(is, agent, billing) else {
            return;
        };
        self.capacity.asgs[a].instances.push(id);
        if let Some(ProviderKind::Asg { scaling: Some(cfg), .. }) =
            provider.map(|p| &self.sc.capacity.providers[p.0 as usize].kind)
        {
            let warm = launch.launched_at + SimDuration::from_secs(cfg.warmup_secs as u64);
            self.capacity.warm_until.insert(id, warm);
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
            if let Some(at) = exponential_after(&mut self.capacity.spot_rngs[a], rate, now) {
                self.schedule(at, Event::SpotNotice(id));
            }
        }
        self.capacity_freed(Some(id));
    }

    /// Places the PROVISIONING tasks of provider `p` that now fit, oldest first; a
    /// shape that did not fit is not tried again in the same pass.
    pub(in crate::sim) fn place_provisioning(&mut self, p: ProviderId) {
        if self.capacity.provisioning(p).is_empty() {
            return;
        }
        let queue: Vec<TaskIdx> = self.capacity.provisioning(p).iter().copied().collect();
        let mut failed: Vec<crate::ecs::registry::TaskDefId> = Vec::new();
        for t in queue {
            let task = self.tasks.get(t);
            let (td, group, origin, pool, d, cluster) = (
                task.taskdef,
                task.group,
                task.origin,
                task.pool,
                task.deployment,
                task.cluster,
            );
            if failed.contains(&td) {
                continue;
            }
            let plan = match origin {
                Origin::Service(s) => {
                    let chain = self.services.get(s).deployment(d).config.chain.clone();
                    self.fleet
                        .plan((origin, d.0, td, pool), || chain, Scope { pool, cluster })
                }
                _ => {
                    let Some(plan) = self.fleet.plan_of(&(origin, 0, td, pool)) else {
                        continue;
                    };
                    plan
                }
            };
            match self.decide(plan, td, group, origin, Some(t), false) {
                Ok(inst) => {
                    self.capacity.forget_provisioning(t, pool);
                    self.start_on(t, inst);
                }
                Err(_) => failed.push(td),
            }
        }
    }

    /// Every minute: managed scaling of each Auto Scaling group provider, then each
    /// group brought to its desired capacity.
    pub(in crate::sim) fn scaling_tick(&mut self) {
        let now = self.now();
        let daemons = self.daemon_groups();
        for (pi, p) in self.sc.capacity.providers.iter().enumerate() {
            if p.created_at > now {
                continue;
            }
            let (cluster, tasks, registry) = (self.fleet.cluster(), &self.tasks, self.control.registry());
            self.capacity.tick(
                self.sc,
                ProviderId(pi as u32),
                now,
                |i| non_daemon_tasks(cluster, &daemons, i) > 0,
                |t| registry.get(tasks.get(t).taskdef).reservation.clone(),
            );
        }
        for a in 0..self.sc.asgs.len() {
            self.reconcile_asg(a);
        }
        self.schedule(now + TICK, Event::ScalingTick);
    }

    /// The task groups of DAEMON services: "a container instance is considered empty
    /// even when daemon tasks are running" (managed scaling and termination protection).
    fn daemon_groups(&self) -> Vec<GroupId> {
        self.services
            .iter()
            .filter(|(_, s)| s.daemon)
            .map(|(_, s)| s.group)
            .collect()
    }

    /// Launches or terminates instances until group `a` holds its desired capacity.
    /// Scale-in cancels launches first, then terminates instances in the zone with the
    /// most, at random within it; with managed termination protection only instances
    /// running no task but daemon tasks may go.
    fn reconcile_asg(&mut self, a: usize) {
        let st = &self.capacity.asgs[a];
        let desired = st.desired;
        let current = (st.instances.len() + st.launching.len()) as u32;
        for _ in current..desired {
            let l = self.begin_launch(a);
            let latency = self.sc.asgs[a].launch_latency.sample(&mut self.capacity.launch_rngs[a]);
            let at = self.now() + latency;
            self.schedule(at, Event::Launched(l));
        }
        let mut excess = current.saturating_sub(desired);
        while excess > 0 {
            if let Some(l) = self.capacity.asgs[a].launching.pop() {
                self.capacity.launches[l as usize].cancelled = true;
                excess -= 1;
                continue;
            }
            let protect = self.capacity.provider_of_asg[a].is_some_and(|p| {
                matches!(
                    self.sc.capacity.providers[p.0 as usize].kind,
                    ProviderKind::Asg {
                        termination_protection: true,
                        ..
                    }
                )
            });
            let daemons = self.daemon_groups();
            let cluster = self.fleet.cluster();
            let instances = &self.capacity.asgs[a].instances;
            let candidates: Vec<InstanceId> = instances
                .iter()
                .copied()
                .filter(|&i| !protect || non_daemon_tasks(cluster, &daemons, i) == 0)
                .collect();
            if candidates.is_empty() {
                return;
            }
            let zone = |i: InstanceId| &cluster.instance(i).spec.availability_zone;
            let zone_count = |z: &str| instances.iter().filter(|&&i| zone(i) == z).count();
            let most = candidates.iter().map(|&i| zone_count(zone(i))).max().unwrap_or(0);
            let in_zone: Vec<InstanceId> = candidates
                .into_iter()
                .filter(|&i| zone_count(zone(i)) == most)
                .collect();
            let victim = in_zone[self.capacity.scale_in_rngs[a].random_range(0..in_zone.len())];
            self.terminate_instance(victim, Cause::ScaleIn);
            excess -= 1;
        }
    }

    /// A Spot notice: two minutes, draining first when the agent is told to.
    pub(in crate::sim) fn spot_notice(&mut self, id: InstanceId) {
        if self.fleet.cluster().status(id) == InstanceStatus::Inactive {
            return;
        }
        let now = self.now();
        self.faults.count();
        self.record(|_| Record::SpotWarning(id));
        let inst = self.fleet.cluster();
        if inst.instance(id).spec.agent.spot_draining && inst.status(id) == InstanceStatus::Active {
            self.drain_instance(id);
        }
        self.schedule(now + SPOT_NOTICE, Event::SpotReclaim(id));
    }

    /// A Fargate Spot warning: the task stops two minutes later.
    pub(in crate::sim) fn fargate_spot_notice(&mut self, t: TaskIdx) {
        if self.tasks.get(t).status != TaskStatus::Running {
            return;
        }
        self.faults.count();
        self.tasks.get_mut(t).version += 1;
        self.record(|_| Record::TaskChange(t, Some((StopCode::TerminationNotice, Reason::FargateSpotInterrupted))));
        let at = self.now() + SPOT_NOTICE;
        self.schedule_on(at, t, Event::FargateSpotStop(t));
    }
}

/// The tasks on instance `i` that are not of a DAEMON service (`daemons`: their groups).
fn non_daemon_tasks(cluster: &Cluster, daemons: &[GroupId], i: InstanceId) -> u32 {
    let daemon: u32 = daemons.iter().map(|g| cluster.group_count_on(*g, i)).sum();
    cluster.running_tasks(i) - daemon
}
