//! CreateService, UpdateService and DeleteService.

use super::{ApiError, Config, ConfigRequest, State, code};
use crate::ecs::api::{
    CreateService, DeleteService, DeploymentConfiguration, LaunchType, SchedulingStrategy, UpdateService,
};
use crate::ecs::cluster::ClusterId;
use crate::ecs::deployment::Settings;
use crate::ecs::provider::Toggle;
use crate::ecs::strategy::{PlacementStrategy, SpreadField};
use crate::placement::plan::service_default;

/// An accepted CreateService.
#[derive(Clone, Debug)]
pub struct NewService {
    /// Its cluster.
    pub cluster: ClusterId,
    /// `serviceName`.
    pub name: String,
    /// DAEMON scheduling.
    pub daemon: bool,
    /// `desiredCount` (0 for a DAEMON service: its instances decide).
    pub desired: u32,
    /// Deployment bounds and circuit breaker.
    pub settings: Settings,
    /// `availabilityZoneRebalancing` ENABLED.
    pub az_rebalancing: bool,
    /// The first deployment's configuration.
    pub config: Config,
}

/// An accepted UpdateService.
#[derive(Clone, Debug)]
pub struct ServiceUpdate {
    /// The service's cluster.
    pub cluster: ClusterId,
    /// Its name.
    pub name: String,
    /// A new `desiredCount`.
    pub desired: Option<u32>,
    /// The deployment settings after the update.
    pub settings: Settings,
    /// A new `availabilityZoneRebalancing`.
    pub az_rebalancing: Option<bool>,
    /// The configuration of a new deployment, when the update starts one.
    pub deployment: Option<Config>,
}

/// Service names: 1–255 letters, numbers, hyphens and underscores.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether a strategy chain suits Availability Zone rebalancing: the default chain,
/// or one that spreads over zones first (AWS: binpack services default to DISABLED).
pub fn spreads_zones(strategies: Option<&[PlacementStrategy]>) -> bool {
    match strategies.and_then(|s| s.first()) {
        None => true,
        Some(s) => {
            s.kind == "spread"
                && matches!(s.field.as_deref().map(SpreadField::parse),
                            Some(Ok(SpreadField::Attribute(a))) if a == "ecs.availability-zone")
        }
    }
}

fn check_deployment(d: Option<&DeploymentConfiguration>, daemon: bool) -> Result<(), ApiError> {
    let Some(d) = d else { return Ok(()) };
    let p = "deploymentConfiguration";
    if let Some(m) = d.minimum_healthy_percent
        && m > 100
    {
        return Err(ApiError::new(
            code::INVALID,
            &format!("{p}.minimumHealthyPercent"),
            format!("{m}: 0–100"),
        ));
    }
    match d.maximum_percent {
        Some(m) if daemon && m != 100 => Err(ApiError::new(
            code::INVALID,
            &format!("{p}.maximumPercent"),
            "a DAEMON service's maximumPercent must be 100",
        )),
        Some(m) if !daemon && !(100..=2000).contains(&m) => Err(ApiError::new(
            code::INVALID,
            &format!("{p}.maximumPercent"),
            format!("{m}: 100–2000 (below 100 the service could never reach its desired count)"),
        )),
        _ => Ok(()),
    }
}

fn no_daemon_strategies(daemon: bool, strategies: Option<&[PlacementStrategy]>) -> Result<(), ApiError> {
    if daemon && strategies.is_some_and(|p| !p.is_empty()) {
        return Err(ApiError::new(
            code::INVALID,
            "placementStrategy",
            "placement strategies are not supported with the DAEMON scheduling strategy",
        ));
    }
    Ok(())
}

/// Checks a CreateService body.
pub fn create(st: &dyn State, s: &CreateService) -> Result<NewService, ApiError> {
    super::check_token(s.client_token.as_deref())?;
    let cluster = super::cluster(st, s.cluster.as_deref())?;
    if s.service_name.is_empty() {
        return Err(ApiError::new(
            code::INVALID,
            "serviceName",
            "missing: CreateService needs a serviceName (1–255 letters, numbers, hyphens and underscores)",
        ));
    }
    if !valid_name(&s.service_name) {
        return Err(ApiError::new(
            code::INVALID,
            "serviceName",
            format!(
                "`{}` is not a valid service name: 1–255 letters, numbers, hyphens and underscores",
                s.service_name
            ),
        ));
    }
    if st.service(cluster, &s.service_name).is_some() {
        return Err(ApiError::new(
            code::INVALID,
            "serviceName",
            format!(
                "service `{}` already exists: creation of service was not idempotent",
                s.service_name
            ),
        ));
    }
    let td = super::task_definition(st, &s.task_definition, "taskDefinition")?;
    let daemon = s.scheduling_strategy == Some(SchedulingStrategy::Daemon);
    if daemon {
        if s.launch_type == Some(LaunchType::Fargate) {
            return Err(ApiError::new(
                code::INVALID,
                "schedulingStrategy",
                "the DAEMON scheduling strategy does not support the FARGATE launch type",
            ));
        }
        if s.capacity_provider_strategy.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(ApiError::new(
                code::INVALID,
                "capacityProviderStrategy",
                "the DAEMON scheduling strategy does not support capacity providers: use launchType EC2 or EXTERNAL",
            ));
        }
        no_daemon_strategies(daemon, s.placement_strategy.as_deref())?;
    } else {
        match s.desired_count {
            None => {
                return Err(ApiError::new(
                    code::INVALID,
                    "desiredCount",
                    "a REPLICA service needs desiredCount",
                ));
            }
            Some(c) if !(0..=u32::MAX as i64).contains(&c) => {
                return Err(ApiError::new(
                    code::INVALID,
                    "desiredCount",
                    format!("{c}: desiredCount must be ≥ 0"),
                ));
            }
            _ => {}
        }
    }
    check_deployment(s.deployment_configuration.as_ref(), daemon)?;
    if let Some(d) = &s.task_duration {
        d.validate()
            .map_err(|m| ApiError::new(code::INVALID, "taskDuration", m))?;
    }
    let config = super::config(
        st,
        cluster,
        td,
        ConfigRequest {
            launch_type: s.launch_type,
            capacity_provider_strategy: s.capacity_provider_strategy.as_deref(),
            network: s.network_configuration.as_ref(),
            placement_strategy: s.placement_strategy.as_deref(),
            placement_constraints: &s.placement_constraints,
            default_strategies: service_default(),
        },
    )?;
    Ok(NewService {
        cluster,
        name: s.service_name.clone(),
        daemon,
        desired: if daemon { 0 } else { s.desired_count.unwrap_or(0) as u32 },
        settings: Settings::resolve(s.deployment_configuration.as_ref(), daemon),
        az_rebalancing: match s.availability_zone_rebalancing {
            Some(t) => t == Toggle::Enabled,
            None => !daemon && spreads_zones(s.placement_strategy.as_deref()),
        },
        config,
    })
}

/// The ACTIVE service a request names: ServiceNotFoundException or
/// ServiceNotActiveException otherwise.
fn active(
    st: &dyn State,
    cluster: Option<&str>,
    service: &str,
) -> Result<(ClusterId, String, super::ServiceInfo), ApiError> {
    let c = super::cluster(st, cluster)?;
    let name = service.rsplit('/').next().unwrap_or(service).to_string();
    match st.service(c, &name) {
        Some(info) if info.active => Ok((c, name, info)),
        Some(_) => Err(ApiError::new(
            code::SERVICE_NOT_ACTIVE,
            "service",
            format!("service `{service}` is being deleted at that time: it is not ACTIVE"),
        )),
        None if name.is_empty() => Err(ApiError::new(code::INVALID, "service", "service is required")),
        None => Err(ApiError::new(
            code::SERVICE_NOT_FOUND,
            "service",
            format!("service `{service}` does not exist at that time"),
        )),
    }
}

/// Checks an UpdateService body: desired count, deployment settings, and — when the
/// update starts a deployment (a new task definition, network, placement or capacity
/// settings, or forceNewDeployment) — the new configuration, merged with the
/// current one and checked as a whole (ECS's limits apply to the result).
pub fn update(st: &dyn State, u: &UpdateService) -> Result<ServiceUpdate, ApiError> {
    let (cluster, name, info) = active(st, u.cluster.as_deref(), &u.service)?;
    if let Some(c) = u.desired_count {
        if !(0..=u32::MAX as i64).contains(&c) {
            return Err(ApiError::new(
                code::INVALID,
                "desiredCount",
                format!("{c}: desiredCount must be ≥ 0"),
            ));
        }
        if info.daemon {
            return Err(ApiError::new(
                code::INVALID,
                "desiredCount",
                "a DAEMON service's desired count follows its instances: it cannot be set",
            ));
        }
    }
    let td = match &u.task_definition {
        Some(t) => Some(super::task_definition(st, t, "taskDefinition")?),
        None => None,
    };
    no_daemon_strategies(info.daemon, u.placement_strategy.as_deref())?;
    check_deployment(u.deployment_configuration.as_ref(), info.daemon)?;
    let deployment = if u.starts_deployment() {
        let prev = &info.config;
        let strategy_given = u.capacity_provider_strategy.is_some();
        let cps = if strategy_given {
            u.capacity_provider_strategy.as_deref().filter(|c| !c.is_empty())
        } else {
            prev.capacity_provider_strategy.as_deref()
        };
        let placement_strategy = match &u.placement_strategy {
            Some(p) if p.is_empty() => None,
            Some(p) => Some(p.as_slice()),
            None => prev.placement_strategy.as_deref(),
        };
        let config = super::config(
            st,
            cluster,
            td.unwrap_or(prev.taskdef),
            ConfigRequest {
                launch_type: if strategy_given { None } else { prev.launch_type },
                capacity_provider_strategy: cps,
                network: u.network_configuration.as_ref().or(prev.network.as_ref()),
                placement_strategy,
                placement_constraints: u
                    .placement_constraints
                    .as_deref()
                    .unwrap_or(&prev.placement_constraints),
                default_strategies: service_default(),
            },
        )?;
        Some(config)
    } else {
        None
    };
    Ok(ServiceUpdate {
        cluster,
        name,
        desired: if info.daemon {
            None
        } else {
            u.desired_count.map(|d| d as u32)
        },
        settings: info.settings.updated(u.deployment_configuration.as_ref()),
        az_rebalancing: u.availability_zone_rebalancing.map(|t| t == Toggle::Enabled),
        deployment,
    })
}

/// Checks a DeleteService body: a service scaled above 0 needs `force` (a DAEMON one
/// does not).
pub fn delete(st: &dyn State, d: &DeleteService) -> Result<(ClusterId, String), ApiError> {
    let (cluster, name, info) = active(st, d.cluster.as_deref(), &d.service)?;
    if info.desired > 0 && !info.daemon && !d.force {
        return Err(ApiError::new(
            code::INVALID,
            "force",
            "The service cannot be stopped while it is scaled above 0: give force, or set desiredCount 0 first.",
        ));
    }
    Ok((cluster, name))
}
