//! Packing strategies against published bin-packing data: on BPPLIB instances
//! (../shared/benchmarks/bpplib-1d, proven optima; its licence keeps it outside the
//! repository, so these tests skip with a note where it is absent and CI, which has it,
//! requires them), items placed largest first must
//! use exactly the bins the derived FFD and BFD counts say: first fit → FFD; best fit
//! and ECS's binpack (least remaining memory that fits) → BFD. Items are (w, w) on
//! bins of capacity (c, c), so the 2-D engine packs the 1-D instance.

use crate::common::{shared, shared_or_skip};
use ecsim::ecs::cluster::{Cluster, InstanceSpec};
use ecsim::ecs::strategy::PlacementStrategy;
use ecsim::ecs::task_definition::Reservation;
use ecsim::engine::{RngStreams, SimTime};
use ecsim::placement::{Decision, Placer, TieBreak};
use std::path::{Path, PathBuf};

/// One row of the derived table: set folder, instance, optimum, FFD bins, BFD bins.
type Row = (String, String, u32, u32, u32);

/// The rows of the derived table.
fn expected(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("derived_ffd_bfd.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("set\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
            )
        })
        .collect()
}

fn items(dir: &Path, set: &str, instance: &str) -> (u32, Vec<u32>) {
    let text = std::fs::read_to_string(dir.join(set).join(format!("{instance}.txt"))).unwrap();
    let nums: Vec<u32> = text.split_whitespace().map(|x| x.parse().unwrap()).collect();
    let (n, c) = (nums[0] as usize, nums[1]);
    let mut w = nums[2..2 + n].to_vec();
    w.sort_unstable_by(|a, b| b.cmp(a));
    (c, w)
}

/// Bins used when packing `weights` (largest first) with `strategy`.
fn bins_used(capacity: u32, weights: &[u32], strategy: &str) -> u32 {
    let mut cluster = Cluster::new("default");
    for i in 0..weights.len() {
        cluster.register(
            InstanceSpec::new(&format!("bin-{i}"), capacity, capacity),
            SimTime::ZERO,
        );
    }
    let mut placer = Placer::new(TieBreak::LowestId, RngStreams::new(1).stream(3, 0));
    let s: Vec<PlacementStrategy> = serde_json::from_str(strategy).unwrap();
    let chain = ecsim::placement::plan::Chain::compile(&[], &[], &s).unwrap();
    let plan = placer.plan(&cluster, &chain, ecsim::ecs::provider::Pool::Ec2);
    for id in cluster.ids() {
        placer.instance_changed(&cluster, id);
    }
    let group = cluster.group("items");
    for &w in weights {
        let res = Reservation {
            cpu: w,
            memory: w,
            ..Default::default()
        };
        match placer.decide(plan, &res, group, &cluster) {
            Decision::Placed(i) => {
                placer.allocate(&mut cluster, i, &res, group);
            }
            other => panic!("an item of {w} did not fit: {other:?}"),
        }
    }
    cluster.busy_count()
}

/// BPPLIB's folder and a spread of its instances (every set, a few of each); None
/// (skipped with a note) when it is not beside the clone.
fn sample() -> Option<(PathBuf, Vec<Row>)> {
    let dir = shared("benchmarks/bpplib-1d")?;
    let all = expected(&dir);
    let mut out = Vec::new();
    for set in [
        "Falkenauer/Falkenauer_U",
        "Falkenauer/Falkenauer_T",
        "Scholl/Scholl_1",
        "Scholl/Scholl_2",
        "Schwerin/Schwerin_1",
        "Waescher",
        "Hard28",
    ] {
        out.extend(all.iter().filter(|r| r.0 == set).step_by(9).take(4).cloned());
    }
    Some((dir, out))
}

#[test]
fn first_fit_decreasing_matches_the_published_ffd_counts() {
    let Some((dir, sample)) = sample() else { return };
    for (set, inst, opt, ffd, _) in sample {
        let (c, w) = items(&dir, &set, &inst);
        let got = bins_used(c, &w, r#"[{"type":"firstFit"}]"#);
        assert_eq!(got, ffd, "{set}/{inst} (optimum {opt})");
        assert!(got >= opt);
    }
}

#[test]
fn best_fit_and_ecs_binpack_decreasing_match_the_published_bfd_counts() {
    let Some((dir, sample)) = sample() else { return };
    for (set, inst, opt, _, bfd) in sample {
        let (c, w) = items(&dir, &set, &inst);
        assert_eq!(bins_used(c, &w, r#"[{"type":"bestFit"}]"#), bfd, "bestFit {set}/{inst}");
        assert_eq!(
            bins_used(c, &w, r#"[{"type":"binpack","field":"memory"}]"#),
            bfd,
            "binpack {set}/{inst}"
        );
        assert!(bfd >= opt);
    }
}

#[test]
fn worst_fit_spreads_one_item_per_empty_bin() {
    // With a bin per item, an empty bin always has the most room left.
    let Some((dir, sample)) = sample() else { return };
    let (set, inst, _, ffd, _) = sample.into_iter().next().unwrap();
    let (c, w) = items(&dir, &set, &inst);
    assert_eq!(
        bins_used(c, &w, r#"[{"type":"worstFit"}]"#) as usize,
        w.len(),
        "{set}/{inst}"
    );
    assert!((ffd as usize) < w.len());
}

#[test]
fn data_outside_the_repository_skips_when_absent_and_fails_when_required() {
    assert_eq!(shared_or_skip("no/such/folder", false), None);
    assert!(std::panic::catch_unwind(|| shared_or_skip("no/such/folder", true)).is_err());
}
