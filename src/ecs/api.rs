//! ECS API request shapes, in the API's own camelCase JSON form, so that what the
//! AWS CLI takes can be pasted into a scenario.
//!
//! These types are read with serde and keep unknown members out of their way: a member
//! ECS accepts but ecsim does not model is reported once as a warning (see
//! [`ecs_members`]), anything else is an error. Validation beyond the shape (limits,
//! references) happens when a scenario is built.

use crate::capacity::StrategyItem;
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::scenario::duration::DistSpec;
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

/// A CreateService request body, plus ecsim's simulation-only `taskDuration`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateService {
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
    /// `clientToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Simulation only: how long each task runs before it exits (and is replaced).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::scenario::duration::deserialize_opt_dist"
    )]
    pub task_duration: Option<DistSpec>,
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

/// Members ECS accepts in each request body that ecsim reads but does not model.
/// A member in neither this list nor the body's own fields is an error.
pub mod ecs_members {
    /// RegisterTaskDefinition members not modelled.
    pub const REGISTER_TASK_DEFINITION: &[&str] = &[
        "taskRoleArn",
        "executionRoleArn",
        "volumes",
        "tags",
        "pidMode",
        "ipcMode",
        "proxyConfiguration",
        "inferenceAccelerators",
        "ephemeralStorage",
        "runtimePlatform",
        "enableFaultInjection",
    ];
    /// ContainerDefinition members not modelled.
    pub const CONTAINER_DEFINITION: &[&str] = &[
        "repositoryCredentials",
        "links",
        "restartPolicy",
        "entryPoint",
        "command",
        "environment",
        "environmentFiles",
        "mountPoints",
        "volumesFrom",
        "linuxParameters",
        "secrets",
        "dependsOn",
        "startTimeout",
        "stopTimeout",
        "versionConsistency",
        "hostname",
        "user",
        "workingDirectory",
        "disableNetworking",
        "privileged",
        "readonlyRootFilesystem",
        "dnsServers",
        "dnsSearchDomains",
        "extraHosts",
        "dockerSecurityOptions",
        "interactive",
        "pseudoTerminal",
        "dockerLabels",
        "ulimits",
        "logConfiguration",
        "healthCheck",
        "systemControls",
        "resourceRequirements",
        "firelensConfiguration",
        "credentialSpecs",
    ];
    /// PortMapping members not modelled.
    pub const PORT_MAPPING: &[&str] = &["name", "appProtocol", "containerPortRange"];
    /// CreateService members not modelled.
    pub const CREATE_SERVICE: &[&str] = &[
        "availabilityZoneRebalancing",
        "loadBalancers",
        "serviceRegistries",
        "platformVersion",
        "role",
        "deploymentConfiguration",
        "healthCheckGracePeriodSeconds",
        "deploymentController",
        "tags",
        "enableECSManagedTags",
        "propagateTags",
        "enableExecuteCommand",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
    ];
    /// RunTask members not modelled.
    pub const RUN_TASK: &[&str] = &[
        "enableECSManagedTags",
        "enableExecuteCommand",
        "overrides",
        "platformVersion",
        "propagateTags",
        "referenceId",
        "tags",
        "volumeConfigurations",
    ];
    /// UpdateService members not modelled.
    pub const UPDATE_SERVICE: &[&str] = &[
        "taskDefinition",
        "capacityProviderStrategy",
        "deploymentConfiguration",
        "availabilityZoneRebalancing",
        "networkConfiguration",
        "placementConstraints",
        "placementStrategy",
        "platformVersion",
        "forceNewDeployment",
        "healthCheckGracePeriodSeconds",
        "deploymentController",
        "enableExecuteCommand",
        "enableECSManagedTags",
        "loadBalancers",
        "propagateTags",
        "serviceRegistries",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "vpcLatticeConfigurations",
    ];
    /// StopTask members not modelled.
    pub const STOP_TASK: &[&str] = &[];
}
