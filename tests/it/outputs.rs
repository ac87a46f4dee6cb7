//! Outputs that explain themselves: tasks.csv alone shows what each task reserved, when
//! it was placed, and that no instance was ever over-committed.

use crate::common::ecsim_ok;
use std::collections::BTreeMap;

/// A CSV file as header → value maps, one per row.
fn rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn secs(v: &str) -> Option<f64> {
    v.parse().ok()
}

#[test]
fn tasks_csv_alone_shows_reservations_placement_times_and_no_over_commitment() {
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok("run", "scenarios/ec2-burst.toml", tmp.path(), &[]);
    let tasks = rows(&tmp.path().join("tasks.csv"));
    let instances = rows(&tmp.path().join("instances.csv"));
    // Tasks placed after waiting PROVISIONING: created first, placed later.
    let late = tasks
        .iter()
        .filter(|t| secs(&t["placedAt"]).is_some_and(|p| p > secs(&t["createdAt"]).unwrap()))
        .count();
    assert!(late > 10, "only {late} tasks were placed after they were created");
    // At every placement, the tasks holding the instance fit its registered resources.
    for inst in &instances {
        let id = &inst["containerInstanceId"];
        let (cpu, mem): (u32, u32) = (inst["cpu"].parse().unwrap(), inst["memory"].parse().unwrap());
        let on: Vec<_> = tasks.iter().filter(|t| &t["containerInstanceId"] == id).collect();
        for t in &on {
            let at = secs(&t["placedAt"]).unwrap();
            let holding = on
                .iter()
                .filter(|u| secs(&u["placedAt"]).unwrap() <= at && secs(&u["stoppedAt"]).is_none_or(|s| s > at));
            let (c, m) = holding.fold((0, 0), |(c, m), u| {
                (
                    c + u["cpu"].parse::<u32>().unwrap(),
                    m + u["memory"].parse::<u32>().unwrap(),
                )
            });
            assert!(
                c <= cpu && m <= mem,
                "{id} holds {c} CPU / {m} MiB at {at} s, has {cpu} / {mem}"
            );
        }
    }
}

#[test]
fn a_big_run_says_how_much_it_will_write_before_it_starts() {
    use crate::common::{HEADER, scenario, task_def, xlarge_group};
    use ecsim::output::{Outputs, size_warning};
    use ecsim::sim::journal::SummaryOnly;
    // 2 calls a minute × 3 tasks for an hour, one every 10 minutes for an hour (7 calls),
    // and a service of 4.
    let text = format!(
        "{HEADER}{}{}[[workloads]]\nname = \"p\"\nrunTask = {{ taskDefinition = \"w\", count = 3 }}\n\
         arrival = {{ process = \"poisson\", ratePerMinute = 2 }}\ntaskDuration = \"1m\"\n\
         [[workloads]]\nname = \"f\"\nrunTask = {{ taskDefinition = \"w\" }}\n\
         arrival = {{ process = \"fixed\", interval = \"10m\" }}\ntaskDuration = \"1m\"\n\
         [[services]]\nserviceName = \"s\"\ntaskDefinition = \"w\"\ndesiredCount = 4\n",
        xlarge_group(5),
        task_def("w", 256, 256)
    );
    let sc = scenario(&text);
    let o = ecsim::sim::run(&sc, sc.seed, &mut SummaryOnly);
    assert_eq!(sc.expected_task_requests(), 360.0 + 7.0 + 4.0);
    assert_eq!(sc.instances_at_most(), 5);
    let arrived = o.summary.tasks_arrived as f64;
    assert!(
        (arrived - 371.0).abs() < 60.0,
        "the estimate is near what arrives: {arrived}"
    );

    let all = Outputs::parse("summary,tasks,events,decisions").unwrap();
    let files = all.estimate(1e6, 1000);
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    assert_eq!(names, ["decisions.jsonl", "events.jsonl", "tasks.csv"], "largest first");
    let line = size_warning(&files, 1e9).expect("65 GB is worth a word");
    assert!(
        line.starts_with(
            "this run will write about 69.2 GB (decisions.jsonl ~65.0 GB, events.jsonl ~3.9 GB, tasks.csv ~260 MB)"
        ),
        "{line}"
    );
    assert_eq!(
        size_warning(&Outputs::parse("summary").unwrap().estimate(1e6, 1000), 1e9),
        None
    );
}

#[test]
fn compressed_outputs_hold_the_same_bytes_and_replay_reads_them() {
    use std::io::Read;
    let gunzip = |p: &std::path::Path| {
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let (plain, gz, back) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    ecsim_ok("run", "scenarios/default.toml", plain.path(), &[]);
    ecsim_ok(
        "run",
        "scenarios/default.toml",
        gz.path(),
        &["--compress", "--outputs", "summary,tasks,events,timeseries.gz"],
    );
    for (f, z) in [
        ("tasks.csv", "tasks.csv.gz"),
        ("events.jsonl", "events.jsonl.gz"),
        ("timeseries.csv", "timeseries.csv.gz"),
    ] {
        assert_eq!(
            gunzip(&gz.path().join(z)),
            std::fs::read_to_string(plain.path().join(f)).unwrap(),
            "{z}"
        );
        assert!(!gz.path().join(f).exists(), "{f} is written only gzipped");
    }
    let summary = std::fs::read(gz.path().join("summary.csv")).unwrap();
    assert_eq!(
        summary,
        std::fs::read(plain.path().join("summary.csv")).unwrap(),
        "the summary stays plain"
    );
    let log = gz.path().join("events.jsonl.gz");
    ecsim_ok("replay", log.to_str().unwrap(), back.path(), &[]);
    assert_eq!(
        std::fs::read(back.path().join("tasks.csv")).unwrap(),
        std::fs::read(plain.path().join("tasks.csv")).unwrap(),
        "a replay of the gzipped log gives the same tasks.csv"
    );
}

#[test]
fn streamed_tasks_csv_is_the_file_a_run_keeping_every_task_writes() {
    use ecsim::output::{task_rows, write_task_csv};
    use ecsim::sim::journal::Collect;
    // Tasks stop out of creation order, requests are refused or still wanted at the
    // end, and tasks still run at the end: the streamed rows must come out in order.
    for name in [
        "default",
        "ec2-burst",
        "mixed-cluster",
        "services-over-time",
        "fargate-mix",
    ] {
        let file = format!("scenarios/{name}.toml");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&file);
        let sc = ecsim::scenario::load_scenario(&path).unwrap();
        let kept = ecsim::sim::run(&sc, sc.seed, &mut Collect::default());
        let mut want = Vec::new();
        write_task_csv(&mut want, &task_rows(&kept, &sc)).unwrap();
        let (lean, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        ecsim_ok("run", &file, lean.path(), &["--outputs", "summary,tasks"]);
        ecsim_ok("run", &file, full.path(), &[]);
        let streamed = std::fs::read(lean.path().join("tasks.csv")).unwrap();
        assert!(kept.rows.len() > 10, "{name}: a run with rows to order");
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(want).unwrap(),
            "{name}"
        );
        assert_eq!(
            std::fs::read(lean.path().join("tasks.csv")).unwrap(),
            std::fs::read(full.path().join("tasks.csv")).unwrap(),
            "{name}: tasks.csv beside events.jsonl"
        );
        assert_eq!(
            std::fs::read(lean.path().join("summary.csv")).unwrap(),
            std::fs::read(full.path().join("summary.csv")).unwrap(),
            "{name}: the summary does not depend on the other outputs"
        );
    }
}

/// events.jsonl as the CLI writes it (records serialised directly) against the records a
/// `Collect` recorder gets as JSON values, line by line.
fn assert_events_match_their_values(path: &std::path::Path, name: &str) -> String {
    use ecsim::sim::journal::Collect;
    let sc = ecsim::scenario::load_scenario(path).unwrap();
    let mut rec = Collect::default();
    ecsim::sim::run(&sc, sc.seed, &mut rec);
    let want: String = rec.events.iter().map(|v| format!("{v}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    ecsim_ok("run", path.to_str().unwrap(), dir.path(), &["--outputs", "events"]);
    let got = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    assert!(
        want.matches("\"ECS Task State Change\"").count() > 2,
        "{name}: task events to compare"
    );
    for (n, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{name}, line {}", n + 1);
    }
    assert_eq!(got.len(), want.len(), "{name}");
    got
}

#[test]
fn records_serialised_directly_are_the_bytes_of_their_json_values() {
    use crate::common::{HEADER, group, task_def};
    // The CLI's recorder takes task state changes, instance state changes and calls
    // serialised; Collect values.
    let members = [
        "\"statusReason\"",
        "\"userData\"",
        "\"capacityProviderName\":null",
        "\"capacityProviderName\":\"",
        "\"stringSetValue\"",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for name in [
        "default",
        "fargate-mix",
        "services-over-time",
        "ec2-burst",
        "mixed-cluster",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
        let events = assert_events_match_their_values(&path, name);
        seen.extend(
            events
                .lines()
                .filter(|l| {
                    l.contains("\"ECS Container Instance State Change\"") || l.contains("\"RegisterContainerInstance\"")
                })
                .flat_map(|l| members.iter().filter(move |m| l.contains(*m)).copied()),
        );
    }
    // Instance records (serialised from typed structs) with every optional member.
    assert_eq!(seen.len(), members.len(), "only {seen:?} of {members:?} compared");
    // A refused call (errorCode, errorMessage, exception members) and an idempotent replay.
    let call = |at: &str, count: u32| {
        format!(
            "[[timeline]]\nat = \"{at}\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\", count = {count}, clientToken = \"tok-1\" }}\n"
        )
    };
    let text = format!(
        "{HEADER}{}{}{}{}{}",
        group("g", "m5.xlarge", 1),
        task_def("t", 100, 100),
        call("0s", 2),
        call("1m", 3),
        call("2m", 2),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.toml");
    std::fs::write(&path, text).unwrap();
    let events = assert_events_match_their_values(&path, "calls");
    for member in ["\"errorCode\":\"ConflictException\"", "\"ecsimIdempotentReplay\":true"] {
        assert!(events.contains(member), "no {member} in:\n{events}");
    }
}

/// A task state change leaves out the members the task has no value for yet, as ECS's
/// events do, and carries them once it has.
#[test]
fn task_state_changes_leave_out_members_without_a_value() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let events = assert_events_match_their_values(&path, "default");
    let details: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["detail-type"] == "ECS Task State Change")
        .map(|v| v["detail"].clone())
        .collect();
    let by_status = |s: &'static str| details.iter().filter(move |d| d["lastStatus"] == s);
    let (mut pending, mut stopped) = (0, 0);
    for d in by_status("PENDING") {
        pending += 1;
        for absent in ["startedAt", "stoppedAt", "stopCode", "stoppedReason", "stoppingAt"] {
            assert!(d.get(absent).is_none(), "PENDING event with {absent}: {d}");
        }
        assert!(d["createdAt"].is_string(), "{d}");
    }
    for d in by_status("STOPPED") {
        stopped += 1;
        for present in ["stoppedAt", "stopCode", "stoppedReason", "stoppingAt"] {
            assert!(d[present].is_string(), "STOPPED event without {present}: {d}");
        }
    }
    assert!(
        pending > 10 && stopped > 10,
        "{pending} PENDING, {stopped} STOPPED events"
    );
    for d in &details {
        assert!(
            d.as_object().unwrap().values().all(|v| !v.is_null()),
            "a null member: {d}"
        );
    }
}
