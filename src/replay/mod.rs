//! Replay: a CloudTrail-style log (ecsim's own events.jsonl, or a real CloudTrail
//! export filtered to ECS) turned into a scenario whose timeline makes the log's
//! calls again, and the script of what the log records beyond its calls (exits,
//! Spot warnings, faults), which is passed to the run beside the scenario.

use crate::engine::SimTime;
use std::collections::BTreeMap;

/// A recorded RunTask's client: which attempt of which request it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The attempt (0: the first call).
    pub attempt: u32,
    /// When the request first arrived.
    pub arrived_at: SimTime,
    /// The request's id across its retries.
    pub request: String,
    /// Whether the client retried the failures of this attempt.
    pub retries: bool,
}

/// One scheduled item of a replay, in the log's order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A timeline call (index into the sorted timeline).
    Call(u32),
    /// An essential-container exit (index into the exits).
    Exit(u32),
    /// A Fargate Spot warning (index into the warnings).
    FargateSpot(u32),
    /// A fault (index into the scenario's faults).
    Fault(u32),
}

/// Items one engine event of the recorded run produced, replayed together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// When.
    pub at: SimTime,
    /// What, in the log's order.
    pub items: Vec<Item>,
}

/// What a log records beyond its calls, in the order the run must repeat it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// Essential-container exits: the task id.
    pub exits: Vec<String>,
    /// Fargate Spot warnings: the task id.
    pub fargate_spot: Vec<String>,
    /// Client facts of recorded RunTask calls, by timeline entry.
    pub clients: BTreeMap<u32, Client>,
    /// Every item in the log's order, grouped by the engine event that made it (a log
    /// without `ecsimEvent` stamps gives one batch per item).
    pub batches: Vec<Batch>,
}

impl Script {
    /// Adds an item made by engine event `event` (None: unknown) at `at`.
    fn push(&mut self, at: SimTime, event: Option<u64>, item: Item, last: &mut Option<u64>) {
        let same = event.is_some() && event == *last && self.batches.last().is_some_and(|b| b.at == at);
        *last = event;
        if same {
            self.batches.last_mut().expect("a batch").items.push(item);
        } else {
            self.batches.push(Batch { at, items: vec![item] });
        }
    }
}

pub mod log;

use crate::error::{Error, Problem, Report};
use crate::scenario::Scenario;
use crate::scenario::schema::ApiCall;
use log::{Entry, problem};
use serde_json::{Map, Value, json};

/// Calls that are a container agent's, not a client's: ecsim models the agent itself.
const AGENT_CALLS: &[&str] = &[
    "Poll",
    "DiscoverPollEndpoint",
    "StartTelemetrySession",
    "SubmitTaskStateChange",
];

/// A log read for replay: the scenario to run and the script the run repeats.
pub struct Replay {
    /// The scenario: settings, infrastructure, and the log's calls as its timeline.
    pub scenario: Scenario,
    /// What the log recorded beyond its calls.
    pub script: Script,
}

/// One record of the log with where it came from and when it happened.
struct Record {
    file: String,
    line: usize,
    time_ms: u64,
    value: Value,
}

/// The scenario a replay takes its settings and infrastructure from (`--scenario`).
pub struct Base {
    /// The scenario document, as JSON.
    pub doc: Value,
    /// Its file, as the user named it: problems in what it brings name it.
    pub file: String,
    /// Its folder: its `file =` references are read from there.
    pub dir: std::path::PathBuf,
}

fn unix_ms(iso: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(iso)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// When a record happened, ms after the log's start: its `simTime`, else its
/// `eventTime` (or EventBridge `time`) less the first record's.
fn times(rs: Vec<Entry>) -> Result<Vec<Record>, Error> {
    let first = rs.iter().find_map(|e| {
        e.value["eventTime"]
            .as_str()
            .or(e.value["time"].as_str())
            .and_then(unix_ms)
    });
    let mut out = Vec::new();
    for Entry { file, line, value: v } in rs {
        let time_ms = if let Some(s) = v["simTime"].as_str() {
            let secs: f64 = s
                .parse()
                .map_err(|_| problem(&file, line, format!("simTime `{s}` is not a number of seconds")))?;
            (secs * 1000.0).round() as u64
        } else {
            let t = v["eventTime"]
                .as_str()
                .or(v["time"].as_str())
                .and_then(unix_ms)
                .ok_or_else(|| problem(&file, line, "a record needs simTime, eventTime or time".into()))?;
            (t - first.unwrap_or(t)).max(0) as u64
        };
        out.push(Record {
            file,
            line,
            time_ms,
            value: v,
        });
    }
    out.sort_by_key(|r| r.time_ms);
    Ok(out)
}

fn secs(ms: u64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// Builds the scenario that replays the log `file` (its records, from [`log::read`]).
/// `base`, when given, is the scenario whose settings and infrastructure the replay
/// uses; its own calls and faults (services, workloads, timeline, faults) are left
/// out: the log's calls and recorded faults take their place, and when the log
/// registers instances its instance groups are left out too. Problems in the log's
/// calls name the log; problems in what the base brings name the base.
pub fn from_log(entries: Vec<Entry>, file: &str, base: Option<Base>) -> Result<Replay, Error> {
    let rs = times(entries)?;
    let (base_doc, base_file, dir) = match base {
        Some(b) => (Some(b.doc), Some(b.file), b.dir),
        None => (None, None, std::path::PathBuf::from(".")),
    };
    let mut doc = match base_doc {
        Some(Value::Object(mut m)) => {
            // The calls, which the log repeats; Application Auto Scaling's too: the
            // desired counts they set are the log's UpdateService calls.
            for k in [
                "services",
                "workloads",
                "timeline",
                "sweep",
                "faults",
                "scalableTargets",
                "scalingPolicies",
                "scheduledActions",
            ] {
                m.remove(k);
            }
            m
        }
        _ => Map::new(),
    };
    let run = rs.iter().find_map(|r| r.value.get("ecsimRun")).cloned();
    if let Some(settings) = run.as_ref().and_then(|r| r["settings"].as_object()) {
        for (k, v) in settings {
            doc.entry(k.clone()).or_insert(v.clone());
        }
    }
    if let Some(seed) = run.as_ref().and_then(|r| r["seed"].as_u64()) {
        doc.insert("seed".into(), json!(seed));
    }
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("replay")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect::<String>();
    doc.entry("name").or_insert(json!(stem));
    let last = rs.last().map_or(0, |r| r.time_ms);
    doc.entry("duration").or_insert(secs(last + 1000));

    let mut timeline: Vec<Value> = Vec::new();
    let mut faults: Vec<Value> = Vec::new();
    let mut script = Script::default();
    let mut clusters: Vec<String> = Vec::new();
    let mut skipped: BTreeMap<String, u32> = BTreeMap::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut last_event: Option<u64> = None;
    for r in &rs {
        let v = &r.value;
        let event = v["ecsimEvent"].as_u64();
        let at = SimTime(r.time_ms);
        if let Some(dt) = v["detail-type"].as_str() {
            let d = &v["detail"];
            let task = || {
                d["taskArn"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            match dt {
                "ECS Task State Change"
                    if d["lastStatus"] == "STOPPED" && d["stopCode"] == "EssentialContainerExited" =>
                {
                    script.push(at, event, Item::Exit(script.exits.len() as u32), &mut last_event);
                    script.exits.push(task());
                }
                "ECS Task State Change" if d["lastStatus"] == "RUNNING" && d["stopCode"] == "TerminationNotice" => {
                    let k = script.fargate_spot.len() as u32;
                    script.push(at, event, Item::FargateSpot(k), &mut last_event);
                    script.fargate_spot.push(task());
                }
                "EC2 Spot Instance Interruption Warning" => {
                    script.push(at, event, Item::Fault(faults.len() as u32), &mut last_event);
                    faults.push(
                        json!({"at": secs(r.time_ms), "type": "spotInterruption", "ec2InstanceId": d["instance-id"]}),
                    );
                }
                "ecsim Fault Injected" => {
                    let mut f = json!({"at": secs(r.time_ms), "type": d["type"]});
                    for k in ["ec2InstanceId", "availabilityZone", "duration"] {
                        if !d[k].is_null() {
                            f[k] = d[k].clone();
                        }
                    }
                    script.push(at, event, Item::Fault(faults.len() as u32), &mut last_event);
                    faults.push(f);
                }
                _ => {}
            }
            continue;
        }
        let Some(name) = v["eventName"].as_str() else { continue };
        if v["eventSource"].as_str().is_some_and(|s| s != "ecs.amazonaws.com") {
            *skipped
                .entry(format!("{name} ({})", v["eventSource"].as_str().unwrap_or("")))
                .or_default() += 1;
            continue;
        }
        let agent = v["userAgent"] == "ecs-agent";
        if AGENT_CALLS.contains(&name) || (name == "RegisterContainerInstance" && v.get("errorCode").is_some()) {
            continue;
        }
        let body = match &v["requestParameters"] {
            Value::Object(_) => v["requestParameters"].clone(),
            Value::Null => json!({}),
            other => {
                problems.push(Problem {
                    file: r.file.clone(),
                    path: format!("{name}.requestParameters"),
                    position: Some((r.line, 1)),
                    message: format!("expected an object, found {other}"),
                });
                continue;
            }
        };
        if name == "CreateCluster" && !agent && r.time_ms == 0 && timeline.iter().all(|e| e["api"] == "CreateCluster") {
            clusters.push(
                body["clusterName"]
                    .as_str()
                    .unwrap_or(crate::ecs::api::DEFAULT_CLUSTER)
                    .to_string(),
            );
            continue;
        }
        if name == "CreateCapacityProvider" {
            *skipped
                .entry("CreateCapacityProvider (its Auto Scaling group is not in the log)".into())
                .or_default() += 1;
            continue;
        }
        match ApiCall::parse(name, body.clone()) {
            None => {
                *skipped.entry(name.to_string()).or_default() += 1;
            }
            Some(Err(m)) => problems.push(Problem {
                file: r.file.clone(),
                path: format!("{name}.requestParameters"),
                position: Some((r.line, 1)),
                message: m,
            }),
            Some(Ok(_)) => {
                let index = timeline.len() as u32;
                if name == "RunTask"
                    && let Some(c) = v.get("ecsimClient")
                {
                    let arrived = c["arrivedAt"]
                        .as_str()
                        .and_then(|s| s.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    script.clients.insert(
                        index,
                        Client {
                            attempt: c["attempt"].as_u64().unwrap_or(0) as u32,
                            arrived_at: SimTime((arrived * 1000.0).round() as u64),
                            request: c["request"].as_str().unwrap_or("").to_string(),
                            retries: c["retries"].as_bool().unwrap_or(false),
                        },
                    );
                }
                script.push(at, event, Item::Call(index), &mut last_event);
                timeline.push(json!({"at": secs(r.time_ms), "api": name, "request": body}));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut base_clusters: Vec<Value> = doc
        .get("clusters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in clusters {
        if !base_clusters.iter().any(|b| b["clusterName"] == c.as_str()) {
            base_clusters.push(json!({"clusterName": c}));
        }
    }
    if !base_clusters.is_empty() {
        doc.insert("clusters".into(), Value::Array(base_clusters));
    }
    if timeline.iter().any(|e| e["api"] == "RegisterContainerInstance") {
        doc.remove("instanceGroups");
    }
    doc.insert("timeline".into(), Value::Array(timeline));
    if !faults.is_empty() {
        doc.insert("faults".into(), Value::Array(faults));
    }
    let mut doc = Value::Object(doc);
    let mut report = Report::new(file);
    drop_unknown_members(&mut doc, &mut report);
    let text = doc.to_string();
    let mut sc = crate::scenario::build::scenario_from_str(&text, crate::scenario::load::Format::Json, file, &dir)
        .map_err(|e| blame(e, file, base_file.as_deref()))?;
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
        report.warn(
            "",
            format!(
                "{} calls ecsim does not model were not replayed: {}",
                skipped.values().sum::<u32>(),
                list.join(", ")
            ),
        );
    }
    sc.warnings.extend(report.warnings);
    Ok(Replay { scenario: sc, script })
}

/// Names the right file in the problems of a replay's scenario: the log's calls and
/// faults are the log's; the rest (settings, instances, task definitions) came from
/// the base scenario, when there is one.
fn blame(e: Error, log: &str, base: Option<&str>) -> Error {
    match (e, base) {
        (Error::Invalid(ps), Some(base)) => Error::Invalid(
            ps.into_iter()
                .map(|mut p| {
                    let from_log = p.path.starts_with("timeline") || p.path.starts_with("faults");
                    if p.file == log && !from_log {
                        p.file = base.to_string();
                    }
                    p
                })
                .collect(),
        ),
        (e, _) => e,
    }
}

/// Removes request members ECS does not know from the log's calls (a real export may
/// carry fields ecsim's request shapes lack), with a warning for each.
fn drop_unknown_members(doc: &mut Value, report: &mut Report) {
    let mut check = Report::new("");
    crate::scenario::load::check_ecs_members(doc, &mut check);
    for p in check.errors {
        let mut parts: Vec<String> = Vec::new();
        for seg in p.path.split('.') {
            match seg.split_once('[') {
                Some((k, rest)) => {
                    parts.push(k.to_string());
                    parts.push(rest.trim_end_matches(']').to_string());
                }
                None => parts.push(seg.to_string()),
            }
        }
        let Some((last, parents)) = parts.split_last() else {
            continue;
        };
        let mut at = &mut *doc;
        for k in parents {
            at = match k.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[k.as_str()],
            };
        }
        if let Value::Object(m) = at
            && m.remove(last).is_some()
        {
            report.warn(p.path.clone(), "a member ecsim's request shapes do not know: dropped");
        }
    }
}
