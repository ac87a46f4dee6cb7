//! Invariants over randomized runs: no instance is ever over-committed (the cluster
//! asserts it at every allocation, and the end state is checked), and every task
//! that arrived is accounted for exactly once.

use crate::common::scenario;
use ecsim::sim::ids::WorkloadId;
use ecsim::sim::journal::Collect;
use ecsim::sim::task::{Origin, TaskStatus};
use ecsim::sim::{check_invariants, run};
use proptest::prelude::*;
use std::collections::BTreeSet;

const TYPES: &[&str] = &[
    "m5.large",
    "m5.xlarge",
    "c5.large",
    "r5.large",
    "t3.medium",
    "m7g.xlarge",
];
const CHAINS: &[&str] = &[
    "[{ type = \"binpack\", field = \"memory\" }]",
    "[{ type = \"binpack\", field = \"cpu\" }]",
    "[{ type = \"random\" }]",
    "[{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"binpack\", field = \"memory\" }]",
    "[{ type = \"spread\", field = \"attribute:ecs.availability-zone\" }, { type = \"spread\", field = \"instanceId\" }]",
    "[{ type = \"spread\", field = \"instanceId\" }, { type = \"binpack\", field = \"cpu\" }]",
    "[{ type = \"binpack\", field = \"memory\" }, { type = \"spread\", field = \"attribute:ecs.availability-zone\" }]",
];
const CONSTRAINTS: &[&str] = &[
    "[]",
    "[{ type = \"distinctInstance\" }]",
    "[{ type = \"memberOf\", expression = \"attribute:ecs.availability-zone != us-east-1c\" }]",
    "[{ type = \"memberOf\", expression = \"runningTasksCount < 6\" }]",
];

#[derive(Debug, Clone)]
struct Params {
    seed: u64,
    groups: Vec<(usize, u32, usize)>,
    defs: Vec<(u32, u32, bool)>,
    services: Vec<(usize, u32, usize, bool)>,
    workloads: Vec<(usize, f64, usize, usize, u32, bool)>,
    updates: Vec<(u64, usize, u32)>,
    /// Stop latency, random faults, a deployment of every service, a drain.
    chaos: (bool, bool, bool, bool),
}

fn params() -> impl Strategy<Value = Params> {
    (
        any::<u64>(),
        prop::collection::vec((0..TYPES.len(), 1u32..12, 1usize..4), 1..4),
        prop::collection::vec((64u32..2500, 64u32..6000, any::<bool>()), 1..4),
        prop::collection::vec((0usize..3, 0u32..25, 0..CHAINS.len(), any::<bool>()), 0..3),
        prop::collection::vec(
            (
                0usize..3,
                0.2f64..8.0,
                0..CHAINS.len(),
                0..CONSTRAINTS.len(),
                1u32..4,
                any::<bool>(),
            ),
            1..4,
        ),
        prop::collection::vec((1u64..110, 0usize..3, 0u32..30), 0..4),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(|(seed, groups, defs, services, workloads, updates, chaos)| Params {
            seed,
            groups,
            defs,
            services,
            workloads,
            updates,
            chaos,
        })
}

fn toml(p: &Params) -> String {
    let mut s = format!("name = \"inv\"\nseed = {}\nduration = \"2h\"\n", p.seed);
    let (stopping, faults, deploy, drain) = p.chaos;
    if stopping {
        s += "taskStopLatency = { distribution = \"uniform\", min = \"0s\", max = \"40s\" }\n";
    }
    if faults {
        s += "[[faults]]\nratePerHour = 0.5\ntype = \"instanceFailure\"\n";
        s += "[[faults]]\nratePerHour = 0.5\ntype = \"agentDisconnect\"\nduration = \"20m\"\n";
        s += "[[faults]]\nat = \"50m\"\ntype = \"azOutage\"\navailabilityZone = \"us-east-1a\"\nduration = \"15m\"\n";
    }
    if drain {
        s += "[[timeline]]\nat = \"30m\"\napi = \"UpdateContainerInstancesState\"\nrequest = { containerInstances = [\"g0-1\"], status = \"DRAINING\" }\n";
        s += "[[timeline]]\nat = \"70m\"\napi = \"UpdateContainerInstancesState\"\nrequest = { containerInstances = [\"g0-1\"], status = \"ACTIVE\" }\n";
    }
    for i in 0..p.services.len() {
        if deploy {
            // A deployment, and its service halved while the new tasks may still wait.
            s += &format!(
                "[[timeline]]\nat = \"40m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s{i}\", forceNewDeployment = true }}\n[[timeline]]\nat = \"40m30s\"\napi = \"UpdateService\"\nrequest = {{ service = \"s{i}\", desiredCount = {} }}\n",
                p.services[i].1 / 2
            );
        }
    }
    for (i, (t, count, azs)) in p.groups.iter().enumerate() {
        let zones: Vec<String> = ["us-east-1a", "us-east-1b", "us-east-1c"][..*azs]
            .iter()
            .map(|z| format!("\"{z}\""))
            .collect();
        s += &format!(
            "[[instanceGroups]]\nname = \"g{i}\"\ninstanceType = \"{}\"\ncount = {count}\navailabilityZones = [{}]\n",
            TYPES[*t],
            zones.join(", ")
        );
    }
    for (i, (cpu, mem, port)) in p.defs.iter().enumerate() {
        let ports = if *port {
            "portMappings = [{ containerPort = 80, hostPort = 8080 }, { containerPort = 81 }]\n"
        } else {
            ""
        };
        s += &format!(
            "[[taskDefinitions]]\nfamily = \"d{i}\"\n[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\ncpu = {cpu}\nmemory = {mem}\n{ports}"
        );
    }
    let nd = p.defs.len();
    for (i, (d, desired, chain, exits)) in p.services.iter().enumerate() {
        let dur = if *exits {
            "taskDuration = { distribution = \"exponential\", mean = \"10m\" }\n"
        } else {
            ""
        };
        s += &format!(
            "[[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"d{}\"\ndesiredCount = {desired}\nplacementStrategy = {}\n{dur}",
            d % nd,
            CHAINS[*chain]
        );
    }
    for (i, (d, rate, chain, cons, count, retry)) in p.workloads.iter().enumerate() {
        let retry = if *retry {
            "retry = { attempts = 2, backoff = \"45s\" }\n"
        } else {
            ""
        };
        s += &format!(
            "[[workloads]]\nname = \"w{i}\"\nrunTask = {{ taskDefinition = \"d{}\", count = {count}, placementStrategy = {}, placementConstraints = {} }}\narrival = {{ process = \"poisson\", ratePerMinute = {rate} }}\ntaskDuration = {{ distribution = \"lognormal\", median = \"4m\", sigma = 0.8 }}\n{retry}",
            d % nd,
            CHAINS[*chain],
            CONSTRAINTS[*cons]
        );
    }
    for (at, svc, desired) in &p.updates {
        if p.services.is_empty() {
            break;
        }
        s += &format!(
            "[[timeline]]\nat = \"{at}m\"\napi = \"UpdateService\"\nrequest = {{ service = \"s{}\", desiredCount = {desired} }}\n",
            svc % p.services.len()
        );
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn every_task_is_accounted_for_and_no_instance_is_overcommitted(p in params()) {
        let sc = scenario(&toml(&p));
        let mut rec = Collect::default();
        let o = run(&sc, sc.seed, &mut rec);
        check_invariants(&o).map_err(TestCaseError::fail)?;
        for s in &o.timeseries {
            prop_assert!(s.reserved_pct.0 <= 100.0 && s.reserved_pct.1 <= 100.0);
            // Stranded capacity is free capacity.
            prop_assert!(s.stranded_pct.0 <= 100.0 - s.reserved_pct.0 + 1e-9);
            prop_assert!(s.stranded_pct.1 <= 100.0 - s.reserved_pct.1 + 1e-9);
                        // A perfect packer needs no more instances than are ACTIVE (when no task
            // runs on a DRAINING or failed instance).
            if !p.chaos.1 && !p.chaos.3 {
                prop_assert!(s.instances_lower_bound <= s.instances);
            }

        }
        // One row per arrived task; created tasks have unique ids.
        let rows = ecsim::output::task_rows(&o, &sc);
        prop_assert_eq!(rows.len() as u64, o.summary.tasks_arrived);
        let ids: Vec<&str> = rows.iter().filter_map(|r| r.task_id.as_ref()).map(|i| i.as_str()).collect();
        prop_assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
        prop_assert_eq!(ids.len() as u64, o.summary.tasks_placed);
        // Every task the events saw created is a row, and the other way round.
        let created: BTreeSet<String> = rec.events.iter()
            .filter(|e| e["detail-type"] == "ECS Task State Change" && e["detail"]["lastStatus"] == "PENDING")
            .map(|e| e["resources"][0].as_str().unwrap().rsplit('/').next().unwrap().to_string())
            .collect();
        prop_assert_eq!(created, ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        // Each first RunTask call's count becomes exactly that many rows.
        for (w, _) in p.workloads.iter().enumerate() {
            let asked: u64 = rec.events.iter()
                .filter(|e| e["eventName"] == "RunTask" && e["userAgent"] == format!("workload:w{w}") && e["ecsimClient"]["attempt"] == 0)
                .map(|e| e["requestParameters"]["count"].as_u64().unwrap())
                .sum();
            let origin = Origin::Workload(WorkloadId(w as u32));
            let got = (o.tasks.iter().filter(|t| t.origin == origin).count()
                + o.requests.iter().filter(|r| r.origin == origin).count()) as u64;
            prop_assert_eq!(asked, got, "workload w{}", w);
        }
        // A service keeps its desired count wanted: the PRIMARY deployment's live tasks
        // (doomed ones aside) plus those still waiting — exactly, once nothing else is moving.
        for (i, svc) in o.services.iter().enumerate() {
            let origin = Origin::Service(ecsim::sim::ids::ServiceId(i as u32));
            let live = o.tasks.iter().enumerate()
                .filter(|(k, t)| t.origin == origin && !svc.doomed.contains_key(&ecsim::sim::task::TaskIdx(*k as u32)))
                .filter(|(_, t)| t.deployment == svc.primary)
                .filter(|(_, t)| matches!(t.status, TaskStatus::Provisioning | TaskStatus::Pending | TaskStatus::Running))
                .count();
            let waiting = o.requests.iter().filter(|r| r.origin == origin && r.reason.is_waiting()).count();

            prop_assert!((live + waiting) as u32 <= svc.desired, "service {}", svc.name);
            let settled = svc.totals().live == svc.primary().counts.live && svc.doomed.is_empty();
            if settled && svc.primary().rollout.as_str() != "FAILED" {
                prop_assert_eq!((live + waiting) as u32, svc.desired, "service {}", svc.name);
            }
        }
        // maximumPercent (default 200 %) at every event, through drains, faults,
        // deployments and desired-count changes.
        for (i, svc) in p.services.iter().enumerate() {
            if let Some(e) = crate::common::over_maximum(&rec, &format!("s{i}"), svc.1, 200) {
                return Err(TestCaseError::fail(e));
            }
        }
        prop_assert_eq!(
            o.summary.tasks_arrived,
            o.summary.tasks_placed + o.summary.tasks_waiting_at_end + o.summary.tasks_rejected
                + o.requests.iter().filter(|r| matches!(r.reason, ecsim::sim::task::Reason::NoLongerWanted | ecsim::sim::task::Reason::DeploymentFailed)).count() as u64
        );
    }
}
