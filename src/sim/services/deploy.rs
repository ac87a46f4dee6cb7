//! Services' lifecycle and deployments: CreateService, UpdateService (a new task
//! definition, network, placement or capacity starts a rolling deployment) and
//! DeleteService; the deployment circuit breaker with rollback and the start-failure
//! throttle; completion and steady state.

use super::{Counts, Deployment, Rollout, ScaleIn, Service, ServiceStatus, Want};
use crate::control::Config;
use crate::ecs::api::{CreateService, DeleteService, UpdateService};
use crate::ecs::deployment::{breaker_threshold, throttle_next};
use crate::ecs::ids::mixed;
use crate::sim::ids::{DeploymentIdx, Origin, ServiceId};
use crate::sim::journal::{ActionDetail, Record, Response, Severity};
use crate::sim::task::Reason;
use crate::sim::{Event, Sim, concern};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The `ecs-svc/…` id of deployment `k` of service `s`.
fn deployment_id(s: ServiceId, k: usize) -> String {
    format!(
        "ecs-svc/{:019}",
        mixed(0x5E, s.0 as u64 | ((k as u64) << 32)) % 10_000_000_000_000_000_000
    )
}

impl Sim<'_> {
    /// Records an "ECS Service Action" event.
    pub(in crate::sim) fn service_action(
        &mut self,
        s: ServiceId,
        severity: Severity,
        name: &'static str,
        detail: ActionDetail,
    ) {
        self.record(|_| Record::ServiceAction(s, severity, name, detail));
    }

    /// Records an "ECS Deployment State Change" event.
    fn deployment_event(
        &mut self,
        s: ServiceId,
        d: DeploymentIdx,
        severity: Severity,
        name: &'static str,
        reason: &str,
    ) {
        self.record(|_| Record::DeploymentChange(s, d, severity, name, reason.to_string()));
    }

    /// A deployment of `config` for service `s`, numbered `k`.
    fn deployment(&mut self, s: ServiceId, k: usize, config: Config) -> Deployment {
        let zones = config.zones.iter().map(|z| self.fleet.intern(z)).collect();
        Deployment {
            old_stop_at: None,
            id: deployment_id(s, k),
            scale_in: ScaleIn::for_strategies(config.placement_strategy.as_deref()),
            config,
            zones,
            rollout: Rollout::InProgress,
            created_at: self.now(),
            failed_tasks: 0,
            counts: Counts::default(),
        }
    }

    /// CreateService.
    pub(in crate::sim) fn create_service(&mut self, body: &CreateService) {
        if self.token_seen(
            "CreateService",
            body.cluster.as_deref(),
            body.client_token.as_deref(),
            body,
        ) {
            return;
        }
        let n = match crate::control::services::create(&self.call_state(), body) {
            Ok(n) => n,
            Err(e) => return self.refused("CreateService", body, e),
        };
        let now = self.now();
        let s = self.services.next_id();
        let group = self.fleet.intern_group(&format!("service:{}", n.name));
        let deployment = self.deployment(s, 0, n.config);
        self.services.add(Service {
            name: n.name,
            cluster: n.cluster,
            group,
            daemon: n.daemon,
            desired: n.desired,
            task_duration: if self.script.is_some() {
                None
            } else {
                body.task_duration.clone()
            },
            settings: n.settings,
            deployments: vec![deployment],
            primary: DeploymentIdx(0),
            live: BTreeSet::new(),
            doomed: BTreeMap::new(),
            wanted: VecDeque::new(),
            last_reason: None,
            throttle: None,
            throttled_until: now,
            status: ServiceStatus::Active,
            az_rebalancing: n.az_rebalancing,
            steady: false,
            fault_debt: 0,
            rebalancing: false,
            zones_changed: false,
            zone_epoch: 0,
            rebalance_blocked: None,
            blocked_warned: None,
            scale_in_rng: self.streams.stream(concern::SCALE_IN, s.0),
            duration_rng: self.streams.stream(concern::DURATIONS, concern::SERVICE_INDEX + s.0),
        });
        let size = self
            .control
            .registry()
            .get(self.services.get(s).primary().config.taskdef)
            .reservation
            .clone();
        self.appscaling
            .service_created(s, body.demand.as_ref(), (size.cpu, size.memory), now);
        if let Some(token) = &body.client_token {
            let response = self.response(&Response::Service(s));
            let key = crate::control::token_key("CreateService", body.cluster.as_deref(), token);
            self.clients
                .remember_token(key, crate::control::token_text(body), response);
        }
        self.answered("CreateService", body, Response::Service(s));
        self.deployment_event(
            s,
            DeploymentIdx(0),
            Severity::Info,
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "ECS deployment created.",
        );
        self.services.mark_dirty(s);
    }

    /// UpdateService: desired count, deployment settings, and a new deployment when
    /// the task definition, network, placement or capacity changes (or when forced).
    pub(in crate::sim) fn update_service(&mut self, u: &UpdateService) {
        self.update_service_by(u, None);
    }

    /// UpdateService, made by AWS service `by` on the account's behalf when given
    /// (Application Auto Scaling setting the desired count).
    pub(in crate::sim) fn update_service_by(&mut self, u: &UpdateService, by: Option<&'static str>) {
        let up = match crate::control::services::update(&self.call_state(), u) {
            Ok(up) => up,
            Err(e) => return self.refused_by("UpdateService", u, e, by),
        };
        let s = self
            .services
            .find(up.cluster, &up.name)
            .expect("the check found the service");
        let svc = self.services.get_mut(s);
        if let Some(d) = up.desired {
            svc.desired = d;
        }
        svc.settings = up.settings;
        if let Some(t) = up.az_rebalancing {
            svc.az_rebalancing = t;
        }
        let deploys = up.deployment.is_some();
        if let Some(config) = up.deployment {
            self.new_deployment(s, config);
        }
        self.answered_by("UpdateService", u, Response::Service(s), by);
        if deploys {
            let k = self.services.get(s).primary;
            self.deployment_event(
                s,
                k,
                Severity::Info,
                "SERVICE_DEPLOYMENT_IN_PROGRESS",
                "ECS deployment created.",
            );
        }
        self.services.mark_dirty(s);
    }

    /// Starts deployment of `config` on service `s`: it becomes PRIMARY; older ones are
    /// replaced within the deployment bounds.
    fn new_deployment(&mut self, s: ServiceId, config: Config) {
        let now = self.now();
        let k = self.services.get(s).deployments.len();
        let d = self.deployment(s, k, config);
        let svc = self.services.get_mut(s);
        svc.deployments.push(d);
        svc.primary = DeploymentIdx(k as u32);
        svc.throttle = None;
        svc.throttled_until = now;
        svc.steady = false;
    }

    /// DeleteService: with force (or at desired count 0) the service drains: its tasks
    /// stop, then it is INACTIVE and its name free.
    pub(in crate::sim) fn delete_service(&mut self, d: &DeleteService) {
        let (cluster, name) = match crate::control::services::delete(&self.call_state(), d) {
            Ok(x) => x,
            Err(e) => return self.refused("DeleteService", d, e),
        };
        let s = self.services.find(cluster, &name).expect("the check found the service");
        let svc = self.services.get_mut(s);
        svc.status = ServiceStatus::Draining;
        svc.desired = 0;
        self.answered("DeleteService", d, Response::Service(s));
        self.services.mark_dirty(s);
    }

    /// A task of deployment `d` stopped before RUNNING: the circuit breaker counts it,
    /// and the throttle delays the next launch (10 s, doubling, at most 15 minutes).
    pub(in crate::sim) fn task_failed_to_start(&mut self, s: ServiceId, d: DeploymentIdx) {
        let now = self.now();
        let svc = self.services.get_mut(s);
        let tripped = if d == svc.primary
            && svc.deployments[d.idx()].rollout == Rollout::InProgress
            && svc.settings.breaker.is_some()
        {
            svc.deployments[d.idx()].failed_tasks += 1;
            svc.deployments[d.idx()].failed_tasks >= breaker_threshold(svc.desired)
        } else {
            false
        };
        let first = svc.throttle.is_none();
        let wait = throttle_next(svc.throttle);
        svc.throttle = Some(wait);
        svc.throttled_until = now + wait;
        self.schedule(now + wait, Event::ServiceCheck(s));
        if first {
            let message = format!(
                "(service {}) is unable to consistently start tasks successfully.",
                self.services.get(s).name
            );
            self.service_action(
                s,
                Severity::Warn,
                "SERVICE_TASK_START_IMPAIRED",
                ActionDetail::Message(message),
            );
        }
        if tripped {
            self.trip_breaker(s);
        }
    }

    /// The circuit breaker trips: the PRIMARY deployment FAILED, no more launches for
    /// it; with rollback, the last COMPLETED deployment's configuration deploys again.
    fn trip_breaker(&mut self, s: ServiceId) {
        let p = self.services.get(s).primary;
        self.services.get_mut(s).deployments[p.idx()].rollout = Rollout::Failed;
        self.services.stats.failed += 1;
        let failed = self.services.get(s).deployment(p).failed_tasks;
        self.deployment_event(
            s,
            p,
            Severity::Error,
            "SERVICE_DEPLOYMENT_FAILED",
            &format!("ECS deployment circuit breaker: {failed} tasks failed to start."),
        );
        let svc = self.services.get_mut(s);
        let wanted: Vec<Want> = svc.wanted.drain(..).collect();
        let (td, group) = (svc.deployments[p.idx()].config.taskdef, svc.group);
        self.metrics.waiting(-(wanted.len() as i64));
        for w in wanted {
            self.not_created(td, group, Origin::Service(s), w.at, Reason::DeploymentFailed);
        }
        let svc = self.services.get(s);
        let rollback = svc.settings.breaker == Some(true);
        let last_good = svc.deployments.iter().rposition(|d| d.rollout == Rollout::Completed);
        if rollback && let Some(k) = last_good {
            let config = svc.deployments[k].config.clone();
            let reason = format!(
                "ECS deployment circuit breaker: rolling back to deploymentId {}.",
                svc.deployments[k].id
            );
            self.services.stats.rolled_back += 1;
            self.new_deployment(s, config);
            let k = self.services.get(s).primary;
            self.deployment_event(s, k, Severity::Info, "SERVICE_DEPLOYMENT_IN_PROGRESS", &reason);
        }
        self.services.mark_dirty(s);
    }

    /// After a reconcile: a draining service becomes INACTIVE when empty; a deployment
    /// COMPLETES when the PRIMARY runs the desired count healthy with no older task
    /// left; steady state is announced, and zones are rebalanced from there.
    pub(super) fn progress(&mut self, s: ServiceId) {
        let svc = self.services.get(s);
        let totals = svc.totals();
        if svc.status == ServiceStatus::Draining {
            if totals.live == 0 {
                self.services.retire(s);
            }
            return;
        }
        let p = svc.primary;
        let primary = svc.deployment(p);
        if primary.rollout == Rollout::InProgress
            && primary.counts.live == totals.live
            && svc.doomed.is_empty()
            && svc.wanted.is_empty()
            && primary.counts.healthy >= svc.desired
        {
            self.services.get_mut(s).deployments[p.idx()].rollout = Rollout::Completed;
            self.services.stats.completed += 1;
            self.deployment_event(
                s,
                p,
                Severity::Info,
                "SERVICE_DEPLOYMENT_COMPLETED",
                "ECS deployment completed.",
            );
        }
        let svc = self.services.get(s);
        let steady = svc.primary().rollout != Rollout::InProgress
            && svc.wanted.is_empty()
            && svc.doomed.is_empty()
            && totals.running == svc.desired
            && totals.healthy == svc.desired
            && totals.live == svc.desired;
        if steady && !svc.steady {
            let svc = self.services.get_mut(s);
            svc.steady = true;
            svc.zones_changed = false;
            let message = format!("(service {}) has reached a steady state.", svc.name);
            self.service_action(
                s,
                Severity::Info,
                "SERVICE_STEADY_STATE",
                ActionDetail::Message(message),
            );
            self.rebalance(s);
        } else if steady && svc.zones_changed {
            self.services.get_mut(s).zones_changed = false;
            self.rebalance(s);
        } else if !steady {
            self.services.get_mut(s).steady = false;
        }
    }

    /// Records a service's task placement failure, once until a placement succeeds.
    pub(super) fn placement_failed(&mut self, s: ServiceId, reason: crate::ecs::failure::Failure, message: String) {
        self.metrics.service_failed(reason);
        if self.services.get(s).last_reason.is_none() {
            self.service_action(
                s,
                Severity::Warn,
                "SERVICE_TASK_PLACEMENT_FAILURE",
                ActionDetail::PlacementFailure(reason, message),
            );
        }
        self.services.get_mut(s).last_reason = Some(reason);
    }
}
