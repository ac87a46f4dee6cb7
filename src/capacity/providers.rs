//! Capacity providers, the cluster's providers and default strategy, subnets, and
//! what each request's launch type or capacity provider strategy resolves to.

use crate::capacity::scaling;
use crate::capacity::split::Item;
use crate::ecs::api::{LaunchType, NetworkConfiguration, NetworkMode};
use crate::ecs::provider::{
    CreateCapacityProvider, FARGATE, FARGATE_SPOT, MAX_CLUSTER_PROVIDERS, MAX_STRATEGY_ITEMS, Pool, ProviderId,
    PutClusterCapacityProviders, StrategyItem, Subnet, Toggle,
};
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimTime;
use crate::error::Report;
use std::collections::BTreeSet;

/// What a capacity provider is backed by.
#[derive(Clone, Debug, PartialEq)]
pub enum ProviderKind {
    /// An Auto Scaling group.
    Asg {
        /// The group's index.
        asg: usize,
        /// Managed scaling, when ENABLED.
        scaling: Option<scaling::Config>,
        /// managedTerminationProtection ENABLED.
        termination_protection: bool,
        /// managedDraining ENABLED.
        draining: bool,
    },
    /// FARGATE or FARGATE_SPOT.
    Fargate {
        /// FARGATE_SPOT.
        spot: bool,
    },
}

/// A capacity provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSpec {
    /// Its name.
    pub name: String,
    /// What backs it.
    pub kind: ProviderKind,
    /// When it is created (0 unless a timeline CreateCapacityProvider makes it).
    pub created_at: crate::engine::SimTime,
}

/// A cluster's capacity providers and default strategy (PutClusterCapacityProviders).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Associations {
    /// Providers associated with the cluster.
    pub associated: BTreeSet<ProviderId>,
    /// The cluster's default strategy.
    pub default_strategy: Vec<(ProviderId, Item)>,
}

/// Where a request's tasks go: one pool, or a capacity provider strategy.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    /// A launch type's pool.
    Pool(Pool),
    /// Providers with their base and weight.
    Strategy(Vec<(ProviderId, Item)>),
}

/// The capacity side of a scenario, checked.
#[derive(Clone, Debug, Default)]
pub struct CapacitySpec {
    /// Auto Scaling group providers in file order, then FARGATE and FARGATE_SPOT, then
    /// those timeline CreateCapacityProvider calls make, in call order.
    pub providers: Vec<ProviderSpec>,
    /// Each cluster's providers and default strategy at time 0.
    pub clusters: std::collections::BTreeMap<String, Associations>,
    /// Providers associated with some cluster at some time.
    pub ever_associated: BTreeSet<ProviderId>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
}

impl CapacitySpec {
    /// The provider named `name`.
    pub fn provider(&self, name: &str) -> Option<ProviderId> {
        self.providers
            .iter()
            .position(|p| p.name == name)
            .map(|i| ProviderId(i as u32))
    }

    /// The pool a provider's tasks run in.
    pub fn pool_of(&self, p: ProviderId) -> Pool {
        match self.providers[p.0 as usize].kind {
            ProviderKind::Asg { .. } => Pool::Provider(p),
            ProviderKind::Fargate { spot } => Pool::Fargate {
                spot,
                provider: Some(p),
            },
        }
    }

    /// The providers' names, listed.
    pub fn names(&self) -> String {
        self.providers
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks a request's strategy (limits, association with the cluster, base and
    /// weight) and resolves it.
    pub fn strategy(&self, assoc: &Associations, items: &[StrategyItem]) -> Result<Vec<(ProviderId, Item)>, String> {
        let out = self.strategy_items(assoc, items)?;
        check_some_weight(&out)?;
        Ok(out)
    }

    /// [`strategy`](Self::strategy) without the weight rule, which a cluster's default
    /// strategy meets only when a request falls back on it.
    fn strategy_items(&self, assoc: &Associations, items: &[StrategyItem]) -> Result<Vec<(ProviderId, Item)>, String> {
        if items.len() > MAX_STRATEGY_ITEMS {
            return Err(format!(
                "{} items: a capacity provider strategy can contain a maximum of {MAX_STRATEGY_ITEMS} capacity providers",
                items.len()
            ));
        }
        let mut out = Vec::new();
        for it in items {
            let Some(p) = self.provider(&it.capacity_provider) else {
                return Err(format!(
                    "unknown capacity provider `{}`: the scenario has {}",
                    it.capacity_provider,
                    self.names()
                ));
            };
            if !assoc.associated.contains(&p) {
                return Err(format!(
                    "capacity provider `{}` is not associated with the cluster: list it in [clusterCapacityProviders] capacityProviders",
                    it.capacity_provider
                ));
            }
            if out.iter().any(|(q, _)| *q == p) {
                return Err(format!("capacity provider `{}` appears twice", it.capacity_provider));
            }
            let (base, weight) = (it.base.unwrap_or(0), it.weight.unwrap_or(0));
            if base > 100_000 || weight > 1000 {
                return Err(format!(
                    "`{}`: base is 0–100000 and weight 0–1000",
                    it.capacity_provider
                ));
            }
            out.push((p, Item { base, weight }));
        }
        if out.iter().filter(|(_, i)| i.base > 0).count() > 1 {
            return Err("only one capacity provider in a strategy can have a base".into());
        }
        let fargate = out.iter().filter(|(p, _)| self.pool_of(*p).is_fargate()).count();
        if fargate > 0 && fargate < out.len() {
            return Err(
                "a capacity provider strategy cannot mix Auto Scaling group providers and Fargate providers".into(),
            );
        }
        Ok(out)
    }

    /// What a request's `launchType` and `capacityProviderStrategy` resolve to, in a
    /// cluster with associations `assoc`.
    pub fn resolve(
        &self,
        assoc: &Associations,
        launch_type: Option<LaunchType>,
        strategy: Option<&[StrategyItem]>,
    ) -> Result<Capacity, String> {
        let strategy = strategy.filter(|s| !s.is_empty());
        match (launch_type, strategy) {
            (Some(_), Some(_)) => {
                Err("specifying both a launch type and a capacity provider strategy is not supported".into())
            }
            (None, Some(s)) => self.strategy(assoc, s).map(Capacity::Strategy),
            (Some(LaunchType::Ec2), None) => Ok(Capacity::Pool(Pool::Ec2)),
            (Some(LaunchType::External), None) => Ok(Capacity::Pool(Pool::External)),
            (Some(LaunchType::Fargate), None) => Ok(Capacity::Pool(Pool::Fargate {
                spot: false,
                provider: None,
            })),
            (Some(LaunchType::ManagedInstances), None) => {
                Err("launchType MANAGED_INSTANCES is not modelled: use EC2, FARGATE or EXTERNAL".into())
            }
            (None, None) if !assoc.default_strategy.is_empty() => {
                check_some_weight(&assoc.default_strategy)
                    .map_err(|m| format!("the cluster's default capacity provider strategy: {m}"))?;
                Ok(Capacity::Strategy(assoc.default_strategy.clone()))
            }

            (None, None) => Ok(Capacity::Pool(Pool::Ec2)),
        }
    }

    /// The zones of the named subnets, in order.
    pub fn zones(&self, subnets: &[String]) -> Result<Vec<String>, String> {
        subnets
            .iter()
            .map(|s| {
                self.subnets
                    .iter()
                    .find(|x| &x.subnet_id == s)
                    .map(|x| x.availability_zone.clone())
                    .ok_or_else(|| format!("subnet `{s}` is not in [[subnets]]"))
            })
            .collect()
    }

    /// Checks that a request for task definition `td` can run where `capacity` sends it.
    pub fn check_request(
        &self,
        capacity: &Capacity,
        td: &TaskDefinition,
        has_placement: bool,
        network: Option<&NetworkConfiguration>,
    ) -> Result<(), String> {
        let pools: Vec<Pool> = match capacity {
            Capacity::Pool(p) => vec![*p],
            Capacity::Strategy(items) => items.iter().map(|(p, _)| self.pool_of(*p)).collect(),
        };
        if pools.iter().any(|p| p.is_fargate()) {
            if has_placement || td.constraints.iter().any(|c| !c.is_required()) {
                return Err(
                    "task placement strategies and constraints aren't supported for tasks using Fargate".into(),
                );
            }
            if td.network_mode != NetworkMode::Awsvpc {
                return Err(format!("{} runs on Fargate, which needs networkMode awsvpc", td.name()));
            }
            if td.reservation.gpus > 0 {
                return Err(format!("{} needs GPUs, which Fargate does not offer", td.name()));
            }
            if td.arm64() && pools.iter().any(|p| matches!(p, Pool::Fargate { spot: true, .. })) {
                return Err(format!(
                    "{} is ARM64, which the FARGATE_SPOT capacity provider does not support",
                    td.name()
                ));
            }
            let size = |s: &Option<crate::ecs::task_definition::SizeString>, cpu: bool| {
                s.as_ref()
                    .and_then(|x| if cpu { x.cpu_units() } else { x.memory_mib() })
            };
            crate::ecs::fargate::check_size(size(&td.body.cpu, true), size(&td.body.memory, false))
                .map_err(|m| format!("{}: {m}", td.name()))?;
            let subnets = network.map_or(&[][..], NetworkConfiguration::subnets);
            if subnets.is_empty() {
                return Err("Fargate tasks need networkConfiguration.awsvpcConfiguration.subnets".into());
            }
        }
        if pools.contains(&Pool::External) && td.network_mode == NetworkMode::Awsvpc {
            return Err(format!(
                "{} uses awsvpc, which external instances do not support",
                td.name()
            ));
        }
        if let Some(n) = network {
            self.zones(n.subnets())?;
        }
        Ok(())
    }
}

/// The ASG name a provider's `autoScalingGroupArn` names.
fn asg_name(arn: &str) -> &str {
    arn.rsplit_once("autoScalingGroupName/").map_or(arn, |(_, n)| n)
}

/// Checks one CreateCapacityProvider body against the Auto Scaling group names and the
/// providers so far; `used_asgs` holds the groups already backing one.
fn check_provider(
    p: &CreateCapacityProvider,
    path: &str,
    asgs: &[String],
    spec: &CapacitySpec,
    used_asgs: &mut BTreeSet<usize>,
    r: &mut Report,
) -> Option<ProviderKind> {
    let lower = p.name.to_ascii_lowercase();
    if p.name.is_empty() || lower.starts_with("aws") || lower.starts_with("ecs") || lower.starts_with("fargate") {
        r.error(
            format!("{path}.name"),
            format!(
                "`{}`: a capacity provider name is not empty and cannot start with aws, ecs or fargate",
                p.name
            ),
        );
    }
    if spec.provider(&p.name).is_some() {
        r.error(
            format!("{path}.name"),
            format!("capacity provider `{}` is defined twice", p.name),
        );
    }
    let g = &p.auto_scaling_group_provider;
    let name = asg_name(&g.auto_scaling_group_arn);
    let Some(asg) = asgs.iter().position(|a| a == name) else {
        r.error(
            format!("{path}.autoScalingGroupProvider.autoScalingGroupArn"),
            format!("no Auto Scaling group `{name}` in [[autoScalingGroups]]"),
        );
        return None;
    };
    if !used_asgs.insert(asg) {
        r.error(
            format!("{path}.autoScalingGroupProvider.autoScalingGroupArn"),
            format!("Auto Scaling group `{name}` already backs another capacity provider"),
        );
    }
    let sp = format!("{path}.autoScalingGroupProvider.managedScaling");
    let scaling = g
        .managed_scaling
        .as_ref()
        .filter(|m| m.status == Some(Toggle::Enabled))
        .map(|m| {
            let cfg = scaling::Config {
                target_capacity: m.target_capacity.unwrap_or(100),
                min_step: m.minimum_scaling_step_size.unwrap_or(1),
                max_step: m.maximum_scaling_step_size.unwrap_or(10_000),
                warmup_secs: m.instance_warmup_period.unwrap_or(300),
            };
            if !(1..=100).contains(&cfg.target_capacity) {
                r.error(
                    format!("{sp}.targetCapacity"),
                    format!("{}: targetCapacity is 1–100", cfg.target_capacity),
                );
            }
            if !(1..=10_000).contains(&cfg.min_step)
                || !(1..=10_000).contains(&cfg.max_step)
                || cfg.min_step > cfg.max_step
            {
                r.error(&sp, "scaling step sizes are 1–10000, the minimum not above the maximum");
            }
            if cfg.warmup_secs > 10_000 {
                r.error(
                    format!("{sp}.instanceWarmupPeriod"),
                    "instanceWarmupPeriod is 0–10000 seconds",
                );
            }
            cfg
        });
    let termination_protection = g.managed_termination_protection == Some(Toggle::Enabled);
    if termination_protection && scaling.is_none() {
        r.error(
            format!("{path}.autoScalingGroupProvider.managedTerminationProtection"),
            "managed termination protection needs managed scaling ENABLED",
        );
    }
    Some(ProviderKind::Asg {
        asg,
        scaling,
        termination_protection,
        draining: g.managed_draining != Some(Toggle::Disabled),
    })
}

impl CapacitySpec {
    /// Checks a PutClusterCapacityProviders body made at `now` and returns the cluster's
    /// new associations; a problem names its member (relative to the body).
    pub fn associate(&self, c: &PutClusterCapacityProviders, now: SimTime) -> Result<Associations, (String, String)> {
        let mut assoc = Associations::default();
        if c.capacity_providers.len() > MAX_CLUSTER_PROVIDERS {
            return Err((
                "capacityProviders".into(),
                format!("at most {MAX_CLUSTER_PROVIDERS} capacity providers per cluster"),
            ));
        }
        for (i, n) in c.capacity_providers.iter().enumerate() {
            match self
                .provider(n)
                .filter(|p| self.providers[p.0 as usize].created_at <= now)
            {
                Some(p) => {
                    assoc.associated.insert(p);
                }
                None => {
                    return Err((
                        format!("capacityProviders[{i}]"),
                        format!(
                            "unknown capacity provider `{n}` at that time: the scenario has {}",
                            self.names()
                        ),
                    ));
                }
            }
        }
        assoc.default_strategy = self
            .strategy_items(&assoc, &c.default_capacity_provider_strategy)
            .map_err(|m| ("defaultCapacityProviderStrategy".to_string(), m))?;
        Ok(assoc)
    }

    /// Whether a provider was associated with some cluster at some time.
    pub fn is_associated(&self, p: ProviderId) -> bool {
        self.ever_associated.contains(&p)
    }
}

/// ECS's rule that a strategy of several providers gives one of them a weight.
fn check_some_weight(items: &[(ProviderId, Item)]) -> Result<(), String> {
    if items.len() > 1 && items.iter().all(|(_, i)| i.weight == 0) {
        return Err("at least one capacity provider in a strategy must have a weight greater than 0".into());
    }
    Ok(())
}

/// Checks the capacity sections of a scenario: the file's providers, those timeline
/// calls create (`later`: path, time and body, in call order), and the default
/// cluster's association (`clusterCapacityProviders`, for a cluster in `clusters`).
pub fn build_capacity(
    asgs: &[String],
    providers: &[CreateCapacityProvider],
    later: &[(String, crate::engine::SimTime, &CreateCapacityProvider)],
    cluster: Option<&PutClusterCapacityProviders>,
    clusters: &[String],
    subnets: &[Subnet],
    r: &mut Report,
) -> CapacitySpec {
    let mut spec = CapacitySpec {
        subnets: subnets.to_vec(),
        ..Default::default()
    };
    for c in clusters {
        spec.clusters.insert(c.clone(), Associations::default());
    }
    let mut ids = BTreeSet::new();
    for (i, s) in subnets.iter().enumerate() {
        if !ids.insert(&s.subnet_id) || s.subnet_id.is_empty() || s.availability_zone.is_empty() {
            r.error(
                format!("subnets[{i}]"),
                "each subnet needs a unique subnetId and an availabilityZone",
            );
        }
    }
    let mut used_asgs = BTreeSet::new();
    let zero = crate::engine::SimTime::ZERO;
    for (i, p) in providers.iter().enumerate() {
        if let Some(kind) = check_provider(p, &format!("capacityProviders[{i}]"), asgs, &spec, &mut used_asgs, r) {
            spec.providers.push(ProviderSpec {
                name: p.name.clone(),
                kind,
                created_at: zero,
            });
        }
    }
    for (name, spot) in [(FARGATE, false), (FARGATE_SPOT, true)] {
        spec.providers.push(ProviderSpec {
            name: name.into(),
            kind: ProviderKind::Fargate { spot },
            created_at: zero,
        });
    }
    for (path, at, p) in later {
        if let Some(kind) = check_provider(p, path, asgs, &spec, &mut used_asgs, r) {
            spec.providers.push(ProviderSpec {
                name: p.name.clone(),
                kind,
                created_at: *at,
            });
        }
    }
    if let Some(c) = cluster {
        let name = crate::ecs::api::cluster_name(c.cluster.as_deref()).to_string();
        if !spec.clusters.contains_key(&name) {
            r.error(
                "clusterCapacityProviders.cluster",
                format!(
                    "cluster `{name}` does not exist at time 0: the scenario has {}",
                    clusters.join(", ")
                ),
            );
        } else {
            match spec.associate(c, zero) {
                Ok(assoc) => {
                    spec.ever_associated.extend(assoc.associated.iter().copied());
                    spec.clusters.insert(name, assoc);
                }
                Err((member, m)) => r.error(format!("clusterCapacityProviders.{member}"), m),
            }
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CapacitySpec {
        let mut r = Report::new("t");
        let asgs = vec![];
        let cluster = PutClusterCapacityProviders {
            cluster: None,
            capacity_providers: vec![FARGATE.into(), FARGATE_SPOT.into()],
            default_capacity_provider_strategy: vec![],
        };
        let s = build_capacity(&asgs, &[], &[], Some(&cluster), &["default".into()], &[], &mut r);
        assert!(r.is_ok(), "{:?}", r.errors);
        s
    }

    struct Resolver<'a>(&'a CapacitySpec, &'a Associations);

    impl Resolver<'_> {
        fn resolve(&self, lt: Option<LaunchType>, st: Option<&[StrategyItem]>) -> Result<Capacity, String> {
            self.0.resolve(self.1, lt, st)
        }
    }

    fn item(p: &str, base: Option<u32>, weight: Option<u32>) -> StrategyItem {
        StrategyItem {
            capacity_provider: p.into(),
            base,
            weight,
        }
    }

    #[test]
    fn strategies_are_checked_like_ecs() {
        let spec = spec();
        let a = spec.clusters["default"].clone();
        let s = Resolver(&spec, &a);
        assert!(
            s.resolve(Some(LaunchType::Ec2), Some(&[item(FARGATE, None, Some(1))]))
                .unwrap_err()
                .contains("both a launch type")
        );
        assert!(
            s.resolve(None, Some(&[item("cp9", None, Some(1))]))
                .unwrap_err()
                .contains("unknown capacity provider `cp9`")
        );
        let e = s
            .resolve(
                None,
                Some(&[item(FARGATE, Some(1), Some(1)), item(FARGATE_SPOT, Some(2), Some(1))]),
            )
            .unwrap_err();
        assert!(e.contains("only one"), "{e}");
        let e = s
            .resolve(
                None,
                Some(&[item(FARGATE, None, None), item(FARGATE_SPOT, None, Some(0))]),
            )
            .unwrap_err();
        assert!(e.contains("weight greater than 0"), "{e}");
        let ok = s
            .resolve(
                None,
                Some(&[item(FARGATE, Some(1), Some(1)), item(FARGATE_SPOT, None, Some(3))]),
            )
            .unwrap();
        assert_eq!(
            ok,
            Capacity::Strategy(vec![
                (ProviderId(0), Item { base: 1, weight: 1 }),
                (ProviderId(1), Item { base: 0, weight: 3 })
            ])
        );
        assert_eq!(s.resolve(None, None).unwrap(), Capacity::Pool(Pool::Ec2));
    }
}
