//! A scenario's run settings and faults, checked: image pulls, Fargate's start
//! latency, prices, the agent disconnect timeout, and each fault's shape.

use crate::capacity::prices::Prices;
use crate::engine::SimDuration;
use crate::engine::duration::DistSpec;
use crate::error::Report;
use crate::scenario::instances::{AsgSpec, GroupSpec};
use crate::scenario::schema::{Fault, FaultType};

/// The default wait before a service replaces the tasks on an instance whose agent
/// disconnected — SIM CHOICE: ECS documents none.
pub const DEFAULT_AGENT_DISCONNECT_TIMEOUT: SimDuration = SimDuration(15 * 60_000);

/// Image pulls, resolved.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct ImagePullSpec {
    /// MiB per second (default 100 — SIM CHOICE).
    pub bandwidth_mib_per_s: f64,
    /// Fixed cost of a pull or a cached image's registry check (default 1 s — SIM CHOICE).
    pub latency: SimDuration,
}

/// Image pulls, with the defaults (100 MiB/s, 1 s — SIM CHOICE).
pub fn build_image_pull(p: Option<&crate::scenario::schema::ImagePull>, r: &mut Report) -> ImagePullSpec {
    let bandwidth = p.and_then(|p| p.bandwidth_mib_per_s).unwrap_or(100.0);
    if !(bandwidth.is_finite() && bandwidth > 0.0) {
        r.error("imagePull.bandwidthMiBps", "a bandwidth is a number > 0");
    }
    ImagePullSpec {
        bandwidth_mib_per_s: bandwidth,
        latency: p.and_then(|p| p.latency).map_or(SimDuration::from_secs(1), |d| d.0),
    }
}

/// Fargate start latency by default: lognormal, median 35 s, sigma 0.3 — SIM CHOICE:
/// AWS documents none (ecs-semantics.md §5.2); ENI attachment and the image pull dominate.
pub fn default_fargate_latency() -> DistSpec {
    use crate::engine::duration::Duration;
    DistSpec::Lognormal {
        median: Duration(SimDuration::from_secs(35)),
        sigma: 0.3,
    }
}

/// The prices in force: defaults under the scenario's `[prices]`, each checked.
pub fn build_prices(o: Option<&crate::capacity::prices::PriceOverrides>, r: &mut Report) -> Prices {
    let o = o.cloned().unwrap_or_default();
    let cat = crate::ecs::catalogue::Catalogue::builtin();
    for (t, v) in &o.ec2_on_demand_per_hour {
        if cat.get(t).is_none() {
            r.error(
                format!("prices.ec2OnDemandPerHour.{t}"),
                format!("unknown instance type `{t}`"),
            );
        }
        if !(v.is_finite() && *v >= 0.0) {
            r.error(format!("prices.ec2OnDemandPerHour.{t}"), "a price is a number ≥ 0");
        }
    }
    for (name, v) in [
        ("spotFraction", o.spot_fraction),
        ("fargateSpotFraction", o.fargate_spot_fraction),
    ] {
        if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            r.error(format!("prices.{name}"), "a fraction is 0–1");
        }
    }
    let others = [
        o.external_per_hour,
        o.fargate.as_ref().map(|f| f.vcpu_per_hour),
        o.fargate.as_ref().map(|f| f.gb_per_hour),
    ];
    if others.iter().flatten().any(|v| !(v.is_finite() && *v >= 0.0)) {
        r.error("prices", "prices are numbers ≥ 0");
    }
    Prices::with(&o)
}

/// Checks each fault's shape: scheduled or random, what it names, its duration.
pub fn check_faults(faults: &[Fault], groups: &[GroupSpec], asgs: &[AsgSpec], registered: &[String], r: &mut Report) {
    let known = |id: &str| {
        groups.iter().any(|g| g.ec2_instance_ids.iter().any(|x| x == id))
            || registered.iter().any(|x| x == id)
            || asgs.iter().any(|a| {
                id.strip_prefix(&format!("{}-", a.name))
                    .is_some_and(|n| n.parse::<u32>().is_ok())
            })
    };
    for (i, f) in faults.iter().enumerate() {
        let path = format!("faults[{i}]");
        let needs_duration = matches!(f.kind, FaultType::AzOutage | FaultType::AgentDisconnect);
        match (needs_duration, f.duration) {
            (true, None) => r.error(
                format!("{path}.duration"),
                format!("type {} needs a duration", f.kind.as_str()),
            ),
            (true, Some(d)) if d.0 == SimDuration::ZERO => {
                r.error(format!("{path}.duration"), "the duration must be more than 0")
            }
            (false, Some(_)) => r.error(
                format!("{path}.duration"),
                format!("type {} takes no duration", f.kind.as_str()),
            ),
            _ => {}
        }
        match (f.at, f.rate_per_hour) {
            (Some(_), None) => match f.kind {
                FaultType::AzOutage => {
                    if f.availability_zone.as_deref().is_none_or(str::is_empty) {
                        r.error(
                            format!("{path}.availabilityZone"),
                            "a scheduled azOutage names its zone",
                        );
                    }
                }
                _ => {
                    if !f.ec2_instance_id.as_deref().is_some_and(known) {
                        r.error(
                            format!("{path}.ec2InstanceId"),
                            format!(
                                "a scheduled {} names an instance (an instance group's, a registered one, or `<asg>-<n>`)",
                                f.kind.as_str()
                            ),
                        );
                    }
                }
            },
            (None, Some(rate)) => {
                if !(rate.is_finite() && rate > 0.0) {
                    r.error(format!("{path}.ratePerHour"), "a rate is a number > 0");
                }
                if f.ec2_instance_id.is_some() {
                    r.error(
                        format!("{path}.ec2InstanceId"),
                        "a random fault picks its instances: remove ec2InstanceId",
                    );
                }
                match f.kind {
                    FaultType::SpotInterruption => match (&f.auto_scaling_group, f.capacity_provider.as_deref()) {
                        (Some(a), None) if asgs.iter().any(|g| &g.name == a && g.spot) => {}
                        (None, Some(crate::ecs::provider::FARGATE_SPOT)) => {}
                        _ => r.error(
                            &path,
                            "random Spot interruptions name a Spot autoScalingGroup, or capacityProvider FARGATE_SPOT",
                        ),
                    },
                    _ => {
                        if let Some(a) = &f.auto_scaling_group
                            && !asgs.iter().any(|g| &g.name == a)
                        {
                            r.error(
                                format!("{path}.autoScalingGroup"),
                                format!("no Auto Scaling group `{a}`"),
                            );
                        }
                        if f.capacity_provider.is_some() {
                            r.error(
                                format!("{path}.capacityProvider"),
                                "only random Spot interruptions name a capacity provider",
                            );
                        }
                    }
                }
            }
            _ => r.error(&path, "a fault is scheduled (`at`) or random (`ratePerHour`), not both"),
        }
    }
}
