//! The control plane's rules: what each API call needs to be accepted given the state
//! at its time, and what an accepted call resolves to.
//!
//! The scenario checker (at load, against the state the timeline will have) and the
//! run (at call time, against the state it has) call the same functions through the
//! [`State`] trait, so `validate` and `run` agree on every call: a call the run would
//! refuse is refused when the scenario is checked — or warned about, when whether it
//! fails depends on how the run goes — and a refused call in a run is an error record
//! (CloudTrail `errorCode`), never a panic.

pub mod appscaling;
pub mod clusters;
pub mod instances;
pub mod services;
pub mod tasks;

use crate::capacity::providers::{Associations, Capacity, CapacitySpec};
use crate::ecs::api::{LaunchType, NetworkConfiguration};
use crate::ecs::cluster::ClusterId;
use crate::ecs::provider::{Pool, StrategyItem};
use crate::ecs::registry::{TaskDefId, TaskDefinitions};
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::engine::SimTime;
use crate::placement::plan::Chain;

/// ECS's error codes, as CloudTrail records them.
pub mod code {
    /// The request is malformed or breaks a limit.
    pub const INVALID: &str = "InvalidParameterException";
    /// The request names something that is not usable (a task definition, mostly).
    pub const CLIENT: &str = "ClientException";
    /// The cluster does not exist.
    pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFoundException";
    /// The service does not exist.
    pub const SERVICE_NOT_FOUND: &str = "ServiceNotFoundException";
    /// The service is being deleted.
    pub const SERVICE_NOT_ACTIVE: &str = "ServiceNotActiveException";
    /// A clientToken was reused with other parameters.
    pub const CONFLICT: &str = "ConflictException";
    /// The caller's role does not allow the action.
    pub const ACCESS_DENIED: &str = "AccessDeniedException";
}

/// A refused call: ECS's error code, the member it concerns (a path relative to the
/// request, empty for the request as a whole) and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// ECS's error code ([`code`]).
    pub code: &'static str,
    /// The member, e.g. `placementStrategy[1]` or `cluster`.
    pub member: String,
    /// What is wrong.
    pub message: String,
}

impl ApiError {
    /// An error about `member`.
    pub fn new(code: &'static str, member: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            member: member.to_string(),
            message: message.into(),
        }
    }

    /// The path of the member under `request` (a field path such as `timeline[3].request`).
    pub fn path_under(&self, request: &str) -> String {
        if self.member.is_empty() {
            request.to_string()
        } else {
            format!("{request}.{}", self.member)
        }
    }
}

/// What the checks read: the state at a call's time.
pub trait State {
    /// The capacity providers and subnets of the scenario.
    fn capacity(&self) -> &CapacitySpec;
    /// Task definitions registered so far.
    fn registry(&self) -> &TaskDefinitions;
    /// The call's time.
    fn now(&self) -> SimTime;
    /// The cluster called `name`, if it exists.
    fn cluster(&self, name: &str) -> Option<ClusterId>;
    /// The clusters that exist, by name (for messages).
    fn cluster_names(&self) -> Vec<String>;
    /// A cluster's capacity providers and default strategy.
    fn associations(&self, c: ClusterId) -> Associations;
    /// The ACTIVE or DRAINING service called `name` in cluster `c`.
    fn service(&self, c: ClusterId, name: &str) -> Option<ServiceInfo>;
    /// The ACTIVE services of cluster `c`, with their names.
    fn services_in(&self, c: ClusterId) -> Vec<(String, ServiceInfo)>;
}

/// What the checks need to know of a service.
#[derive(Clone, Debug)]
pub struct ServiceInfo {
    /// DAEMON scheduling.
    pub daemon: bool,
    /// Not being deleted.
    pub active: bool,
    /// `desiredCount`.
    pub desired: u32,
    /// Its deployment settings.
    pub settings: crate::ecs::deployment::Settings,
    /// Its PRIMARY deployment's configuration.
    pub config: Config,
}

/// A service deployment's configuration, or a RunTask's: the task definition and the
/// placement and capacity settings in force, checked and resolved, with the request's
/// own members kept for later updates.
#[derive(Clone, Debug)]
pub struct Config {
    /// The task definition revision.
    pub taskdef: TaskDefId,
    /// Where its tasks go.
    pub capacity: Capacity,
    /// The zones of its subnets (awsvpc and Fargate spread over them).
    pub zones: Vec<String>,
    /// The checked placement chain (the task definition's constraints first).
    pub chain: Chain,
    /// `launchType` as requested.
    pub launch_type: Option<LaunchType>,
    /// `capacityProviderStrategy` as requested.
    pub capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// `networkConfiguration` as requested.
    pub network: Option<NetworkConfiguration>,
    /// `placementStrategy` as requested (None: the default).
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints` as requested.
    pub placement_constraints: Vec<PlacementConstraint>,
}

impl Config {
    /// The pools its tasks may use.
    pub fn pools(&self, capacity: &CapacitySpec) -> Vec<Pool> {
        match &self.capacity {
            Capacity::Pool(p) => vec![*p],
            Capacity::Strategy(items) => items.iter().map(|(p, _)| capacity.pool_of(*p)).collect(),
        }
    }
}

/// The request members a [`Config`] is resolved from.
pub struct ConfigRequest<'a> {
    /// `launchType`.
    pub launch_type: Option<LaunchType>,
    /// `capacityProviderStrategy`.
    pub capacity_provider_strategy: Option<&'a [StrategyItem]>,
    /// `networkConfiguration`.
    pub network: Option<&'a NetworkConfiguration>,
    /// `placementStrategy` (None: `default`).
    pub placement_strategy: Option<&'a [PlacementStrategy]>,
    /// `placementConstraints`.
    pub placement_constraints: &'a [PlacementConstraint],
    /// The default strategy chain (a service's, or RunTask's).
    pub default_strategies: Vec<PlacementStrategy>,
}

/// The cluster a request names; a missing one is ClusterNotFoundException.
pub fn cluster(st: &dyn State, reference: Option<&str>) -> Result<ClusterId, ApiError> {
    let name = crate::ecs::api::cluster_name(reference);
    st.cluster(name).ok_or_else(|| {
        ApiError::new(
            code::CLUSTER_NOT_FOUND,
            "cluster",
            format!(
                "cluster `{name}` does not exist at that time: there are {}",
                st.cluster_names().join(", ")
            ),
        )
    })
}

/// The task definition a request names; an unknown one is ClientException.
pub fn task_definition(st: &dyn State, reference: &str, member: &str) -> Result<TaskDefId, ApiError> {
    st.registry()
        .resolve(reference)
        .map_err(|m| ApiError::new(code::CLIENT, member, m))
}

/// Resolves and checks a configuration for task definition `td` in cluster `c`: its
/// capacity (launch type, provider strategy, or the cluster's default), what Fargate
/// and external instances require, its subnets' zones, and its placement chain.
pub fn config(st: &dyn State, c: ClusterId, td: TaskDefId, req: ConfigRequest) -> Result<Config, ApiError> {
    let spec = st.capacity();
    let field = if req.capacity_provider_strategy.is_some_and(|s| !s.is_empty()) {
        "capacityProviderStrategy"
    } else {
        "launchType"
    };
    let capacity = spec
        .resolve(&st.associations(c), req.launch_type, req.capacity_provider_strategy)
        .map_err(|m| ApiError::new(code::INVALID, field, m))?;
    let def = st.registry().get(td);
    let has_placement = req.placement_strategy.is_some_and(|s| !s.is_empty()) || !req.placement_constraints.is_empty();
    spec.check_request(&capacity, def, has_placement, req.network)
        .map_err(|m| ApiError::new(code::INVALID, "", m))?;
    let zones = match req.network {
        Some(n) => spec
            .zones(n.subnets())
            .map_err(|m| ApiError::new(code::INVALID, "networkConfiguration", m))?,
        None => Vec::new(),
    };
    let strategies = req.placement_strategy.unwrap_or(&req.default_strategies);
    let chain = Chain::compile(&def.constraints, req.placement_constraints, strategies)
        .map_err(|e| ApiError::new(code::INVALID, &e.path, e.message))?;
    Ok(Config {
        taskdef: td,
        capacity,
        zones,
        chain,
        launch_type: req.launch_type,
        capacity_provider_strategy: req.capacity_provider_strategy.map(<[_]>::to_vec),
        network: req.network.cloned(),
        placement_strategy: req.placement_strategy.map(<[_]>::to_vec),
        placement_constraints: req.placement_constraints.to_vec(),
    })
}

/// The text a clientToken compares: the request without its token.
pub fn token_text<T: serde::Serialize>(body: &T) -> String {
    let mut v = serde_json::to_value(body).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut v {
        m.remove("clientToken");
    }
    v.to_string()
}

/// What a clientToken is remembered under: ECS scopes tokens per API and per cluster,
/// so the same token in another cluster is a new call.
pub fn token_key(api: &str, cluster: Option<&str>, token: &str) -> String {
    format!("{api}:{}:{token}", crate::ecs::api::cluster_name(cluster))
}

/// Checks a clientToken's shape: 1–64 characters.
pub fn check_token(token: Option<&str>) -> Result<(), ApiError> {
    match token {
        Some(t) if t.is_empty() || t.len() > 64 => Err(ApiError::new(
            code::INVALID,
            "clientToken",
            "a clientToken has 1–64 characters",
        )),
        _ => Ok(()),
    }
}
