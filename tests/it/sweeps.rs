//! Sweeps beyond one process: shards run as separate processes merge into the bytes
//! of one `--jobs 1` run; a sweep killed midway resumes to the same bytes; merge
//! refuses what does not belong together, naming it.

use crate::common::{assert_mentions, ecsim};
use std::path::Path;

/// A sweep file over the shipped default scenario: 2 durations × `seeds` seeds.
fn sweep_file(dir: &Path, name: &str, seeds: u32, durations: &str) -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let seeds: Vec<String> = (1..=seeds).map(|s| s.to_string()).collect();
    let f = dir.join(format!("{name}.toml"));
    std::fs::write(
        &f,
        format!(
            "name = \"{name}\"\nscenario = {:?}\nseeds = [{}]\n[[axes]]\nname = \"duration\"\npath = \"duration\"\nvalues = [{durations}]\n",
            base.display().to_string(),
            seeds.join(", ")
        ),
    )
    .unwrap();
    f.display().to_string()
}

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn sweep_csv(out: &Path) -> Vec<u8> {
    std::fs::read(out.join("sweep.csv")).unwrap()
}

/// Runs `file` whole on one thread into `out` and returns its sweep.csv.
fn sweep_alone(file: &str, out: &Path) -> Vec<u8> {
    ok(ecsim(&[
        "sweep",
        file,
        "--jobs",
        "1",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]));
    sweep_csv(out)
}

#[test]
fn shards_run_as_separate_processes_merge_to_the_bytes_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let file = sweep_file(t, "sharded", 4, "\"2h\", \"3h\"");
    let one = sweep_alone(&file, &t.join("one"));
    let shards: Vec<_> = (0..3)
        .map(|k| {
            let out = t.join(format!("s{k}"));
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
                .args([
                    "sweep",
                    &file,
                    "--shard",
                    &format!("{k}/3"),
                    "--out",
                    out.to_str().unwrap(),
                    "-q",
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    let mut dirs = Vec::new();
    for (out, child) in shards {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success());
        assert!(!out.join("sweep.csv").exists(), "a shard writes no sweep.csv");
        dirs.push(out.to_str().unwrap().to_string());
    }
    let merged = t.join("merged");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(dirs.iter().map(String::as_str));
    let printed = ok(ecsim(&args));
    assert_mentions(&printed, &["Mean over 4 seeds", "wrote"]);
    assert_eq!(sweep_csv(&merged), one);

    // A missing shard, a shard given twice, and a shard of another sweep are refused.
    let o = ecsim(&["merge", t.join("m2").to_str().unwrap(), &dirs[0], &dirs[2]]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["3 of sweep `sharded`'s 8 runs", "runs 1, 4, 7"],
    );
    let o = ecsim(&[
        "merge",
        t.join("m3").to_str().unwrap(),
        &dirs[0],
        &dirs[0],
        &dirs[1],
        &dirs[2],
    ]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["run 0 is also in", "shard-0-of-3.jsonl"],
    );
    let other = sweep_file(t, "other", 3, "\"2h\", \"3h\"");
    let odir = t.join("o0");
    ok(ecsim(&[
        "sweep",
        &other,
        "--shard",
        "1/3",
        "--out",
        odir.to_str().unwrap(),
        "-q",
    ]));
    let o = ecsim(&[
        "merge",
        t.join("m4").to_str().unwrap(),
        &dirs[0],
        odir.to_str().unwrap(),
    ]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["shard-1-of-3.jsonl", "another sweep"],
    );
    assert!(!t.join("m2").exists() && !t.join("m3").exists() && !t.join("m4").exists());
    let o = ecsim(&["sweep", &file, "--shard", "3/3"]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["`3/3` is not a shard", "0 ≤ K < N"],
    );
}

#[test]
fn a_sweep_killed_midway_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let file = sweep_file(t, "long", 24, "\"72h\", \"96h\"");
    let whole = sweep_alone(&file, &t.join("whole"));
    let out = t.join("killed");
    let records = out.join("sweep.runs.jsonl");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(["sweep", &file, "--jobs", "1", "--out", out.to_str().unwrap(), "-q"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a few runs are recorded (the header is the first line).
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&records).map_or(0, |t| t.lines().count()) < 4 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be killed"
        );
        assert!(started.elapsed().as_secs() < 60, "no runs recorded");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.join("sweep.csv").exists());
    let done = std::fs::read_to_string(&records).unwrap().lines().count() - 1;
    assert!((3..48).contains(&done), "{done} runs recorded");
    let printed = ecsim(&[
        "sweep",
        &file,
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--resume",
    ]);
    assert_mentions(
        &String::from_utf8_lossy(&printed.stderr),
        &["resuming:", "already done"],
    );
    assert!(printed.status.success());
    assert_eq!(sweep_csv(&out), whole);
    assert!(!records.exists(), "the record file goes once sweep.csv is written");
}

#[test]
fn one_configuration_runs_alone_with_every_file_and_the_sweeps_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let sweep = t.join("sw");
    ok(ecsim(&[
        "sweep",
        "scenarios/default.toml",
        "--out",
        sweep.to_str().unwrap(),
        "-q",
    ]));
    let csv = String::from_utf8(sweep_csv(&sweep)).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    // Run 10 is configuration 3 with the second seed.
    let row: Vec<&str> = csv.lines().nth(11).unwrap().split(',').collect();
    assert_eq!((row[0], row[1], row[2]), ("10", "spread-az-binpack-memory", "2"));
    for (v, out) in [("3", "by-number"), ("spread-az-binpack-memory", "by-label")] {
        let dir = t.join(out);
        ok(ecsim(&[
            "run",
            "scenarios/default.toml",
            "--variant",
            v,
            "--seed",
            "2",
            "--out",
            dir.to_str().unwrap(),
        ]));
        for f in ["summary.csv", "tasks.csv", "events.jsonl", "timeseries.csv"] {
            assert!(dir.join(f).exists(), "{f}");
        }
        let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
        let (names, values) = summary.split_once('\n').unwrap();
        for (n, v) in names.split(',').zip(values.trim_end().split(',')) {
            if let Some(i) = header.iter().position(|h| *h == n) {
                assert_eq!(row[i], v, "{n}");
            }
        }
    }
    let o = ecsim(&["run", "scenarios/default.toml", "--variant", "bestFit"]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["--variant", "no configuration `bestFit`", "0 `binpack-memory`"],
    );
}

#[test]
fn a_baseline_runs_and_a_value_that_changes_nothing_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let f = tmp.path().join("b.toml");
    std::fs::write(
        &f,
        format!(
            "name = \"b\"\nscenario = {:?}\nseeds = [1]\n[[axes]]\nname = \"size\"\n  [[axes.values]]\n  label = \"baseline\"\n  set = {{}}\n  [[axes.values]]\n  label = \"twelve\"\n  set = {{ \"instanceGroups[0].count\" = 12 }}\n  [[axes.values]]\n  label = \"eight\"\n  set = {{ \"instanceGroups[0].count\" = 8 }}\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let o = ecsim(&["validate", f.to_str().unwrap()]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_mentions(&err, &["axes[0].values[1]", "`twelve` changes nothing"]);
    assert_eq!(
        err.matches("warning:").count(),
        1,
        "the baseline is not reported: {err}"
    );
    assert_mentions(&String::from_utf8_lossy(&o.stdout), &["3 variants × 1 seeds = 3 runs"]);
}

#[test]
fn waits_are_reported_per_service_and_per_workload_too() {
    use crate::common::{HEADER, instance, run_toml, task_def};
    // A batch task holds half the instance for 5 minutes from 0s; the service, created
    // at 30s, wants two tasks of that size: one starts at once, one waits 270 s. One
    // wait over both would hide either.
    let toml = HEADER.to_string()
        + &instance("i-1", "us-east-1a", 4096, 2048, "")
        + &task_def("web", 256, 1024)
        + &task_def("job", 256, 1024)
        + "[[workloads]]\nname = \"batch\"\nrunTask = { taskDefinition = \"job\" }\narrival = { process = \"fixed\", interval = \"10m\" }\ntaskDuration = \"5m\"\n"
        + "[[timeline]]\nat = \"30s\"\napi = \"CreateService\"\nrequest = { serviceName = \"web\", taskDefinition = \"web\", desiredCount = 2 }\n";
    let (o, _) = run_toml(&toml);
    let s = &o.summary;
    let get = |c: &str| {
        s.get(c)
            .unwrap_or_else(|| panic!("no column {c}"))
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(get("waitP95S[workload:batch]"), 0.0);
    assert_eq!(get("waitMeanS[service:web]"), 135.0);
    assert!(get("waitP95S[service:web]") > 200.0, "{}", get("waitP95S[service:web]"));
    assert!(get("waitMeanS") < get("waitMeanS[service:web]"));
    assert!(ecsim::sim::metrics::Summary::is_column("waitP95S[service:web]"));
}
