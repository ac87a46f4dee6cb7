//! Real traces as workloads (`[[workloads]] trace = { format, path, … }`): the Alibaba
//! 2017 batch_task table, the Alibaba GPU 2023 "openb" pod list, and Azure 2017 VM
//! arrivals (Huawei's flavour and duration files). Each becomes task shapes (one task
//! definition each) and rows: when, which shape, how many tasks, how long they run.
//! A malformed row is an error naming the file, line and column.

mod formats;

pub use formats::{OpenbNode, OpenbPod, openb_node_list, openb_pods};

use crate::engine::duration::Duration;
use crate::engine::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The `trace` member of a workload.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceSpec {
    /// `alibaba2017` (batch_task.csv), `openb` (an openb pod list) or `azure2017` (v1 arrivals).
    pub format: String,
    /// The file, relative to the scenario.
    pub path: String,
    /// Azure only: the duration file parallel to the arrivals (e.g. v1.test.c2591400.txt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durations: Option<String>,
    /// Azure only: the duration-bin map (default `v1.interval_map.txt` beside `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_map: Option<String>,
    /// Arrivals from … to …, measured from the trace's first arrival (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(Duration, Duration)>,
    /// Simulated seconds per trace second, for arrivals and run times (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<f64>,
    /// The share of the trace's tasks kept, each drawn from the run's seed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<f64>,
    /// Multiplies every task's CPU and memory (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_scale: Option<f64>,
    /// Alibaba 2017 only: the MiB of a machine whose normalised memory is 0.69 (default 131072).
    #[serde(default, rename = "machineMemoryMiB", skip_serializing_if = "Option::is_none")]
    pub machine_memory_mib: Option<u32>,
}

/// What one task of a shape reserves.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shape {
    /// CPU units.
    pub cpu: u32,
    /// Memory, MiB.
    pub memory: u32,
    /// Whole GPUs.
    pub gpus: u32,
    /// GPU models allowed (openb `gpu_spec`), as `gpu-model` attribute values; empty: any.
    pub gpu_models: Vec<String>,
}

/// One arrival of the trace: `count` tasks of `shape` at `at`, running `run_for` (None:
/// until the run ends).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Row {
    /// Arrival, simulated time.
    pub at: SimTime,
    /// Index into the shapes.
    pub shape: u32,
    /// Tasks.
    pub count: u32,
    /// Run time.
    pub run_for: Option<SimDuration>,
}

/// A trace read and scaled: its shapes and its rows in arrival order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    /// Distinct task shapes.
    pub shapes: Vec<Shape>,
    /// Arrivals, by time (stable).
    pub rows: Vec<Row>,
}

/// A problem in a trace file: (file, line, column, message).
pub type TraceError = (String, usize, usize, String);

/// Reads a workload's trace (paths relative to `dir`), windowed and scaled.
pub fn load(spec: &TraceSpec, dir: &Path) -> Result<Trace, TraceError> {
    let path = dir.join(&spec.path);
    let here = |m: String| (path.display().to_string(), 0, 0, m);
    let raws = match spec.format.as_str() {
        "alibaba2017" => formats::alibaba(&path, spec.machine_memory_mib.unwrap_or(131_072) as f64)?,
        "openb" => formats::openb(&path)?,
        "azure2017" => {
            let d = spec.durations.as_ref().ok_or_else(|| {
                here("azure2017 needs `durations`, the duration file parallel to the arrivals".into())
            })?;
            let map = spec.interval_map.as_ref().map_or_else(
                || path.parent().unwrap_or(Path::new(".")).join("v1.interval_map.txt"),
                |m| dir.join(m),
            );
            formats::azure(&path, &dir.join(d), &map)?
        }
        f => return Err(here(format!("format `{f}`: alibaba2017, openb or azure2017"))),
    };
    let scale = spec.time_scale.unwrap_or(1.0);
    let res = spec.resource_scale.unwrap_or(1.0);
    let first = raws.iter().map(|r| r.at).fold(f64::INFINITY, f64::min);
    let (from, to) = match &spec.window {
        Some((a, b)) => (
            first + a.0.millis() as f64 / 1000.0,
            first + b.0.millis() as f64 / 1000.0,
        ),
        None => (first, f64::INFINITY),
    };
    let mut shapes: Vec<Shape> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    let mut rows = Vec::new();
    for raw in raws {
        if raw.at < from || raw.at >= to || raw.count == 0 {
            continue;
        }
        let shape = Shape {
            cpu: ((raw.shape.cpu as f64 * res).round() as u32).max(1),
            // ECS's least container memory is 6 MiB.
            memory: ((raw.shape.memory as f64 * res).round() as u32).max(6),
            ..raw.shape
        };
        let k = *index.entry(shape.clone()).or_insert_with(|| {
            shapes.push(shape);
            shapes.len() as u32 - 1
        });
        let ms = |s: f64| (s * scale * 1000.0).round().max(0.0) as u64;
        rows.push(Row {
            at: SimTime(ms(raw.at - from)),
            shape: k,
            count: raw.count,
            run_for: raw.run_for.map(|s| SimDuration(ms(s).max(1))),
        });
    }
    rows.sort_by_key(|r| r.at);
    Ok(Trace { shapes, rows })
}

/// Checks a spec's numbers: what is wrong, by member.
pub fn check(spec: &TraceSpec) -> Result<(), (&'static str, String)> {
    if let Some(s) = spec.time_scale
        && !(s.is_finite() && s > 0.0)
    {
        return Err(("timeScale", format!("{s}: a number > 0")));
    }
    if let Some(s) = spec.resource_scale
        && !(s.is_finite() && s > 0.0)
    {
        return Err(("resourceScale", format!("{s}: a number > 0")));
    }
    if let Some(s) = spec.sample
        && !(s > 0.0 && s <= 1.0)
    {
        return Err(("sample", format!("{s}: a share above 0, at most 1")));
    }
    if let Some((a, b)) = &spec.window
        && b.0 <= a.0
    {
        return Err(("window", "the window's end must come after its start".into()));
    }
    Ok(())
}

/// A trace workload ready to run: its rows, and per shape the RunTask body its calls make.
#[derive(Clone, Debug)]
pub struct TraceWorkload {
    /// Arrivals, by time.
    pub rows: Vec<Row>,
    /// Per shape: the workload's `runTask` with the shape's task definition (and, for GPU
    /// models, a memberOf constraint on the `gpu-model` attribute).
    pub requests: Vec<crate::ecs::api::RunTask>,
    /// The share of tasks kept.
    pub sample: f64,
}

/// The family of shape `k` of workload `workload`.
pub fn family(workload: &str, k: usize) -> String {
    format!("{workload}-trace-{k}")
}

/// The task definition of shape `k` of workload `workload`: one container reserving
/// the shape's CPU, memory and GPUs.
pub fn task_definition(workload: &str, k: usize, s: &Shape) -> crate::ecs::task_definition::RegisterTaskDefinition {
    let mut container = serde_json::json!({
        "name": "task", "image": "trace", "essential": true, "cpu": s.cpu, "memory": s.memory
    });
    if s.gpus > 0 {
        container["resourceRequirements"] = serde_json::json!([{ "type": "GPU", "value": s.gpus.to_string() }]);
    }
    serde_json::from_value(serde_json::json!({
        "family": family(workload, k),
        "containerDefinitions": [container],
    }))
    .expect("a generated task definition is well formed")
}

/// The RunTask body for shape `k` of a workload whose body is `base`.
pub fn request(base: &crate::ecs::api::RunTask, workload: &str, k: usize, s: &Shape) -> crate::ecs::api::RunTask {
    let mut r = base.clone();
    r.task_definition = family(workload, k);
    if r.group.is_none() {
        r.group = Some(format!("workload:{workload}"));
    }
    if !s.gpu_models.is_empty() {
        r.placement_constraints
            .push(crate::ecs::strategy::PlacementConstraint::MemberOf {
                expression: format!("attribute:gpu-model in [{}]", s.gpu_models.join(", ")),
            });
    }
    r
}

/// Expands instance groups with a node list (`trace = { format = "openbNodes", path }`)
/// into one group per distinct node shape: `<name>-<k>`, its count, `totalResources`
/// (CPU units from millicores, memory, GPUs) and the attribute `gpu-model` (when the node
/// has GPUs). Other groups pass through.
pub fn expand_node_groups(
    groups: &[crate::scenario::schema::InstanceGroup],
    dir: &Path,
    r: &mut crate::error::Report,
) -> Vec<crate::scenario::schema::InstanceGroup> {
    use crate::scenario::schema::TotalResources;
    let mut out = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let Some(nt) = &g.trace else {
            if g.count.is_none() {
                r.error(
                    format!("instanceGroups[{i}].count"),
                    "required: how many instances (or a `trace`)",
                );
            }
            out.push(g.clone());
            continue;
        };
        let path = format!("instanceGroups[{i}].trace");
        if g.count.is_some() || g.total_resources.is_some() || g.ec2_instance_ids.is_some() {
            r.error(
                &path,
                "a node list gives the count, totalResources and ids: leave them out",
            );
            continue;
        }
        if nt.format != "openbNodes" {
            r.error(format!("{path}.format"), format!("`{}`: openbNodes", nt.format));
            continue;
        }
        match formats::openb_nodes(&dir.join(&nt.path)) {
            Err((file, line, col, m)) => {
                let at = if line > 0 { format!("{file}:{line}:{col}") } else { file };
                r.error(&path, format!("{at}: {m}"));
            }
            Ok(shapes) => {
                for (k, ((cpu, memory, gpus, model), count)) in shapes.into_iter().enumerate() {
                    let mut attributes = g.attributes.clone();
                    if !model.is_empty() {
                        attributes.insert("gpu-model".into(), model);
                    }
                    out.push(crate::scenario::schema::InstanceGroup {
                        name: format!("{}-{k}", g.name),
                        count: Some(count),
                        trace: None,
                        attributes,
                        total_resources: Some(TotalResources {
                            cpu,
                            memory,
                            gpus: Some(gpus),
                        }),
                        ..g.clone()
                    });
                }
            }
        }
    }
    out
}

/// Reads every workload's trace; a problem is an error at `workloads[i].trace`.
pub fn load_all(
    workloads: &[crate::scenario::schema::Workload],
    dir: &Path,
    r: &mut crate::error::Report,
) -> Vec<Option<Trace>> {
    workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let spec = w.trace.as_ref()?;
            let path = format!("workloads[{i}].trace");
            if let Err((member, m)) = check(spec) {
                r.error(format!("{path}.{member}"), m);
                return None;
            }
            match load(spec, dir) {
                Ok(t) => Some(t),
                Err((file, line, col, m)) => {
                    let at = if line > 0 { format!("{file}:{line}:{col}") } else { file };
                    r.error(&path, format!("{at}: {m}"));
                    None
                }
            }
        })
        .collect()
}

/// Registers each trace's task definitions (one per shape) in `registry`; returns
/// their bodies, which the run registers at time 0.
pub fn register_task_definitions(
    workloads: &[crate::scenario::schema::Workload],
    traces: &[Option<Trace>],
    registry: &mut crate::ecs::registry::TaskDefinitions,
    r: &mut crate::error::Report,
) -> Vec<crate::ecs::task_definition::RegisterTaskDefinition> {
    let mut bodies = Vec::new();
    for (i, (w, t)) in workloads.iter().zip(traces).enumerate() {
        for (k, shape) in t.iter().flat_map(|t| t.shapes.iter().enumerate()) {
            let body = task_definition(&w.name, k, shape);
            if registry.next_revision(&body.family) > 1 {
                r.error(
                    "taskDefinitions",
                    format!(
                        "family `{}` is a trace workload's own: rename the task definition",
                        body.family
                    ),
                );
                break;
            }
            if let Some(td) = crate::ecs::task_definition::register(&body, 1, &format!("workloads[{i}].trace"), r) {
                registry.add(td);
                bodies.push(body);
            }
        }
    }
    bodies
}
