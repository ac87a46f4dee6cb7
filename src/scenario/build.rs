//! From a parsed scenario file to a checked, runnable [`Scenario`]: every reference
//! resolved, every limit ECS enforces checked, every problem named by field path.

use crate::ecs::agent::parse_user_data;
use crate::ecs::api::{LaunchType, RunTask, SchedulingStrategy};
use crate::ecs::catalogue::Catalogue;
use crate::ecs::registry::TaskDefinitions;
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::ecs::task_definition::{RegisterTaskDefinition, register};
use crate::engine::SimDuration;
use crate::error::{Error, Problem, Report};
use crate::placement::TieBreak;
use crate::placement::constraint::Constraint;
use crate::placement::plan::check_limits;
use crate::placement::query::{parse_time, parse_version};
use crate::scenario::duration::DistSpec;
use crate::scenario::load::{self, Format};
use crate::scenario::schema::{
    ApiCall, Arrival, InstanceGroup, RESERVED_SECTIONS, ScenarioFile, SweepTable, TimelineEntry, Workload,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The only cluster until multiple clusters are modelled.
pub const CLUSTER_NAME: &str = "default";
/// Default wall-clock start of a run.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";
/// Default agent version.
pub const DEFAULT_AGENT_VERSION: &str = "1.85.0";
/// The attribute that marks an instance with a trunk network interface.
pub const TRUNK_ATTRIBUTE: &str = "ecs.awsvpc-trunk-id";
/// ECS's container-instance quota per cluster (a warning above it: ecsim simulates more).
pub const INSTANCE_QUOTA: u64 = 5000;

/// An instance group, resolved.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// Group name.
    pub name: String,
    /// Instance type name.
    pub instance_type: String,
    /// How many.
    pub count: u32,
    /// Zones, round-robin.
    pub availability_zones: Vec<String>,
    /// Registered CPU units per instance.
    pub cpu: u32,
    /// Registered memory MiB per instance (after ECS_RESERVED_MEMORY).
    pub memory: u32,
    /// Tasks with their own ENI per instance.
    pub task_enis: u32,
    /// Extra reserved ports.
    pub reserved_ports: Vec<u16>,
    /// Attributes, built-in and custom (without the zone, which varies).
    pub attributes: BTreeMap<String, String>,
    /// EC2 instance ids, one per instance.
    pub ec2_instance_ids: Vec<String>,
    /// Agent version.
    pub agent_version: String,
    /// Registration wall-clock time, Unix ms.
    pub registered_at_unix_ms: i64,
    /// USD per hour.
    pub hourly_price: f64,
}

/// A checked scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from, as the user named it.
    pub file: String,
    /// The scenario name.
    pub name: String,
    /// The master seed.
    pub seed: u64,
    /// Simulated time to run.
    pub duration: SimDuration,
    /// timeseries.csv resolution.
    pub sample_interval: SimDuration,
    /// Wall-clock start, Unix ms.
    pub start_unix_ms: i64,
    /// Tie-break rule.
    pub tie_break: TieBreak,
    /// PENDING → RUNNING latency.
    pub task_start_latency: DistSpec,
    /// Instance groups.
    pub instance_groups: Vec<GroupSpec>,
    /// Task definitions registered at time 0, in order.
    pub task_definitions: Vec<RegisterTaskDefinition>,
    /// Services created at time 0.
    pub services: Vec<crate::ecs::api::CreateService>,
    /// Workloads.
    pub workloads: Vec<Workload>,
    /// Timeline, sorted by time (stable).
    pub timeline: Vec<TimelineEntry>,
    /// The scenario's own sweep.
    pub sweep: Option<SweepTable>,
    /// Warnings found while checking.
    pub warnings: Vec<Problem>,
}

/// Loads and checks a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, Error> {
    let format = load::format_of(path)?;
    let text = load::read(path)?;
    scenario_from_str(
        &text,
        format,
        &path.display().to_string(),
        path.parent().unwrap_or(Path::new(".")),
    )
}

/// Checks a scenario given as text (`file` names it in errors; `dir` anchors
/// relative task-definition files).
pub fn scenario_from_str(text: &str, format: Format, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let parsed: ScenarioFile = load::parse_typed(text, format, file)?;
    let doc = load::parse_value(text, format, file)?;
    build(parsed, &doc, file, dir)
}

/// Checks a parsed scenario (`doc` is the same document as a JSON value).
pub fn build(f: ScenarioFile, doc: &serde_json::Value, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let mut r = Report::new(file);
    load::check_ecs_members(doc, &mut r);
    check_name(&f.name, "name", &mut r);
    if f.duration.0 == SimDuration::ZERO {
        r.error("duration", "the duration must be more than 0");
    }
    if f.sample_interval.0 == SimDuration::ZERO {
        r.error("sampleInterval", "the sample interval must be more than 0");
    } else if f.duration.0.millis() / f.sample_interval.0.millis() > 10_000_000 {
        r.error(
            "sampleInterval",
            "more than 10 million samples: use a longer sampleInterval",
        );
    }
    let start_unix_ms = match parse_time(f.start_time.as_deref().unwrap_or(DEFAULT_START)) {
        Some(t) => t,
        None => {
            r.error("startTime", "expected an RFC 3339 time such as 2026-01-01T00:00:00Z");
            0
        }
    };
    let task_start_latency = f
        .task_start_latency
        .clone()
        .unwrap_or(DistSpec::fixed(SimDuration::from_secs(1)));
    if let Err(m) = task_start_latency.validate() {
        r.error("taskStartLatency", m);
    }
    for (key, what) in RESERVED_SECTIONS {
        if doc.get(*key).is_some() {
            r.error(
                *key,
                format!("`{key}` is not supported yet ({what} are still to come); remove it to run"),
            );
        }
    }
    let instance_groups = build_groups(&f.instance_groups, start_unix_ms, &mut r);
    // Task definitions: files resolved, then registered in order.
    let mut registry = TaskDefinitions::default();
    let mut task_definitions = Vec::new();
    for (i, td) in f.task_definitions.iter().enumerate() {
        let path = format!("taskDefinitions[{i}]");
        let body = match &td.file {
            Some(rel) => match load_task_definition_file(dir, rel, td, &path, &mut r) {
                Some(b) => b,
                None => continue,
            },
            None => td.clone(),
        };
        if let Some(t) = register(&body, registry.next_revision(&body.family), &path, &mut r) {
            registry.add(t);
            task_definitions.push(body);
        }
    }
    let mut service_names = BTreeSet::new();
    for (i, s) in f.services.iter().enumerate() {
        check_service(s, &format!("services[{i}]"), &registry, &mut service_names, &mut r);
    }
    let mut workload_names = BTreeSet::new();
    for (i, w) in f.workloads.iter().enumerate() {
        let path = format!("workloads[{i}]");
        if !workload_names.insert(w.name.clone()) {
            r.error(
                format!("{path}.name"),
                format!("workload name `{}` is used twice", w.name),
            );
        }
        if w.trace.is_some() {
            r.error(format!("{path}.trace"), "trace workloads are not supported yet");
        }
        check_run_task(&w.run_task, &format!("{path}.runTask"), &registry, &mut r);
        match &w.arrival {
            Arrival::Poisson { rate_per_minute } if !(rate_per_minute.is_finite() && *rate_per_minute > 0.0) => {
                r.error(
                    format!("{path}.arrival.ratePerMinute"),
                    format!("{rate_per_minute}: the rate must be a number > 0"),
                );
            }
            Arrival::Fixed { interval } if interval.0 == SimDuration::ZERO => {
                r.error(format!("{path}.arrival.interval"), "the interval must be more than 0");
            }
            _ => {}
        }
        if let Err(m) = w.task_duration.validate() {
            r.error(format!("{path}.taskDuration"), m);
        }
        if let Some(retry) = &w.retry
            && let Some(m) = retry.multiplier
            && !(m.is_finite() && m >= 1.0)
        {
            r.error(
                format!("{path}.retry.multiplier"),
                format!("{m}: the multiplier must be ≥ 1"),
            );
        }
    }
    let mut timeline: Vec<(usize, TimelineEntry)> = f.timeline.iter().cloned().enumerate().collect();
    timeline.sort_by_key(|(i, e)| (e.at, *i));
    for (i, e) in &timeline {
        let path = format!("timeline[{i}]");
        if e.at.0 > f.duration.0 {
            r.warn(
                format!("{path}.at"),
                "after the end of the run: this call is never made",
            );
        }
        if let Some(d) = &e.task_duration
            && let Err(m) = d.validate()
        {
            r.error(format!("{path}.taskDuration"), m);
        }
        let rp = format!("{path}.request");
        match &e.request {
            ApiCall::RunTask(rt) => check_run_task(rt, &rp, &registry, &mut r),
            ApiCall::CreateService(s) => check_service(s, &rp, &registry, &mut service_names, &mut r),
            ApiCall::UpdateService(u) => {
                let name = u.service.rsplit('/').next().unwrap_or(&u.service);
                if !service_names.contains(name) {
                    r.error(
                        format!("{rp}.service"),
                        format!("service `{}` does not exist at that time", u.service),
                    );
                }
                check_cluster(u.cluster.as_deref(), &format!("{rp}.cluster"), &mut r);
            }
            ApiCall::StopTask(s) => {
                if s.task.is_empty() {
                    r.error(format!("{rp}.task"), "StopTask needs the task ID or ARN");
                }
                check_cluster(s.cluster.as_deref(), &format!("{rp}.cluster"), &mut r);
            }
            ApiCall::RegisterTaskDefinition(td) => {
                if td.file.is_some() {
                    r.error(
                        format!("{rp}.file"),
                        "a timeline RegisterTaskDefinition takes the body itself",
                    );
                } else if let Some(t) = register(td, registry.next_revision(&td.family), &rp, &mut r) {
                    registry.add(t);
                }
            }
        }
    }
    let warnings = r.finish()?;
    Ok(Scenario {
        file: file.to_string(),
        name: f.name,
        seed: f.seed,
        duration: f.duration.0,
        sample_interval: f.sample_interval.0,
        start_unix_ms,
        tie_break: f.tie_break,
        task_start_latency,
        instance_groups,
        task_definitions,
        services: f.services,
        workloads: f.workloads,
        timeline: timeline.into_iter().map(|(_, e)| e).collect(),
        sweep: f.sweep,
        warnings,
    })
}

/// Names that become folder names: letters, digits, `.`, `_`, `-`.
pub fn check_name(name: &str, path: &str, r: &mut Report) {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !ok {
        r.error(
            path,
            format!("`{name}` is not a valid name: 1–128 letters, digits, `.`, `_` or `-`"),
        );
    }
}

fn check_cluster(cluster: Option<&str>, path: &str, r: &mut Report) {
    if let Some(c) = cluster {
        let name = c.rsplit('/').next().unwrap_or(c);
        if name != CLUSTER_NAME {
            r.error(
                path,
                format!("cluster `{c}` does not exist: the scenario has one cluster, `{CLUSTER_NAME}`"),
            );
        }
    }
}

fn check_launch_type(lt: Option<LaunchType>, path: &str, r: &mut Report) {
    match lt {
        None | Some(LaunchType::Ec2) => {}
        Some(other) => r.error(
            path,
            format!("launchType {} is not supported yet: use EC2", other.as_str()),
        ),
    }
}

fn check_placement(
    constraints: &[PlacementConstraint],
    strategies: Option<&[PlacementStrategy]>,
    td_constraints: usize,
    path: &str,
    r: &mut Report,
) {
    for (i, c) in constraints.iter().enumerate() {
        if let Err(m) = Constraint::compile(c) {
            r.error(format!("{path}.placementConstraints[{i}].expression"), m);
        }
    }
    if let Err(m) = check_limits(constraints.len() + td_constraints, strategies.map_or(0, <[_]>::len)) {
        let field = if m.contains("strategies") {
            "placementStrategy"
        } else {
            "placementConstraints"
        };
        r.error(format!("{path}.{field}"), m);
    }
    if let Some(s) = strategies
        && let Some(i) = s.iter().position(|s| matches!(s, PlacementStrategy::Random { .. }))
        && i + 1 < s.len()
    {
        r.warn(
            format!("{path}.placementStrategy[{}]", i + 1),
            "strategies after random have no effect",
        );
    }
}

fn td_constraints(registry: &TaskDefinitions, reference: &str, path: &str, r: &mut Report) -> Option<usize> {
    match registry.resolve(reference) {
        Ok(id) => {
            let td = registry.get(id);
            for (i, c) in td.constraints.iter().enumerate() {
                if let Err(m) = Constraint::compile(c) {
                    r.error(format!("{path} ({} placementConstraints[{i}])", td.name()), m);
                }
            }
            Some(td.constraints.len())
        }
        Err(m) => {
            r.error(path, m);
            None
        }
    }
}

fn check_run_task(rt: &RunTask, path: &str, registry: &TaskDefinitions, r: &mut Report) {
    let n = td_constraints(registry, &rt.task_definition, &format!("{path}.taskDefinition"), r).unwrap_or(0);
    if let Some(c) = rt.count
        && !(1..=10).contains(&c)
    {
        r.error(
            format!("{path}.count"),
            format!("{c}: RunTask starts 1–10 tasks per call"),
        );
    }
    if let Some(g) = &rt.group
        && (g.is_empty() || g.len() > 255)
    {
        r.error(format!("{path}.group"), "a task group name has 1–255 characters");
    }
    check_launch_type(rt.launch_type, &format!("{path}.launchType"), r);
    check_cluster(rt.cluster.as_deref(), &format!("{path}.cluster"), r);
    check_placement(&rt.placement_constraints, rt.placement_strategy.as_deref(), n, path, r);
}

fn check_service(
    s: &crate::ecs::api::CreateService,
    path: &str,
    registry: &TaskDefinitions,
    names: &mut BTreeSet<String>,
    r: &mut Report,
) {
    let valid = !s.service_name.is_empty()
        && s.service_name.len() <= 255
        && s.service_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        r.error(
            format!("{path}.serviceName"),
            format!(
                "`{}` is not a valid service name: 1–255 letters, numbers, hyphens and underscores",
                s.service_name
            ),
        );
    } else if !names.insert(s.service_name.clone()) {
        r.error(
            format!("{path}.serviceName"),
            format!("service `{}` already exists", s.service_name),
        );
    }
    let n = td_constraints(registry, &s.task_definition, &format!("{path}.taskDefinition"), r).unwrap_or(0);
    if s.scheduling_strategy == Some(SchedulingStrategy::Daemon) {
        r.error(
            format!("{path}.schedulingStrategy"),
            "DAEMON services are not supported yet: use REPLICA",
        );
    }
    match s.desired_count {
        None => r.error(format!("{path}.desiredCount"), "a REPLICA service needs desiredCount"),
        Some(c) if c < 0 => r.error(format!("{path}.desiredCount"), format!("{c}: desiredCount must be ≥ 0")),
        _ => {}
    }
    if let Some(d) = &s.task_duration
        && let Err(m) = d.validate()
    {
        r.error(format!("{path}.taskDuration"), m);
    }
    check_launch_type(s.launch_type, &format!("{path}.launchType"), r);
    check_cluster(s.cluster.as_deref(), &format!("{path}.cluster"), r);
    check_placement(&s.placement_constraints, s.placement_strategy.as_deref(), n, path, r);
}

/// Members of a DescribeTaskDefinition response that are not request members.
const RESPONSE_MEMBERS: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

fn load_task_definition_file(
    dir: &Path,
    rel: &str,
    entry: &RegisterTaskDefinition,
    path: &str,
    r: &mut Report,
) -> Option<RegisterTaskDefinition> {
    let inline = entry.family.is_empty()
        && entry.container_definitions.is_empty()
        && entry.cpu.is_none()
        && entry.memory.is_none();
    if !inline {
        r.error(
            format!("{path}.file"),
            "give either `file` or the task definition's members, not both",
        );
        return None;
    }
    let full: PathBuf = dir.join(rel);
    let fname = full.display().to_string();
    let result = (|| -> Result<RegisterTaskDefinition, Error> {
        let text = load::read(&full)?;
        let format = load::format_of(&full)?;
        if format != Format::Json {
            return Err(Error::invalid(
                &fname,
                "",
                "a task definition file is AWS CLI JSON (.json)",
            ));
        }
        let mut value = load::parse_value(&text, format, &fname)?;
        let mut sub = Report::new(&fname);
        let (mut body_path, mut body) = (String::new(), value.clone());
        if let Some(inner) = value.get_mut("taskDefinition").map(serde_json::Value::take) {
            body_path = "taskDefinition".into();
            body = inner;
        }
        if let serde_json::Value::Object(map) = &mut body {
            for k in RESPONSE_MEMBERS {
                if map.remove(*k).is_some() {
                    sub.warn(
                        format!("{body_path}.{k}").trim_start_matches('.'),
                        "a DescribeTaskDefinition response member: ignored",
                    );
                }
            }
        }
        load::check_task_definition(&body, &body_path, &mut sub);
        let td: RegisterTaskDefinition = load::from_value(body, &fname, "")?;
        r.warnings.extend(sub.warnings.clone());
        sub.finish()?;
        Ok(td)
    })();
    match result {
        Ok(td) => Some(td),
        Err(e) => {
            match e {
                Error::Invalid(ps) => r.errors.extend(ps),
                other => r.error(format!("{path}.file"), other.to_string()),
            }
            None
        }
    }
}

fn build_groups(groups: &[InstanceGroup], start_unix_ms: i64, r: &mut Report) -> Vec<GroupSpec> {
    let cat = Catalogue::builtin();
    let mut names = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let path = format!("instanceGroups[{i}]");
        check_name(&g.name, &format!("{path}.name"), r);
        if !names.insert(g.name.clone()) {
            r.error(
                format!("{path}.name"),
                format!("instance group `{}` is defined twice", g.name),
            );
        }
        total += g.count as u64;
        let Some(t) = cat.get(&g.instance_type) else {
            r.error(
                format!("{path}.instanceType"),
                format!(
                    "unknown instance type `{}`: the catalogue has {}",
                    g.instance_type,
                    cat.describe()
                ),
            );
            continue;
        };
        match g.launch_type {
            None | Some(LaunchType::Ec2) => {}
            Some(LaunchType::External) => {
                r.error(format!("{path}.launchType"), "EXTERNAL instances are not supported yet")
            }
            Some(other) => r.error(
                format!("{path}.launchType"),
                format!(
                    "{} is not a container-instance launch type: use EC2 or EXTERNAL",
                    other.as_str()
                ),
            ),
        }
        if g.iam_actions.is_some() {
            r.error(
                format!("{path}.iamActions"),
                "instance roles are not supported yet: remove iamActions",
            );
        }
        let agent = parse_user_data(g.user_data.as_deref().unwrap_or(""), &format!("{path}.userData"), r);
        check_cluster(agent.cluster.as_deref(), &format!("{path}.userData ECS_CLUSTER"), r);
        let (cpu, nominal_memory) = match &g.total_resources {
            Some(t) => {
                if t.cpu == 0 || t.memory == 0 {
                    r.error(format!("{path}.totalResources"), "cpu and memory must be more than 0");
                }
                (t.cpu, t.memory)
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
        let azs = if g.availability_zones.is_empty() {
            vec!["us-east-1a".to_string()]
        } else {
            g.availability_zones.clone()
        };
        if azs.iter().any(String::is_empty) {
            r.error(format!("{path}.availabilityZones"), "a zone name cannot be empty");
        }
        for (k, v) in &g.attributes {
            if k.is_empty() || k.len() > 128 || v.is_empty() || v.len() > 128 {
                r.error(
                    format!("{path}.attributes.{k}"),
                    "attribute names and values have 1–128 characters",
                );
            }
        }
        let ec2_instance_ids = match &g.ec2_instance_ids {
            Some(v) if v.len() != g.count as usize => {
                r.error(
                    format!("{path}.ec2InstanceIds"),
                    format!("{} ids for {} instances: give one per instance", v.len(), g.count),
                );
                vec![]
            }
            Some(v) => v.clone(),
            None => (1..=g.count).map(|n| format!("{}-{n}", g.name)).collect(),
        };
        for id in &ec2_instance_ids {
            if !ids.insert(id.clone()) {
                r.error(
                    format!("{path}.ec2InstanceIds"),
                    format!("instance id `{id}` is used twice"),
                );
            }
        }
        let agent_version = g
            .agent_version
            .clone()
            .unwrap_or_else(|| DEFAULT_AGENT_VERSION.to_string());
        if parse_version(&agent_version).is_none() {
            r.error(
                format!("{path}.agentVersion"),
                format!("`{agent_version}` is not a version such as 1.85.0"),
            );
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
        let trunked = g.awsvpc_trunking.unwrap_or(false) || g.attributes.contains_key(TRUNK_ATTRIBUTE);
        let task_enis = t.task_enis(trunked).unwrap_or_else(|| {
            r.error(
                format!("{path}.awsvpcTrunking"),
                format!(
                    "{} does not support awsvpc trunking (see the trunkTasks column of data/instance-types.csv)",
                    t.name
                ),
            );
            0
        });
        let mut attributes = BTreeMap::new();
        if trunked {
            attributes.insert(
                TRUNK_ATTRIBUTE.to_string(),
                format!("eni-{}", &crate::ecs::cluster::hex_id(0x7E, i as u64)[..17]),
            );
        }
        attributes.insert("ecs.instance-type".to_string(), t.name.clone());
        attributes.insert("ecs.os-type".to_string(), "linux".to_string());
        attributes.insert("ecs.os-family".to_string(), "LINUX".to_string());
        attributes.insert("ecs.cpu-architecture".to_string(), t.cpu_architecture.clone());
        attributes.extend(g.attributes.clone());
        out.push(GroupSpec {
            name: g.name.clone(),
            instance_type: t.name.clone(),
            count: g.count,
            availability_zones: azs,
            cpu,
            memory: nominal_memory.saturating_sub(agent.reserved_memory),
            task_enis,
            reserved_ports: agent.reserved_ports,
            attributes,
            ec2_instance_ids,
            agent_version,
            registered_at_unix_ms,
            hourly_price: t.on_demand_usd_per_hour,
        });
    }
    if total > INSTANCE_QUOTA {
        r.warn("instanceGroups", format!("{total} instances: ECS allows {INSTANCE_QUOTA} container instances per cluster (ecsim simulates them anyway)"));
    }
    out
}
