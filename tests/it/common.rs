//! Helpers: build scenarios from text, run them, look at the results.

use ecsim::scenario::load::Format;
use ecsim::scenario::{Scenario, scenario_from_str};
use ecsim::sim::journal::Collect;
use ecsim::sim::task::TaskStatus;
use ecsim::sim::{Outcome, check_invariants, run};
use std::path::{Path, PathBuf};

/// The environment variable CI sets so that tests of data outside the repository fail,
/// rather than skip, when the data is missing.
pub const REQUIRE_SHARED: &str = "ECSIM_REQUIRE_SHARED";

/// `../shared/<rel>` beside the clone, where CI keeps data the repository must not copy.
/// Missing, the test skips with a note on the terminal (not captured), unless
/// [`REQUIRE_SHARED`] is set, when it fails.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let found = shared_or_skip(rel, std::env::var_os(REQUIRE_SHARED).is_some());
    if found.is_none() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "note: skipped a test of ../shared/{rel}: it is not beside this clone (CI has it)"
        );
    }
    found
}

/// `../shared/<rel>` if it is there; None if not, unless `required`, when it panics.
pub fn shared_or_skip(rel: &str, required: bool) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel);
    if dir.exists() {
        return Some(dir);
    }
    assert!(!required, "../shared/{rel} is missing and {REQUIRE_SHARED} is set");
    None
}

/// Asserts `text` (an error, a log) mentions each of `needles`, showing it if not.
pub fn assert_mentions(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "expected `{n}` in:\n{text}");
    }
}

/// Runs the ecsim binary from the repository root with `args`.
pub fn ecsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Runs `ecsim <command> <input> --out <out> <extra…>` and asserts it succeeds.
pub fn ecsim_ok(command: &str, input: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![command, input, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = ecsim(&args);
    assert!(
        o.status.success(),
        "ecsim {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A scenario from TOML text (panics with the error on invalid input).
pub fn scenario(toml: &str) -> Scenario {
    scenario_from_str(toml, Format::Toml, "test.toml", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a TOML scenario with its own seed, keeping every record, and checks the invariants.
pub fn run_toml(toml: &str) -> (Outcome, Collect) {
    let sc = scenario(toml);
    let mut rec = Collect::default();
    let o = run(&sc, sc.seed, &mut rec);
    check_invariants(&o).unwrap();
    (o, rec)
}

/// EC2 ids of the created tasks, in creation order.
pub fn placements(o: &Outcome) -> Vec<String> {
    o.tasks
        .iter()
        .map(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
        .collect()
}

/// How many live (PENDING or RUNNING) tasks each EC2 id has, sorted by id.
pub fn live_per_instance(o: &Outcome) -> Vec<(String, usize)> {
    let mut m = std::collections::BTreeMap::new();
    for t in &o.tasks {
        if matches!(t.status, TaskStatus::Pending | TaskStatus::Running) {
            *m.entry(o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
                .or_insert(0) += 1;
        }
    }
    m.into_iter().collect()
}

/// One hand-built instance group: `(ec2 id, zone, cpu, memory)`, plus extra TOML lines.
pub fn instance(id: &str, az: &str, cpu: u32, memory: u32, extra: &str) -> String {
    format!(
        "[[instanceGroups]]\nname = \"{id}\"\ninstanceType = \"m5.xlarge\"\ncount = 1\nec2InstanceIds = [\"{id}\"]\navailabilityZones = [\"{az}\"]\ntotalResources = {{ cpu = {cpu}, memory = {memory} }}\n{extra}\n"
    )
}

/// Task definition `family` (with `extra`, TOML lines of its own) whose one container
/// has the TOML lines `container`.
pub fn def(family: &str, extra: &str, container: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("{extra}\n")
    };
    format!(
        "[[taskDefinitions]]\nfamily = \"{family}\"\n{extra}[[taskDefinitions.containerDefinitions]]\n{container}\n"
    )
}

/// A task definition with one container `c` (image `x`) of `cpu` units and `memory` MiB.
pub fn task_def(family: &str, cpu: u32, memory: u32) -> String {
    def(
        family,
        "",
        &format!("name = \"c\"\nimage = \"x\"\ncpu = {cpu}\nmemory = {memory}"),
    )
}

/// A task definition with one container `c` (image `x`) of `memory` MiB and no CPU
/// reservation, plus `extra` TOML lines of the task definition's own.
pub fn memory_def(family: &str, memory: u32, extra: &str) -> String {
    def(
        family,
        extra,
        &format!("name = \"c\"\nimage = \"x\"\nmemory = {memory}"),
    )
}

/// An awsvpc task definition sized for Fargate (`cpu` units, `memory` MiB at task
/// level) with one container `c` (image `x`).
pub fn fargate_def(family: &str, cpu: u32, memory: u32) -> String {
    def(
        family,
        &format!("networkMode = \"awsvpc\"\ncpu = \"{cpu}\"\nmemory = \"{memory}\""),
        "name = \"c\"\nimage = \"x\"",
    )
}

/// Instance group `name`: `count` instances of `instance_type`.
pub fn group(name: &str, instance_type: &str, count: u32) -> String {
    format!("[[instanceGroups]]\nname = \"{name}\"\ninstanceType = \"{instance_type}\"\ncount = {count}\n")
}

/// What loading a TOML scenario refuses: the error's text (empty when it loads).
pub fn refusal(toml: &str) -> String {
    scenario_from_str(toml, Format::Toml, "test.toml", Path::new("."))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// A scenario header: 1 hour, lowest-id tie-break, no start latency.
pub const HEADER: &str =
    "name = \"t\"\nseed = 1\nduration = \"1h\"\ntieBreak = \"lowestId\"\ntaskStartLatency = \"0s\"\n";

/// Instance group `g`: `count` m5.xlarge, round-robin over us-east-1a, 1b and 1c.
pub fn xlarge_group(count: u32) -> String {
    group("g", "m5.xlarge", count) + "availabilityZones = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]\n"
}

/// Task definition `family` (plus `extra` TOML lines of its own) with one container
/// `name` running `image`, `cpu` units and 1024 MiB.
pub fn web_def(family: &str, extra: &str, name: &str, image: &str, cpu: u32) -> String {
    def(
        family,
        extra,
        &format!("name = \"{name}\"\nimage = \"{image}\"\ncpu = {cpu}\nmemory = 1024"),
    )
}

/// The reasons of every RunTask call's failures, in order.
pub fn failure_reasons(rec: &Collect) -> Vec<String> {
    rec.events
        .iter()
        .filter(|e| e["eventName"] == "RunTask")
        .flat_map(|e| {
            e["responseElements"]["failures"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect()
}

/// The ECS service events named `name` (`SERVICE_DEPLOYMENT_BLOCKED`, …), in order.
pub fn service_events<'a>(rec: &'a Collect, name: &str) -> Vec<&'a serde_json::Value> {
    rec.events.iter().filter(|e| e["detail"]["eventName"] == name).collect()
}

/// The timeseries column `name` as (seconds, value).
pub fn column(o: &ecsim::sim::Outcome, name: &str) -> Vec<(u64, String)> {
    o.timeseries
        .iter()
        .map(|s| {
            let v = s
                .cells()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .unwrap_or_default();
            (s.time.millis() / 1000, v)
        })
        .collect()
}

/// The task state changes of service `name` in event order, each with the desiredCount
/// in force then (`desired` at creation, followed through UpdateService calls) and its
/// simulated time in seconds.
fn service_task_changes<'a>(
    rec: &'a Collect,
    name: &'a str,
    desired: u32,
) -> impl Iterator<Item = (u32, &'a serde_json::Value, f64)> + 'a {
    let group = format!("service:{name}");
    rec.events
        .iter()
        .scan(desired, move |desired, e| {
            if e["eventName"] == "UpdateService" && e["requestParameters"]["service"] == name {
                if let Some(d) = e["requestParameters"]["desiredCount"].as_u64() {
                    *desired = d as u32;
                }
                return Some(None);
            }
            if e["detail-type"] != "ECS Task State Change" || e["detail"]["group"] != group.as_str() {
                return Some(None);
            }
            let secs = e["simTime"].as_str().and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0);
            Some(Some((*desired, &e["detail"], secs)))
        })
        .flatten()
}

/// The first moment service `name` (created with `desired` tasks, `max_percent`
/// maximumPercent) started a task while its tasks neither STOPPING nor STOPPED were
/// already at ⌊desired × max_percent / 100⌋ for the desiredCount then in force; None
/// when it never did.
pub fn over_maximum(rec: &Collect, name: &str, desired: u32, max_percent: u32) -> Option<String> {
    let mut live: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (desired, d, now) in service_task_changes(rec, name, desired) {
        let arn = d["taskArn"].as_str().unwrap_or_default().to_string();
        match d["lastStatus"].as_str().unwrap_or_default() {
            "STOPPING" | "STOPPED" => {
                live.remove(&arn);
            }
            _ if !live.contains(&arn) => {
                if live.len() as u64 >= desired as u64 * max_percent as u64 / 100 {
                    return Some(format!(
                        "{name} started a task with {} live, desired {desired}, at {now} s",
                        live.len()
                    ));
                }
                live.insert(arn);
            }
            _ => {}
        }
    }
    None
}

/// The first moment the scheduler of service `name` (created with `desired` tasks,
/// `min_percent` minimumHealthyPercent) stopped a RUNNING task it was moving (off a
/// draining instance, or by zone rebalancing) while fewer other tasks were healthy (40 s
/// past RUNNING) than ⌈desired × min_percent / 100⌉ for the desiredCount in force; None
/// when it never did. (Scale-in to a lower desired count picks by placement rule, not
/// health, and is left out.)
pub fn under_minimum(rec: &Collect, name: &str, desired: u32, min_percent: u32) -> Option<String> {
    let mut live: std::collections::BTreeMap<String, Option<f64>> = std::collections::BTreeMap::new();
    for (desired, d, now) in service_task_changes(rec, name, desired) {
        let arn = d["taskArn"].as_str().unwrap_or_default().to_string();
        match d["lastStatus"].as_str().unwrap_or_default() {
            "RUNNING" => {
                live.entry(arn).or_insert(Some(now)).get_or_insert(now);
            }
            "STOPPING" | "STOPPED" => {
                let Some(running) = live.remove(&arn) else { continue };
                let reason = d["stoppedReason"].as_str().unwrap_or_default();
                let moved = reason.contains("draining") || reason.contains("rebalancing");
                if d["stopCode"] != "ServiceSchedulerInitiated" || !moved || running.is_none() {
                    continue;
                }
                let healthy = live.values().filter(|r| r.is_some_and(|r| now - r >= 40.0)).count() as u64;
                let min = (desired as u64 * min_percent as u64).div_ceil(100);
                if healthy < min {
                    return Some(format!(
                        "{name} stopped a task it was moving ({reason}) with {healthy} others healthy, minimum {min}, at {now} s"
                    ));
                }
            }
            _ => {
                live.entry(arn).or_insert(None);
            }
        }
    }
    None
}
