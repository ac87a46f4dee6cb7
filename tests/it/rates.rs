//! Load that changes over time: arrival rates from a profile, a daily curve or a CSV
//! file, drawn by thinning, follow the rate hour by hour.

use crate::common::assert_mentions;

#[test]
fn arrivals_follow_a_rate_that_changes_over_the_day() {
    use crate::common::{HEADER, instance, task_def};
    use ecsim::scenario::load::Format;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("rates.csv"), "time,rate\n0,2\n2h,10\n4h,0\n").unwrap();
    let workload = |rate: &str| {
        HEADER.replace("duration = \"1h\"", "duration = \"6h\"")
            + &instance("i-1", "us-east-1a", 1_000_000, 10_000_000, "")
            + &task_def("job", 1, 8)
            + &format!(
                "[[workloads]]\nname = \"w\"\nrunTask = {{ taskDefinition = \"job\" }}\narrival = {{ process = \"poisson\", ratePerMinute = {rate} }}\ntaskDuration = \"1m\"\n"
            )
    };
    let per_hour = |rate: &str| {
        let sc = ecsim::scenario::scenario_from_str(&workload(rate), Format::Toml, "r.toml", tmp.path())
            .unwrap_or_else(|e| panic!("{e}"));
        let o = ecsim::sim::run(&sc, 3, &mut ecsim::sim::journal::Collect::default());
        let mut hours = [0u32; 6];
        for t in &o.tasks {
            hours[(t.arrived_at.0 / 3_600_000) as usize] += 1;
        }
        hours
    };
    // Means per hour: 120, 120, 600, 600, 0, 0 — within 4 standard deviations.
    for rate in [
        "{ file = \"rates.csv\" }",
        "{ profile = [[\"0h\", 2.0], [\"2h\", 10.0], [\"4h\", 0.0]] }",
    ] {
        let got = per_hour(rate);
        for (h, mean) in [120.0f64, 120.0, 600.0, 600.0, 0.0, 0.0].into_iter().enumerate() {
            assert!(
                (got[h] as f64 - mean).abs() <= 4.0 * mean.sqrt(),
                "{rate}: hour {h} {got:?}"
            );
        }
    }
    // A daily curve peaks where it says.
    let d = per_hour("{ daily = { base = 0.5, peak = 8.0, peakAt = \"3h\" } }");
    assert!(d[3] > d[0] && d[2] > d[5], "{d:?}");
    // A bad file is named with its line.
    std::fs::write(tmp.path().join("bad.csv"), "0,2\n1h,lots\n").unwrap();
    let e = ecsim::scenario::scenario_from_str(&workload("{ file = \"bad.csv\" }"), Format::Toml, "r.toml", tmp.path())
        .unwrap_err()
        .to_string();
    assert_mentions(
        &e,
        &[
            "workloads[0].arrival.ratePerMinute.file",
            "bad.csv:2:",
            "`lots` is not a number",
        ],
    );
    let e = ecsim::scenario::scenario_from_str(&workload("{ hourly = 3 }"), Format::Toml, "r.toml", tmp.path())
        .unwrap_err()
        .to_string();
    assert_mentions(&e, &["r.toml:", "workloads[0].arrival", "is not a rate", "daily"]);
}
