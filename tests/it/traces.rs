//! Real traces as workloads: Alibaba 2017 batch tasks, openb pods and nodes, Azure
//! 2017 VM arrivals — a few rows of each format here, the whole files when ../shared
//! is beside the clone.

use crate::common::{HEADER, assert_mentions, shared};
use ecsim::scenario::load::Format;
use ecsim::scenario::scenario_from_str;
use ecsim::sim::journal::Collect;
use std::path::Path;

fn load(toml: &str, dir: &Path) -> Result<ecsim::scenario::Scenario, String> {
    scenario_from_str(toml, Format::Toml, "t.toml", dir).map_err(|e| e.to_string())
}

/// A scenario of `hosts` big instances and one trace workload with `trace` members.
fn with_trace(hosts: u32, trace: &str, extra: &str) -> String {
    HEADER.replace("duration = \"1h\"", "duration = \"3h\"")
        + &format!(
            "[[instanceGroups]]\nname = \"m\"\ninstanceType = \"m5.16xlarge\"\ncount = {hosts}\ntotalResources = {{ cpu = 65536, memory = 131072 }}\n\n[[workloads]]\nname = \"batch\"\nrunTask = {{ placementStrategy = [{{ type = \"binpack\", field = \"memory\" }}] }}\ntrace = {{ {trace} }}\n{extra}"
        )
}

const ALIBABA: &str = "task_create_time, task_end_time, job_id, task_id,number_of_instances, status, cpus, mem\n\
100,160,1,1,25,Terminated,50,0.0069\n\
100,160,1,2,4,Waiting,,\n\
160,400,2,3,1,Terminated,200,0.069\n\
3000,0,3,4,2,Running,100,0.00345\n";

#[test]
fn alibaba_2017_rows_become_tasks_in_calls_of_ten() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("batch_task.csv"), ALIBABA).unwrap();
    let sc = load(
        &with_trace(2, "format = \"alibaba2017\", path = \"batch_task.csv\"", ""),
        tmp.path(),
    )
    .unwrap();
    let mut rec = Collect::default();
    let o = ecsim::sim::run(&sc, 1, &mut rec);
    ecsim::sim::check_invariants(&o).unwrap();
    // 25 + 1 + 2 tasks (the Waiting row has no request), times from the first arrival.
    assert_eq!(o.tasks.len(), 28);
    let counts: Vec<i64> = rec
        .events
        .iter()
        .filter(|e| e["eventName"] == "RunTask")
        .map(|e| e["requestParameters"]["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [10, 10, 5, 1, 2], "at most ten tasks a call");
    let cells = |i: usize| o.tasks[i].arrived_at.0;
    assert_eq!((cells(0), cells(25), cells(26)), (0, 60_000, 2_900_000));
    // Sizes: 50 → half a core; 0.0069 of a 0.69 machine of 131072 MiB → 1311 MiB.
    let td = o.registry.get(o.tasks[0].taskdef);
    assert_eq!((td.reservation.cpu, td.reservation.memory), (512, 1311));
    // Run times: end − create; a task still running at the trace's end (end 0) runs
    // until the trace ends (400 s, before its own start: at once).
    let ran = |i: usize| o.tasks[i].stopped_at.get().unwrap().0 - o.tasks[i].started_at.get().unwrap().0;
    assert_eq!((ran(0), ran(25)), (60_000, 240_000));
    // A window and a time scale: only the first two minutes, twice as slow.
    let sc = load(
        &with_trace(
            2,
            "format = \"alibaba2017\", path = \"batch_task.csv\", window = [\"0s\", \"2m\"], timeScale = 2.0",
            "",
        ),
        tmp.path(),
    )
    .unwrap();
    let o = ecsim::sim::run(&sc, 1, &mut Collect::default());
    assert_eq!(o.tasks.len(), 26);
    assert_eq!(o.tasks[25].arrived_at.0, 120_000);
}

#[test]
fn a_sample_keeps_a_seeded_share_of_the_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("b.csv"), "0,600,1,1,2000,Terminated,10,0.0001\n").unwrap();
    let sc = load(
        &with_trace(4, "format = \"alibaba2017\", path = \"b.csv\", sample = 0.25", ""),
        tmp.path(),
    )
    .unwrap();
    let n = |seed| ecsim::sim::run(&sc, seed, &mut Collect::default()).tasks.len();
    let (a, b) = (n(1), n(2));
    // Binomial(2000, 0.25): mean 500, sd 19.4 — within 5 sd; seeds differ, a seed repeats.
    for k in [a, b] {
        assert!((403..=597).contains(&k), "{k}");
    }
    assert_ne!(a, b);
    assert_eq!(a, n(1));
}

#[test]
fn azure_2017_arrivals_spread_batches_over_their_bin() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("arrivals.txt"), "1000 b,b,|,m,|\n1300 k,|\n").unwrap();
    std::fs::write(d.join("durations.txt"), "1000 U1,U1,|,C3,|\n1300 U0,|\n").unwrap();
    std::fs::write(d.join("v1.interval_map.txt"), "0 0\n300 1\n600 2\n900 3\n").unwrap();
    let sc = load(
        &with_trace(
            2,
            "format = \"azure2017\", path = \"arrivals.txt\", durations = \"durations.txt\"",
            "",
        ),
        d,
    )
    .unwrap();
    let o = ecsim::sim::run(&sc, 1, &mut Collect::default());
    let arrived: Vec<u64> = o.tasks.iter().map(|t| t.arrived_at.0 / 1000).collect();
    // Two batches in the first bin: at 0 and 150 s; the next bin's one batch at 300 s.
    assert_eq!(arrived, [0, 0, 150, 300]);
    let size = |i: usize| {
        let r = &o.registry.get(o.tasks[i].taskdef).reservation;
        (r.cpu, r.memory)
    };
    assert_eq!((size(0), size(2), size(3)), ((1024, 1792), (8192, 14336), (4096, 7168)));
    // U1 is the middle of bin 1 (300–600 s): 450 s; a censored VM runs to the end.
    let ran = |i: usize| {
        o.tasks[i]
            .stopped_at
            .get()
            .map(|s| s.0 - o.tasks[i].started_at.get().unwrap().0)
    };
    assert_eq!((ran(0), ran(2), ran(3)), (Some(450_000), None, Some(150_000)));
}

#[test]
fn openb_pods_need_their_gpus_and_models_on_the_node_list() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("nodes.csv"),
        "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,0,\nn1,96000,393216,8,G2\nn2,96000,393216,8,G2\nn3,104000,524288,2,T4\n",
    )
    .unwrap();
    std::fs::write(
        d.join("pods.csv"),
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
p0,4000,8192,0,0,,LS,Running,0,1000,0\n\
p1,8000,16384,2,1000,T4,LS,Running,10,1000,10\n\
p2,6000,12288,1,460,,LS,Running,20,1000,20\n\
p3,6000,12288,4,1000,G2|G3,LS,Running,30,1000,30\n",
    )
    .unwrap();
    let toml = HEADER.to_string()
        + "[[instanceGroups]]\nname = \"node\"\ninstanceType = \"p3.16xlarge\"\ntrace = { format = \"openbNodes\", path = \"nodes.csv\" }\n\n\
[[workloads]]\nname = \"pods\"\nrunTask = { placementStrategy = [{ type = \"binpack\", field = \"cpu\" }] }\n\
trace = { format = \"openb\", path = \"pods.csv\" }\n";
    let sc = load(&toml, d).unwrap();
    assert_eq!(
        sc.instance_groups
            .iter()
            .map(|g| (g.name.as_str(), g.count))
            .collect::<Vec<_>>(),
        [("node-0", 1), ("node-1", 2), ("node-2", 1)]
    );
    let o = ecsim::sim::run(&sc, 1, &mut Collect::default());
    ecsim::sim::check_invariants(&o).unwrap();
    let on = |i: usize| {
        o.cluster
            .instance(o.tasks[i].instance.unwrap())
            .spec
            .ec2_instance_id
            .clone()
    };
    // p1 needs T4 GPUs; p2 shares a GPU (one whole GPU in ECS); p3 4 × G2 or G3.
    assert_eq!(on(1), "node-2-1");
    assert!(on(3).starts_with("node-1-"), "{}", on(3));
    let gpus = |i: usize| o.registry.get(o.tasks[i].taskdef).reservation.gpus;
    assert_eq!((gpus(0), gpus(1), gpus(2), gpus(3)), (0, 2, 1, 4));
    assert_eq!(o.registry.get(o.tasks[0].taskdef).reservation.cpu, 4096);
}

#[test]
fn trace_mistakes_name_the_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("bad.csv"),
        "100,160,1,1,25,Terminated,50,0.0069\n100,lots,1,2,4,Terminated,50,0.1\n",
    )
    .unwrap();
    for (trace, extra, says) in [
        (
            "format = \"alibaba2017\", path = \"bad.csv\"",
            "",
            &["workloads[0].trace", "bad.csv:2:2", "`lots` is not a number"][..],
        ),
        (
            "format = \"google2019\", path = \"bad.csv\"",
            "",
            &["workloads[0].trace", "alibaba2017, openb or azure2017"][..],
        ),
        (
            "format = \"alibaba2017\", path = \"none.csv\"",
            "",
            &["none.csv", "cannot read"][..],
        ),
        (
            "format = \"alibaba2017\", path = \"bad.csv\", sample = 1.5",
            "",
            &["workloads[0].trace.sample"][..],
        ),
        (
            "format = \"azure2017\", path = \"bad.csv\"",
            "",
            &["needs `durations`"][..],
        ),
        (
            "format = \"alibaba2017\", path = \"bad.csv\"",
            "taskDuration = \"1m\"\n",
            &["workloads[0].taskDuration", "from the trace"][..],
        ),
    ] {
        assert_mentions(&load(&with_trace(1, trace, extra), d).unwrap_err(), says);
    }
    // Without a trace, the arrival and the run time are required.
    let plain = HEADER.to_string() + "[[workloads]]\nname = \"w\"\nrunTask = { taskDefinition = \"x\" }\n";
    assert_mentions(
        &load(&plain, d).unwrap_err(),
        &["workloads[0].arrival", "required", "workloads[0].taskDuration"],
    );
}

#[test]
fn the_published_traces_load_whole() {
    let Some(dir) = shared("traces") else { return };
    let toml = |trace: &str| with_trace(1, trace, "");
    let ali = load(
        &toml("format = \"alibaba2017\", path = \"alibaba-v2017/batch_task.csv\""),
        &dir,
    )
    .unwrap();
    let rows = &ali.traces[0].as_ref().unwrap().rows;
    // 80,553 rows, 9,017 of them without a request (Waiting, mostly): 11,059,704 task instances.
    assert_eq!(rows.len(), 80_553 - 9_017);
    assert_eq!(rows.iter().map(|r| r.count as u64).sum::<u64>(), 11_059_704);
    let pods = load(
        &toml("format = \"openb\", path = \"alibaba-gpu-v2023-openb/openb_pod_list_default.csv\""),
        &dir,
    )
    .unwrap();
    assert_eq!(pods.traces[0].as_ref().unwrap().rows.len(), 8_152);
    let azure = load(
        &toml("format = \"azure2017\", path = \"azure-v1-vm-arrivals/v1.test.txt\", durations = \"azure-v1-vm-arrivals/v1.test.c2591400.txt\""),
        &dir,
    )
    .unwrap();
    assert_eq!(azure.traces[0].as_ref().unwrap().rows.len(), 410_276);
    let nodes = HEADER.to_string()
        + "[[instanceGroups]]\nname = \"node\"\ninstanceType = \"p3.16xlarge\"\ntrace = { format = \"openbNodes\", path = \"alibaba-gpu-v2023-openb/openb_node_list_all_node.csv\" }\n";
    let sc = load(&nodes, &dir).unwrap();
    assert_eq!(sc.instance_groups.iter().map(|g| g.count).sum::<u32>(), 1_523);
}

/// A trace workload's RunTask records in events.jsonl (whose parameters are rendered once
/// per shape and count): each names the count and task definition of its own call, as
/// its response shows, through calls of ten, shapes that differ and client retries of
/// fewer tasks.
#[test]
fn each_runtask_record_carries_its_own_calls_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("batch_task.csv"), ALIBABA).unwrap();
    // One host of 4 vCPUs: the 25-task row does not fit at once, and its failures retry.
    let text = with_trace(
        1,
        "format = \"alibaba2017\", path = \"batch_task.csv\"",
        "retry = { attempts = 2, backoff = \"30s\" }\n",
    )
    .replace(
        "totalResources = { cpu = 65536, memory = 131072 }",
        "totalResources = { cpu = 4096, memory = 131072 }",
    );
    let path = tmp.path().join("t.toml");
    std::fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    crate::common::ecsim_ok("run", path.to_str().unwrap(), &out, &["--outputs", "events"]);
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let calls: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["eventName"] == "RunTask")
        .collect();
    let mut counts = std::collections::BTreeSet::new();
    let mut families = std::collections::BTreeSet::new();
    for c in &calls {
        let (req, resp) = (&c["requestParameters"], &c["responseElements"]);
        let count = req["count"].as_u64().unwrap() as usize;
        let answered = resp["tasks"].as_array().unwrap().len() + resp["failures"].as_array().unwrap().len();
        assert_eq!(count, answered, "a call's count is its own: {c}");
        let family = req["taskDefinition"].as_str().unwrap().to_string();
        for t in resp["tasks"].as_array().unwrap() {
            let arn = t["taskDefinitionArn"].as_str().unwrap();
            assert!(arn.contains(&format!("/{family}:")), "{family} asked, {arn} started");
        }
        assert_eq!(c["userAgent"], "workload:batch");
        counts.insert(count);
        families.insert(family);
    }
    assert!(
        counts.len() >= 4 && families.len() >= 2,
        "counts {counts:?}, families {families:?}"
    );
    assert!(
        calls.iter().any(|c| c["ecsimClient"]["attempt"] == 1),
        "a retry among the calls"
    );
}
