//! Replay: a run's own events.jsonl reproduces its tasks.csv byte for byte; a
//! CloudTrail export runs as a timeline, with the calls ecsim does not model listed.

use crate::common::{assert_mentions, ecsim, ecsim_ok, group};

#[test]
fn replaying_a_runs_own_events_reproduces_its_tasks_csv_byte_for_byte() {
    for scenario in [
        "tests/data/replay-busy.toml",
        "scenarios/default.toml",
        "scenarios/fargate-mix.toml",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let out = ecsim(&["run", scenario, "--out", a.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let events = a.join("events.jsonl");
        let out = ecsim(&["replay", events.to_str().unwrap(), "--out", b.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (ta, tb) = (
            std::fs::read(a.join("tasks.csv")).unwrap(),
            std::fs::read(b.join("tasks.csv")).unwrap(),
        );
        assert!(ta.len() > 1000, "{scenario}: too small a run to prove anything");
        assert!(ta == tb, "{scenario}: the replay's tasks.csv differs");
    }
}

#[test]
fn the_busy_run_exercises_what_replay_must_reproduce() {
    // Guards the test above: the busy scenario really has exits, retries, failed
    // starts, drains, faults, Spot interruptions and rebalancing in it.
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok("run", "tests/data/replay-busy.toml", tmp.path(), &[]);
    let tasks = std::fs::read_to_string(tmp.path().join("tasks.csv")).unwrap();
    for needle in [
        "EssentialContainerExited",
        "TaskFailedToStart",
        "RunTask failure",
        "Container instance is draining",
        "Host EC2 (instance g-5) terminated",
        "agent disconnected past the timeout",
        "Your Spot Task was interrupted",
    ] {
        assert!(tasks.contains(needle), "no `{needle}` in the busy run");
    }
    // Graceful stops take a while: some task began stopping before it stopped.
    let graceful = tasks.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split(',').collect();
        f[12] != f[f.len() - 2] && !f[f.len() - 2].is_empty()
    });
    assert!(graceful, "no task passed through STOPPING");
    let events = std::fs::read_to_string(tmp.path().join("events.jsonl")).unwrap();
    assert!(events.contains("\"attempt\":1"), "no RunTask retry in the busy run");
    assert!(
        events.contains("ecsimIdempotentReplay"),
        "no repeated clientToken in the busy run"
    );
}

const CLOUDTRAIL: &str = r#"{"Records": [
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:00:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition",
  "requestParameters": {"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 512, "memory": 512}], "tags": []}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:00:05Z", "eventSource": "ecs.amazonaws.com", "eventName": "DescribeTaskDefinition",
  "requestParameters": {"taskDefinition": "web"}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:01:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "CreateService",
  "requestParameters": {"serviceName": "web", "taskDefinition": "web:1", "desiredCount": 4, "cluster": "default", "someNewMember": true}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:02:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "DescribeServices",
  "requestParameters": {"services": ["web"]}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:03:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "DescribeServices",
  "requestParameters": {"services": ["web"]}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:20:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "UpdateService",
  "requestParameters": {"service": "web", "desiredCount": 6}},
 {"eventVersion": "1.08", "eventTime": "2026-03-01T10:30:00Z", "eventSource": "ecs.amazonaws.com", "eventName": "RunTask",
  "requestParameters": {"taskDefinition": "web", "count": 2, "overrides": {}}}
]}"#;

/// The scenario a replay of the trail above runs on: three m5.large.
fn trail_base() -> String {
    format!("name = \"prod\"\nduration = \"1h\"\n{}", group("g", "m5.large", 3))
}

#[test]
fn a_cloudtrail_export_runs_as_a_timeline_and_lists_what_it_skips() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, base, out_dir) = (
        tmp.path().join("trail.json"),
        tmp.path().join("base.toml"),
        tmp.path().join("out"),
    );
    std::fs::write(&log, CLOUDTRAIL).unwrap();
    std::fs::write(&base, trail_base()).unwrap();
    let out = ecsim(&[
        "replay",
        log.to_str().unwrap(),
        "--scenario",
        base.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // One warning lists every unmodelled call with its count; none is dropped silently.
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("does not model")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("DescribeServices ×2") && lines[0].contains("DescribeTaskDefinition ×1"),
        "{stderr}"
    );
    assert_mentions(&stderr, &["someNewMember", "dropped"]);
    let tasks = std::fs::read_to_string(out_dir.join("tasks.csv")).unwrap();
    // 4 service tasks at 60 s, 2 more at 1200 s, and the RunTask's 2 at 1800 s.
    let created: Vec<&str> = tasks.lines().skip(1).map(|l| l.split(',').nth(10).unwrap()).collect();
    assert_eq!(created.iter().filter(|c| **c == "60.000").count(), 4);
    assert_eq!(created.iter().filter(|c| **c == "1200.000").count(), 2);
    assert_eq!(created.iter().filter(|c| **c == "1800.000").count(), 2);
}

#[test]
fn a_malformed_log_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("bad.jsonl");
    std::fs::write(&log, "{\"eventName\": \"RunTask\", \"simTime\": \"1.000\"}\nnot json\n").unwrap();
    let out = ecsim(&[
        "replay",
        log.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_mentions(&stderr, &["bad.jsonl:2:1", "not a JSON record"]);
    assert!(!tmp.path().join("o").exists());
    let out = ecsim(&["replay", tmp.path().join("missing.jsonl").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

/// Replays `log` on [`trail_base`] written beside it; returns the output folder's tasks.csv.
fn replay_on_base(tmp: &std::path::Path, log: &std::path::Path) -> String {
    let base = tmp.join("base.toml");
    std::fs::write(&base, trail_base()).unwrap();
    let out = tmp.join("out");
    ecsim_ok(
        "replay",
        log.to_str().unwrap(),
        &out,
        &["--scenario", base.to_str().unwrap()],
    );
    std::fs::read_to_string(out.join("tasks.csv")).unwrap()
}

#[test]
fn a_gzipped_trail_and_a_folder_of_trails_replay_like_the_plain_file() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("trail.json");
    std::fs::write(&plain, CLOUDTRAIL).unwrap();
    let expected = replay_on_base(tmp.path(), &plain);
    // Gzipped, as CloudTrail delivers it.
    let gz = tmp.path().join("trail.json.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(CLOUDTRAIL.as_bytes()).unwrap();
    enc.finish().unwrap();
    assert_eq!(replay_on_base(tmp.path(), &gz), expected);
    // A folder (an S3 prefix): the records split over two files, read in name order.
    let doc: serde_json::Value = serde_json::from_str(CLOUDTRAIL).unwrap();
    let records = doc["Records"].as_array().unwrap();
    let folder = tmp.path().join("AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/01");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, part) in [("a.json", &records[..3]), ("b.json", &records[3..])] {
        std::fs::write(folder.join(name), serde_json::json!({ "Records": part }).to_string()).unwrap();
    }
    assert_eq!(replay_on_base(tmp.path(), &tmp.path().join("AWSLogs")), expected);
}

#[test]
fn one_pretty_printed_cloudtrail_record_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record.json");
    let doc: serde_json::Value = serde_json::from_str(CLOUDTRAIL).unwrap();
    std::fs::write(&record, serde_json::to_string_pretty(&doc["Records"][0]).unwrap()).unwrap();
    let tasks = replay_on_base(tmp.path(), &record);
    assert_eq!(tasks.lines().count(), 1, "a RegisterTaskDefinition makes no task");
    // The one in the ECS Developer Guide, as it stands.
    if let Some(dir) = crate::common::shared("realworld/cloudtrail") {
        let out = tmp.path().join("devguide");
        let log = dir.join("awsdocs-ecs-devguide-createcluster-record.json");
        ecsim_ok("replay", log.to_str().unwrap(), &out, &[]);
    }
}

#[test]
fn a_log_in_no_known_form_says_which_forms_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("services.json");
    std::fs::write(&log, "{\"services\": []}").unwrap();
    let out = ecsim(&["replay", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_mentions(
        &String::from_utf8_lossy(&out.stderr),
        &["services.json", "JSON lines", "CloudTrail file", "gzipped", "folder"],
    );
}

#[test]
fn a_replay_reads_the_scenarios_files_beside_it_and_blames_the_scenario_for_its_own_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("plans");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("web.json"),
        r#"{"family": "api", "containerDefinitions": [{"name": "c", "image": "x", "memory": 64}]}"#,
    )
    .unwrap();
    let scenario = sub.join("base.toml");
    std::fs::write(
        &scenario,
        format!("{}[[taskDefinitions]]\nfile = \"web.json\"\n", trail_base()),
    )
    .unwrap();
    let log = tmp.path().join("trail.json");
    std::fs::write(&log, CLOUDTRAIL).unwrap();
    // Run from the repository root: web.json is found beside the scenario, not here.
    let out = tmp.path().join("out");
    ecsim_ok(
        "replay",
        log.to_str().unwrap(),
        &out,
        &["--scenario", scenario.to_str().unwrap()],
    );
    // A mistake in the scenario names the scenario, not the log.
    std::fs::write(&scenario, trail_base().replace("m5.large", "m5.huge")).unwrap();
    let bad = ecsim(&[
        "replay",
        log.to_str().unwrap(),
        "--scenario",
        scenario.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1));
    assert_mentions(&e, &["base.toml", "instanceGroups[0].instanceType"]);
    assert!(!e.contains("trail.json"), "{e}");
}
