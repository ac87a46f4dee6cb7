//! A strategy written outside ecsim (examples/custom_strategy.rs, against the library
//! API only) runs in a scenario, a sweep and `ecsim pack` like a built-in one.

#[path = "../../examples/custom_strategy.rs"]
mod example;

use crate::common::*;
use std::sync::Once;

fn registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| example::register_zone_then_best_fit().unwrap());
}

const A: &str = "us-east-1a";
const B: &str = "us-east-1b";

/// Where three 512 MiB tasks go with `strategy`: i-a1 (zone a, 4096 MiB), i-a2
/// (zone a, 1024 MiB), i-b1 (zone b, 2048 MiB).
fn placed_with(strategy: &str) -> Vec<String> {
    let toml = HEADER.to_string()
        + &instance("i-a1", A, 4096, 4096, "")
        + &instance("i-a2", A, 4096, 1024, "")
        + &instance("i-b1", B, 4096, 2048, "")
        + &task_def("t", 128, 512)
        + &format!(
            "[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\", count = 3, placementStrategy = [{{ type = \"{strategy}\" }}] }}\n"
        );
    placements(&run_toml(&toml).0)
}

#[test]
fn a_strategy_of_ones_own_places_tasks_in_a_scenario() {
    registered();
    // Best fit alone leaves zone a for i-b1 once i-a2 is full; the zone comes first here.
    assert_eq!(placed_with("bestFit"), ["i-a2", "i-a2", "i-b1"]);
    assert_eq!(placed_with("zoneThenBestFit"), ["i-a2", "i-a2", "i-a1"]);
    // Its members are checked like a built-in's.
    let bad = HEADER.to_string()
        + &instance("i-a1", A, 4096, 4096, "")
        + &task_def("t", 128, 512)
        + "[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = { taskDefinition = \"t\", placementStrategy = [{ type = \"zoneThenBestFit\", field = \"memory\" }] }\n";
    let e = ecsim::scenario::scenario_from_str(
        &bad,
        ecsim::scenario::load::Format::Toml,
        "bad.toml",
        std::path::Path::new("."),
    )
    .unwrap_err()
    .to_string();
    assert_mentions(
        &e,
        &["bad.toml", "placementStrategy[0]", "zoneThenBestFit takes no field"],
    );
}

#[test]
fn a_strategy_of_ones_own_runs_in_a_sweep_and_in_pack() {
    registered();
    let dir = tempfile::tempdir().unwrap();
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let file = dir.path().join("sweep.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"own\"\nscenario = {:?}\nseeds = [1]\n[[axes]]\nname = \"strategy\"\npath = \"workloads[*].runTask.placementStrategy\"\nvalues = [[{{ type = \"zoneThenBestFit\" }}], [{{ type = \"bestFit\" }}]]\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let sw = ecsim::sweep::load_sweep(&file).unwrap();
    let rows = ecsim::sweep::run_sweep(&sw, Some(2), false).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.number("tasksPlaced") > 0.0));
    assert_ne!(rows[0].cells, rows[1].cells, "the strategy changed nothing");

    // Bins have no zone, so in pack it is best fit.
    let inst = ecsim::pack::format::parse("u.txt", "6\n10\n6\n4\n5\n5\n3\n7\n", ecsim::pack::Format::Bpp).unwrap();
    let online = ecsim::pack::item_order(&inst, ecsim::pack::ItemOrder::Online);
    let bins = |s: &str| ecsim::pack::pack(&inst, &ecsim::pack::parse_strategy(s).unwrap(), &online, 1).unwrap();
    assert_eq!(bins("zoneThenBestFit"), bins("bestFit"));
    assert_eq!(bins("zoneThenBestFit"), 3);
}
