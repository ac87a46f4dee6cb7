//! Every shipped scenario loads, its sweep expands, and it runs with the invariants
//! holding and the same summary whether finished tasks are kept or not (the
//! million-task day only loads: its speed is benchmarked).

use ecsim::scenario::load_scenario;
use ecsim::sim::journal::{Discard, SummaryOnly};
use ecsim::sim::{check_invariants, run};
use ecsim::sweep::load_sweep;
use std::path::Path;

#[test]
fn shipped_scenarios_load_and_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
    for path in names {
        let sc = load_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(sc.warnings.is_empty(), "{}: {:?}", path.display(), sc.warnings);
        if sc.sweep.is_some() {
            load_sweep(&path).unwrap_or_else(|e| panic!("{e}"));
        }
        if sc.name == "bench-day" {
            continue;
        }
        let o = run(&sc, sc.seed, &mut Discard);
        check_invariants(&o).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(o.summary.tasks_placed > 0, "{}", path.display());
        let lean = run(&sc, sc.seed, &mut SummaryOnly);
        check_invariants(&lean).unwrap_or_else(|e| panic!("{} (summary only): {e}", path.display()));
        assert_eq!(
            lean.summary,
            o.summary,
            "{}: the summary must not depend on keeping finished tasks",
            path.display()
        );
    }
}

#[test]
fn the_mixed_cluster_uses_every_kind_of_capacity() {
    let sc = load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mixed-cluster.toml")).unwrap();
    let o = run(&sc, sc.seed, &mut Discard);
    let keys: Vec<&str> = o
        .summary
        .cost_by_key
        .iter()
        .filter(|(_, c)| *c > 0.0)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        keys,
        vec!["EXTERNAL", "cp-ondemand", "cp-spot", "FARGATE", "FARGATE_SPOT"]
    );
}
