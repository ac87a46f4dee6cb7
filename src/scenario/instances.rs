//! Instance groups and Auto Scaling groups, resolved: what each container instance
//! registers (capacity, attributes, agent configuration), and how many.

use crate::ecs::agent::{AgentConfig, parse_user_data};
use crate::ecs::api::LaunchType;
use crate::ecs::catalogue::{Catalogue, InstanceType};
use crate::ecs::cluster::{DEFAULT_AGENT_VERSION, INSTANCE_QUOTA, TRUNK_ATTRIBUTE};
use crate::ecs::query::{parse_time, parse_version};
use crate::engine::SimDuration;
use crate::engine::duration::{DistSpec, Duration};
use crate::error::Report;
use crate::scenario::load::check_name;
use crate::scenario::schema::{AutoScalingGroup, InstanceGroup, TotalResources};
use std::collections::{BTreeMap, BTreeSet};

/// What one container instance of a type registers.
#[derive(Clone, Debug)]
pub struct InstanceTemplate {
    /// Instance type name.
    pub instance_type: String,
    /// Registered CPU units.
    pub cpu: u32,
    /// Registered memory MiB (after ECS_RESERVED_MEMORY).
    pub memory: u32,
    /// Tasks with their own ENI.
    pub task_enis: u32,
    /// GPUs (the catalogue's).
    pub gpus: u32,
    /// Extra reserved ports.
    pub reserved_ports: Vec<u16>,
    /// Attributes, built-in and custom (without the zone).
    pub attributes: BTreeMap<String, String>,
    /// Agent version.
    pub agent_version: String,
    /// Catalogue on-demand USD per hour.
    pub on_demand_hour: f64,
    /// The agent's configuration.
    pub agent: AgentConfig,
    /// `userData` as written (recorded with each registration).
    pub user_data: String,
    /// The instance role's IAM actions.
    pub iam_actions: Vec<String>,
    /// MiB per second its instances pull images at (None: the scenario's).
    pub pull_bandwidth: Option<f64>,
}

/// An instance group, resolved.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// Group name.
    pub name: String,
    /// How many.
    pub count: u32,
    /// Zones, round-robin.
    pub availability_zones: Vec<String>,
    /// EC2 instance ids, one per instance.
    pub ec2_instance_ids: Vec<String>,
    /// Registration wall-clock time, Unix ms.
    pub registered_at_unix_ms: i64,
    /// ECS Anywhere instances.
    pub external: bool,
    /// What each registers.
    pub template: InstanceTemplate,
}

/// An Auto Scaling group, resolved.
#[derive(Clone, Debug)]
pub struct AsgSpec {
    /// Group name.
    pub name: String,
    /// The types it launches (on-demand: the first; Spot: the cheapest).
    pub templates: Vec<InstanceTemplate>,
    /// `MinSize`.
    pub min_size: u32,
    /// `MaxSize`.
    pub max_size: u32,
    /// `DesiredCapacity` at the start.
    pub desired_capacity: u32,
    /// Zones, balanced.
    pub availability_zones: Vec<String>,
    /// Spot instances.
    pub spot: bool,
    /// From launch to a registered container instance.
    pub launch_latency: DistSpec,
}

impl AsgSpec {
    /// The type new instances get.
    pub fn launch_template(&self) -> &InstanceTemplate {
        if self.spot {
            self.templates
                .iter()
                .min_by(|a, b| a.on_demand_hour.total_cmp(&b.on_demand_hour))
                .expect("an Auto Scaling group has a type")
        } else {
            &self.templates[0]
        }
    }
}

/// Default launch latency: uniform 60–120 s (EC2 boot plus agent registration;
/// SIM CHOICE — AWS gives no figure).
pub fn default_launch_latency() -> DistSpec {
    DistSpec::Uniform {
        min: Duration(SimDuration::from_secs(60)),
        max: Duration(SimDuration::from_secs(120)),
    }
}

fn zones(azs: &[String], path: &str, r: &mut Report) -> Vec<String> {
    if azs.iter().any(String::is_empty) {
        r.error(format!("{path}.availabilityZones"), "a zone name cannot be empty");
    }
    if azs.is_empty() {
        vec!["us-east-1a".to_string()]
    } else {
        azs.to_vec()
    }
}

fn lookup<'a>(name: &str, path: &str, r: &mut Report) -> Option<&'a InstanceType> {
    let cat = Catalogue::builtin();
    let t = cat.get(name);
    if t.is_none() {
        r.error(
            path,
            format!("unknown instance type `{name}`: the catalogue has {}", cat.describe()),
        );
    }
    t
}

/// Options of a template beyond the type.
struct TemplateInput<'a> {
    total: Option<&'a TotalResources>,
    user_data: &'a str,
    attributes: &'a BTreeMap<String, String>,
    trunked: bool,
    agent_version: Option<&'a str>,
    external: bool,
    trunk_id: u64,
    iam_actions: Option<&'a [String]>,
    pull_bandwidth: Option<f64>,
}

fn template(t: &InstanceType, input: TemplateInput, path: &str, r: &mut Report) -> InstanceTemplate {
    let agent = parse_user_data(input.user_data, &format!("{path}.userData"), r);
    if !crate::ecs::api::valid_cluster_name(agent.cluster_name()) {
        r.error(
            format!("{path}.userData"),
            format!("ECS_CLUSTER={}: not a valid cluster name", agent.cluster_name()),
        );
    }
    if let Some(b) = input.pull_bandwidth
        && !(b.is_finite() && b > 0.0)
    {
        r.error(format!("{path}.imagePullBandwidthMiBps"), "a bandwidth is a number > 0");
    }
    let (cpu, nominal_memory) = match input.total {
        Some(tr) => {
            if tr.cpu == 0 || tr.memory == 0 {
                r.error(format!("{path}.totalResources"), "cpu and memory must be more than 0");
            }
            (tr.cpu, tr.memory)
        }
        None => (t.registered_cpu(), t.registered_memory()),
    };
    if agent.reserved_memory >= nominal_memory {
        r.error(
            format!("{path}.userData"),
            format!(
                "ECS_RESERVED_MEMORY={} leaves no memory of {nominal_memory} MiB",
                agent.reserved_memory
            ),
        );
    }
    for (k, v) in input.attributes {
        if k.is_empty() || k.len() > 128 || v.is_empty() || v.len() > 128 {
            r.error(
                format!("{path}.attributes.{k}"),
                "attribute names and values have 1–128 characters",
            );
        }
    }
    let agent_version = input.agent_version.unwrap_or(DEFAULT_AGENT_VERSION).to_string();
    if parse_version(&agent_version).is_none() {
        r.error(
            format!("{path}.agentVersion"),
            format!("`{agent_version}` is not a version such as 1.85.0"),
        );
    }
    let task_enis = if input.external || !agent.task_eni {
        0
    } else {
        t.task_enis(input.trunked).unwrap_or_else(|| {
            r.error(
                format!("{path}.awsvpcTrunking"),
                format!(
                    "{} does not support awsvpc trunking (see the trunkTasks column of data/instance-types.csv)",
                    t.name
                ),
            );
            0
        })
    };
    let mut attributes = BTreeMap::new();
    if input.trunked {
        attributes.insert(
            TRUNK_ATTRIBUTE.to_string(),
            format!("eni-{}", &crate::ecs::ids::hex_id(0x7E, input.trunk_id)[..17]),
        );
    }
    if input.external {
        attributes.insert("ecs.capability.external".to_string(), "true".to_string());
    }
    attributes.extend(t.attributes());
    attributes.extend(input.attributes.clone());
    let iam_actions = input.iam_actions.map_or_else(
        || {
            crate::ecs::iam::MANAGED_INSTANCE_ROLE
                .iter()
                .map(|s| s.to_string())
                .collect()
        },
        <[_]>::to_vec,
    );
    for (k, a) in iam_actions.iter().enumerate() {
        if !crate::ecs::iam::valid_action(a) {
            r.error(
                format!("{path}.iamActions[{k}]"),
                format!("`{a}` is not an IAM action such as ecs:Poll or ecs:*"),
            );
        }
    }
    InstanceTemplate {
        instance_type: t.name.clone(),
        cpu,
        memory: nominal_memory.saturating_sub(agent.reserved_memory),
        task_enis,
        gpus: input.total.and_then(|tr| tr.gpus).unwrap_or(t.gpus),
        reserved_ports: agent.reserved_ports.clone(),
        attributes,
        agent_version,
        on_demand_hour: t.on_demand_usd_per_hour,
        agent,
        user_data: input.user_data.to_string(),
        iam_actions,
        pull_bandwidth: input.pull_bandwidth,
    }
}

/// Resolves the instance groups.
pub fn build_groups(groups: &[InstanceGroup], start_unix_ms: i64, r: &mut Report) -> Vec<GroupSpec> {
    let mut names = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let path = format!("instanceGroups[{i}]");
        let count = g.count.unwrap_or(0);
        check_name(&g.name, &format!("{path}.name"), r);
        if !names.insert(g.name.clone()) {
            r.error(
                format!("{path}.name"),
                format!("instance group `{}` is defined twice", g.name),
            );
        }
        total += count as u64;
        let Some(t) = lookup(&g.instance_type, &format!("{path}.instanceType"), r) else {
            continue;
        };
        let external = match g.launch_type {
            None | Some(LaunchType::Ec2) => false,
            Some(LaunchType::External) => true,
            Some(other) => {
                r.error(
                    format!("{path}.launchType"),
                    format!(
                        "{} is not a container-instance launch type: use EC2 or EXTERNAL",
                        other.as_str()
                    ),
                );
                false
            }
        };
        let trunked = g.awsvpc_trunking.unwrap_or(false) || g.attributes.contains_key(TRUNK_ATTRIBUTE);
        if external && trunked {
            r.error(
                format!("{path}.awsvpcTrunking"),
                "external instances do not support awsvpc",
            );
        }
        let ec2_instance_ids = match &g.ec2_instance_ids {
            Some(v) if v.len() != count as usize => {
                r.error(
                    format!("{path}.ec2InstanceIds"),
                    format!("{} ids for {count} instances: give one per instance", v.len()),
                );
                vec![]
            }
            Some(v) => v.clone(),
            None => (1..=count).map(|n| format!("{}-{n}", g.name)).collect(),
        };
        for id in &ec2_instance_ids {
            if !ids.insert(id.clone()) {
                r.error(
                    format!("{path}.ec2InstanceIds"),
                    format!("instance id `{id}` is used twice"),
                );
            }
        }
        let registered_at_unix_ms = match &g.registered_at {
            None => start_unix_ms,
            Some(s) => parse_time(s).unwrap_or_else(|| {
                r.error(
                    format!("{path}.registeredAt"),
                    "expected an RFC 3339 time or a date such as 2026-01-01",
                );
                start_unix_ms
            }),
        };
        let input = TemplateInput {
            total: g.total_resources.as_ref(),
            user_data: g.user_data.as_deref().unwrap_or(""),
            attributes: &g.attributes,
            trunked,
            agent_version: g.agent_version.as_deref(),
            external,
            trunk_id: i as u64,
            iam_actions: g.iam_actions.as_deref(),
            pull_bandwidth: g.image_pull_bandwidth_mib_per_s,
        };
        out.push(GroupSpec {
            name: g.name.clone(),
            count,
            availability_zones: zones(&g.availability_zones, &path, r),
            ec2_instance_ids,
            registered_at_unix_ms,
            external,
            template: template(t, input, &path, r),
        });
    }
    if total > INSTANCE_QUOTA {
        r.warn(
            "instanceGroups",
            format!("{total} instances: ECS allows {INSTANCE_QUOTA} container instances per cluster (ecsim simulates them anyway)"),
        );
    }
    out
}

/// Resolves the Auto Scaling groups.
pub fn build_asgs(asgs: &[AutoScalingGroup], r: &mut Report) -> Vec<AsgSpec> {
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, a) in asgs.iter().enumerate() {
        let path = format!("autoScalingGroups[{i}]");
        check_name(&a.name, &format!("{path}.name"), r);
        if !names.insert(a.name.clone()) {
            r.error(
                format!("{path}.name"),
                format!("Auto Scaling group `{}` is defined twice", a.name),
            );
        }
        let types: Vec<(String, String)> = match (&a.instance_type, &a.instance_types) {
            (Some(t), None) => vec![(t.clone(), format!("{path}.instanceType"))],
            (None, Some(ts)) if !ts.is_empty() => ts
                .iter()
                .enumerate()
                .map(|(k, t)| (t.clone(), format!("{path}.instanceTypes[{k}]")))
                .collect(),
            _ => {
                r.error(&path, "give instanceType or a non-empty instanceTypes, not both");
                continue;
            }
        };
        if !(a.min_size <= a.desired_capacity && a.desired_capacity <= a.max_size) {
            r.error(
                &path,
                format!(
                    "minSize {} ≤ desiredCapacity {} ≤ maxSize {} does not hold",
                    a.min_size, a.desired_capacity, a.max_size
                ),
            );
        }
        let launch_latency = a.launch_latency.clone().unwrap_or_else(default_launch_latency);
        if let Err(m) = launch_latency.validate() {
            r.error(format!("{path}.launchLatency"), m);
        }
        let templates: Vec<InstanceTemplate> = types
            .iter()
            .filter_map(|(name, tp)| {
                let t = lookup(name, tp, r)?;
                let input = TemplateInput {
                    total: None,
                    user_data: a.user_data.as_deref().unwrap_or(""),
                    attributes: &a.attributes,
                    trunked: a.awsvpc_trunking.unwrap_or(false) || a.attributes.contains_key(TRUNK_ATTRIBUTE),
                    agent_version: None,
                    external: false,
                    trunk_id: 0,
                    iam_actions: None,
                    pull_bandwidth: None,
                };

                Some(template(t, input, &path, r))
            })
            .collect();
        if templates.len() != types.len() {
            continue;
        }
        out.push(AsgSpec {
            name: a.name.clone(),
            templates,
            min_size: a.min_size,
            max_size: a.max_size,
            desired_capacity: a.desired_capacity,
            availability_zones: zones(&a.availability_zones, &path, r),
            spot: a.spot,
            launch_latency,
        });
    }
    out
}
