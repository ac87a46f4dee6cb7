//! What `validate` accepts, `run` runs: random scenarios — instance groups and Auto
//! Scaling groups naming clusters, capacity providers, services with constraints and
//! strategies, timeline calls, faults — either are refused when loaded, or run to the
//! end with the invariants holding. Also the regressions: each scenario that once
//! made a run panic, and every crash the fuzzer (fuzz/) ever found, kept here.

use crate::common::{assert_mentions, ecsim, group, memory_def, scenario};
use ecsim::scenario::load::Format;
use ecsim::scenario::scenario_from_str;
use ecsim::sim::journal::{Collect, SummaryOnly};
use ecsim::sim::{check_invariants, run};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::path::Path;

const TYPES: &[&str] = &["m5.large", "m5.xlarge", "c5.large", "t3.medium"];
const CLUSTERS: &[&str] = &["default", "other", "batch"];
const CHAINS: &[&str] = &[
    "[{ type = \"binpack\", field = \"memory\" }]",
    "[{ type = \"random\" }]",
    "[{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"binpack\", field = \"cpu\" }]",
    "[{ type = \"spread\", field = \"instanceId\" }]",
    "[{ type = \"bestFit\" }]",
    "[{ type = \"sampled\", percentage = 50 }]",
    "[]",
];
const EXPRESSIONS: &[&str] = &[
    "attribute:ecs.availability-zone != us-east-1c",
    "runningTasksCount < 6",
    "attribute:ecs.instance-type =~ m5.*",
    "agentVersion >= 1.70.0",
    "not(task:group == service:s0)",
];

fn pick<'a>(r: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[r.random_range(0..from.len())]
}

fn constraints(r: &mut ChaCha8Rng, most: usize) -> String {
    let n = r.random_range(0..=most);
    let items: Vec<String> = (0..n)
        .map(|_| {
            if r.random_bool(0.2) {
                "{ type = \"distinctInstance\" }".to_string()
            } else {
                format!("{{ type = \"memberOf\", expression = \"{}\" }}", pick(r, EXPRESSIONS))
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// A random scenario, mostly valid: the TOML text.
pub fn random_scenario(seed: u64) -> String {
    let r = &mut ChaCha8Rng::seed_from_u64(seed);
    let mut s = format!(
        "name = \"acc\"\nseed = {seed}\nduration = \"{}m\"\n",
        r.random_range(20..120)
    );
    if r.random_bool(0.3) {
        s += "tieBreak = \"lowestId\"\n";
    }
    if r.random_bool(0.3) {
        s += "taskStopLatency = { distribution = \"uniform\", min = \"0s\", max = \"30s\" }\n";
    }
    let clusters: &[&str] = if r.random_bool(0.5) {
        &CLUSTERS[..1]
    } else {
        &CLUSTERS[..2]
    };
    if clusters.len() > 1 {
        for c in clusters {
            s += &format!("[[clusters]]\nclusterName = \"{c}\"\n");
        }
    }
    for (id, az) in [("sa", "us-east-1a"), ("sb", "us-east-1b")] {
        s += &format!("[[subnets]]\nsubnetId = \"{id}\"\navailabilityZone = \"{az}\"\n");
    }
    let roles = [
        "",
        "iamActions = [\"ecs:Poll\", \"ecs:RegisterContainerInstance\"]\n",
        "iamActions = [\"ecs:RegisterContainerInstance\", \"ecs:CreateCluster\"]\n",
        "iamActions = [\"ecs:*\"]\n",
    ];
    for g in 0..r.random_range(0..3) {
        s += &format!(
            "[[instanceGroups]]\nname = \"g{g}\"\ninstanceType = \"{}\"\ncount = {}\navailabilityZones = [\"us-east-1a\", \"us-east-1b\"]\nuserData = \"ECS_CLUSTER={}\"\n{}",
            pick(r, TYPES),
            r.random_range(0..4),
            pick(r, CLUSTERS),
            roles[r.random_range(0..roles.len())]
        );
    }
    let mut providers = vec!["FARGATE".to_string(), "FARGATE_SPOT".to_string()];
    for a in 0..r.random_range(0..3) {
        let max = r.random_range(0..5);
        s += &format!(
            "[[autoScalingGroups]]\nname = \"asg{a}\"\ninstanceType = \"{}\"\nminSize = 0\nmaxSize = {max}\ndesiredCapacity = {}\navailabilityZones = [\"us-east-1a\", \"us-east-1b\"]\nspot = {}\nuserData = \"ECS_CLUSTER={}\"\n",
            pick(r, TYPES),
            r.random_range(0..=max.min(2)),
            r.random_bool(0.3),
            pick(r, CLUSTERS),
        );
        if r.random_bool(0.7) {
            let managed = r.random_bool(0.7);
            s += &format!(
                "[[capacityProviders]]\nname = \"cp{a}\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"asg{a}\", managedScaling = {{ status = \"{}\", targetCapacity = {}, maximumScalingStepSize = {} }}, managedTerminationProtection = \"{}\" }}\n",
                if managed { "ENABLED" } else { "DISABLED" },
                r.random_range(50..=100),
                r.random_range(1..4),
                if managed && r.random_bool(0.5) {
                    "ENABLED"
                } else {
                    "DISABLED"
                },
            );
            providers.push(format!("cp{a}"));
        }
    }
    let mut associated: Vec<String> = providers.iter().filter(|_| r.random_bool(0.6)).cloned().collect();
    if !associated.is_empty() && r.random_bool(0.7) {
        let asg_providers: Vec<&String> = associated.iter().filter(|p| p.starts_with("cp")).collect();
        let strategy = if !asg_providers.is_empty() && r.random_bool(0.5) {
            let a = asg_providers[r.random_range(0..asg_providers.len())];
            format!(
                "[{{ capacityProvider = \"{a}\", base = {}, weight = 1 }}]",
                r.random_range(0..3)
            )
        } else {
            "[]".into()
        };
        let names: Vec<String> = associated.iter().map(|p| format!("\"{p}\"")).collect();
        s += &format!(
            "[clusterCapacityProviders]\ncapacityProviders = [{}]\ndefaultCapacityProviderStrategy = {strategy}\n",
            names.join(", ")
        );
    } else {
        associated.clear();
    }
    let defs = r.random_range(1..4);
    let mut fargate = Vec::new();
    for d in 0..defs {
        let (text, f) = task_definition(r, d, 4);
        s += &text;
        fargate.push(f);
    }
    let services = r.random_range(0..4);
    for i in 0..services {
        s += &format!("[[services]]\n{}", service_body(r, i, &fargate, &associated));
    }
    for w in 0..r.random_range(0..3) {
        s += &format!(
            "[[workloads]]\nname = \"w{w}\"\nrunTask = {{ taskDefinition = \"d{}\", count = {}, cluster = \"{}\", launchType = \"EC2\" }}\narrival = {{ process = \"poisson\", ratePerMinute = {:.2} }}\ntaskDuration = \"{}m\"\n",
            r.random_range(0..defs),
            r.random_range(1..4),
            pick(r, clusters),
            r.random_range(0.1..4.0),
            r.random_range(1..30),
        );
        if r.random_bool(0.5) {
            s += "retry = { attempts = 2, backoff = \"30s\" }\n";
        }
    }
    for _ in 0..r.random_range(0..8) {
        s += &timeline_call(r, defs, services, &providers);
    }
    for _ in 0..r.random_range(0..3) {
        s += match r.random_range(0..4) {
            0 => "[[faults]]\nratePerHour = 1.0\ntype = \"instanceFailure\"\n",
            1 => {
                "[[faults]]\nat = \"15m\"\ntype = \"azOutage\"\navailabilityZone = \"us-east-1a\"\nduration = \"10m\"\n"
            }
            2 => "[[faults]]\nratePerHour = 1.0\ntype = \"agentDisconnect\"\nduration = \"5m\"\n",
            _ => "[[faults]]\nratePerHour = 2.0\ntype = \"spotInterruption\"\ncapacityProvider = \"FARGATE_SPOT\"\n",
        };
    }
    s
}

/// A task definition, and whether it runs on Fargate.
fn task_definition(r: &mut ChaCha8Rng, d: usize, most_constraints: usize) -> (String, bool) {
    let fargate = r.random_bool(0.25);
    let mut s = format!("[[taskDefinitions]]\nfamily = \"d{d}\"\n");
    if fargate {
        s += "networkMode = \"awsvpc\"\nrequiresCompatibilities = [\"FARGATE\", \"EC2\"]\ncpu = \"256\"\nmemory = \"512\"\n";
    } else {
        let c = constraints(r, most_constraints);
        s += &format!(
            "placementConstraints = {}\n",
            c.replace(
                "{ type = \"distinctInstance\" }",
                "{ type = \"memberOf\", expression = \"runningTasksCount < 9\" }"
            )
        );
    }
    if r.random_bool(0.1) {
        s += "startFailureProbability = 0.5\n";
    }
    s += &format!(
        "[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\ncpu = {}\nmemory = {}\n",
        if fargate { 128 } else { r.random_range(64..2048) },
        if fargate { 256 } else { r.random_range(64..4096) },
    );
    if !fargate && r.random_bool(0.2) {
        s += "portMappings = [{ containerPort = 80, hostPort = 8080 }]\n";
    }
    (s, fargate)
}

fn service_body(r: &mut ChaCha8Rng, i: usize, fargate: &[bool], associated: &[String]) -> String {
    let td = r.random_range(0..fargate.len());
    let cluster = if r.random_bool(0.9) { "default" } else { "other" };
    let mut s = format!("serviceName = \"s{i}\"\ntaskDefinition = \"d{td}\"\ncluster = \"{cluster}\"\n");
    let daemon = !fargate[td] && r.random_bool(0.15);
    if daemon {
        s += "schedulingStrategy = \"DAEMON\"\nlaunchType = \"EC2\"\n";
    } else {
        s += &format!("desiredCount = {}\n", r.random_range(0..7));
    }
    if fargate[td] {
        if r.random_bool(0.5) || associated.iter().all(|p| !p.starts_with("FARGATE")) {
            s += "launchType = \"FARGATE\"\n";
        } else {
            let p = associated.iter().find(|p| p.starts_with("FARGATE")).unwrap();
            s += &format!("capacityProviderStrategy = [{{ capacityProvider = \"{p}\", weight = 1 }}]\n");
        }
        s += "networkConfiguration = { awsvpcConfiguration = { subnets = [\"sa\", \"sb\"] } }\n";
    } else {
        if !daemon && r.random_bool(0.7) {
            s += &format!("placementStrategy = {}\n", pick(r, CHAINS));
        }
        if r.random_bool(0.5) {
            s += &format!("placementConstraints = {}\n", constraints(r, 6));
        }
        let asg: Vec<&String> = associated.iter().filter(|p| p.starts_with("cp")).collect();
        if !daemon && !asg.is_empty() && r.random_bool(0.5) {
            let p = asg[r.random_range(0..asg.len())];
            s += &format!("capacityProviderStrategy = [{{ capacityProvider = \"{p}\", weight = 1 }}]\n");
        } else if !daemon {
            s += "launchType = \"EC2\"\n";
        }
    }
    if r.random_bool(0.3) {
        s += &format!(
            "deploymentConfiguration = {{ minimumHealthyPercent = {}, maximumPercent = {}, deploymentCircuitBreaker = {{ enable = true, rollback = true }} }}\n",
            r.random_range(0..=100),
            if daemon { 100 } else { r.random_range(100..=200) }
        );
    }
    if r.random_bool(0.3) {
        s += &format!("taskDuration = \"{}m\"\n", r.random_range(1..20));
    }
    s
}

fn timeline_call(r: &mut ChaCha8Rng, defs: usize, services: usize, providers: &[String]) -> String {
    let at = format!("{}m", r.random_range(0..100));
    let service = format!("s{}", r.random_range(0..services.max(1)));
    let cluster = if r.random_bool(0.8) {
        "default"
    } else {
        pick(r, CLUSTERS)
    };
    let first = if services == 0 { 3 } else { 0 };
    let (api, request) = match r.random_range(first..10) {
        0 => (
            "UpdateService",
            format!("{{ service = \"{service}\", desiredCount = {} }}", r.random_range(0..8)),
        ),
        1 => {
            let td = r.random_range(0..defs);
            let c = constraints(r, 6);
            (
                "UpdateService",
                format!("{{ service = \"{service}\", taskDefinition = \"d{td}\", placementConstraints = {c} }}"),
            )
        }
        2 => (
            "UpdateService",
            format!("{{ service = \"{service}\", forceNewDeployment = true }}"),
        ),
        3 => {
            let p = &providers[r.random_range(0..providers.len())];
            (
                "PutClusterCapacityProviders",
                format!(
                    "{{ cluster = \"{cluster}\", capacityProviders = [\"{p}\"], defaultCapacityProviderStrategy = [] }}"
                ),
            )
        }
        4 => ("CreateCluster", format!("{{ clusterName = \"{cluster}\" }}")),
        5 => (
            "DeleteService",
            format!("{{ service = \"{service}\", force = {} }}", r.random_bool(0.5)),
        ),
        6 => {
            let family = r.random_range(0..defs + 1);
            let (td, _) = task_definition(r, family, 6);
            let body: Value = toml::from_str::<Value>(&td).unwrap()["taskDefinitions"][0].clone();
            ("RegisterTaskDefinition", json_to_inline_toml(&body))
        }
        7 => {
            let (td, count) = (r.random_range(0..defs), r.random_range(1..4));
            (
                "RunTask",
                format!(
                    "{{ taskDefinition = \"d{td}\", count = {count}, cluster = \"{cluster}\", launchType = \"EC2\" }}"
                ),
            )
        }
        8 => {
            let task = if r.random_bool(0.5) {
                ecsim::sim::task_id(ecsim::sim::ids::TaskIdx(r.random_range(0..20)))
            } else {
                format!("{:032x}", r.random::<u128>())
            };
            ("StopTask", format!("{{ task = \"{task}\" }}"))
        }
        _ => (
            "UpdateContainerInstancesState",
            format!(
                "{{ containerInstances = [\"g0-1\"], status = \"{}\" }}",
                if r.random_bool(0.5) { "DRAINING" } else { "ACTIVE" }
            ),
        ),
    };
    format!("[[timeline]]\nat = \"{at}\"\napi = \"{api}\"\nrequest = {request}\n")
}

/// A JSON value as an inline TOML value.
fn json_to_inline_toml(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k} = {}", json_to_inline_toml(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(json_to_inline_toml).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// Loads `text`; when it is accepted, runs it with every record and again keeping
/// only the summary, and checks the invariants of both and that their summaries agree.
/// Returns whether it was accepted.
pub fn accepted_runs(text: &str) -> Result<bool, String> {
    let Ok(sc) = scenario_from_str(text, Format::Toml, "random.toml", Path::new(".")) else {
        return Ok(false);
    };
    let (outcome, lean) = std::panic::catch_unwind(|| {
        let mut rec = Collect::default();
        (run(&sc, sc.seed, &mut rec), run(&sc, sc.seed, &mut SummaryOnly))
    })
    .map_err(|_| format!("the run panicked on a scenario validate accepts:\n{text}"))?;
    check_invariants(&outcome).map_err(|e| format!("{e}\n{text}"))?;
    check_invariants(&lean).map_err(|e| format!("summary only: {e}\n{text}"))?;
    if lean.summary != outcome.summary {
        return Err(format!(
            "the summary differs when finished tasks are not kept:\n{:?}\n{:?}\n{text}",
            outcome.summary, lean.summary
        ));
    }
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn whatever_validate_accepts_runs_to_the_end(seed in any::<u64>()) {
        let text = random_scenario(seed);
        let r = accepted_runs(&text);
        prop_assert!(r.is_ok(), "seed {}: {}", seed, r.unwrap_err());
    }
}

#[test]
fn the_random_scenarios_are_mostly_accepted() {
    // Guards the property above: it must run scenarios, not only refuse them.
    let accepted = (0..60u64)
        .filter(|&seed| accepted_runs(&random_scenario(seed)).unwrap())
        .count();
    assert!(accepted >= 30, "only {accepted} of 60 random scenarios were accepted");
}

const ASG_CLUSTER_LATER: &str = r#"name = "later"
duration = "30m"
[[autoScalingGroups]]
name = "asg"
instanceType = "m5.large"
minSize = 0
maxSize = 2
desiredCapacity = 0
userData = "ECS_CLUSTER=other"
iamActions = ["ecs:*"]
[[capacityProviders]]
name = "cp"
autoScalingGroupProvider = { autoScalingGroupArn = "asg", managedScaling = { status = "ENABLED" } }
[[timeline]]
at = "1m"
api = "PutClusterCapacityProviders"
request = { cluster = "other", capacityProviders = ["cp"], defaultCapacityProviderStrategy = [] }
"#;

#[test]
fn a_call_on_a_cluster_only_an_auto_scaling_group_creates_is_an_error_record_not_a_panic() {
    // The group never launches, so its agents never create `other`: ECS answers the
    // call with ClusterNotFoundException and the run goes on.
    let sc = scenario(&ASG_CLUSTER_LATER.replace("iamActions = [\"ecs:*\"]", ""));
    assert!(
        sc.warnings
            .iter()
            .any(|w| w.message.contains("exists only once an instance")),
        "{:?}",
        sc.warnings
    );
    let mut rec = Collect::default();
    let o = run(&sc, 1, &mut rec);
    check_invariants(&o).unwrap();
    let call = rec
        .events
        .iter()
        .find(|e| e["eventName"] == "PutClusterCapacityProviders")
        .unwrap();
    assert_eq!(call["errorCode"], "ClusterNotFoundException");
}

/// `n` memberOf constraints, `runningTasksCount < from`, `< from - 1`, ….
fn member_of(n: u32, from: u32) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{ type = \"memberOf\", expression = \"runningTasksCount < {}\" }}",
                from - i
            )
        })
        .collect();
    format!("placementConstraints = [{}]", items.join(", "))
}

/// A service with six constraints, updated to a task definition that carries five.
fn too_many_constraints() -> String {
    format!(
        "name = \"limits\"\nduration = \"30m\"\n{}{}{}[[services]]\nserviceName = \"s\"\ntaskDefinition = \"web\"\ndesiredCount = 2\n{}\n\
         [[timeline]]\nat = \"5m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s\", taskDefinition = \"strict\" }}\n",
        group("g", "m5.large", 2),
        memory_def("web", 64, ""),
        memory_def("strict", 64, &member_of(5, 9)),
        member_of(6, 19)
    )
}

#[test]
fn an_update_whose_new_task_definition_brings_the_constraints_past_ten_is_refused() {
    // Six on the service and five on the new task definition: ECS counts them together.
    let e = refused_alike(&too_many_constraints());
    assert_mentions(
        &e,
        &[
            "timeline[0].request.placementConstraints",
            "11 placement constraints: a task can have a maximum of 10",
        ],
    );
}

/// Asserts `validate` and `run` both refuse scenario `text` with exit 1 and the same
/// message, `run` leaving no output behind; returns the message.
fn refused_alike(text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("s.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("o");
    let validate = ecsim(&["validate", file.to_str().unwrap()]);
    let run = ecsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let (ve, re) = (
        String::from_utf8_lossy(&validate.stderr).to_string(),
        String::from_utf8_lossy(&run.stderr).to_string(),
    );
    assert_eq!(validate.status.code(), Some(1), "{ve}");
    assert_eq!(run.status.code(), Some(1), "{re}");
    assert_eq!(ve, re, "validate and run refuse with the same message");
    assert!(!out.exists(), "run left output behind");
    ve
}

#[test]
fn what_validate_refuses_run_refuses_with_the_same_message() {
    let refused: Vec<String> = (0..60u64)
        .map(random_scenario)
        .filter(|t| !accepted_runs(t).unwrap())
        .take(6)
        .collect();
    assert!(
        refused.len() >= 3,
        "the generator should make some invalid scenarios too"
    );
    for text in refused {
        refused_alike(&text);
    }
}

#[test]
fn a_daemon_whose_constraint_excludes_its_own_group_places_once_and_stops_trying() {
    // Random seed 264 found a loop: the daemon's own task made `not(task:group == service:d)` false,
    // so the instance looked unserved and the scheduler tried it again, forever.
    let toml = format!(
        "{}{}{}{}",
        crate::common::HEADER,
        crate::common::instance("i-1", "us-east-1a", 2048, 4096, ""),
        crate::common::task_def("web", 128, 128),
        "[[services]]\nserviceName = \"d\"\ntaskDefinition = \"web\"\nschedulingStrategy = \"DAEMON\"\n\
         placementConstraints = [{ type = \"memberOf\", expression = \"not(task:group == service:d)\" }]\n"
    );
    let (o, _) = crate::common::run_toml(&toml);
    assert_eq!(o.tasks.len(), 1, "one daemon task on the one instance, placed once");
}
