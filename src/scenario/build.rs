//! From a parsed scenario file to a checked, runnable [`Scenario`]: every reference
//! resolved, every limit ECS enforces checked, every problem named by field path.

use crate::capacity::StrategyItem;
use crate::capacity::prices::Prices;
use crate::ecs::api::{LaunchType, NetworkConfiguration, RunTask, SchedulingStrategy};
use crate::ecs::registry::TaskDefinitions;
use crate::ecs::strategy::{PlacementConstraint, PlacementStrategy};
use crate::ecs::task_definition::{RegisterTaskDefinition, register};
use crate::engine::SimDuration;
use crate::error::{Error, Problem, Report};
use crate::placement::TieBreak;
use crate::placement::constraint::Constraint;
use crate::placement::plan::check_limits;
use crate::placement::query::parse_time;
use crate::scenario::capacity::{CapacitySpec, build_capacity};
use crate::scenario::duration::DistSpec;
use crate::scenario::instances::{AsgSpec, GroupSpec, build_asgs, build_groups};
use crate::scenario::load::{self, Format};
use crate::scenario::schema::{
    ApiCall, Arrival, Fault, FaultType, RESERVED_SECTIONS, ScenarioFile, SweepTable, TimelineEntry, Workload,
};
use std::collections::BTreeSet;
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
    /// Auto Scaling groups.
    pub asgs: Vec<AsgSpec>,
    /// Capacity providers, the cluster's strategy, subnets.
    pub capacity: CapacitySpec,
    /// Prices in force.
    pub prices: Prices,
    /// Faults.
    pub faults: Vec<Fault>,
    /// How long a PROVISIONING task waits.
    pub provisioning_timeout: SimDuration,
    /// PROVISIONING tasks per cluster at most.
    pub provisioning_limit: u32,
    /// Creation to RUNNING on Fargate.
    pub fargate_start_latency: DistSpec,
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
    let asgs = build_asgs(&f.auto_scaling_groups, &mut r);
    let capacity = build_capacity(
        &asgs,
        &f.capacity_providers,
        f.cluster_capacity_providers.as_ref(),
        &f.subnets,
        &mut r,
    );
    let prices = build_prices(f.prices.as_ref(), &mut r);
    check_faults(&f.faults, &instance_groups, &asgs, &mut r);
    let provisioning_timeout = f.provisioning_timeout.map_or(SimDuration::from_secs(1800), |d| d.0);
    if !(600_000..=1_800_000).contains(&provisioning_timeout.millis()) {
        r.error(
            "provisioningTimeout",
            "PROVISIONING tasks wait 10–30 minutes (ecs-semantics.md §4.2)",
        );
    }
    let fargate_start_latency = f.fargate_start_latency.clone().unwrap_or_else(default_fargate_latency);
    if let Err(m) = fargate_start_latency.validate() {
        r.error("fargateStartLatency", m);
    }
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
        check_service(
            s,
            &format!("services[{i}]"),
            &registry,
            &capacity,
            &mut service_names,
            &mut r,
        );
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
        check_run_task(&w.run_task, &format!("{path}.runTask"), &registry, &capacity, &mut r);
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
            ApiCall::RunTask(rt) => check_run_task(rt, &rp, &registry, &capacity, &mut r),
            ApiCall::CreateService(s) => check_service(s, &rp, &registry, &capacity, &mut service_names, &mut r),
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
        asgs,
        capacity,
        prices,
        faults: f.faults,
        provisioning_timeout,
        provisioning_limit: f.provisioning_task_limit.unwrap_or(500),
        fargate_start_latency,
        warnings,
    })
}

/// Fargate start latency by default: lognormal, median 35 s, sigma 0.3 — SIM CHOICE:
/// AWS documents none (ecs-semantics.md §5.2); ENI attachment and the image pull dominate.
pub fn default_fargate_latency() -> DistSpec {
    use crate::scenario::duration::Duration;
    DistSpec::Lognormal {
        median: Duration(SimDuration::from_secs(35)),
        sigma: 0.3,
    }
}

fn build_prices(o: Option<&crate::capacity::prices::PriceOverrides>, r: &mut Report) -> Prices {
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

fn check_faults(faults: &[Fault], groups: &[GroupSpec], asgs: &[AsgSpec], r: &mut Report) {
    for (i, f) in faults.iter().enumerate() {
        let path = format!("faults[{i}]");
        if f.kind != FaultType::SpotInterruption {
            r.error(
                format!("{path}.type"),
                format!("{:?} faults are not supported yet: spotInterruption is", f.kind),
            );
            continue;
        }
        match (f.at, f.rate_per_hour) {
            (Some(_), None) => {
                let known = f.ec2_instance_id.as_ref().is_some_and(|id| {
                    groups.iter().any(|g| g.ec2_instance_ids.contains(id))
                        || asgs.iter().any(|a| {
                            id.strip_prefix(&format!("{}-", a.name))
                                .is_some_and(|n| n.parse::<u32>().is_ok())
                        })
                });
                if !known {
                    r.error(
                        format!("{path}.ec2InstanceId"),
                        "a scheduled Spot interruption names an instance (an instance group's, or `<asg>-<n>`)",
                    );
                }
            }
            (None, Some(rate)) => {
                if !(rate.is_finite() && rate > 0.0) {
                    r.error(format!("{path}.ratePerHour"), "a rate is a number > 0");
                }
                match (&f.auto_scaling_group, f.capacity_provider.as_deref()) {
                    (Some(a), None) if asgs.iter().any(|g| &g.name == a && g.spot) => {}
                    (None, Some(crate::capacity::FARGATE_SPOT)) => {}
                    _ => r.error(
                        &path,
                        "random Spot interruptions name a Spot autoScalingGroup, or capacityProvider FARGATE_SPOT",
                    ),
                }
            }
            _ => r.error(&path, "a fault is scheduled (`at`) or random (`ratePerHour`), not both"),
        }
    }
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

fn task_definition<'a>(
    registry: &'a TaskDefinitions,
    reference: &str,
    path: &str,
    r: &mut Report,
) -> Option<&'a crate::ecs::task_definition::TaskDefinition> {
    match registry.resolve(reference) {
        Ok(id) => {
            let td = registry.get(id);
            for (i, c) in td.constraints.iter().enumerate() {
                if let Err(m) = Constraint::compile(c) {
                    r.error(format!("{path} ({} placementConstraints[{i}])", td.name()), m);
                }
            }
            Some(td)
        }
        Err(m) => {
            r.error(path, m);
            None
        }
    }
}

/// What a request's capacity settings need checked.
struct CapacityRequest<'a> {
    launch_type: Option<LaunchType>,
    strategy: Option<&'a [StrategyItem]>,
    network: Option<&'a NetworkConfiguration>,
    has_placement: bool,
}

fn check_capacity(
    req: CapacityRequest,
    td: Option<&crate::ecs::task_definition::TaskDefinition>,
    capacity: &CapacitySpec,
    path: &str,
    r: &mut Report,
) {
    let field = if req.strategy.is_some_and(|s| !s.is_empty()) {
        "capacityProviderStrategy"
    } else {
        "launchType"
    };
    match capacity.resolve(req.launch_type, req.strategy) {
        Err(m) => r.error(format!("{path}.{field}"), m),
        Ok(c) => {
            if let Some(td) = td
                && let Err(m) = capacity.check_request(&c, td, req.has_placement, req.network)
            {
                r.error(path, m);
            }
        }
    }
}

fn check_run_task(rt: &RunTask, path: &str, registry: &TaskDefinitions, capacity: &CapacitySpec, r: &mut Report) {
    let td = task_definition(registry, &rt.task_definition, &format!("{path}.taskDefinition"), r);
    let n = td.map_or(0, |t| t.constraints.len());
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
    let req = CapacityRequest {
        launch_type: rt.launch_type,
        strategy: rt.capacity_provider_strategy.as_deref(),
        network: rt.network_configuration.as_ref(),
        has_placement: rt.placement_strategy.as_ref().is_some_and(|s| !s.is_empty())
            || !rt.placement_constraints.is_empty(),
    };
    check_capacity(req, td, capacity, path, r);
    check_cluster(rt.cluster.as_deref(), &format!("{path}.cluster"), r);
    check_placement(&rt.placement_constraints, rt.placement_strategy.as_deref(), n, path, r);
}

fn check_service(
    s: &crate::ecs::api::CreateService,
    path: &str,
    registry: &TaskDefinitions,
    capacity: &CapacitySpec,
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
    let td = task_definition(registry, &s.task_definition, &format!("{path}.taskDefinition"), r);
    let n = td.map_or(0, |t| t.constraints.len());
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
    let req = CapacityRequest {
        launch_type: s.launch_type,
        strategy: s.capacity_provider_strategy.as_deref(),
        network: s.network_configuration.as_ref(),
        has_placement: s.placement_strategy.as_ref().is_some_and(|x| !x.is_empty())
            || !s.placement_constraints.is_empty(),
    };
    check_capacity(req, td, capacity, path, r);
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
