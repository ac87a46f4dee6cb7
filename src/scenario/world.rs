//! The load-time view of a scenario's world as its calls change it: which task
//! definitions, clusters, services and capacity provider associations exist at each
//! call, so every request is checked against the state at its own time.

use crate::capacity::providers::{Associations, Capacity, CapacitySpec};
use crate::ecs::api::{
    self, CreateService, DeleteService, DeregisterContainerInstance, LaunchType, NetworkConfiguration,
    RegisterContainerInstance, RunTask, SchedulingStrategy, UpdateContainerInstancesState, UpdateService,
};
use crate::ecs::provider::{ProviderId, StrategyItem};
use crate::ecs::registry::TaskDefinitions;
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::ecs::task_definition::{RegisterTaskDefinition, TaskDefinition, register};
use crate::engine::SimTime;
use crate::error::Report;
use crate::placement::plan::Chain;
use std::collections::{BTreeMap, BTreeSet};

/// What the world knows of a service.
#[derive(Clone, Debug)]
struct ServiceInfo {
    daemon: bool,
    providers: BTreeSet<ProviderId>,
    desired: i64,
}

/// The state calls are checked against.
pub struct World<'a> {
    /// Task definitions registered so far.
    pub registry: TaskDefinitions,
    capacity: &'a CapacitySpec,
    clusters: BTreeMap<String, Associations>,
    services: BTreeMap<(String, String), ServiceInfo>,
    tokens: BTreeMap<String, String>,
    ever: BTreeSet<ProviderId>,
    now: SimTime,
}

/// ECS's limit on container instances per UpdateContainerInstancesState call.
pub const MAX_INSTANCES_PER_STATE_CALL: usize = 10;

impl<'a> World<'a> {
    /// The world at time 0.
    pub fn new(capacity: &'a CapacitySpec, registry: TaskDefinitions) -> Self {
        World {
            registry,
            capacity,
            clusters: capacity.clusters.clone(),
            services: BTreeMap::new(),
            tokens: BTreeMap::new(),
            ever: BTreeSet::new(),
            now: SimTime::ZERO,
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

    /// The cluster a request names, if it exists now.
    fn cluster(&self, reference: Option<&str>, path: &str, r: &mut Report) -> Option<String> {
        let name = api::cluster_name(reference);
        if self.clusters.contains_key(name) {
            return Some(name.to_string());
        }
        let known: Vec<&str> = self.clusters.keys().map(String::as_str).collect();
        r.error(
            path,
            format!(
                "cluster `{name}` does not exist at that time: there are {}",
                known.join(", ")
            ),
        );
        None
    }

    fn task_definition(&self, reference: &str, path: &str, r: &mut Report) -> Option<&TaskDefinition> {
        match self.registry.resolve(reference) {
            Ok(id) => Some(self.registry.get(id)),
            Err(m) => {
                r.error(path, m);
                None
            }
        }
    }

    /// Registers a task definition (a timeline call).
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

    /// Checks a capacity request in `cluster`; returns the providers it may use.
    fn capacity(
        &self,
        req: CapacityRequest,
        cluster: Option<&str>,
        td: Option<&TaskDefinition>,
        path: &str,
        r: &mut Report,
    ) -> BTreeSet<ProviderId> {
        let field = if req.strategy.is_some_and(|s| !s.is_empty()) {
            "capacityProviderStrategy"
        } else {
            "launchType"
        };
        let Some(assoc) = cluster.and_then(|c| self.clusters.get(c)) else {
            return BTreeSet::new();
        };
        match self.capacity.resolve(assoc, req.launch_type, req.strategy) {
            Err(m) => {
                r.error(format!("{path}.{field}"), m);
                BTreeSet::new()
            }
            Ok(c) => {
                if let Some(td) = td
                    && let Err(m) = self.capacity.check_request(&c, td, req.has_placement, req.network)
                {
                    r.error(path, m);
                }
                match c {
                    Capacity::Strategy(items) => items.iter().map(|(p, _)| *p).collect(),
                    Capacity::Pool(_) => BTreeSet::new(),
                }
            }
        }
    }

    /// Checks a RunTask body.
    pub fn run_task(&mut self, rt: &RunTask, path: &str, r: &mut Report) {
        let td = self.task_definition(&rt.task_definition, &format!("{path}.taskDefinition"), r);
        if let Some(c) = rt.count
            && !(1..=10).contains(&c)
        {
            r.error(
                format!("{path}.count"),
                format!("{c}: RunTask starts 1–10 tasks per call"),
            );
        }
        if let Some(g) = &rt.group
            && (g.is_empty() || g.len() > 255)
        {
            r.error(format!("{path}.group"), "a task group name has 1–255 characters");
        }
        let req = CapacityRequest {
            launch_type: rt.launch_type,
            strategy: rt.capacity_provider_strategy.as_deref(),
            network: rt.network_configuration.as_ref(),
            has_placement: rt.placement_strategy.as_ref().is_some_and(|s| !s.is_empty())
                || !rt.placement_constraints.is_empty(),
        };
        let cluster = self.cluster(rt.cluster.as_deref(), &format!("{path}.cluster"), r);
        self.capacity(req, cluster.as_deref(), td, path, r);
        check_placement(&rt.placement_constraints, rt.placement_strategy.as_deref(), td, path, r);
        self.token(rt.client_token.as_deref(), rt, path, r);
    }

    /// Remembers a clientToken; a token reused with other parameters is a warning here
    /// (the call fails when it is made, as in ECS).
    fn token<T: serde::Serialize>(&mut self, token: Option<&str>, body: &T, path: &str, r: &mut Report) -> bool {
        let Some(t) = token else { return false };
        let text = serde_json::to_string(body).unwrap_or_default();
        match self.tokens.get(t) {
            Some(prev) if *prev == text => true,
            Some(_) => {
                r.warn(
                    format!("{path}.clientToken"),
                    "this clientToken was used with other parameters: the call will fail",
                );
                true
            }
            None => {
                if t.is_empty() || t.len() > 64 {
                    r.error(format!("{path}.clientToken"), "a clientToken has 1–64 characters");
                }
                self.tokens.insert(t.to_string(), text);
                false
            }
        }
    }

    /// Checks a CreateService body and adds the service.
    pub fn create_service(&mut self, s: &CreateService, path: &str, r: &mut Report) {
        let repeat = self.token(s.client_token.as_deref(), s, path, r);
        let cluster = self.cluster(s.cluster.as_deref(), &format!("{path}.cluster"), r);
        let valid = !s.service_name.is_empty()
            && s.service_name.len() <= 255
            && s.service_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            r.error(
                format!("{path}.serviceName"),
                format!(
                    "`{}` is not a valid service name: 1–255 letters, numbers, hyphens and underscores",
                    s.service_name
                ),
            );
        } else if let Some(c) = &cluster
            && !repeat
            && self.services.contains_key(&(c.clone(), s.service_name.clone()))
        {
            r.error(
                format!("{path}.serviceName"),
                format!("service `{}` already exists", s.service_name),
            );
        }
        let td = self.task_definition(&s.task_definition, &format!("{path}.taskDefinition"), r);
        let daemon = s.scheduling_strategy == Some(SchedulingStrategy::Daemon);
        if daemon {
            if s.launch_type == Some(LaunchType::Fargate) {
                r.error(
                    format!("{path}.schedulingStrategy"),
                    "the DAEMON scheduling strategy does not support the FARGATE launch type",
                );
            }
            if s.capacity_provider_strategy.as_ref().is_some_and(|c| !c.is_empty()) {
                r.error(
                    format!("{path}.capacityProviderStrategy"),
                    "the DAEMON scheduling strategy does not support capacity providers: use launchType EC2 or EXTERNAL",
                );
            }
            if s.placement_strategy.as_ref().is_some_and(|p| !p.is_empty()) {
                r.error(
                    format!("{path}.placementStrategy"),
                    "placement strategies are not supported with the DAEMON scheduling strategy",
                );
            }
        } else {
            match s.desired_count {
                None => r.error(format!("{path}.desiredCount"), "a REPLICA service needs desiredCount"),
                Some(c) if c < 0 => r.error(format!("{path}.desiredCount"), format!("{c}: desiredCount must be ≥ 0")),
                _ => {}
            }
        }
        check_deployment(s.deployment_configuration.as_ref(), daemon, path, r);
        if let Some(d) = &s.task_duration
            && let Err(m) = d.validate()
        {
            r.error(format!("{path}.taskDuration"), m);
        }
        let req = CapacityRequest {
            launch_type: s.launch_type,
            strategy: s.capacity_provider_strategy.as_deref(),
            network: s.network_configuration.as_ref(),
            has_placement: s.placement_strategy.as_ref().is_some_and(|x| !x.is_empty())
                || !s.placement_constraints.is_empty(),
        };
        let providers = self.capacity(req, cluster.as_deref(), td, path, r);
        check_placement(&s.placement_constraints, s.placement_strategy.as_deref(), td, path, r);
        if let Some(c) = cluster
            && !repeat
        {
            self.services.insert(
                (c, s.service_name.clone()),
                ServiceInfo {
                    daemon,
                    providers,
                    desired: s.desired_count.unwrap_or(0),
                },
            );
        }
    }

    fn service(&self, cluster: Option<&str>, service: &str, path: &str, r: &mut Report) -> Option<(String, String)> {
        let c = self.cluster(cluster, &format!("{path}.cluster"), r)?;
        let name = service.rsplit('/').next().unwrap_or(service).to_string();
        let key = (c, name);
        if self.services.contains_key(&key) {
            Some(key)
        } else {
            r.error(
                format!("{path}.service"),
                format!("service `{service}` does not exist at that time"),
            );
            None
        }
    }

    /// Checks an UpdateService body.
    pub fn update_service(&mut self, u: &UpdateService, path: &str, r: &mut Report) {
        let Some(key) = self.service(u.cluster.as_deref(), &u.service, path, r) else {
            return;
        };
        let info = self.services[&key].clone();
        if let Some(c) = u.desired_count {
            if c < 0 {
                r.error(format!("{path}.desiredCount"), format!("{c}: desiredCount must be ≥ 0"));
            }
            if info.daemon {
                r.error(
                    format!("{path}.desiredCount"),
                    "a DAEMON service's desired count follows its instances: it cannot be set",
                );
            }
        }
        let td = match &u.task_definition {
            Some(t) => self.task_definition(t, &format!("{path}.taskDefinition"), r),
            None => None,
        };
        if info.daemon && u.placement_strategy.as_ref().is_some_and(|p| !p.is_empty()) {
            r.error(
                format!("{path}.placementStrategy"),
                "placement strategies are not supported with the DAEMON scheduling strategy",
            );
        }
        check_deployment(u.deployment_configuration.as_ref(), info.daemon, path, r);
        let mut providers = info.providers.clone();
        if u.capacity_provider_strategy.is_some() || td.is_some() || u.network_configuration.is_some() {
            let req = CapacityRequest {
                launch_type: None,
                strategy: u.capacity_provider_strategy.as_deref(),
                network: u.network_configuration.as_ref(),
                has_placement: u.placement_strategy.as_ref().is_some_and(|x| !x.is_empty())
                    || u.placement_constraints.as_ref().is_some_and(|x| !x.is_empty()),
            };
            if u.capacity_provider_strategy.is_some() {
                providers = self.capacity(req, Some(&key.0), td, path, r);
            }
        }
        check_placement(
            u.placement_constraints.as_deref().unwrap_or(&[]),
            u.placement_strategy.as_deref(),
            td,
            path,
            r,
        );
        let entry = self.services.get_mut(&key).expect("checked above");
        entry.providers = providers;
        if let Some(c) = u.desired_count {
            entry.desired = c;
        }
    }

    /// Checks a DeleteService body and removes the service.
    pub fn delete_service(&mut self, d: &DeleteService, path: &str, r: &mut Report) {
        let Some(key) = self.service(d.cluster.as_deref(), &d.service, path, r) else {
            return;
        };
        let info = &self.services[&key];
        if info.desired > 0 && !info.daemon && !d.force {
            r.warn(
                format!("{path}.force"),
                "the service's desiredCount is above 0 at that time: without force the call fails",
            );
            return;
        }
        self.services.remove(&key);
    }

    /// Checks a PutClusterCapacityProviders body and applies it.
    pub fn put_cluster_capacity_providers(
        &mut self,
        c: &crate::ecs::provider::PutClusterCapacityProviders,
        path: &str,
        r: &mut Report,
    ) {
        let Some(name) = self.cluster(c.cluster.as_deref(), &format!("{path}.cluster"), r) else {
            return;
        };
        let now = self.now;
        let spec = self.capacity;
        let assoc = spec.associate(c, |p| spec.providers[p.0 as usize].created_at <= now, path, r);
        for ((cluster, service), info) in &self.services {
            if *cluster == name
                && let Some(p) = info.providers.iter().find(|p| !assoc.associated.contains(p))
            {
                r.error(
                    format!("{path}.capacityProviders"),
                    format!(
                        "capacity provider `{}` is in use by service `{service}`: it cannot be removed from the cluster",
                        spec.providers[p.0 as usize].name
                    ),
                );
            }
        }
        self.ever.extend(assoc.associated.iter().copied());
        self.clusters.insert(name, assoc);
    }

    /// Checks a CreateCluster body and adds the cluster.
    pub fn create_cluster(&mut self, c: &api::CreateCluster, path: &str, r: &mut Report) {
        let name = c.name();
        if !api::valid_cluster_name(name) {
            r.error(
                format!("{path}.clusterName"),
                format!("`{name}` is not a valid cluster name: 1–255 letters, numbers, hyphens and underscores"),
            );
            return;
        }
        self.clusters.entry(name.to_string()).or_default();
    }

    /// Adds a cluster the agent creates (ECS_CLUSTER with ecs:CreateCluster).
    pub fn agent_creates(&mut self, name: &str) {
        self.clusters.entry(name.to_string()).or_default();
    }

    /// Whether a cluster exists now.
    pub fn has_cluster(&self, name: &str) -> bool {
        self.clusters.contains_key(name)
    }

    /// Checks a RegisterContainerInstance body.
    pub fn register_container_instance(&mut self, b: &RegisterContainerInstance, path: &str, r: &mut Report) {
        self.cluster(b.cluster.as_deref(), &format!("{path}.cluster"), r);
        match b.identity() {
            Err(m) => r.error(format!("{path}.instanceIdentityDocument"), m),
            Ok(doc) => {
                let known = crate::ecs::catalogue::Catalogue::builtin()
                    .get(&doc.instance_type)
                    .is_some();
                if !known && (b.resource("CPU").is_none() || b.resource("MEMORY").is_none()) {
                    r.error(
                        format!("{path}.instanceIdentityDocument"),
                        format!(
                            "instance type `{}` is not in the catalogue: give totalResources CPU and MEMORY",
                            doc.instance_type
                        ),
                    );
                }
            }
        }
        for name in ["CPU", "MEMORY"] {
            if let Some(res) = b.resource(name)
                && !res.number().is_some_and(|n| n > 0 && n <= u32::MAX as i64)
            {
                r.error(
                    format!("{path}.totalResources"),
                    format!("{name} needs a positive integerValue"),
                );
            }
        }
        if let Some(res) = b.resource("PORTS")
            && res.string_set_value.iter().any(|p| p.parse::<u16>().is_err())
        {
            r.error(format!("{path}.totalResources"), "PORTS lists port numbers as strings");
        }
        if let Some(ud) = &b.user_data {
            crate::ecs::agent::parse_user_data(ud, &format!("{path}.userData"), r);
        }
    }

    /// Checks an UpdateContainerInstancesState body.
    pub fn update_container_instances_state(&mut self, b: &UpdateContainerInstancesState, path: &str, r: &mut Report) {
        self.cluster(b.cluster.as_deref(), &format!("{path}.cluster"), r);
        if b.status.is_none() {
            r.error(format!("{path}.status"), "status is required: ACTIVE or DRAINING");
        }
        if b.container_instances.is_empty() || b.container_instances.len() > MAX_INSTANCES_PER_STATE_CALL {
            r.error(
                format!("{path}.containerInstances"),
                format!("1–{MAX_INSTANCES_PER_STATE_CALL} container instances per call"),
            );
        }
    }

    /// Checks a DeregisterContainerInstance body.
    pub fn deregister_container_instance(&mut self, b: &DeregisterContainerInstance, path: &str, r: &mut Report) {
        self.cluster(b.cluster.as_deref(), &format!("{path}.cluster"), r);
        if b.container_instance.is_empty() {
            r.error(
                format!("{path}.containerInstance"),
                "containerInstance is required: its id or ARN, or the EC2 instance id",
            );
        }
    }
}

/// What a request's capacity settings need checked.
struct CapacityRequest<'a> {
    launch_type: Option<LaunchType>,
    strategy: Option<&'a [StrategyItem]>,
    network: Option<&'a NetworkConfiguration>,
    has_placement: bool,
}

fn check_deployment(d: Option<&api::DeploymentConfiguration>, daemon: bool, path: &str, r: &mut Report) {
    let Some(d) = d else { return };
    let p = format!("{path}.deploymentConfiguration");
    if let Some(m) = d.minimum_healthy_percent
        && m > 100
    {
        r.error(format!("{p}.minimumHealthyPercent"), format!("{m}: 0–100"));
    }
    if let Some(m) = d.maximum_percent {
        if daemon && m != 100 {
            r.error(
                format!("{p}.maximumPercent"),
                "a DAEMON service's maximumPercent must be 100",
            );
        } else if !daemon && !(100..=2000).contains(&m) {
            r.error(
                format!("{p}.maximumPercent"),
                format!("{m}: 100–2000 (below 100 the service could never reach its desired count)"),
            );
        }
    }
}

fn check_placement(
    constraints: &[PlacementConstraint],
    strategies: Option<&[PlacementStrategy]>,
    td: Option<&TaskDefinition>,
    path: &str,
    r: &mut Report,
) {
    let td_constraints = td.map_or(&[][..], |t| &t.constraints);
    if let Err(e) = Chain::compile(td_constraints, constraints, strategies.unwrap_or(&[])) {
        r.error(format!("{path}.{}", e.path), e.message);
    }
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
