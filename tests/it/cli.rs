//! The command line as a newcomer meets it: one verdict from validate, counts that
//! include Auto Scaling groups, a clear refusal of `--out -`, a version, completions.

use crate::common::{assert_mentions, ecsim};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn validate_gives_one_verdict_when_the_sweep_is_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("s.toml");
    let good = std::fs::read_to_string("scenarios/default.toml").unwrap();
    std::fs::write(&file, good.replace("seeds = [", "seeds = [\"one\", ")).unwrap();
    let out = ecsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stdout).contains("valid"), "{}", text(&out.stdout));
    assert_mentions(&text(&out.stderr), &["sweep.seeds"]);
}

#[test]
fn validate_counts_the_instances_of_auto_scaling_groups() {
    let out = ecsim(&["validate", "scenarios/ec2-burst.toml"]);
    assert!(out.status.success());
    let said = text(&out.stdout);
    assert_mentions(&said, &["1 Auto Scaling group (2 instances at the start, at most 20)"]);
    assert!(!said.contains("0 instances"), "{said}");
}

#[test]
fn out_dash_is_refused_with_what_to_do_instead() {
    let out = ecsim(&["run", "scenarios/default.toml", "--out", "-"]);
    assert!(!out.status.success());
    assert_mentions(&text(&out.stderr), &["cannot be one", "--out /tmp/run"]);
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
}

#[test]
fn version_and_completions() {
    let v = ecsim(&["--version"]);
    assert_eq!(text(&v.stdout).trim(), format!("ecsim {}", env!("CARGO_PKG_VERSION")));
    for shell in ["bash", "zsh", "fish"] {
        let c = ecsim(&["completions", shell]);
        assert!(c.status.success());
        assert_mentions(&text(&c.stdout), &["explain", "replay", "outputs"]);
    }
}

#[test]
fn the_summary_line_names_failures_by_reason_and_what_still_waits() {
    use crate::common::{HEADER, instance, run_toml, task_def};
    let (o, _) = run_toml(&format!(
        "{HEADER}{}{}{}[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"big\", count = 2 }}\n\
         [[services]]\nserviceName = \"s\"\ntaskDefinition = \"half\"\ndesiredCount = 3\n",
        instance("i1", "us-east-1a", 1024, 1000, ""),
        task_def("big", 10, 2000),
        task_def("half", 512, 10),
    ));
    let line = o.summary.headline();
    assert_mentions(
        &line,
        &[
            "1 waiting at end, services 1 task short of desiredCount",
            "2 RunTask failures (RESOURCE:CPU 2)",
        ],
    );
}

#[test]
fn quiet_silences_warnings_progress_and_timing_but_not_the_result() {
    use crate::common::{HEADER, instance, task_def};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("warns.toml");
    let td = task_def("web", 256, 256).replace("[[taskDefinitions]]\n", "[[taskDefinitions]]\nvolumes = []\n");
    std::fs::write(
        &file,
        format!("{HEADER}{}{td}", instance("i1", "us-east-1a", 1024, 1024, "")),
    )
    .unwrap();
    let (file, out) = (file.to_str().unwrap(), dir.path().join("o"));
    let base = ["run", file, "--out", out.to_str().unwrap(), "--outputs", "summary"];
    let loud = ecsim(&base);
    assert!(loud.status.success(), "{}", text(&loud.stderr));
    assert_mentions(&text(&loud.stderr), &["warning:", "volumes", "wall time"]);
    let quiet = ecsim(&[&base[..], &["--quiet"]].concat());
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stderr), "", "--quiet prints nothing on standard error");
    assert_eq!(text(&quiet.stdout), text(&loud.stdout), "the result still prints");
}
