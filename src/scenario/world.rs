//! The load-time view of a scenario's world as its calls change it: which task
//! definitions, clusters, services and capacity provider associations exist at each
//! call. Every call is checked by the same functions the run calls
//! ([`crate::control`]); a call they refuse is an error here, except where failing is
//! something a scenario may do on purpose (a clientToken reused with other
//! parameters, DeleteService without force) or depends on how the run goes (a
//! cluster only an Auto Scaling group's agents create), which are warnings.

use crate::capacity::providers::{Associations, CapacitySpec};
use crate::control::{self, ApiError, ServiceInfo, State};
use crate::ecs::api::{self, CreateService, DeleteService, RunTask, UpdateService};
use crate::ecs::cluster::ClusterId;
use crate::ecs::provider::{ProviderId, PutClusterCapacityProviders};
use crate::ecs::registry::TaskDefinitions;
use crate::ecs::task_definition::{RegisterTaskDefinition, register};
use crate::engine::SimTime;
use crate::error::Report;
use crate::scenario::schema::ApiCall;
use std::collections::{BTreeMap, BTreeSet};

/// The state calls are checked against.
pub struct World<'a> {
    /// Task definitions registered so far.
    pub registry: TaskDefinitions,
    capacity: &'a CapacitySpec,
    clusters: Vec<(String, Associations)>,
    later: BTreeMap<String, String>,
    services: BTreeMap<(ClusterId, String), ServiceInfo>,
    tokens: BTreeMap<String, String>,
    ever: BTreeSet<ProviderId>,
    now: SimTime,
    scaling: control::appscaling::Targets,
    start_unix_ms: i64,
}

impl State for World<'_> {
    fn capacity(&self) -> &CapacitySpec {
        self.capacity
    }
    fn registry(&self) -> &TaskDefinitions {
        &self.registry
    }
    fn now(&self) -> SimTime {
        self.now
    }
    fn cluster(&self, name: &str) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| ClusterId(i as u32))
    }
    fn cluster_names(&self) -> Vec<String> {
        self.clusters.iter().map(|(n, _)| n.clone()).collect()
    }
    fn associations(&self, c: ClusterId) -> Associations {
        self.clusters[c.0 as usize].1.clone()
    }
    fn service(&self, c: ClusterId, name: &str) -> Option<ServiceInfo> {
        self.services.get(&(c, name.to_string())).cloned()
    }
    fn services_in(&self, c: ClusterId) -> Vec<(String, ServiceInfo)> {
        self.services
            .iter()
            .filter(|((k, _), _)| *k == c)
            .map(|((_, n), s)| (n.clone(), s.clone()))
            .collect()
    }
}

impl<'a> World<'a> {
    /// The world at time 0: `clusters` exist (the file's, then those agents create when
    /// their instances register at the start); `later` clusters are created by agents
    /// of Auto Scaling groups when they scale out (name, and which group).
    pub fn new(
        capacity: &'a CapacitySpec,
        registry: TaskDefinitions,
        clusters: &[String],
        later: BTreeMap<String, String>,
        start_unix_ms: i64,
    ) -> Self {
        let clusters = clusters
            .iter()
            .map(|n| (n.clone(), capacity.clusters.get(n).cloned().unwrap_or_default()))
            .collect();
        World {
            registry,
            capacity,
            clusters,
            later,
            services: BTreeMap::new(),
            tokens: BTreeMap::new(),
            ever: BTreeSet::new(),
            now: SimTime::ZERO,
            scaling: control::appscaling::Targets::default(),
            start_unix_ms,
        }
    }

    /// Providers some timeline call associated with a cluster.
    pub fn ever_associated(&self) -> BTreeSet<ProviderId> {
        self.ever.clone()
    }

    /// Moves the world's clock to a call's time.
    pub fn at(&mut self, t: SimTime) {
        self.now = t;
    }

    /// A cluster an agent may create later is taken to exist, with a warning: a call
    /// made before one of its instances registers fails with ClusterNotFoundException.
    fn note_cluster(&mut self, reference: Option<&str>, path: &str, r: &mut Report) {
        let name = api::cluster_name(reference);
        if self.cluster(name).is_none()
            && let Some(why) = self.later.get(name)
        {
            r.warn(
                format!("{path}.cluster"),
                format!(
                    "cluster `{name}` exists only once an instance of {why} registers: until then the call fails with ClusterNotFoundException"
                ),
            );
            self.clusters.push((name.to_string(), Associations::default()));
        }
    }

    /// A repeated clientToken of `api`: true when the call is an idempotent retry (or,
    /// with other parameters, fails — a warning) and needs no further check.
    fn token_seen<T: serde::Serialize>(
        &mut self,
        api: &str,
        (cluster, token): (Option<&str>, Option<&str>),
        body: &T,
        path: &str,
        r: &mut Report,
    ) -> bool {
        let Some(t) = token else { return false };
        let text = control::token_text(body);
        let key = control::token_key(api, cluster, t);
        match self.tokens.get(&key) {
            Some(prev) if *prev == text => true,
            Some(_) => {
                r.warn(
                    format!("{path}.clientToken"),
                    "this clientToken was used with other parameters: the call will fail",
                );
                true
            }
            None => {
                self.tokens.insert(key, text);
                false
            }
        }
    }

    /// Reports a refused call at `path`.
    fn refused(e: ApiError, path: &str, r: &mut Report) {
        r.error(e.path_under(path), e.message);
    }

    /// Checks a RunTask body.
    pub fn run_task(&mut self, rt: &RunTask, path: &str, r: &mut Report) {
        if self.token_seen(
            "RunTask",
            (rt.cluster.as_deref(), rt.client_token.as_deref()),
            rt,
            path,
            r,
        ) {
            return;
        }
        self.note_cluster(rt.cluster.as_deref(), path, r);
        if let Err(e) = control::tasks::run_task(self, rt) {
            Self::refused(e, path, r);
        }
        warn_after_random(rt.placement_strategy.as_deref(), path, r);
    }

    /// Checks a CreateService body and adds the service.
    pub fn create_service(&mut self, s: &CreateService, path: &str, r: &mut Report) {
        if s.file.is_some() {
            r.error(
                format!("{path}.file"),
                "`file` is for the scenario's [[services]] entries only",
            );
            return;
        }
        if self.token_seen(
            "CreateService",
            (s.cluster.as_deref(), s.client_token.as_deref()),
            s,
            path,
            r,
        ) {
            return;
        }
        self.note_cluster(s.cluster.as_deref(), path, r);
        match control::services::create(self, s) {
            Err(e) => Self::refused(e, path, r),
            Ok(n) => {
                self.services.insert(
                    (n.cluster, n.name),
                    ServiceInfo {
                        daemon: n.daemon,
                        active: true,
                        desired: n.desired,
                        settings: n.settings,
                        config: n.config,
                    },
                );
            }
        }
        warn_after_random(s.placement_strategy.as_deref(), path, r);
    }

    /// Checks an UpdateService body and applies it.
    pub fn update_service(&mut self, u: &UpdateService, path: &str, r: &mut Report) {
        self.note_cluster(u.cluster.as_deref(), path, r);
        match control::services::update(self, u) {
            Err(e) => Self::refused(e, path, r),
            Ok(up) => {
                let s = self
                    .services
                    .get_mut(&(up.cluster, up.name))
                    .expect("an updated service exists");
                s.desired = up.desired.unwrap_or(s.desired);
                s.settings = up.settings;
                if let Some(c) = up.deployment {
                    s.config = c;
                }
            }
        }
        warn_after_random(u.placement_strategy.as_deref(), path, r);
    }

    /// Checks a DeleteService body and removes the service.
    pub fn delete_service(&mut self, d: &DeleteService, path: &str, r: &mut Report) {
        self.note_cluster(d.cluster.as_deref(), path, r);
        match control::services::delete(self, d) {
            Ok(key) => {
                self.services.remove(&key);
            }
            Err(e) if e.member == "force" => r.warn(
                e.path_under(path),
                "the service's desiredCount is above 0 at that time: without force the call fails",
            ),
            Err(e) => Self::refused(e, path, r),
        }
    }

    /// Checks a PutClusterCapacityProviders body and applies it.
    pub fn put_cluster_capacity_providers(&mut self, c: &PutClusterCapacityProviders, path: &str, r: &mut Report) {
        self.note_cluster(c.cluster.as_deref(), path, r);
        match control::clusters::put_capacity_providers(self, c) {
            Err(e) => Self::refused(e, path, r),
            Ok((cluster, assoc)) => {
                self.ever.extend(assoc.associated.iter().copied());
                self.clusters[cluster.0 as usize].1 = assoc;
            }
        }
    }

    /// Checks one timeline call at `path`.
    pub fn call(&mut self, call: &ApiCall, path: &str, r: &mut Report) {
        match call {
            ApiCall::RunTask(rt) => self.run_task(rt, path, r),
            ApiCall::CreateService(s) => self.create_service(s, path, r),
            ApiCall::UpdateService(u) => self.update_service(u, path, r),
            ApiCall::DeleteService(d) => self.delete_service(d, path, r),
            ApiCall::StopTask(s) => {
                if let Err(e) = control::tasks::stop_task(s) {
                    Self::refused(e, path, r);
                }
            }
            ApiCall::RegisterTaskDefinition(td) => self.register_task_definition(td, path, r),
            ApiCall::UpdateContainerInstancesState(b) => {
                self.note_cluster(b.cluster.as_deref(), path, r);
                if let Err(e) = control::instances::update_state(self, b) {
                    Self::refused(e, path, r);
                }
            }
            ApiCall::RegisterContainerInstance(b) => {
                self.note_cluster(b.cluster.as_deref(), path, r);
                if let Err(e) = control::instances::register(self, b) {
                    Self::refused(e, path, r);
                }
            }
            ApiCall::DeregisterContainerInstance(b) => {
                self.note_cluster(b.cluster.as_deref(), path, r);
                if let Err(e) = control::instances::deregister(self, b) {
                    Self::refused(e, path, r);
                }
            }
            ApiCall::AutoScaling(c) => self.scaling_call(c, path, r),
            ApiCall::CreateCapacityProvider(_) => {}
            ApiCall::PutClusterCapacityProviders(b) => self.put_cluster_capacity_providers(b, path, r),
            ApiCall::CreateCluster(b) => match control::clusters::create(b) {
                Err(e) => Self::refused(e, path, r),
                Ok(name) => {
                    if self.cluster(&name).is_none() {
                        self.later.remove(&name);
                        self.clusters.push((name, Associations::default()));
                    }
                }
            },
        }
    }

    /// Checks an Application Auto Scaling call (at time 0 or on the timeline).
    pub fn scaling_call(&mut self, c: &crate::appscaling::ScalingCall, path: &str, r: &mut Report) {
        let mut targets = std::mem::take(&mut self.scaling);
        let now_ms = self.start_unix_ms + self.now.0 as i64;
        if let Err(e) = control::appscaling::apply(&mut targets, self, c, now_ms) {
            Self::refused(e, path, r);
        }
        self.scaling = targets;
    }

    /// Registers a task definition (a timeline call): every problem is reported.
    pub fn register_task_definition(&mut self, td: &RegisterTaskDefinition, path: &str, r: &mut Report) {
        if td.file.is_some() {
            r.error(
                format!("{path}.file"),
                "a timeline RegisterTaskDefinition takes the body itself",
            );
        } else if let Some(t) = register(td, self.registry.next_revision(&td.family), path, r) {
            self.registry.add(t);
        }
    }
}

/// Strategies after `random` have no effect: a warning.
fn warn_after_random(strategies: Option<&[crate::ecs::strategy::PlacementStrategy]>, path: &str, r: &mut Report) {
    if let Some(s) = strategies
        && let Some(i) = s.iter().position(|s| s.kind == "random")
        && i + 1 < s.len()
    {
        r.warn(
            format!("{path}.placementStrategy[{}]", i + 1),
            "strategies after random have no effect",
        );
    }
}
