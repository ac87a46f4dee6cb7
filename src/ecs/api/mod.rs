//! ECS API request shapes, in the API's own camelCase JSON form, so that what the
//! AWS CLI takes can be pasted into a scenario.
//!
//! These types are read with serde and keep unknown members out of their way: a member
//! ECS accepts but ecsim does not model is reported once as a warning (see
//! [`ecs_members`]), anything else is an error. Validation beyond the shape (limits,
//! references) happens when a scenario is built.

pub mod ecs_members;

use crate::ecs::provider::StrategyItem;
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::engine::duration::DistSpec;
use serde::{Deserialize, Serialize};

/// `LaunchType`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LaunchType {
    /// Amazon EC2 container instances.
    Ec2,
    /// AWS Fargate.
    Fargate,
    /// ECS Anywhere instances.
    External,
    /// ECS Managed Instances.
    ManagedInstances,
}

impl LaunchType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchType::Ec2 => "EC2",
            LaunchType::Fargate => "FARGATE",
            LaunchType::External => "EXTERNAL",
            LaunchType::ManagedInstances => "MANAGED_INSTANCES",
        }
    }
}

/// `NetworkMode`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// Docker's bridge network (the Linux EC2 default).
    #[default]
    Bridge,
    /// The host's network namespace.
    Host,
    /// One elastic network interface per task.
    Awsvpc,
    /// No external networking.
    None,
}

/// `TransportProtocol`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

/// `SchedulingStrategy` of a service.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SchedulingStrategy {
    /// Keep `desiredCount` tasks.
    #[default]
    Replica,
    /// One task per matching instance.
    Daemon,
}

/// `awsvpcConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsvpcConfiguration {
    /// `subnets`: their zones are where the tasks may run.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// `securityGroups` (read, not modelled).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// `assignPublicIp` (read, not modelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
}

/// `networkConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkConfiguration {
    /// `awsvpcConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awsvpc_configuration: Option<AwsvpcConfiguration>,
}

impl NetworkConfiguration {
    /// The subnets named, if any.
    pub fn subnets(&self) -> &[String] {
        self.awsvpc_configuration.as_ref().map_or(&[], |a| &a.subnets)
    }
}

/// A CreateService request body, plus ecsim's simulation-only `taskDuration` (or, in a
/// scenario's `[[services]]`, `{ file = "x.json" }`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateService {
    /// Scenario only: read the service (or services) from this AWS CLI JSON file instead:
    /// a CreateService body, `{"service": {...}}`, or DescribeServices output.
    #[serde(default, skip_serializing)]
    pub file: Option<String>,
    /// `cluster` (name or ARN); the scenario's only cluster when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `serviceName` (required).
    #[serde(default)]
    pub service_name: String,
    /// `taskDefinition`: family, family:revision or ARN.
    #[serde(default)]
    pub task_definition: String,
    /// `desiredCount` (required for REPLICA services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i64>,
    /// `launchType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// `capacityProviderStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// `networkConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// `schedulingStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<SchedulingStrategy>,
    /// `placementStrategy` (at most 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `deploymentConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// `availabilityZoneRebalancing` (default ENABLED for services that spread over
    /// zones, DISABLED for the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<crate::ecs::provider::Toggle>,
    /// `clientToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Simulation only: how long each task runs before it exits (and is replaced).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::engine::duration::deserialize_opt_dist"
    )]
    pub task_duration: Option<DistSpec>,
    /// Simulation only: the requests its tasks serve over time, and what they cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand: Option<crate::appscaling::demand::Demand>,
}

/// A RunTask request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTask {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `taskDefinition` (required).
    #[serde(default)]
    pub task_definition: String,
    /// `count`, 1–10 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// `group` (default `family:<family>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `startedBy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// `launchType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    /// `capacityProviderStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// `networkConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// `placementStrategy` (at most 5; default random).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `clientToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `deploymentCircuitBreaker`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentCircuitBreaker {
    /// `enable`.
    #[serde(default)]
    pub enable: bool,
    /// `rollback`: roll back to the last completed deployment when it trips.
    #[serde(default)]
    pub rollback: bool,
}

/// `deploymentConfiguration` of a service.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    /// `maximumPercent`: RUNNING and PENDING tasks at most, % of desiredCount (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<u32>,
    /// `minimumHealthyPercent`: healthy RUNNING tasks at least, % of desiredCount
    /// (default 100; DAEMON 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<u32>,
    /// `deploymentCircuitBreaker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// `strategy`: `ROLLING` (default), `BLUE_GREEN`, `LINEAR` or `CANARY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    /// `bakeTimeInMinutes`: how long both sets run after the traffic shift (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<u32>,
    /// `linearConfiguration` (LINEAR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    /// `canaryConfiguration` (CANARY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
}

/// A deployment `strategy`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStrategy {
    /// Replace tasks within minimumHealthyPercent and maximumPercent.
    Rolling,
    /// Start the new task set at full size, shift traffic at once, bake, stop the old set.
    BlueGreen,
    /// As BLUE_GREEN, traffic shifted in equal steps.
    Linear,
    /// As BLUE_GREEN, a canary share of traffic first.
    Canary,
}

/// `linearConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinearConfiguration {
    /// `stepPercent`: traffic moved per step (3–100, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_percent: Option<f64>,
    /// `stepBakeTimeInMinutes`: wait after each step (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_bake_time_in_minutes: Option<u32>,
}

/// `canaryConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryConfiguration {
    /// `canaryPercent`: traffic the canary takes first (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<f64>,
    /// `canaryBakeTimeInMinutes`: wait before the rest moves (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_bake_time_in_minutes: Option<u32>,
}

/// An UpdateService request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateService {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `service`: name or ARN (required).
    #[serde(default)]
    pub service: String,
    /// `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i64>,
    /// `taskDefinition`: a new one starts a rolling deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// `capacityProviderStrategy` (new deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// `networkConfiguration` (new deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// `placementStrategy` (new deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints` (new deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// `deploymentConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// `availabilityZoneRebalancing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<crate::ecs::provider::Toggle>,
    /// `forceNewDeployment`: a new deployment even without other changes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_new_deployment: bool,
}

impl UpdateService {
    /// Whether the update starts a new deployment (ECS: a new task definition, network,
    /// placement or capacity settings, or forceNewDeployment).
    pub fn starts_deployment(&self) -> bool {
        self.task_definition.is_some()
            || self.capacity_provider_strategy.is_some()
            || self.network_configuration.is_some()
            || self.placement_strategy.is_some()
            || self.placement_constraints.is_some()
            || self.force_new_deployment
    }
}

/// A DeleteService request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteService {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `service`: name or ARN (required).
    #[serde(default)]
    pub service: String,
    /// `force`: delete a service whose desiredCount is not 0 (its tasks are stopped).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

/// `ContainerInstanceStatus` values UpdateContainerInstancesState may set.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceState {
    /// Accepts tasks.
    Active,
    /// No new tasks; service tasks are moved off.
    Draining,
}

/// An UpdateContainerInstancesState request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateContainerInstancesState {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstances`: container-instance ids or ARNs, or (ecsim) EC2 instance ids.
    #[serde(default)]
    pub container_instances: Vec<String>,
    /// `status` (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InstanceState>,
}

/// A `Resource` of RegisterContainerInstance's `totalResources`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// `name`: CPU, MEMORY, PORTS, PORTS_UDP (others are ignored).
    #[serde(default)]
    pub name: String,
    /// `type`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `integerValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer_value: Option<i64>,
    /// `longValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_value: Option<i64>,
    /// `doubleValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub double_value: Option<f64>,
    /// `stringSetValue` (ports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub string_set_value: Vec<String>,
}

impl Resource {
    /// The numeric value, whichever member holds it.
    pub fn number(&self) -> Option<i64> {
        self.integer_value
            .or(self.long_value)
            .or(self.double_value.map(|d| d as i64))
    }
}

/// An `Attribute`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `versionInfo`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// `agentVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// `agentHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hash: Option<String>,
    /// `dockerVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// What ecsim reads of an EC2 instance identity document.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDocument {
    /// `instanceId`.
    #[serde(default)]
    pub instance_id: String,
    /// `instanceType`.
    #[serde(default)]
    pub instance_type: String,
    /// `availabilityZone`.
    #[serde(default)]
    pub availability_zone: String,
}

/// A RegisterContainerInstance request body (what the agent sends), plus ecsim's
/// simulation-only `userData` (the agent's configuration).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterContainerInstance {
    /// `cluster` (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `instanceIdentityDocument`: a JSON string, as the agent sends it (an object is accepted too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_identity_document: Option<serde_json::Value>,
    /// `totalResources`: CPU, MEMORY, PORTS (default: the instance type's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub total_resources: Vec<Resource>,
    /// `versionInfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionInfo>,
    /// `attributes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Simulation only: the agent's configuration, as `userData` of an instance group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
}

impl RegisterContainerInstance {
    /// The identity document, parsed from its string (or object) form.
    pub fn identity(&self) -> Result<IdentityDocument, String> {
        let doc = match &self.instance_identity_document {
            None => {
                return Err("instanceIdentityDocument is required (instanceId, instanceType, availabilityZone)".into());
            }
            Some(serde_json::Value::String(s)) => serde_json::from_str::<serde_json::Value>(s)
                .map_err(|e| format!("instanceIdentityDocument is not JSON: {e}"))?,
            Some(v) => v.clone(),
        };
        let d: IdentityDocument = serde_json::from_value(doc).map_err(|e| format!("instanceIdentityDocument: {e}"))?;
        if d.instance_id.is_empty() || d.instance_type.is_empty() || d.availability_zone.is_empty() {
            return Err("instanceIdentityDocument needs instanceId, instanceType and availabilityZone".into());
        }
        Ok(d)
    }

    /// The resource named `name` in `totalResources`.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.total_resources.iter().find(|r| r.name == name)
    }
}

/// A DeregisterContainerInstance request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeregisterContainerInstance {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstance`: id or ARN, or (ecsim) an EC2 instance id.
    #[serde(default)]
    pub container_instance: String,
    /// `force`: deregister although tasks run there (they are orphaned; services replace theirs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

/// A CreateCluster request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCluster {
    /// `clusterName` (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

impl CreateCluster {
    /// The cluster's name.
    pub fn name(&self) -> &str {
        self.cluster_name.as_deref().unwrap_or(DEFAULT_CLUSTER)
    }
}

/// The cluster a request names when it names none.
pub const DEFAULT_CLUSTER: &str = "default";

/// The name in a cluster reference (a name or an ARN ending `cluster/<name>`).
pub fn cluster_name(reference: Option<&str>) -> &str {
    match reference {
        None => DEFAULT_CLUSTER,
        Some(r) => r.rsplit('/').next().unwrap_or(r),
    }
}

/// Cluster names: 1–255 letters, numbers, hyphens and underscores.
pub fn valid_cluster_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A StopTask request body.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTask {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `task`: the task ID or ARN (required).
    #[serde(default)]
    pub task: String,
    /// `reason`, shown as the task's stoppedReason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
