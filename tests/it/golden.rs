//! The default scenario's outputs, compared with committed golden files.
//! Regenerate on purpose with `UPDATE_EXPECT=1 cargo test --release`.

use crate::common::{ecsim, ecsim_ok};
use std::path::Path;

#[test]
fn default_scenario_matches_the_golden_files() {
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok(
        "run",
        "scenarios/default.toml",
        tmp.path(),
        &["--outputs", "summary,tasks,instances,timeseries"],
    );
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/default");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    for f in ["summary.csv", "tasks.csv", "instances.csv", "timeseries.csv"] {
        let got = std::fs::read_to_string(tmp.path().join(f)).unwrap();
        if update {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(golden.join(f), &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(golden.join(f))
            .unwrap_or_else(|_| panic!("missing golden {f}: run UPDATE_EXPECT=1 cargo test --release"));
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            panic!(
                "{f} differs from tests/golden/default/{f} at line {}:\n  got:  {}\n  want: {}\n(regenerate on purpose with UPDATE_EXPECT=1)",
                line + 1,
                got.lines().nth(line).unwrap_or("<end>"),
                want.lines().nth(line).unwrap_or("<end>")
            );
        }
    }
}

#[test]
fn the_committed_main_job_output_is_current() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ecsim(&["sweep", "scenarios/default.toml", "--out", tmp.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = std::fs::read_to_string(tmp.path().join("sweep.csv")).unwrap();
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/default/sweep.csv");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(committed.parent().unwrap()).unwrap();
        std::fs::write(&committed, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        got == want,
        "results/default/sweep.csv is stale: regenerate with UPDATE_EXPECT=1 cargo test --release"
    );
}
