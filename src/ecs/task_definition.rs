//! Task definitions: the RegisterTaskDefinition body, its checks, and the resources
//! a task of it reserves on a container instance.

use crate::ecs::api::{LaunchType, NetworkMode, Protocol};
use crate::ecs::constraint::Constraint;
use crate::ecs::requirements::{ResourceRequirement, RuntimePlatform, container_gpus, platform_constraints};
use crate::ecs::strategy::{MAX_CONSTRAINTS, PlacementConstraint};
use crate::error::Report;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Task-level `cpu` or `memory`: a string in the API (`"1024"`, `"1 vCPU"`, `"2 GB"`),
/// a number accepted too.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeString(pub String);

impl Serialize for SizeString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SizeString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SizeString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as \"1024\", \"1 vCPU\" or \"2 GB\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SizeString, E> {
                Ok(SizeString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SizeString, E> {
                Ok(SizeString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SizeString, E> {
                Ok(SizeString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl SizeString {
    /// CPU units: `"1024"` or `"1 vCPU"` / `"0.5 vcpu"` (× 1024).
    pub fn cpu_units(&self) -> Option<u32> {
        parse_scaled(&self.0, &["vcpu"], 1024.0)
    }

    /// MiB: `"2048"` or `"2 GB"` / `"2GB"` (× 1024).
    pub fn memory_mib(&self) -> Option<u32> {
        parse_scaled(&self.0, &["gb", "gib"], 1024.0)
    }
}

fn parse_scaled(s: &str, units: &[&str], scale: f64) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    for unit in units {
        if let Some(num) = t.strip_suffix(unit) {
            let v: f64 = num.trim().parse().ok()?;
            let scaled = v * scale;
            if v > 0.0 && scaled.fract() == 0.0 && scaled <= u32::MAX as f64 {
                return Some(scaled as u32);
            }
        }
    }
    None
}

/// A container's `portMappings` entry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// `containerPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
    /// `hostPort`: 0 or absent means a dynamic port in bridge mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// `protocol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
}

/// A `containerDefinitions` entry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `image`.
    #[serde(default)]
    pub image: String,
    /// `cpu` units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// `memory`: the hard limit, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// `memoryReservation`: the soft limit, MiB; what is reserved when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<u32>,
    /// `essential` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// `portMappings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// Simulation only: the image size, for pull times.
    #[serde(default, rename = "imageSizeMiB", skip_serializing_if = "Option::is_none")]
    pub image_size_mib: Option<u64>,
    /// `stopTimeout` seconds: SIGTERM to SIGKILL (default: the agent's ECS_CONTAINER_STOP_TIMEOUT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u32>,
    /// `resourceRequirements`: GPUs (InferenceAccelerator is accepted and ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
}

/// A RegisterTaskDefinition body (or, in a scenario, `{ file = "x.json" }`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterTaskDefinition {
    /// Scenario only: read the body from this AWS CLI JSON file instead.
    #[serde(default, skip_serializing)]
    pub file: Option<String>,
    /// `family`.
    #[serde(default)]
    pub family: String,
    /// `containerDefinitions`.
    #[serde(default)]
    pub container_definitions: Vec<ContainerDefinition>,
    /// Task-level `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<SizeString>,
    /// Task-level `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<SizeString>,
    /// `networkMode` (default bridge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<NetworkMode>,
    /// `requiresCompatibilities`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_compatibilities: Vec<LaunchType>,
    /// `placementConstraints` (memberOf only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `runtimePlatform`: the CPU architecture and operating system the task needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Simulation only: probability that a task stops before reaching RUNNING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_failure_probability: Option<f64>,
    /// Scenario only: the revision to register this body as (the `revision` of pasted
    /// `describe-task-definition` output), above the family's latest; default the next.
    #[serde(default, skip_serializing)]
    pub revision: Option<u32>,
}

/// What one task reserves on a container instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reservation {
    /// CPU units.
    pub cpu: u32,
    /// Memory MiB.
    pub memory: u32,
    /// Static host ports, sorted and distinct.
    pub static_ports: Vec<(Protocol, u16)>,
    /// Ports to take from the ephemeral range.
    pub dynamic_ports: u32,
    /// Needs its own elastic network interface (awsvpc).
    pub eni: bool,
    /// Whole GPUs (the containers' `resourceRequirements` of type GPU).
    pub gpus: u32,
    /// Not ECS — sizes in further dimensions, for vector bin packing with more than
    /// CPU and memory (`ecsim pack`); empty in every scenario.
    pub extra: Vec<u32>,
}

impl Reservation {
    /// Needs only CPU and memory (no ports, network interface, GPU or further
    /// dimension): whether it fits an instance follows from the two amounts left.
    pub fn cpu_memory_only(&self) -> bool {
        !self.eni && self.dynamic_ports == 0 && self.static_ports.is_empty() && self.gpus == 0 && self.extra.is_empty()
    }
}

/// A registered task definition revision.
#[derive(Clone, Debug)]
pub struct TaskDefinition {
    /// `family`.
    pub family: String,
    /// Revision within the family, from 1.
    pub revision: u32,
    /// The request body, echoed in events.
    pub body: RegisterTaskDefinition,
    /// What each task reserves.
    pub reservation: Reservation,
    /// The network mode in force.
    pub network_mode: NetworkMode,
    /// The attributes its `runtimePlatform` requires, then its memberOf constraints, compiled.
    pub constraints: Vec<Constraint>,
}

impl TaskDefinition {
    /// Its `runtimePlatform` asks for ARM64 (Fargate prices it as such).
    pub fn arm64(&self) -> bool {
        self.body
            .runtime_platform
            .as_ref()
            .is_some_and(|p| p.cpu_architecture.as_deref() == Some("ARM64"))
    }

    /// `family:revision`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }
}

fn valid_family(f: &str) -> bool {
    !f.is_empty() && f.len() <= 255 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The smallest container memory Docker accepts (MiB).
pub const MIN_CONTAINER_MEMORY: u32 = 6;
/// ECS's limit on containers per task definition.
pub const MAX_CONTAINERS: usize = 10;

/// Checks a RegisterTaskDefinition body as ECS would, recording problems under `path`,
/// and returns the registered revision when it is valid: `next`, the family's next
/// revision, unless the body names a later one.
pub fn register(body: &RegisterTaskDefinition, next: u32, path: &str, report: &mut Report) -> Option<TaskDefinition> {
    let errors_before = report.errors.len();
    let revision = body.revision.unwrap_or(next);
    if revision < next {
        report.error(
            format!("{path}.revision"),
            format!(
                "revision {revision} of `{}` is already taken: the next is {next} or above",
                body.family
            ),
        );
    }
    if !valid_family(&body.family) {
        report.error(
            format!("{path}.family"),
            format!(
                "`{}` is not a valid family: 1–255 letters, numbers, hyphens and underscores",
                body.family
            ),
        );
    }
    let n = body.container_definitions.len();
    if n == 0 || n > MAX_CONTAINERS {
        report.error(
            format!("{path}.containerDefinitions"),
            format!("{n} containers: a task definition has 1–{MAX_CONTAINERS}"),
        );
    }
    let task_cpu = body.cpu.as_ref().and_then(|s| {
        let v = s.cpu_units();
        if !matches!(v, Some(128..=196_608)) {
            report.error(
                format!("{path}.cpu"),
                format!(
                    "`{}` is not a task cpu: 128–196608 CPU units, or \"0.125 vCPU\"–\"192 vCPU\"",
                    s.0
                ),
            );
        }
        v
    });
    let task_memory = body.memory.as_ref().and_then(|s| {
        let v = s.memory_mib();
        if !matches!(v, Some(1..)) {
            report.error(
                format!("{path}.memory"),
                format!("`{}` is not a task memory: MiB as a number, or \"2 GB\"", s.0),
            );
        }
        v
    });
    let network_mode = body.network_mode.unwrap_or_default();
    let mut cpu_sum = 0u32;
    let mut mem_sum = 0u32;
    let mut static_ports = Vec::new();
    let mut dynamic_ports = 0u32;
    let mut gpus = 0u32;
    let mut names = std::collections::BTreeSet::new();
    for (i, c) in body.container_definitions.iter().enumerate() {
        let cp = format!("{path}.containerDefinitions[{i}]");
        if c.name.is_empty() {
            report.error(format!("{cp}.name"), "a container needs a name");
        } else if !names.insert(c.name.as_str()) {
            report.error(
                format!("{cp}.name"),
                format!("container name `{}` is used twice", c.name),
            );
        }
        if c.image.is_empty() {
            report.error(format!("{cp}.image"), "a container needs an image");
        }
        for (field, v) in [("memory", c.memory), ("memoryReservation", c.memory_reservation)] {
            if let Some(v) = v.filter(|v| *v < MIN_CONTAINER_MEMORY) {
                report.error(
                    format!("{cp}.{field}"),
                    format!("{v} MiB: a container needs at least {MIN_CONTAINER_MEMORY} MiB"),
                );
            }
        }
        if let (Some(hard), Some(soft)) = (c.memory, c.memory_reservation)
            && soft > hard
        {
            report.error(
                format!("{cp}.memoryReservation"),
                format!("{soft} MiB exceeds memory {hard} MiB: the soft limit must not exceed the hard limit"),
            );
        }
        if task_memory.is_none() && c.memory.is_none() && c.memory_reservation.is_none() {
            report.error(
                format!("{cp}.memory"),
                "without a task-level memory, each container needs memory or memoryReservation",
            );
        }
        gpus = gpus.saturating_add(container_gpus(&c.resource_requirements, &cp, report));
        cpu_sum = cpu_sum.saturating_add(c.cpu.unwrap_or(0));
        mem_sum = mem_sum.saturating_add(c.memory_reservation.or(c.memory).unwrap_or(0));
        for (j, pm) in c.port_mappings.iter().enumerate() {
            let pp = format!("{cp}.portMappings[{j}]");
            let Some(container_port) = pm.container_port.filter(|p| *p > 0) else {
                report.error(
                    format!("{pp}.containerPort"),
                    "a port mapping needs a containerPort of 1–65535",
                );
                continue;
            };
            let host = pm.host_port.unwrap_or(0);
            let proto = pm.protocol.unwrap_or_default();
            match network_mode {
                NetworkMode::Bridge => {
                    if host == 0 {
                        dynamic_ports += 1;
                    } else {
                        static_ports.push((proto, host));
                    }
                }
                NetworkMode::Host => {
                    if host != 0 && host != container_port {
                        report.error(
                            format!("{pp}.hostPort"),
                            "in host mode hostPort must be empty or equal containerPort",
                        );
                    }
                    static_ports.push((proto, container_port));
                }
                NetworkMode::Awsvpc => {
                    if host != 0 && host != container_port {
                        report.error(
                            format!("{pp}.hostPort"),
                            "in awsvpc mode hostPort must be empty or equal containerPort",
                        );
                    }
                }
                NetworkMode::None => {
                    report.error(pp.clone(), "networkMode none takes no port mappings");
                }
            }
        }
    }
    if !body.container_definitions.is_empty() && !body.container_definitions.iter().any(|c| c.essential.unwrap_or(true))
    {
        report.error(
            format!("{path}.containerDefinitions"),
            "all tasks must have at least one essential container",
        );
    }
    if let Some(tc) = task_cpu
        && cpu_sum > tc
    {
        report.error(
            format!("{path}.cpu"),
            format!("the containers' cpu sum {cpu_sum} exceeds the task cpu {tc}"),
        );
    }
    static_ports.sort();
    let before = static_ports.len();
    static_ports.dedup();
    if static_ports.len() != before {
        report.error(
            format!("{path}.containerDefinitions"),
            "two containers map the same host port: a task cannot reserve a port twice",
        );
    }
    let mut constraints = body
        .runtime_platform
        .as_ref()
        .map(|p| platform_constraints(p, path, report))
        .unwrap_or_default();
    let required = constraints.len();
    for (i, c) in body.placement_constraints.iter().enumerate() {
        match c {
            PlacementConstraint::DistinctInstance {} => report.error(
                format!("{path}.placementConstraints[{i}].type"),
                "a task definition accepts only memberOf constraints (distinctInstance belongs on the service or RunTask)",
            ),
            PlacementConstraint::MemberOf { .. } => match Constraint::compile(c) {
                Ok(k) => constraints.push(k),
                Err(m) => report.error(format!("{path}.placementConstraints[{i}].expression"), m),
            },
        }
    }
    if constraints.len() - required > MAX_CONSTRAINTS {
        report.error(
            format!("{path}.placementConstraints"),
            format!(
                "{} placement constraints: a task can have a maximum of {MAX_CONSTRAINTS}",
                constraints.len() - required
            ),
        );
    }
    if body.requires_compatibilities.contains(&LaunchType::Fargate) {
        if gpus > 0 {
            report.error(
                format!("{path}.requiresCompatibilities"),
                "GPU resource requirements are not supported on Fargate: use EC2",
            );
        }
        if network_mode != NetworkMode::Awsvpc {
            report.error(
                format!("{path}.networkMode"),
                "requiresCompatibilities FARGATE needs networkMode awsvpc (Fargate supports only awsvpc)",
            );
        } else if let Err(m) = crate::ecs::fargate::check_size(task_cpu, task_memory) {
            let field = if task_cpu.is_some_and(|c| crate::ecs::fargate::valid_memory(c).is_some()) {
                "memory"
            } else {
                "cpu"
            };
            report.error(
                format!("{path}.{field}"),
                format!("requiresCompatibilities FARGATE: {m}"),
            );
        }
    }
    if let Some(p) = body.start_failure_probability
        && !(0.0..=1.0).contains(&p)
    {
        report.error(
            format!("{path}.startFailureProbability"),
            format!("{p} is not a probability: 0–1"),
        );
    }
    if report.errors.len() > errors_before {
        return None;
    }
    let reservation = Reservation {
        cpu: task_cpu.unwrap_or(cpu_sum),
        memory: task_memory.unwrap_or(mem_sum),
        static_ports,
        dynamic_ports,
        eni: network_mode == NetworkMode::Awsvpc,
        gpus,
        extra: Vec::new(),
    };
    Some(TaskDefinition {
        family: body.family.clone(),
        revision,
        body: body.clone(),
        reservation,
        network_mode,
        constraints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(json: &str) -> (Option<TaskDefinition>, Report) {
        let body: RegisterTaskDefinition = serde_json::from_str(json).unwrap();
        let mut r = Report::new("t.json");
        (register(&body, 1, "td", &mut r), r)
    }

    #[test]
    fn reservation_prefers_task_level_then_soft_limits() {
        let (t, _) = td(r#"{"family":"web","containerDefinitions":[
            {"name":"a","image":"x","cpu":256,"memory":512,"memoryReservation":256},
            {"name":"b","image":"y","cpu":128,"memory":300}]}"#);
        let r = t.unwrap().reservation;
        assert_eq!((r.cpu, r.memory), (384, 556));
        let (t, _) = td(
            r#"{"family":"web","cpu":"1 vCPU","memory":"2 GB","containerDefinitions":[
            {"name":"a","image":"x","cpu":256}]}"#,
        );
        let r = t.unwrap().reservation;
        assert_eq!((r.cpu, r.memory), (1024, 2048));
    }

    #[test]
    fn ports_follow_the_network_mode() {
        let (t, _) = td(
            r#"{"family":"p","containerDefinitions":[{"name":"a","image":"x","memory":64,
            "portMappings":[{"containerPort":80,"hostPort":8080},{"containerPort":81},{"containerPort":53,"hostPort":53,"protocol":"udp"}]}]}"#,
        );
        let r = t.unwrap().reservation;
        assert_eq!(r.static_ports, vec![(Protocol::Tcp, 8080), (Protocol::Udp, 53)]);
        assert_eq!(r.dynamic_ports, 1);
        let (t, _) = td(
            r#"{"family":"p","networkMode":"awsvpc","containerDefinitions":[{"name":"a","image":"x","memory":64,
            "portMappings":[{"containerPort":80}]}]}"#,
        );
        let r = t.unwrap().reservation;
        assert!(r.eni && r.static_ports.is_empty() && r.dynamic_ports == 0);
    }

    #[test]
    fn invalid_definitions_name_the_field() {
        let (t, r) = td(r#"{"family":"bad family","containerDefinitions":[
            {"name":"a","image":"x","memory":100,"memoryReservation":200,"essential":false}]}"#);
        assert!(t.is_none());
        let paths: Vec<&str> = r.errors.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"td.family"), "{paths:?}");
        assert!(
            paths.contains(&"td.containerDefinitions[0].memoryReservation"),
            "{paths:?}"
        );
        assert!(paths.contains(&"td.containerDefinitions"), "{paths:?}");
        let (_, r) = td(r#"{"family":"f","containerDefinitions":[{"name":"a","image":"x"}]}"#);
        assert_eq!(r.errors[0].path, "td.containerDefinitions[0].memory");
        let (_, r) = td(r#"{"family":"f","placementConstraints":[{"type":"distinctInstance"}],
            "containerDefinitions":[{"name":"a","image":"x","memory":64}]}"#);
        assert!(r.errors[0].message.contains("only memberOf"));
    }

    #[test]
    fn sizes_parse_like_the_api() {
        assert_eq!(SizeString("0.25 vCPU".into()).cpu_units(), Some(256));
        assert_eq!(SizeString("512".into()).cpu_units(), Some(512));
        assert_eq!(SizeString("3GB".into()).memory_mib(), Some(3072));
        assert_eq!(SizeString("lots".into()).memory_mib(), None);
    }
}
