//! Prices, USD, us-east-1 (ecs-semantics.md §5.4), overridable by a scenario's `[prices]`.
//! EC2 on-demand prices are in the instance-type catalogue.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fargate Linux/x86 per vCPU-hour (aws.amazon.com/fargate/pricing, 2026).
pub const FARGATE_VCPU_HOUR: f64 = 0.04048;
/// Fargate Linux/x86 per GB-hour.
pub const FARGATE_GB_HOUR: f64 = 0.004445;
/// Fargate Linux/ARM per vCPU-hour (aws.amazon.com/fargate/pricing: about 20 % below x86).
pub const FARGATE_ARM_VCPU_HOUR: f64 = 0.03238;
/// Fargate Linux/ARM per GB-hour.
pub const FARGATE_ARM_GB_HOUR: f64 = 0.00356;
/// ECS Anywhere per registered instance-hour (aws.amazon.com/ecs/pricing).
pub const EXTERNAL_HOUR: f64 = 0.01025;
/// EC2 Spot as a share of on-demand — SIM CHOICE: AWS's example Spot prices run at
/// 47–62 % of on-demand (§5.4); we take 0.5.
pub const SPOT_FRACTION: f64 = 0.5;
/// Fargate Spot as a share of Fargate — SIM CHOICE: "up to a 70 % discount"; we take 0.3.
pub const FARGATE_SPOT_FRACTION: f64 = 0.3;
/// Billing minimum for EC2 Linux and Fargate, seconds.
pub const MINIMUM_SECONDS: f64 = 60.0;

/// Fargate price overrides.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FargatePrices {
    /// USD per vCPU-hour.
    pub vcpu_per_hour: f64,
    /// USD per GB-hour.
    pub gb_per_hour: f64,
}

/// A scenario's `[prices]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceOverrides {
    /// On-demand USD per hour by instance type.
    #[serde(default)]
    pub ec2_on_demand_per_hour: BTreeMap<String, f64>,
    /// EC2 Spot as a share of on-demand.
    #[serde(default)]
    pub spot_fraction: Option<f64>,
    /// Fargate prices.
    #[serde(default)]
    pub fargate: Option<FargatePrices>,
    /// Fargate prices for ARM64 tasks (added).
    #[serde(default)]
    pub fargate_arm64: Option<FargatePrices>,
    /// Fargate Spot as a share of Fargate (added).
    #[serde(default)]
    pub fargate_spot_fraction: Option<f64>,
    /// ECS Anywhere per instance-hour.
    #[serde(default)]
    pub external_per_hour: Option<f64>,
}

/// The prices in force for a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    /// On-demand overrides by type (the catalogue otherwise).
    pub ec2_on_demand_per_hour: BTreeMap<String, f64>,
    /// EC2 Spot share.
    pub spot_fraction: f64,
    /// Fargate per vCPU-hour.
    pub fargate_vcpu_hour: f64,
    /// Fargate per GB-hour.
    pub fargate_gb_hour: f64,
    /// Fargate ARM64 per vCPU-hour and per GB-hour.
    pub fargate_arm64: (f64, f64),
    /// Fargate Spot share.
    pub fargate_spot_fraction: f64,
    /// ECS Anywhere per instance-hour.
    pub external_hour: f64,
}

impl Prices {
    /// Defaults with a scenario's overrides applied.
    pub fn with(o: &PriceOverrides) -> Prices {
        Prices {
            ec2_on_demand_per_hour: o.ec2_on_demand_per_hour.clone(),
            spot_fraction: o.spot_fraction.unwrap_or(SPOT_FRACTION),
            fargate_vcpu_hour: o.fargate.as_ref().map_or(FARGATE_VCPU_HOUR, |f| f.vcpu_per_hour),
            fargate_gb_hour: o.fargate.as_ref().map_or(FARGATE_GB_HOUR, |f| f.gb_per_hour),
            fargate_arm64: o
                .fargate_arm64
                .as_ref()
                .map_or((FARGATE_ARM_VCPU_HOUR, FARGATE_ARM_GB_HOUR), |f| {
                    (f.vcpu_per_hour, f.gb_per_hour)
                }),
            fargate_spot_fraction: o.fargate_spot_fraction.unwrap_or(FARGATE_SPOT_FRACTION),
            external_hour: o.external_per_hour.unwrap_or(EXTERNAL_HOUR),
        }
    }

    /// USD per hour of an EC2 instance of `instance_type` (catalogue price `catalogue`).
    pub fn ec2_hour(&self, instance_type: &str, catalogue: f64, spot: bool) -> f64 {
        let on_demand = self
            .ec2_on_demand_per_hour
            .get(instance_type)
            .copied()
            .unwrap_or(catalogue);
        if spot {
            on_demand * self.spot_fraction
        } else {
            on_demand
        }
    }

    /// USD per hour of a Fargate task with `cpu` units and `memory` MiB (ARM64 at the
    /// ARM prices).
    pub fn fargate_hour(&self, cpu: u32, memory: u32, spot: bool, arm64: bool) -> f64 {
        let (vcpu_hour, gb_hour) = if arm64 {
            self.fargate_arm64
        } else {
            (self.fargate_vcpu_hour, self.fargate_gb_hour)
        };
        let h = cpu as f64 / 1024.0 * vcpu_hour + memory as f64 / 1024.0 * gb_hour;
        if spot { h * self.fargate_spot_fraction } else { h }
    }
}

/// What something costs, from its hourly rate and the seconds it ran, with the
/// billing minimum.
pub fn charge(hourly: f64, seconds: f64, minimum: f64) -> f64 {
    hourly * seconds.max(minimum) / 3600.0
}
