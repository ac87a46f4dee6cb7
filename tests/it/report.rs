//! `ecsim report` and `--report`: every chart is well-formed SVG holding the series it
//! names, index.html links every chart, bad folders are refused with nothing left
//! behind, and the committed busy-day report is what the shipped command writes.

use crate::common::{assert_mentions, ecsim, ecsim_ok};
use std::path::Path;

/// Parses an SVG file as XML and returns every text it shows (legends, titles, axes).
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

/// Lines drawn in an SVG (plotters draws a series as a polyline).
fn polylines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants().filter(|n| n.has_tag_name("polyline")).count()
}

/// Every chart the index links exists and parses; returns the chart names.
fn charts(dir: &Path) -> Vec<String> {
    let index = std::fs::read_to_string(dir.join("report/index.html")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("report"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    names.sort();
    for n in &names {
        assert!(index.contains(&format!("src=\"{n}\"")), "index.html does not show {n}");
        svg_texts(&dir.join("report").join(n));
    }
    names
}

#[test]
fn a_run_report_draws_every_series_with_titles_axes_and_legends() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ecsim_ok("run", "scenarios/busy-day.toml", tmp.path(), &["--report"]);
    assert_mentions(
        &String::from_utf8_lossy(&out.stdout),
        &["report/index.html", "7 charts"],
    );
    let names = charts(tmp.path());
    assert_eq!(
        names,
        [
            "capacity.svg",
            "cost.svg",
            "packing.svg",
            "reserved.svg",
            "service-web-utilization.svg",
            "service-web.svg",
            "tasks.svg"
        ]
    );
    let r = tmp.path().join("report");
    let tasks = svg_texts(&r.join("tasks.svg"));
    for want in [
        "Tasks and container instances",
        "simulated time (h)",
        "tasks",
        "container instances",
        "RUNNING tasks",
        "PENDING tasks",
        "PROVISIONING tasks",
        "ACTIVE container instances (right axis)",
    ] {
        assert!(tasks.iter().any(|t| t == want), "tasks.svg lacks `{want}`: {tasks:?}");
    }
    assert!(polylines(&r.join("tasks.svg")) >= 5, "a line per series");
    let web = svg_texts(&r.join("service-web.svg"));
    for want in [
        "demand (requests/s)",
        "desiredCount (right axis)",
        "requests per second",
    ] {
        assert!(web.iter().any(|t| t == want), "service-web.svg lacks `{want}`");
    }
    let capacity = svg_texts(&r.join("capacity.svg"));
    assert!(capacity.iter().any(|t| t == "CapacityProviderReservation ec2"));
    assert!(capacity.iter().any(|t| t == "desired capacity web-asg (right axis)"));
    let packing = svg_texts(&r.join("packing.svg"));
    assert!(packing.iter().any(|t| t == "registered") && packing.iter().any(|t| t == "web"));
    // `ecsim report` on the folder draws the same bytes, and --at picks the packing time.
    let before = std::fs::read(r.join("tasks.svg")).unwrap();
    let again = ecsim(&["report", tmp.path().to_str().unwrap(), "--at", "3h"]);
    assert!(again.status.success());
    assert_eq!(std::fs::read(r.join("tasks.svg")).unwrap(), before);
    assert!(
        svg_texts(&r.join("packing.svg"))
            .iter()
            .any(|t| t.starts_with("Instances at 3:00 (10800 s)"))
    );
}

#[test]
fn a_sweep_report_marks_the_pareto_frontier_and_a_pack_report_the_ratios() {
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok("sweep", "scenarios/default.toml", tmp.path(), &["--report"]);
    assert_eq!(charts(tmp.path()), ["pareto.svg"]);
    let p = svg_texts(&tmp.path().join("report/pareto.svg"));
    for want in [
        "cost (USD)",
        "p95 wait (s)",
        "Pareto frontier (paretoWait)",
        "configuration (mean over seeds)",
    ] {
        assert!(p.iter().any(|t| t == want), "pareto.svg lacks `{want}`");
    }
    let bins = tempfile::tempdir().unwrap();
    std::fs::write(bins.path().join("tiny.txt"), "4\n10\n6\n6\n4\n4\n").unwrap();
    let packed = tempfile::tempdir().unwrap();
    ecsim_ok(
        "pack",
        bins.path().to_str().unwrap(),
        packed.path(),
        &["--strategy", "firstFit", "--order", "online,decreasing"],
    );
    assert!(ecsim(&["report", packed.path().to_str().unwrap()]).status.success());
    let bars = svg_texts(&packed.path().join("report/pack-ratio.svg"));
    for want in ["firstFit online", "firstFit decreasing:max", "mean ratio"] {
        assert!(
            bars.iter().any(|t| t == want),
            "pack-ratio.svg lacks `{want}`: {bars:?}"
        );
    }
}

#[test]
fn bad_folders_are_refused_and_leave_nothing() {
    let missing = ecsim(&["report", "/nonexistent/run"]);
    assert!(!missing.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&missing.stderr),
        &["/nonexistent/run", "not a folder"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let empty = ecsim(&["report", tmp.path().to_str().unwrap()]);
    assert_mentions(&String::from_utf8_lossy(&empty.stderr), &["nothing to draw"]);
    std::fs::write(tmp.path().join("timeseries.csv"), "time,runningTasks\n0,1\n60,lots\n").unwrap();
    let bad = ecsim(&["report", tmp.path().to_str().unwrap()]);
    assert!(!bad.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&bad.stderr),
        &[
            "timeseries.csv",
            "line 3, column runningTasks",
            "`lots` is not a number",
        ],
    );
    assert!(!tmp.path().join("report").exists());
}

/// The files of results/busy-day, as the README's command writes them.
const BUSY_DAY_FILES: &[&str] = &[
    "summary.csv",
    "services.csv",
    "timeseries.csv",
    "instances.csv",
    "tasks.csv.gz",
    "report/index.html",
    "report/tasks.svg",
    "report/service-web.svg",
    "report/service-web-utilization.svg",
    "report/capacity.svg",
    "report/reserved.svg",
    "report/cost.svg",
    "report/packing.svg",
];

#[test]
fn the_committed_busy_day_report_is_current() {
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok(
        "run",
        "scenarios/busy-day.toml",
        tmp.path(),
        &[
            "--outputs",
            "summary,tasks.gz,instances,timeseries,services",
            "--report",
        ],
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/busy-day");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    for f in BUSY_DAY_FILES {
        let got = std::fs::read(tmp.path().join(f)).unwrap();
        if update {
            std::fs::create_dir_all(committed.join("report")).unwrap();
            std::fs::write(committed.join(f), &got).unwrap();
            continue;
        }
        assert!(
            std::fs::read(committed.join(f)).is_ok_and(|want| want == got),
            "results/busy-day/{f} is stale: regenerate with UPDATE_EXPECT=1 cargo test --release"
        );
    }
}
