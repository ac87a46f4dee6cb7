//! Outputs that explain themselves: tasks.csv alone shows what each task reserved, when
//! it was placed, and that no instance was ever over-committed.

use crate::common::ecsim_ok;
use std::collections::BTreeMap;

/// A CSV file as header → value maps, one per row.
fn rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn secs(v: &str) -> Option<f64> {
    v.parse().ok()
}

#[test]
fn tasks_csv_alone_shows_reservations_placement_times_and_no_over_commitment() {
    let tmp = tempfile::tempdir().unwrap();
    ecsim_ok("run", "scenarios/ec2-burst.toml", tmp.path(), &[]);
    let tasks = rows(&tmp.path().join("tasks.csv"));
    let instances = rows(&tmp.path().join("instances.csv"));
    // Tasks placed after waiting PROVISIONING: created first, placed later.
    let late = tasks
        .iter()
        .filter(|t| secs(&t["placedAt"]).is_some_and(|p| p > secs(&t["createdAt"]).unwrap()))
        .count();
    assert!(late > 10, "only {late} tasks were placed after they were created");
    // At every placement, the tasks holding the instance fit its registered resources.
    for inst in &instances {
        let id = &inst["containerInstanceId"];
        let (cpu, mem): (u32, u32) = (inst["cpu"].parse().unwrap(), inst["memory"].parse().unwrap());
        let on: Vec<_> = tasks.iter().filter(|t| &t["containerInstanceId"] == id).collect();
        for t in &on {
            let at = secs(&t["placedAt"]).unwrap();
            let holding = on
                .iter()
                .filter(|u| secs(&u["placedAt"]).unwrap() <= at && secs(&u["stoppedAt"]).is_none_or(|s| s > at));
            let (c, m) = holding.fold((0, 0), |(c, m), u| {
                (
                    c + u["cpu"].parse::<u32>().unwrap(),
                    m + u["memory"].parse::<u32>().unwrap(),
                )
            });
            assert!(
                c <= cpu && m <= mem,
                "{id} holds {c} CPU / {m} MiB at {at} s, has {cpu} / {mem}"
            );
        }
    }
}
