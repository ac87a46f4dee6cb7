//! From a parsed scenario file to a checked, runnable [`Scenario`]: every reference
//! resolved, every limit ECS enforces checked, every problem named by field path.

use crate::capacity::prices::Prices;
use crate::capacity::providers::{CapacitySpec, build_capacity};
use crate::ecs::query::parse_time;
use crate::ecs::registry::TaskDefinitions;
use crate::ecs::task_definition::{RegisterTaskDefinition, register};
use crate::engine::SimDuration;
use crate::engine::duration::DistSpec;
use crate::error::{Error, Problem, Report};
use crate::placement::TieBreak;
use crate::scenario::instances::{AsgSpec, GroupSpec, build_asgs, build_groups};
use crate::scenario::load::{self, Format, check_name};
use crate::scenario::paste::{load_service_file, load_task_definition_file};
use crate::scenario::schema::{ApiCall, Arrival, Fault, ScenarioFile, SweepTable, TimelineEntry, Workload};
use crate::scenario::settings::{
    DEFAULT_AGENT_DISCONNECT_TIMEOUT, ImagePullSpec, build_image_pull, build_prices, check_faults,
    default_fargate_latency,
};
use crate::scenario::world::World;
use std::path::Path;

/// Default wall-clock start of a run.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

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
    /// Application Auto Scaling calls at time 0: scalable targets, then policies, then
    /// scheduled actions.
    pub scaling: Vec<crate::appscaling::ScalingCall>,
    /// Per workload, its trace when it has one (shared, not copied, between a sweep's runs).
    pub traces: Vec<Option<std::sync::Arc<crate::scenario::trace::TraceWorkload>>>,
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
    /// The clusters that exist at time 0, in order.
    pub clusters: Vec<String>,
    /// Image pulls.
    pub image_pull: ImagePullSpec,
    /// How long before a service replaces the tasks of a disconnected agent.
    pub agent_disconnect_timeout: SimDuration,
    /// How long containers take to exit after SIGTERM.
    pub task_stop_latency: DistSpec,
    /// The settings a replay of this run needs (recorded in events.jsonl).
    pub settings: serde_json::Value,
    /// Warnings found while checking.
    pub warnings: Vec<Problem>,
}

impl Scenario {
    /// Task requests the workloads are expected to make over the run (their mean
    /// rates × the duration × tasks per call), plus the services' first desired counts:
    /// for sizing outputs before a run, not a prediction of what is placed.
    pub fn expected_task_requests(&self) -> f64 {
        let minutes = self.duration.millis() as f64 / 60_000.0;
        let calls = |w: &Workload| match &w.arrival {
            Some(crate::scenario::schema::Arrival::Poisson { rate_per_minute }) => {
                rate_per_minute.mean_per_minute(self.duration) * minutes
            }
            Some(crate::scenario::schema::Arrival::Fixed { interval }) => {
                (self.duration.millis() / interval.0.millis().max(1) + 1) as f64
            }
            None => 0.0,
        };
        let traced: f64 = self
            .traces
            .iter()
            .flatten()
            .map(|t| t.rows.iter().map(|r| r.count as f64).sum::<f64>() * t.sample)
            .sum();
        let workloads: f64 = self
            .workloads
            .iter()
            .map(|w| calls(w) * w.run_task.count.unwrap_or(1).max(1) as f64)
            .sum::<f64>()
            + traced;
        let services: f64 = self
            .services
            .iter()
            .map(|s| s.desired_count.unwrap_or(0).max(0) as f64)
            .sum();
        workloads + services
    }

    /// Container instances at the start and the most Auto Scaling groups may add.
    pub fn instances_at_most(&self) -> u64 {
        let groups: u64 = self.instance_groups.iter().map(|g| g.count as u64).sum();
        groups + self.asgs.iter().map(|a| a.max_size as u64).sum::<u64>()
    }
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

/// Reads each workload's `ratePerMinute = { file = … }` and each service demand's
/// `requestsPerSecond = { file = … }` (relative to `dir`) into a profile; a bad file is an error naming it, with line and column.
fn read_rate_files(f: &mut ScenarioFile, dir: &Path, r: &mut Report) {
    use crate::engine::rate::Rate;
    let workloads = f
        .workloads
        .iter_mut()
        .enumerate()
        .filter_map(|(i, w)| match &mut w.arrival {
            Some(Arrival::Poisson { rate_per_minute }) => {
                Some((format!("workloads[{i}].arrival.ratePerMinute"), rate_per_minute))
            }
            _ => None,
        });
    let services = f.services.iter_mut().enumerate().filter_map(|(i, s)| {
        let d = s.demand.as_mut()?;
        Some((
            format!("services[{i}].demand.requestsPerSecond"),
            &mut d.requests_per_second,
        ))
    });
    for (field, rate) in workloads.chain(services).collect::<Vec<_>>() {
        let Rate::File { file } = rate else { continue };
        let path = dir.join(&*file);
        let field = format!("{field}.file");
        match std::fs::read_to_string(&path) {
            Err(e) => r.error(&field, format!("cannot read {}: {e}", path.display())),
            Ok(text) => match Rate::from_csv(&text) {
                Ok(profile) => *rate = profile,
                Err((line, col, m)) => r.error(
                    &field,
                    if line > 0 {
                        format!("{}:{line}:{col}: {m}", path.display())
                    } else {
                        format!("{}: {m}", path.display())
                    },
                ),
            },
        }
    }
}

/// The file's Application Auto Scaling bodies as time-0 calls, with their paths.
fn scaling_calls(f: &ScenarioFile) -> Vec<(String, crate::appscaling::ScalingCall)> {
    use crate::appscaling::ScalingCall;
    let targets = f.scalable_targets.iter().enumerate();
    let policies = f.scaling_policies.iter().enumerate();
    let actions = f.scheduled_actions.iter().enumerate();
    targets
        .map(|(i, b)| (format!("scalableTargets[{i}]"), ScalingCall::Register(b.clone())))
        .chain(policies.map(|(i, b)| {
            (
                format!("scalingPolicies[{i}]"),
                ScalingCall::PutPolicy(Box::new(b.clone())),
            )
        }))
        .chain(actions.map(|(i, b)| (format!("scheduledActions[{i}]"), ScalingCall::PutAction(b.clone()))))
        .collect()
}

/// Checks a scenario given as text (`file` names it in errors; `dir` anchors
/// relative task-definition files).
pub fn scenario_from_str(text: &str, format: Format, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let parsed: ScenarioFile = load::parse_typed(text, format, file)?;
    let doc = load::parse_value(text, format, file)?;
    build(parsed, &doc, file, dir)
}

/// Checks a parsed scenario (`doc` is the same document as a JSON value).
pub fn build(mut f: ScenarioFile, doc: &serde_json::Value, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let mut r = Report::new(file);
    read_rate_files(&mut f, dir, &mut r);
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
    let clusters = build_clusters(f.clusters.as_deref(), &mut r);
    let groups = crate::scenario::trace::expand_node_groups(&f.instance_groups, dir, &mut r);
    let instance_groups = build_groups(&groups, start_unix_ms, &mut r);
    let asgs = build_asgs(&f.auto_scaling_groups, &mut r);
    let mut all_clusters = clusters.clone();
    let agent_later = agent_clusters(&instance_groups, &asgs, &mut all_clusters, &mut r);
    let mut known_clusters = all_clusters.clone();
    known_clusters.extend(agent_later.keys().cloned());
    let mut timeline: Vec<(usize, TimelineEntry)> = f.timeline.iter().cloned().enumerate().collect();
    timeline.sort_by_key(|(i, e)| (e.at, *i));
    let later: Vec<(
        String,
        crate::engine::SimTime,
        &crate::ecs::provider::CreateCapacityProvider,
    )> = timeline
        .iter()
        .filter_map(|(i, e)| match &e.request {
            ApiCall::CreateCapacityProvider(c) => Some((
                format!("timeline[{i}].request"),
                crate::engine::SimTime::ZERO + e.at.0,
                c,
            )),
            _ => None,
        })
        .collect();
    let asg_names: Vec<String> = asgs.iter().map(|a| a.name.clone()).collect();
    let mut capacity = build_capacity(
        &asg_names,
        &f.capacity_providers,
        &later,
        f.cluster_capacity_providers.as_ref(),
        &known_clusters,
        &f.subnets,
        &mut r,
    );
    let prices = build_prices(f.prices.as_ref(), &mut r);
    let registered_ids: Vec<String> = timeline
        .iter()
        .filter_map(|(_, e)| match &e.request {
            ApiCall::RegisterContainerInstance(b) => b.identity().ok().map(|d| d.instance_id),
            _ => None,
        })
        .collect();
    check_faults(&f.faults, &instance_groups, &asgs, &registered_ids, &mut r);
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
    let image_pull = build_image_pull(f.image_pull.as_ref(), &mut r);
    let agent_disconnect_timeout = f
        .agent_disconnect_timeout
        .map_or(DEFAULT_AGENT_DISCONNECT_TIMEOUT, |d| d.0);
    let task_stop_latency = f
        .task_stop_latency
        .clone()
        .unwrap_or(DistSpec::fixed(SimDuration::ZERO));
    if let Err(m) = task_stop_latency.validate() {
        r.error("taskStopLatency", m);
    }
    let traces = crate::scenario::trace::load_all(&f.workloads, dir, &mut r);
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
    task_definitions.extend(crate::scenario::trace::register_task_definitions(
        &f.workloads,
        &traces,
        &mut registry,
        &mut r,
    ));
    let mut world = World::new(&capacity, registry, &all_clusters, agent_later, start_unix_ms);
    let mut services = Vec::new();
    for (i, s) in f.services.iter().enumerate() {
        let path = format!("services[{i}]");
        let Some(rel) = &s.file else {
            world.create_service(s, &path, &mut r);
            services.push(s.clone());
            continue;
        };
        if doc["services"][i].as_object().is_some_and(|m| m.len() > 1) {
            r.error(
                format!("{path}.file"),
                "give either `file` or the service's members, not both",
            );
            continue;
        }
        let Some((fname, list)) = load_service_file(dir, rel, &path, &mut r) else {
            continue;
        };
        // What ECS would say of a service in the file names the file.
        let mut in_file = Report::new(&fname);
        for (p, s) in list {
            world.create_service(&s, &p, &mut in_file);
            services.push(s);
        }
        r.errors.extend(in_file.errors);
        r.warnings.extend(in_file.warnings);
    }
    for (i, s) in services.iter().enumerate() {
        if let Some(d) = &s.demand
            && let Err((member, m)) = d.check()
        {
            r.error(format!("services[{i}].demand.{member}"), m);
        }
    }
    let scaling = scaling_calls(&f);
    for (path, c) in &scaling {
        world.scaling_call(c, path, &mut r);
    }
    let trace_workloads = crate::scenario::workloads::check_workloads(&f.workloads, &traces, &mut world, &mut r);
    for (i, e) in &timeline {
        let path = format!("timeline[{i}]");
        world.at(crate::engine::SimTime::ZERO + e.at.0);
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
        world.call(&e.request, &format!("{path}.request"), &mut r);
    }
    let ever = world.ever_associated();
    drop(world);
    capacity.ever_associated.extend(ever);
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
        services,
        workloads: f.workloads,
        timeline: timeline.into_iter().map(|(_, e)| e).collect(),
        scaling: scaling.into_iter().map(|(_, c)| c).collect(),
        traces: trace_workloads,
        sweep: f.sweep,
        asgs,
        capacity,
        prices,
        faults: f.faults,
        provisioning_timeout,
        provisioning_limit: f.provisioning_task_limit.unwrap_or(500),
        fargate_start_latency,
        clusters,
        image_pull,
        agent_disconnect_timeout,
        task_stop_latency,
        settings: settings_of(doc),
        warnings,
    })
}

/// The scenario keys a replay needs to run a recorded run again: everything but the
/// calls, the infrastructure the calls re-register, and the sweep.
pub const SETTINGS_KEYS: &[&str] = &[
    "name",
    "seed",
    "duration",
    "sampleInterval",
    "startTime",
    "tieBreak",
    "taskStartLatency",
    "fargateStartLatency",
    "provisioningTimeout",
    "provisioningTaskLimit",
    "subnets",
    "prices",
    "imagePull",
    "agentDisconnectTimeout",
    "taskStopLatency",
];

fn settings_of(doc: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for k in SETTINGS_KEYS {
        if let Some(v) = doc.get(*k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    serde_json::Value::Object(out)
}

/// The clusters that exist at time 0: `[[clusters]]`, or one named `default`.
fn build_clusters(bodies: Option<&[crate::ecs::api::CreateCluster]>, r: &mut Report) -> Vec<String> {
    let Some(bodies) = bodies else {
        return vec![crate::ecs::api::DEFAULT_CLUSTER.to_string()];
    };
    let mut names = Vec::new();
    for (i, c) in bodies.iter().enumerate() {
        let name = c.name().to_string();
        if !crate::ecs::api::valid_cluster_name(&name) {
            r.error(
                format!("clusters[{i}].clusterName"),
                format!("`{name}` is not a valid cluster name: 1–255 letters, numbers, hyphens and underscores"),
            );
        } else if names.contains(&name) {
            r.error(
                format!("clusters[{i}].clusterName"),
                format!("cluster `{name}` is listed twice"),
            );
        } else {
            names.push(name);
        }
    }
    if names.is_empty() && bodies.is_empty() {
        r.error(
            "clusters",
            "list at least one cluster, or leave [[clusters]] out for `default`",
        );
    }
    names
}

/// Clusters the agents of instance groups and Auto Scaling groups create when their
/// instances register (ECS_CLUSTER naming a missing cluster, with ecs:CreateCluster):
/// those whose instances register at the start join `clusters` in the order the run
/// creates them; the others — only an Auto Scaling group scaling out creates them —
/// are returned with the group's path. A warning for instances whose role keeps them
/// out of the cluster.
fn agent_clusters(
    groups: &[GroupSpec],
    asgs: &[AsgSpec],
    clusters: &mut Vec<String>,
    r: &mut Report,
) -> std::collections::BTreeMap<String, String> {
    use crate::ecs::iam;
    let mut later = std::collections::BTreeMap::new();
    let templates = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (format!("instanceGroups[{i}]"), &g.template, g.count > 0))
        .chain(asgs.iter().enumerate().flat_map(|(i, a)| {
            a.templates
                .iter()
                .map(move |t| (format!("autoScalingGroups[{i}]"), t, a.desired_capacity > 0))
        }));
    for (path, t, at_start) in templates {
        let name = t.agent.cluster_name().to_string();
        if !iam::allows(&t.iam_actions, iam::REGISTER) {
            r.warn(
                format!("{path}.iamActions"),
                format!("the role lacks {}: its instances cannot register", iam::REGISTER),
            );
            continue;
        }
        if !iam::allows(&t.iam_actions, iam::POLL) {
            r.warn(
                format!("{path}.iamActions"),
                format!(
                    "the role lacks {}: its agents never connect, so the instances run no task",
                    iam::POLL
                ),
            );
        }
        if clusters.contains(&name) {
            continue;
        }
        if !iam::allows(&t.iam_actions, iam::CREATE_CLUSTER) {
            r.warn(
                format!("{path}.userData"),
                format!(
                    "ECS_CLUSTER={name} does not exist and the role lacks {}: its instances cannot register",
                    iam::CREATE_CLUSTER
                ),
            );
        } else if at_start {
            later.remove(&name);
            clusters.push(name);
        } else {
            later.entry(name).or_insert(path);
        }
    }
    later
}
