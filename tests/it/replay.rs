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
