//! Capacity providers and pools in the API's terms: provider ids, the pool of capacity
//! a launch type or provider names, and the request shapes of CreateCapacityProvider,
//! PutClusterCapacityProviders and capacity provider strategies.

use serde::{Deserialize, Serialize};

/// Index of a capacity provider in the run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderId(pub u32);

/// The reserved Fargate provider names.
pub const FARGATE: &str = "FARGATE";
/// Fargate Spot.
pub const FARGATE_SPOT: &str = "FARGATE_SPOT";

/// Where a task may run: the pool of capacity its launch type or provider names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Pool {
    /// launchType EC2: any EC2 container instance of the cluster.
    #[default]
    Ec2,
    /// launchType EXTERNAL: ECS Anywhere instances only.
    External,
    /// An Auto Scaling group capacity provider's instances.
    Provider(ProviderId),
    /// Fargate (`spot`: Fargate Spot), as a provider or by launchType FARGATE.
    Fargate {
        /// Fargate Spot.
        spot: bool,
        /// The provider, when a strategy chose it.
        provider: Option<ProviderId>,
    },
}

impl Pool {
    /// The launch type ECS reports for tasks of this pool.
    pub fn launch_type(self) -> &'static str {
        match self {
            Pool::Ec2 | Pool::Provider(_) => "EC2",
            Pool::External => "EXTERNAL",
            Pool::Fargate { .. } => "FARGATE",
        }
    }

    /// The capacity provider, if a provider chose this pool.
    pub fn provider(self) -> Option<ProviderId> {
        match self {
            Pool::Provider(p) | Pool::Fargate { provider: Some(p), .. } => Some(p),
            _ => None,
        }
    }

    /// True for Fargate.
    pub fn is_fargate(self) -> bool {
        matches!(self, Pool::Fargate { .. })
    }

    /// Whether a container instance of `provider` (an external one when `external`)
    /// can run this pool's tasks. launchType EC2 takes any EC2 instance, a provider only
    /// its own; Fargate needs none.
    pub fn admits(self, provider: Option<ProviderId>, external: bool) -> bool {
        match self {
            Pool::Ec2 => !external,
            Pool::External => external,
            Pool::Provider(p) => provider == Some(p),
            Pool::Fargate { .. } => false,
        }
    }
}

/// Where a plan's tasks may go: a pool of capacity within one ECS cluster.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// The pool.
    pub pool: Pool,
    /// The ECS cluster (index in the run's clusters).
    pub cluster: crate::ecs::cluster::ClusterId,
}

impl From<Pool> for Scope {
    /// The pool in the first cluster.
    fn from(pool: Pool) -> Scope {
        Scope {
            pool,
            cluster: Default::default(),
        }
    }
}

/// `ENABLED` / `DISABLED`.

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Toggle {
    /// On.
    Enabled,
    /// Off.
    #[default]
    Disabled,
}

/// `ManagedScaling` of an Auto Scaling group provider.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedScaling {
    /// `status` (default DISABLED, as in the API).
    #[serde(default)]
    pub status: Option<Toggle>,
    /// `targetCapacity`, 1–100 (default 100).
    #[serde(default)]
    pub target_capacity: Option<u32>,
    /// `minimumScalingStepSize`, 1–10000 (default 1).
    #[serde(default)]
    pub minimum_scaling_step_size: Option<u32>,
    /// `maximumScalingStepSize`, 1–10000 (default 10000).
    #[serde(default)]
    pub maximum_scaling_step_size: Option<u32>,
    /// `instanceWarmupPeriod` seconds, 0–10000 (default 300).
    #[serde(default)]
    pub instance_warmup_period: Option<u32>,
}

/// `AutoScalingGroupProvider`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoScalingGroupProvider {
    /// `autoScalingGroupArn`: the group's name, or an ARN ending in `autoScalingGroupName/<name>`.
    pub auto_scaling_group_arn: String,
    /// `managedScaling`.
    #[serde(default)]
    pub managed_scaling: Option<ManagedScaling>,
    /// `managedTerminationProtection` (default DISABLED).
    #[serde(default)]
    pub managed_termination_protection: Option<Toggle>,
    /// `managedDraining` (default ENABLED).
    #[serde(default)]
    pub managed_draining: Option<Toggle>,
}

/// A CreateCapacityProvider body.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCapacityProvider {
    /// `name`.
    pub name: String,
    /// `autoScalingGroupProvider`.
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
}

/// One item of a `capacityProviderStrategy`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StrategyItem {
    /// `capacityProvider`.
    pub capacity_provider: String,
    /// `base`, 0–100000 (default 0; at most one item may set it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<u32>,
    /// `weight`, 0–1000 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// A PutClusterCapacityProviders body.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutClusterCapacityProviders {
    /// `cluster` (may be left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `capacityProviders`.
    pub capacity_providers: Vec<String>,
    /// `defaultCapacityProviderStrategy` (may be empty).
    #[serde(default)]
    pub default_capacity_provider_strategy: Vec<StrategyItem>,
}

/// ECS's limit on items per capacity provider strategy (the current API's value).
pub const MAX_STRATEGY_ITEMS: usize = 20;
/// Capacity providers per cluster (SIM CHOICE: the user guide's quota, 10).
pub const MAX_CLUSTER_PROVIDERS: usize = 10;

/// A subnet: its zone is where awsvpc and Fargate tasks given it run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subnet {
    /// `subnetId`.
    pub subnet_id: String,
    /// Its availability zone.
    pub availability_zone: String,
}
