//! The service scheduler (ecs-semantics.md §7–8): REPLICA and DAEMON services,
//! rolling deployments within minimumHealthyPercent and maximumPercent, the
//! deployment circuit breaker with rollback, the start-failure throttle, draining,
//! and Availability Zone rebalancing.
//!
//! A service reconciles after every event that changed it (the run loop's `settle`).
//! One pass: drop wants and scale in beyond the desired count; want new tasks of the
//! PRIMARY deployment as far as maximumPercent allows; stop tasks of older deployments
//! and doomed tasks (on DRAINING instances, rebalanced away) as far as
//! minimumHealthyPercent allows; place the wants; note completion and steady state.

use super::service::{
    Config, Counts, Deployment, Doom, LiveTask, Rollout, ScaleIn, Service, ServiceStatus, Want, choose_victim,
};
use super::task::{Origin, Reason, StopCode, TaskIdx, TaskStatus};
use super::{Event, Launch, Placement, Sim, concern};
use crate::capacity::providers::Capacity;
use crate::ecs::api::{CreateService, DeleteService, UpdateService};
use crate::ecs::cluster::{InstanceId, InstanceStatus, mixed};
use crate::ecs::deployment::{Settings, breaker_threshold, throttle_next};
use crate::ecs::provider::{Pool, Toggle};
use crate::ecs::strategy::{PlacementStrategy, SpreadField};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The `ecs-svc/…` id of deployment `k` of service `index`.
fn deployment_id(index: usize, k: usize) -> String {
    format!(
        "ecs-svc/{:019}",
        mixed(0x5E, index as u64 | ((k as u64) << 32)) % 10_000_000_000_000_000_000
    )
}

/// Whether a strategy chain suits Availability Zone rebalancing: the default chain,
/// or one that spreads over zones first (AWS: binpack services default to DISABLED).
fn spreads_zones(strategies: Option<&[PlacementStrategy]>) -> bool {
    match strategies.and_then(|s| s.first()) {
        None => true,
        Some(s) => {
            s.kind == "spread"
                && matches!(s.field.as_deref().map(SpreadField::parse), Some(Ok(SpreadField::Attribute(a))) if a == "ecs.availability-zone")
        }
    }
}

impl Sim<'_> {
    /// The text a clientToken compares: the request without its token.
    pub(super) fn token_text<T: serde::Serialize>(body: &T) -> String {
        let mut v = serde_json::to_value(body).unwrap_or_default();
        if let Value::Object(m) = &mut v {
            m.remove("clientToken");
        }
        v.to_string()
    }

    /// Records a failed API call.
    pub(super) fn api_error(&mut self, api: &str, request: Value, code: &str, message: String) {
        if self.rec.wants_events() {
            let v = self
                .arns
                .api_call(self.now(), api, request, Value::Null, Some((code, message)));
            self.record(v);
        }
    }

    /// A repeated clientToken: true when the call was answered (the first result, or
    /// an error for other parameters).
    pub(super) fn token_seen(&mut self, api: &str, token: Option<&str>, text: &str, request: &Value) -> bool {
        let Some(token) = token else { return false };
        let Some((prev, response)) = self.tokens.get(&format!("{api}:{token}")).cloned() else {
            return false;
        };
        if prev == text {
            if self.rec.wants_events() {
                let mut v = self.arns.api_call(self.now(), api, request.clone(), response, None);
                v["ecsimIdempotentReplay"] = json!(true);
                self.record(v);
            }
        } else {
            self.api_error(
                api,
                request.clone(),
                "InvalidParameterException",
                "The clientToken was already used with different request parameters.".into(),
            );
        }
        true
    }

    /// The deployment configuration of a request: task definition, capacity, zones,
    /// placement.
    #[allow(clippy::too_many_arguments)]
    fn config(
        &mut self,
        cluster: u32,
        taskdef: crate::ecs::registry::TaskDefId,
        launch_type: Option<crate::ecs::api::LaunchType>,
        strategy: Option<Vec<crate::ecs::provider::StrategyItem>>,
        network: Option<crate::ecs::api::NetworkConfiguration>,
        placement_strategy: Option<Vec<PlacementStrategy>>,
        placement_constraints: Vec<crate::ecs::strategy::PlacementConstraint>,
    ) -> Config {
        let capacity = self.capacity_of(cluster, launch_type, strategy.as_deref());
        let zones = self.zones_of(network.as_ref());
        Config {
            taskdef,
            capacity,
            zones,
            scale_in: ScaleIn::for_strategies(placement_strategy.as_deref()),
            placement_strategy,
            placement_constraints,
            launch_type,
            capacity_provider_strategy: strategy,
            network,
        }
    }

    /// CreateService.
    pub(super) fn create_service(&mut self, body: &CreateService) {
        let now = self.now();
        let req = serde_json::to_value(body).unwrap_or_default();
        let text = Self::token_text(body);
        if self.token_seen("CreateService", body.client_token.as_deref(), &text, &req) {
            return;
        }
        let Some(cluster) = self.request_cluster("CreateService", body.cluster.as_deref(), &req) else {
            return;
        };
        if self.service_by_name.contains_key(&(cluster, body.service_name.clone())) {
            return self.api_error(
                "CreateService",
                req,
                "InvalidParameterException",
                "Creation of service was not idempotent.".into(),
            );
        }
        let td = match self.registry.resolve(&body.task_definition) {
            Ok(td) => td,
            Err(m) => return self.api_error("CreateService", req, "ClientException", m),
        };
        let index = self.services.len();
        let group = self.cluster.group(&format!("service:{}", body.service_name));
        let daemon = body.scheduling_strategy == Some(crate::ecs::api::SchedulingStrategy::Daemon);
        let config = self.config(
            cluster,
            td,
            body.launch_type,
            body.capacity_provider_strategy.clone(),
            body.network_configuration.clone(),
            body.placement_strategy.clone(),
            body.placement_constraints.clone(),
        );
        let az_rebalancing = match body.availability_zone_rebalancing {
            Some(t) => t == Toggle::Enabled,
            None => !daemon && spreads_zones(body.placement_strategy.as_deref()),
        };
        self.services.push(Service {
            name: body.service_name.clone(),
            cluster,
            group,
            daemon,
            desired: if daemon {
                0
            } else {
                body.desired_count.unwrap_or(0) as u32
            },
            task_duration: if self.script.is_some() {
                None
            } else {
                body.task_duration.clone()
            },
            settings: Settings::resolve(body.deployment_configuration.as_ref(), daemon),
            deployments: vec![Deployment {
                id: deployment_id(index, 0),
                config,
                rollout: Rollout::InProgress,
                created_at: now,
                failed_tasks: 0,
                counts: Counts::default(),
            }],
            primary: 0,
            live: BTreeSet::new(),
            doomed: BTreeMap::new(),
            wanted: VecDeque::new(),
            last_reason: None,
            throttle: None,
            throttled_until: now,
            status: ServiceStatus::Active,
            az_rebalancing,
            steady: false,
            fault_debt: 0,
            rebalancing: false,
            zones_changed: false,
            zone_epoch: 0,
            rebalance_blocked: None,
            blocked_warned: None,
        });
        self.service_by_name.insert((cluster, body.service_name.clone()), index);
        let response = json!({"service": self.service_json(index)});
        if let Some(token) = &body.client_token {
            self.tokens
                .insert(format!("CreateService:{token}"), (text, response.clone()));
        }
        if self.rec.wants_events() {
            let v = self.arns.api_call(now, "CreateService", req, response, None);
            self.record(v);
        }
        self.deployment_event(
            index,
            0,
            "INFO",
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "ECS deployment created.",
        );
        self.mark_dirty(index);
    }

    /// A service as DescribeServices shows it (the fields ecsim models).
    fn service_json(&self, s: usize) -> Value {
        let svc = &self.services[s];
        let totals = svc.totals();
        let deployments: Vec<Value> = svc
            .current_deployments()
            .map(|(k, d)| {
                json!({"id": d.id, "status": svc.deployment_status(k).as_str(), "rolloutState": d.rollout.as_str(),

                       "taskDefinition": self.arns.task_definition(&self.registry.get(d.config.taskdef).name()),
                       "runningCount": d.counts.running, "pendingCount": d.counts.live - d.counts.running})
            })
            .collect();
        json!({
            "serviceArn": self.arns.service(svc.cluster, &svc.name),
            "serviceName": svc.name,
            "clusterArn": self.arns.cluster(svc.cluster),
            "status": svc.status.as_str(),
            "desiredCount": svc.desired,
            "runningCount": totals.running,
            "pendingCount": totals.live - totals.running,
            "schedulingStrategy": if svc.daemon { "DAEMON" } else { "REPLICA" },
            "taskDefinition": self.arns.task_definition(&self.registry.get(svc.primary().config.taskdef).name()),
            "deploymentConfiguration": {"minimumHealthyPercent": svc.settings.min_healthy_percent,
                                        "maximumPercent": svc.settings.max_percent},
            "availabilityZoneRebalancing": if svc.az_rebalancing { "ENABLED" } else { "DISABLED" },
            "deployments": deployments,
        })
    }

    /// The ACTIVE service a request names; otherwise the call fails with
    /// ServiceNotFoundException or ServiceNotActiveException.
    fn active_service(&mut self, api: &str, cluster: Option<&str>, service: &str, req: &Value) -> Option<usize> {
        let name = service.rsplit('/').next().unwrap_or(service).to_string();
        let found = self
            .cluster_index(cluster)
            .and_then(|c| self.service_by_name.get(&(c, name)).copied());
        let (code, message) = match found {
            Some(s) if self.services[s].status == ServiceStatus::Active => return Some(s),
            Some(_) => ("ServiceNotActiveException", "Service was not ACTIVE."),
            None => ("ServiceNotFoundException", "Service not found."),
        };
        self.api_error(api, req.clone(), code, message.into());
        None
    }

    /// UpdateService: desired count, deployment settings, and a new deployment when
    /// the task definition, network, placement or capacity changes (or when forced).
    pub(super) fn update_service(&mut self, u: &UpdateService) {
        let req = serde_json::to_value(u).unwrap_or_default();
        let Some(s) = self.active_service("UpdateService", u.cluster.as_deref(), &u.service, &req) else {
            return;
        };
        let td = match &u.task_definition {
            Some(t) => match self.registry.resolve(t) {
                Ok(td) => Some(td),
                Err(m) => return self.api_error("UpdateService", req, "ClientException", m),
            },
            None => None,
        };
        let svc = &mut self.services[s];
        if let Some(d) = u.desired_count
            && !svc.daemon
        {
            svc.desired = d.max(0) as u32;
        }
        svc.settings = svc.settings.updated(u.deployment_configuration.as_ref());
        if let Some(t) = u.availability_zone_rebalancing {
            svc.az_rebalancing = t == Toggle::Enabled;
        }
        if u.starts_deployment() {
            let prev = self.services[s].primary().config.clone();
            let strategy_given = u.capacity_provider_strategy.is_some();
            let config = self.config(
                self.services[s].cluster,
                td.unwrap_or(prev.taskdef),
                if strategy_given { None } else { prev.launch_type },
                if strategy_given {
                    u.capacity_provider_strategy.clone().filter(|c| !c.is_empty())
                } else {
                    prev.capacity_provider_strategy.clone()
                },
                u.network_configuration.clone().or(prev.network.clone()),
                match &u.placement_strategy {
                    Some(p) if p.is_empty() => None,
                    Some(p) => Some(p.clone()),
                    None => prev.placement_strategy.clone(),
                },
                u.placement_constraints
                    .clone()
                    .unwrap_or(prev.placement_constraints.clone()),
            );
            self.new_deployment(s, config);
        }
        if self.rec.wants_events() {
            let v = self.arns.api_call(
                self.now(),
                "UpdateService",
                req,
                json!({"service": self.service_json(s)}),
                None,
            );
            self.record(v);
        }
        if u.starts_deployment() {
            let k = self.services[s].primary;
            self.deployment_event(
                s,
                k,
                "INFO",
                "SERVICE_DEPLOYMENT_IN_PROGRESS",
                "ECS deployment created.",
            );
        }
        self.mark_dirty(s);
    }

    /// Starts deployment of `config` on service `s`: it becomes PRIMARY; older ones are
    /// replaced within the deployment bounds.
    fn new_deployment(&mut self, s: usize, config: Config) {
        let now = self.now();
        let svc = &mut self.services[s];
        let k = svc.deployments.len();
        svc.deployments.push(Deployment {
            id: deployment_id(s, k),
            config,
            rollout: Rollout::InProgress,
            created_at: now,
            failed_tasks: 0,
            counts: Counts::default(),
        });
        svc.primary = k;
        svc.throttle = None;
        svc.throttled_until = now;
        svc.steady = false;
    }

    /// DeleteService: with force (or at desired count 0) the service drains: its tasks
    /// stop, then it is INACTIVE and its name free.
    pub(super) fn delete_service(&mut self, d: &DeleteService) {
        let req = serde_json::to_value(d).unwrap_or_default();
        let Some(s) = self.active_service("DeleteService", d.cluster.as_deref(), &d.service, &req) else {
            return;
        };
        let svc = &self.services[s];

        if svc.desired > 0 && !svc.daemon && !d.force {
            return self.api_error(
                "DeleteService",
                req,
                "InvalidParameterException",
                "The service cannot be stopped while it is scaled above 0.".into(),
            );
        }
        let svc = &mut self.services[s];
        svc.status = ServiceStatus::Draining;
        svc.desired = 0;
        if self.rec.wants_events() {
            let v = self.arns.api_call(
                self.now(),
                "DeleteService",
                req,
                json!({"service": self.service_json(s)}),
                None,
            );
            self.record(v);
        }
        self.mark_dirty(s);
    }

    /// Brings service `s` toward its desired count and its PRIMARY deployment.
    pub(super) fn reconcile(&mut self, s: usize) {
        match self.services[s].status {
            ServiceStatus::Inactive => {}
            _ if self.services[s].daemon => self.reconcile_daemon(s),
            _ => self.reconcile_replica(s),
        }
    }

    fn reconcile_replica(&mut self, s: usize) {
        let now = self.now();
        let p = self.services[s].primary;
        let desired = self.services[s].desired;
        let bounds = self.services[s].settings.bounds(desired);
        let doomed_primary = self.doomed_in(s, p);
        let good = self.services[s].deployments[p].counts.live - doomed_primary;
        let need = desired.saturating_sub(good) as usize;
        while self.services[s].wanted.len() > need {
            let w = self.services[s].wanted.pop_back().expect("a want");
            self.waiting_count -= 1;
            if w.after_fault {
                self.fault_replaced(false);
            }
            let (td, group) = (self.services[s].primary().config.taskdef, self.services[s].group);
            self.not_created(td, group, Origin::Service(s as u32), w.at, Reason::NoLongerWanted);
        }
        for _ in desired..good {
            let Some(victim) = self.scale_in_victim(s, p) else {
                break;
            };
            let id = self.services[s].deployments[p].id.clone();
            self.stop_task(victim, StopCode::ServiceSchedulerInitiated, Reason::ScaleIn(id));
        }
        let failed = self.services[s].deployments[p].rollout == Rollout::Failed;
        if !failed {
            let svc = &mut self.services[s];
            let total = svc.totals().live as usize + svc.wanted.len();
            let room = (bounds.max_total as usize).saturating_sub(total);
            let add = need.saturating_sub(svc.wanted.len()).min(room);
            for _ in 0..add {
                let after_fault = svc.fault_debt > 0;
                svc.fault_debt = svc.fault_debt.saturating_sub(1);
                svc.wanted.push_back(Want { at: now, after_fault });
                svc.steady = false;
            }
            self.waiting_count += add as u32;
            if need == 0 {
                for _ in 0..std::mem::take(&mut self.services[s].fault_debt) {
                    self.fault_replaced(false);
                }
            }
            self.stop_replaced(s, bounds.min_healthy);
            self.warn_if_blocked(s, bounds);
        }
        self.fill(s);
        self.progress(s);
    }

    /// When tasks remain to replace but the bounds allow neither a start nor a stop,
    /// and no task is still becoming healthy, nothing will move: the service says so
    /// once per deployment.
    fn warn_if_blocked(&mut self, s: usize, bounds: crate::ecs::deployment::Bounds) {
        let svc = &self.services[s];
        let totals = svc.totals();
        let replacing = svc.primary().counts.live < totals.live || !svc.doomed.is_empty();
        let blocked = replacing
            && (bounds.max_total as usize) <= totals.live as usize + svc.wanted.len()
            && totals.healthy <= bounds.min_healthy
            && totals.healthy == totals.live;
        let p = svc.primary;
        if blocked && svc.blocked_warned != Some(p) {
            self.services[s].blocked_warned = Some(p);
            let message = format!(
                "(service {}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.",
                self.services[s].name
            );
            self.service_action(s, "WARN", "SERVICE_DEPLOYMENT_BLOCKED", json!({"message": message}));
        }
    }

    /// Live tasks of deployment `d` that are doomed.
    fn doomed_in(&self, s: usize, d: usize) -> u32 {
        let svc = &self.services[s];
        svc.doomed
            .keys()
            .filter(|t| self.tasks[t.0 as usize].deployment as usize == d)
            .count() as u32
    }

    /// Stops tasks of older deployments and doomed tasks: those not yet healthy at
    /// once, healthy ones while more than `min_healthy` healthy tasks remain. Doomed
    /// tasks go first, then older deployments oldest first.
    fn stop_replaced(&mut self, s: usize, min_healthy: u32) {
        let svc = &self.services[s];
        let p = svc.primary;
        if svc.deployments[p].counts.live == svc.totals().live && svc.doomed.is_empty() {
            return;
        }
        let mut victims: Vec<(bool, bool, u32, TaskIdx)> = svc
            .live
            .iter()
            .filter_map(|&t| {
                let task = &self.tasks[t.0 as usize];
                let doomed = svc.doomed.contains_key(&t);
                (task.deployment as usize != p || doomed).then_some((task.healthy, !doomed, task.deployment, t))
            })
            .collect();
        victims.sort();
        let mut stoppable = svc.totals().healthy.saturating_sub(min_healthy);
        let new_id = svc.deployments[p].id.clone();
        for (healthy, _, _, t) in victims {
            if healthy {
                if stoppable == 0 {
                    break;
                }
                stoppable -= 1;
            }
            let reason = match self.services[s].doomed.get(&t) {
                Some(Doom::Draining) => Reason::Draining(new_id.clone()),
                Some(Doom::Rebalancing) => Reason::Rebalancing(new_id.clone()),
                None => Reason::ScaleIn(new_id.clone()),
            };
            self.stop_task(t, StopCode::ServiceSchedulerInitiated, reason);
        }
    }

    /// The task a service stops when its desired count falls: among deployment `d`'s
    /// tasks that are not doomed, a PROVISIONING one first, then by the deployment's
    /// scale-in rule among those on instances (Fargate tasks: the newest).
    fn scale_in_victim(&mut self, s: usize, d: usize) -> Option<TaskIdx> {
        let svc = &self.services[s];
        let mine = |t: &&TaskIdx| self.tasks[t.0 as usize].deployment as usize == d && !svc.doomed.contains_key(t);
        if let Some(&t) = svc
            .live
            .iter()
            .filter(mine)
            .find(|t| self.tasks[t.0 as usize].status == TaskStatus::Provisioning)
        {
            return Some(t);
        }
        let live: Vec<LiveTask> = svc
            .live
            .iter()
            .filter(mine)
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
        let rule = &svc.deployments[d].config.scale_in;
        let streams = self.streams;
        let rng = self
            .scale_in_rngs
            .entry(s as u32)
            .or_insert_with(|| streams.stream(concern::SCALE_IN, s as u32));
        choose_victim(rule, &live, svc.group, &self.cluster, rng).or_else(|| svc.live.iter().rfind(mine).copied())
    }

    /// Places the service's wanted tasks while capacity (and the throttle) allows.
    fn fill(&mut self, s: usize) {
        let now = self.now();
        if self.services[s].wanted.is_empty() {
            self.waiting_services.remove(&s);
            return;
        }
        let until = self.services[s].throttled_until;
        if until > now {
            self.schedule(until, Event::ServiceCheck(s as u32));
            return;
        }
        let p = self.services[s].primary;
        while let Some(&want) = self.services[s].wanted.front() {
            let svc = &self.services[s];
            let config = &svc.deployments[p].config;
            let Some(pool) = self.next_pool(&config.capacity, svc.group) else {
                return;
            };
            let (td, group, cluster) = (config.taskdef, svc.group, svc.cluster);
            let l = Launch {
                td,
                group,
                origin: Origin::Service(s as u32),
                arrived_at: want.at,
                zones: config.zones.clone(),
                cluster,
                deployment: p as u32,
                after_fault: want.after_fault,
            };
            let strategies = config.placement_strategy.clone();
            let constraints = config.placement_constraints.clone();
            let origin = Origin::Service(s as u32);
            match self.launch(&l, pool, |sim| {
                sim.plan_for(origin, p as u32, td, pool, cluster, &constraints, strategies.as_deref())
            }) {
                Placement::Placed(t) | Placement::Provisioning(t) => {
                    let dist = self.services[s].task_duration.clone();
                    self.tasks[t.0 as usize].run_for =
                        dist.map(|d| d.sample(self.duration_rng(concern::SERVICE_INDEX + s as u32)));
                    let svc = &mut self.services[s];
                    svc.wanted.pop_front();
                    svc.last_reason = None;
                    self.waiting_count -= 1;
                }
                Placement::Failed(reason, _) => {
                    if self.services[s].last_reason.is_none() {
                        let message = format!(
                            "(service {}) was unable to place a task because no container instance met all of its requirements. Reason: {reason}",
                            self.services[s].name
                        );
                        self.service_action(
                            s,
                            "WARN",
                            "SERVICE_TASK_PLACEMENT_FAILURE",
                            json!({"reason": reason.as_str(), "message": message}),
                        );
                    }
                    self.services[s].last_reason = Some(reason);
                    self.waiting_services.insert(s);
                    return;
                }
            }
        }
        self.waiting_services.remove(&s);
    }

    /// A task of deployment `d` stopped before RUNNING: the circuit breaker counts it,
    /// and the throttle delays the next launch (10 s, doubling, at most 15 minutes).
    pub(super) fn task_failed_to_start(&mut self, s: usize, d: usize) {
        let now = self.now();
        let svc = &mut self.services[s];
        let tripped = if d == svc.primary
            && svc.deployments[d].rollout == Rollout::InProgress
            && svc.settings.breaker.is_some()
        {
            svc.deployments[d].failed_tasks += 1;
            svc.deployments[d].failed_tasks >= breaker_threshold(svc.desired)
        } else {
            false
        };
        let first = svc.throttle.is_none();
        let wait = throttle_next(svc.throttle);
        svc.throttle = Some(wait);
        svc.throttled_until = now + wait;
        self.schedule(now + wait, Event::ServiceCheck(s as u32));
        if first {
            let message = format!(
                "(service {}) is unable to consistently start tasks successfully.",
                self.services[s].name
            );
            self.service_action(s, "WARN", "SERVICE_TASK_START_IMPAIRED", json!({"message": message}));
        }
        if tripped {
            self.trip_breaker(s);
        }
    }

    /// The circuit breaker trips: the PRIMARY deployment FAILED, no more launches for
    /// it; with rollback, the last COMPLETED deployment's configuration deploys again.
    fn trip_breaker(&mut self, s: usize) {
        let p = self.services[s].primary;
        self.services[s].deployments[p].rollout = Rollout::Failed;
        self.deployments.1 += 1;
        let failed = self.services[s].deployments[p].failed_tasks;
        self.deployment_event(
            s,
            p,
            "ERROR",
            "SERVICE_DEPLOYMENT_FAILED",
            &format!("ECS deployment circuit breaker: {failed} tasks failed to start."),
        );
        let wanted: Vec<Want> = self.services[s].wanted.drain(..).collect();
        self.waiting_count -= wanted.len() as u32;
        let (td, group) = (self.services[s].deployments[p].config.taskdef, self.services[s].group);
        for w in wanted {
            self.not_created(td, group, Origin::Service(s as u32), w.at, Reason::DeploymentFailed);
        }
        let rollback = self.services[s].settings.breaker == Some(true);
        let last_good = self.services[s]
            .deployments
            .iter()
            .rposition(|d| d.rollout == Rollout::Completed);
        if rollback && let Some(k) = last_good {
            let config = self.services[s].deployments[k].config.clone();
            let reason = format!(
                "ECS deployment circuit breaker: rolling back to deploymentId {}.",
                self.services[s].deployments[k].id
            );
            self.deployments.2 += 1;
            self.new_deployment(s, config);
            let k = self.services[s].primary;
            self.deployment_event(s, k, "INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS", &reason);
        }
        self.mark_dirty(s);
    }

    /// After a reconcile: a draining service becomes INACTIVE when empty; a deployment
    /// COMPLETES when the PRIMARY runs the desired count healthy with no older task
    /// left; steady state is announced, and zones are rebalanced from there.
    fn progress(&mut self, s: usize) {
        let svc = &self.services[s];
        let totals = svc.totals();
        if svc.status == ServiceStatus::Draining {
            if totals.live == 0 {
                let key = (svc.cluster, svc.name.clone());
                self.services[s].status = ServiceStatus::Inactive;
                self.service_by_name.remove(&key);
                self.waiting_services.remove(&s);
            }
            return;
        }
        let p = svc.primary;
        let primary = &svc.deployments[p];
        if primary.rollout == Rollout::InProgress
            && primary.counts.live == totals.live
            && svc.doomed.is_empty()
            && svc.wanted.is_empty()
            && primary.counts.healthy >= svc.desired
        {
            self.services[s].deployments[p].rollout = Rollout::Completed;
            self.deployments.0 += 1;
            self.deployment_event(
                s,
                p,
                "INFO",
                "SERVICE_DEPLOYMENT_COMPLETED",
                "ECS deployment completed.",
            );
        }
        let svc = &self.services[s];
        let steady = svc.primary().rollout != Rollout::InProgress
            && svc.wanted.is_empty()
            && svc.doomed.is_empty()
            && totals.running == svc.desired
            && totals.live == svc.desired;
        if steady && !svc.steady {
            self.services[s].steady = true;
            self.services[s].zones_changed = false;
            let message = format!("(service {}) has reached a steady state.", self.services[s].name);
            self.service_action(s, "INFO", "SERVICE_STEADY_STATE", json!({"message": message}));
            self.rebalance(s);
        } else if steady && svc.zones_changed {
            self.services[s].zones_changed = false;
            self.rebalance(s);
        } else if !steady {
            self.services[s].steady = false;
        }
    }

    /// The zone of a live task (its instance's, or a Fargate task's).
    fn task_zone(&self, t: TaskIdx) -> Option<crate::ecs::intern::Sym> {
        let task = &self.tasks[t.0 as usize];
        match task.instance {
            Some(i) => self.cluster.attribute(i, self.cluster.zone_attribute()),
            None => task.zone,
        }
    }

    /// The pools a service's PRIMARY deployment uses.
    fn service_pools(&self, s: usize) -> Vec<Pool> {
        match &self.services[s].primary().config.capacity {
            Capacity::Pool(p) => vec![*p],
            Capacity::Strategy(items) => items.iter().map(|(p, _)| self.sc.capacity.pool_of(*p)).collect(),
        }
    }

    /// The zones a service's tasks can run in now: its subnets' (Fargate), or those of
    /// the instances in its pools and cluster that accept tasks.
    fn service_zones(&self, s: usize) -> Vec<crate::ecs::intern::Sym> {
        let pools = self.service_pools(s);
        if pools.iter().any(|p| p.is_fargate()) {
            let zones = &self.services[s].primary().config.zones;
            return zones.iter().copied().filter(|z| !self.zone_out(*z)).collect();
        }
        self.cluster.accepting_zones(
            crate::ecs::cluster::ClusterId(self.services[s].cluster),
            |provider, external| pools.iter().any(|p| p.admits(provider, external)),
        )
    }

    /// Availability Zone rebalancing at steady state: when the most loaded zone holds
    /// at least two tasks more than the least loaded one, and a task fits there, one
    /// task of the most loaded zone is replaced (the replacement goes where the spread
    /// strategy sends it) and then stopped.
    fn rebalance(&mut self, s: usize) {
        if !self.services[s].az_rebalancing || self.services[s].daemon {
            return;
        }
        self.services[s].zone_epoch = self.cluster.zone_epoch();
        self.services[s].rebalance_blocked = None;
        let zones = self.service_zones(s);
        if zones.len() < 2 {
            return;
        }

        let mut count: BTreeMap<crate::ecs::intern::Sym, Vec<TaskIdx>> = zones.iter().map(|z| (*z, vec![])).collect();
        for &t in &self.services[s].live {
            if let Some(z) = self.task_zone(t)
                && let Some(v) = count.get_mut(&z)
            {
                v.push(t);
            }
        }
        let name = |z: crate::ecs::intern::Sym| self.cluster.symbols.resolve(z);
        // Ties go to the first zone in name order.
        let mut by_name = zones.clone();
        by_name.sort_by_key(|z| name(*z));
        let most = *by_name.iter().rev().max_by_key(|z| count[*z].len()).expect("zones");
        let least = *by_name.iter().min_by_key(|z| count[*z].len()).expect("zones");
        let balanced = count[&most].len() < count[&least].len() + 2;
        if !balanced && !self.zone_has_room(s, least) {
            // Look again when an instance of that zone changes, even if the zones stay the same.
            self.services[s].rebalance_blocked = Some(least);
            return;
        }
        if balanced {
            if self.services[s].rebalancing {
                self.services[s].rebalancing = false;
                self.service_action(s, "INFO", "SERVICE_REBALANCING_COMPLETED", json!({}));
            }
            return;
        }

        let victim = *count[&most].iter().max().expect("a task in the most loaded zone");
        let svc = &mut self.services[s];
        svc.doomed.insert(victim, Doom::Rebalancing);
        svc.steady = false;
        if !svc.rebalancing {
            svc.rebalancing = true;
            let extra = json!({"availabilityZones": {"from": name(most), "to": name(least)}});
            self.service_action(s, "INFO", "SERVICE_REBALANCING_STARTED", extra);
        }
        self.mark_dirty(s);
    }

    /// Whether some instance of zone `z` in the service's pools could take a task of
    /// service `s` now (Fargate: always).
    fn zone_has_room(&self, s: usize, z: crate::ecs::intern::Sym) -> bool {
        let pools = self.service_pools(s);
        if pools.iter().any(|p| p.is_fargate()) {
            return true;
        }
        let svc = &self.services[s];
        let res = &self.registry.get(svc.primary().config.taskdef).reservation;
        let az = self.cluster.zone_attribute();
        self.cluster.ids().any(|id| {
            self.cluster.accepts_tasks(id)
                && self.cluster.attribute(id, az) == Some(z)
                && pools.iter().any(|p| {
                    self.cluster.in_scope(
                        id,
                        crate::ecs::provider::Scope {
                            pool: *p,
                            cluster: crate::ecs::cluster::ClusterId(svc.cluster),
                        },
                    )
                })
                && self.cluster.shortfall(id, res).is_none()
        })
    }

    /// A DAEMON service: one task of the PRIMARY deployment on every instance that
    /// accepts tasks and passes its constraints; tasks on instances that no longer
    /// match stop (on a DRAINING instance: after every other task there); older
    /// deployments' tasks are replaced within minimumHealthyPercent.
    fn reconcile_daemon(&mut self, s: usize) {
        let p = self.services[s].primary;
        let draining = self.services[s].status == ServiceStatus::Draining;
        let (td, group, cluster) = {
            let svc = &self.services[s];
            (svc.deployments[p].config.taskdef, svc.group, svc.cluster)
        };
        let pool = match self.services[s].deployments[p].config.capacity {
            Capacity::Pool(p) => p,
            Capacity::Strategy(_) => Pool::Ec2,
        };
        let constraints = self.services[s].deployments[p].config.placement_constraints.clone();
        let plan = self.plan_for(
            Origin::Service(s as u32),
            p as u32,
            td,
            pool,
            cluster,
            &constraints,
            None,
        );
        let eligible: BTreeSet<InstanceId> = if draining {
            BTreeSet::new()
        } else {
            self.cluster
                .ids()
                .filter(|&id| self.placer.eligible(plan, group, &self.cluster, id))
                .collect()
        };
        self.services[s].desired = eligible.len() as u32;
        let mut on: BTreeMap<InstanceId, Vec<TaskIdx>> = BTreeMap::new();
        for &t in &self.services[s].live {
            if let Some(i) = self.tasks[t.0 as usize].instance {
                on.entry(i).or_default().push(t);
            }
        }
        let new_id = self.services[s].deployments[p].id.clone();
        for (&inst, ts) in &on {
            if eligible.contains(&inst) {
                continue;
            }
            let status = self.cluster.status(inst);
            let reason = if draining {
                Reason::ScaleIn(new_id.clone())
            } else if status == InstanceStatus::Draining {
                let others = self.instance_tasks[inst.idx()]
                    .iter()
                    .any(|t| !matches!(self.tasks[t.0 as usize].origin, Origin::Service(x) if self.services[x as usize].daemon));
                if others {
                    continue;
                }
                Reason::Draining(new_id.clone())
            } else if status == InstanceStatus::Active && !self.cluster.agent_connected(inst) {
                continue;
            } else {
                Reason::DaemonNotEligible
            };
            for &t in ts {
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, reason.clone());
            }
        }
        if draining {
            self.progress(s);
            return;
        }
        let min_healthy = self.services[s].settings.bounds(eligible.len() as u32).min_healthy;
        let mut stoppable = self.services[s].totals().healthy.saturating_sub(min_healthy);
        let mut covered: BTreeSet<InstanceId> = BTreeSet::new();
        for (&inst, ts) in &on {
            for &t in ts {
                let task = &self.tasks[t.0 as usize];
                if !matches!(task.status, TaskStatus::Pending | TaskStatus::Running) {
                    continue;
                }
                if task.deployment as usize == p || !eligible.contains(&inst) {
                    covered.insert(inst);
                    continue;
                }
                if task.healthy {
                    if stoppable == 0 {
                        covered.insert(inst);
                        continue;
                    }
                    stoppable -= 1;
                }
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, Reason::ScaleIn(new_id.clone()));
            }
        }
        let now = self.now();
        let failed = self.services[s].deployments[p].rollout == Rollout::Failed;
        if self.services[s].throttled_until > now {
            let until = self.services[s].throttled_until;
            self.schedule(until, Event::ServiceCheck(s as u32));
        } else if !failed {
            let res = self.registry.get(td).reservation.clone();
            for &inst in eligible.iter().filter(|i| !covered.contains(i)) {
                match self.placer.fits(plan, &res, group, &self.cluster, inst) {
                    Ok(()) => {
                        let l = Launch {
                            td,
                            group,
                            origin: Origin::Service(s as u32),
                            arrived_at: now,
                            zones: Vec::new(),
                            cluster,
                            deployment: p as u32,
                            after_fault: false,
                        };
                        self.create_task(&l, pool, Some(inst));
                        self.services[s].last_reason = None;
                    }
                    Err(reason) => {
                        if self.services[s].last_reason.is_none() {
                            let message = format!(
                                "(service {}) was unable to place a daemon task on {}. Reason: {reason}",
                                self.services[s].name,
                                self.cluster.instance(inst).spec.ec2_instance_id
                            );
                            self.service_action(
                                s,
                                "WARN",
                                "SERVICE_TASK_PLACEMENT_FAILURE",
                                json!({"reason": reason.as_str(), "message": message}),
                            );
                        }
                        self.services[s].last_reason = Some(reason);
                    }
                }
            }
        }
        self.progress(s);
    }

    /// Marks every DAEMON service for reconciliation.
    pub(super) fn daemons_dirty(&mut self) {
        for s in 0..self.services.len() {
            if self.services[s].daemon {
                self.mark_dirty(s);
            }
        }
    }

    /// Instance `id` joined, left or changed status: DAEMON services reconcile, and
    /// services that rebalance zones look at their zones again when the zones changed
    /// (or when their last look found no room in `id`'s zone).
    pub(super) fn instances_changed(&mut self, id: InstanceId) {
        let epoch = self.cluster.zone_epoch();
        let zone = self.cluster.attribute(id, self.cluster.zone_attribute());
        for s in 0..self.services.len() {
            let svc = &mut self.services[s];
            if svc.daemon {
                self.mark_dirty(s);
            } else if svc.az_rebalancing
                && svc.status == ServiceStatus::Active
                && (svc.zone_epoch != epoch || (svc.rebalance_blocked.is_some() && svc.rebalance_blocked == zone))
            {
                svc.zones_changed = true;
                self.mark_dirty(s);
            }
        }
    }

    /// Sets an instance's status, tells the placer, records the change.
    pub(super) fn set_instance_status(&mut self, id: InstanceId, status: InstanceStatus) {
        let now = self.now();
        self.cluster.set_status(id, status, now);
        self.placer.instance_changed(&self.cluster, id);
        self.instance_event(id, None);
    }

    /// Sets an ACTIVE instance DRAINING: no new placements; its PENDING service tasks
    /// stop now, its RUNNING ones are replaced elsewhere within the deployment bounds
    /// and then stopped; standalone tasks are unaffected.
    pub(super) fn drain_instance(&mut self, id: InstanceId) {
        self.set_instance_status(id, InstanceStatus::Draining);
        for t in self.instance_tasks[id.idx()].clone() {
            let task = &self.tasks[t.0 as usize];
            let Origin::Service(s) = task.origin else { continue };
            let s = s as usize;
            if self.services[s].daemon {
                continue;
            }
            if task.status == TaskStatus::Pending {
                let id = self.services[s].primary().id.clone();
                self.stop_task(t, StopCode::ServiceSchedulerInitiated, Reason::Draining(id));
            } else if task.status == TaskStatus::Running {
                self.services[s].doomed.insert(t, Doom::Draining);
                self.services[s].steady = false;
                self.mark_dirty(s);
            }
        }
        self.instances_changed(id);
    }

    /// Sets a DRAINING instance ACTIVE again: its remaining tasks stay.
    pub(super) fn activate_instance(&mut self, id: InstanceId) {
        self.set_instance_status(id, InstanceStatus::Active);
        for t in self.instance_tasks[id.idx()].clone() {
            if let Origin::Service(s) = self.tasks[t.0 as usize].origin
                && self.services[s as usize].doomed.remove(&t).is_some()
            {
                self.mark_dirty(s as usize);
            }
        }
        self.instances_changed(id);
        self.capacity_freed(Some(id));
    }
}
