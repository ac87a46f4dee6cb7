//! Every task can be explained: placed by the strategies, placed after waiting
//! PROVISIONING, placed by the daemon scheduler, or run on Fargate; `--task N` is the
//! N-th row of tasks.csv with a taskId.

use crate::common::{assert_mentions, ecsim, ecsim_ok};
use serde_json::Value;

/// The taskIds of tasks.csv that were placed (have a placedAt), in row order.
fn placed_ids(dir: &std::path::Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(dir.join("tasks.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let (id, placed) = (
        h.iter().position(|c| c == "taskId").unwrap(),
        h.iter().position(|c| c == "placedAt").unwrap(),
    );
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| !x[placed].is_empty())
        .map(|x| x[id].to_string())
        .collect()
}

#[test]
fn every_placed_task_has_its_decision_record() {
    for scenario in ["ec2-burst", "services-over-time", "fargate-mix", "mixed-cluster"] {
        let tmp = tempfile::tempdir().unwrap();
        ecsim_ok(
            "run",
            &format!("scenarios/{scenario}.toml"),
            tmp.path(),
            &["--decisions"],
        );
        let decisions = std::fs::read_to_string(tmp.path().join("decisions.jsonl")).unwrap();
        let placed: Vec<String> = decisions
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|d| d["outcome"] == "placed")
            .map(|d| d["taskId"].as_str().unwrap().to_string())
            .collect();
        let mut ids = placed_ids(tmp.path());
        let mut got = placed.clone();
        ids.sort();
        got.sort();
        assert_eq!(
            got, ids,
            "{scenario}: decisions.jsonl's placed tasks are not tasks.csv's"
        );
    }
}

fn explain(scenario: &str, task: &str) -> String {
    let out = ecsim(&["explain", &format!("scenarios/{scenario}.toml"), "--task", task]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn a_task_placed_after_provisioning_and_a_daemon_task_are_explained() {
    // ec2-burst's eighth task waits PROVISIONING for an instance managed scaling launches.
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok("run", "scenarios/ec2-burst.toml", tmp.path(), &[]);
    let eighth = placed_ids(tmp.path())[7].clone();
    assert_mentions(&explain("ec2-burst", "8"), &[eighth.as_str(), "Chosen: asg-"]);
    assert_mentions(&explain("ec2-burst", &eighth), &[eighth.as_str()]);
    assert_mentions(
        &explain("services-over-time", "1"),
        &["service:log-agent", "daemon scheduler", "Chosen: web-1"],
    );
    assert_mentions(
        &explain("fargate-mix", "1"),
        &["Fargate: no container instance", "Zone us-east-1"],
    );
}
