//! Image pulls: size over bandwidth plus a latency, cached per instance, shaped by
//! ECS_IMAGE_PULL_BEHAVIOR — so start times depend on where a task lands.

use crate::common::ecsim;
use crate::common::{def, run_toml};

fn scenario(behavior: &str, extra: &str) -> String {
    format!(
        r#"name = "img"
seed = 1
duration = "30m"
taskStartLatency = "0s"
imagePull = {{ bandwidthMiBps = 100, latency = "1s" }}
[[instanceGroups]]
name = "g"
instanceType = "m5.xlarge"
count = 1
userData = "ECS_IMAGE_PULL_BEHAVIOR={behavior}"
{}[[timeline]]
at = "0s"
api = "RunTask"
request = {{ taskDefinition = "app", count = 2 }}
[[timeline]]
at = "10m"
api = "RunTask"
request = {{ taskDefinition = "app" }}
{extra}"#,
        def(
            "app",
            "",
            "name = \"app\"\nimage = \"registry/app:7\"\nimageSizeMiB = 500\ncpu = 256\nmemory = 256"
        )
    )
}

fn starts(o: &ecsim::sim::Outcome) -> Vec<(u64, u64)> {
    o.tasks
        .iter()
        .map(|t| (t.created_at.millis(), t.started_at.get().unwrap().millis()))
        .collect()
}

#[test]
fn the_first_pull_is_slow_and_later_starts_use_the_cache() {
    // 500 MiB at 100 MiB/s plus 1 s; the second task waits for the same pull.
    let (o, _) = run_toml(&scenario("default", ""));
    assert_eq!(starts(&o), vec![(0, 6_000), (0, 6_000), (600_000, 601_000)]);
    assert!((o.summary.image_pull_mean_s - (6.0 + 6.0 + 1.0) / 3.0).abs() < 1e-9);
    // prefer-cached and once skip the registry for a cached image.
    for b in ["prefer-cached", "once"] {
        let (o, _) = run_toml(&scenario(b, ""));
        assert_eq!(starts(&o)[2], (600_000, 600_000), "{b}");
    }
    let (o, _) = run_toml(&scenario("always", ""));
    assert_eq!(starts(&o)[2], (600_000, 601_000));
}

#[test]
fn explain_shows_the_pull_the_placement_causes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("img.toml");
    std::fs::write(&file, scenario("default", "")).unwrap();
    let out = ecsim(&["explain", file.to_str().unwrap(), "--task", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("Image registry/app:7 (500 MiB): not on g-1: a full pull — ready in 6.000 s"),
        "{text}"
    );
    let out = ecsim(&["explain", file.to_str().unwrap(), "--task", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cached there — ready in 1.000 s"), "{text}");
    assert!(text.contains("ECS_IMAGE_PULL_BEHAVIOR=default"), "{text}");
}
