//! Helpers: build scenarios from text, run them, look at the results.

use ecsim::scenario::load::Format;
use ecsim::scenario::{Scenario, scenario_from_str};
use ecsim::sim::journal::Collect;
use ecsim::sim::task::TaskStatus;
use ecsim::sim::{Outcome, check_invariants, run};
use std::path::Path;

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

/// A task definition with one container of `cpu` units and `memory` MiB.
pub fn task_def(family: &str, cpu: u32, memory: u32) -> String {
    format!(
        "[[taskDefinitions]]\nfamily = \"{family}\"\n[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\ncpu = {cpu}\nmemory = {memory}\n"
    )
}

/// A scenario header: 1 hour, lowest-id tie-break, no start latency.
pub const HEADER: &str =
    "name = \"t\"\nseed = 1\nduration = \"1h\"\ntieBreak = \"lowestId\"\ntaskStartLatency = \"0s\"\n";

/// Instance group `g`: `count` m5.xlarge, round-robin over us-east-1a, 1b and 1c.
pub fn xlarge_group(count: u32) -> String {
    format!(
        "[[instanceGroups]]\nname = \"g\"\ninstanceType = \"m5.xlarge\"\ncount = {count}\navailabilityZones = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]\n"
    )
}

/// Task definition `family` (plus `extra` TOML lines of its own) with one container
/// `name` running `image`, `cpu` units and 1024 MiB.
pub fn web_def(family: &str, extra: &str, name: &str, image: &str, cpu: u32) -> String {
    format!(
        "[[taskDefinitions]]\nfamily = \"{family}\"\n{extra}\n[[taskDefinitions.containerDefinitions]]\nname = \"{name}\"\nimage = \"{image}\"\ncpu = {cpu}\nmemory = 1024\n"
    )
}
