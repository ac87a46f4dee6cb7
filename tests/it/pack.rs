//! `ecsim pack`: instance files in and CSV out, errors that name file, line and
//! column, further dimensions, and the published vector-packing sets beside the clone
//! (CT01's derived FFD counts exactly; Mommessin et al.'s FFD results within the
//! tie-breaks of their sort).

use crate::common::{assert_mentions, ecsim, shared};
use ecsim::pack::{ItemOrder, Options, SortKey, discover, item_order, load, pack, parse_strategy};
use std::collections::BTreeMap;
use std::path::Path;

/// A folder holding a small BPPLIB-like set: two instances, their bounds, and files
/// that are not instances.
fn small_set(dir: &Path) {
    let set = dir.join("toy").join("Toy_1");
    std::fs::create_dir_all(&set).unwrap();
    // FFD packs 6|4, 5|5? no: 6,5,5,4 → [6,4] [5,5]: 2 bins; online [5,6,4,5] → FF [5,4] [6] [5]: 3.
    std::fs::write(set.join("t_a.txt"), "4\n10\n5\n6\n4\n5\n").unwrap();
    std::fs::write(set.join("t_b.txt"), "3\n10\n7\n7\n7\n").unwrap();
    std::fs::write(set.join("SOURCE.md"), "# not an instance\n").unwrap();
    std::fs::write(dir.join("toy").join("Bounds.txt"), "t_a\t2\t2\nt_b\t3\t3\n").unwrap();
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            h.iter()
                .zip(x.unwrap().iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn pack_writes_a_row_per_instance_strategy_and_order_with_the_published_optimum() {
    let tmp = tempfile::tempdir().unwrap();
    small_set(tmp.path());
    let out = tmp.path().join("out");
    let o = ecsim(&[
        "pack",
        tmp.path().join("toy").to_str().unwrap(),
        "--strategy",
        "firstFit,binpack",
        "--order",
        "online,decreasing",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout);
    assert_mentions(
        &printed,
        &["Toy_1", "firstFit", "decreasing:max", "meanRatio", "atOptimum"],
    );
    let rows = csv_rows(&out.join("Toy_1.csv"));
    let header: Vec<String> = csv::Reader::from_path(out.join("Toy_1.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, ecsim::pack::COLUMNS);
    assert_eq!(rows.len(), 2 * 2 * 2);
    let get = |inst: &str, s: &str, ord: &str| {
        rows.iter()
            .find(|r| r["instance"] == inst && r["strategy"] == s && r["order"] == ord)
            .unwrap_or_else(|| panic!("no row {inst} {s} {ord}"))
    };
    let online = get("t_a", "firstFit", "online");
    assert_eq!((online["bins"].as_str(), online["optimum"].as_str()), ("3", "2"));
    assert_eq!((online["items"].as_str(), online["ratio"].as_str()), ("4", "1.5000"));
    assert_eq!(get("t_a", "firstFit", "decreasing:max")["bins"], "2");
    assert_eq!(get("t_a", "binpack", "decreasing:max")["ratio"], "1.0000");
    let b = get("t_b", "binpack", "online");
    assert_eq!(
        (b["set"].as_str(), b["bins"].as_str(), b["lowerBound"].as_str()),
        ("Toy_1", "3", "3")
    );
}

#[test]
fn pack_gives_the_same_bins_every_time_and_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    small_set(tmp.path());
    let run = |jobs: &str, out: &str| {
        let out = tmp.path().join(out);
        let dir = tmp.path().join("toy");
        let o = ecsim(&[
            "pack",
            dir.to_str().unwrap(),
            "--strategy",
            "random,worstFit,powerOfTwoChoices,sampled",
            "--order",
            "online",
            "--seed",
            "7",
            "--jobs",
            jobs,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // wallMs, the last column, is the one that varies.
        csv_rows(&out.join("Toy_1.csv"))
            .into_iter()
            .map(|mut r| {
                r.remove("wallMs");
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run("1", "a"), run("2", "b"));
}

#[test]
fn bad_instances_and_options_are_refused_by_file_line_and_column_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let out = tmp.path().join("out");
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "big.txt",
            "2\n10\n5\n12\n",
            &["big.txt:4:1", "item 2's weight is 12", "from 1 to 10"],
        ),
        ("short.txt", "3\n10\n5\n", &["short.txt:3:", "the file ends"]),
        (
            "neg.vbp",
            "2\n10 10\n1\n4 -2 1\n",
            &["neg.vbp:4:3", "-2", "no negative sizes"],
        ),
        ("word.vbp", "2\n10 ten\n", &["word.vbp:2:4", "`ten`", "whole number"]),
    ];
    for (name, text, needles) in cases {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        let o = ecsim(&["pack", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(!o.status.success(), "{name} accepted");
        assert_mentions(&String::from_utf8_lossy(&o.stderr), needles);
        assert!(!out.exists(), "{name}: output left behind");
        std::fs::remove_file(&f).unwrap();
    }
    let note = dir.join("notes.md");
    std::fs::write(&note, "# hi\n").unwrap();
    let o = ecsim(&["pack", note.to_str().unwrap()]);
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["notes.md", "not a bin-packing instance"],
    );
    let o = ecsim(&["pack", dir.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_mentions(&String::from_utf8_lossy(&o.stderr), &["no bin-packing instance here"]);
    let o = ecsim(&["pack", "no/such/path"]);
    assert_mentions(&String::from_utf8_lossy(&o.stderr), &["no/such/path", "cannot read"]);
    for (args, needles) in [
        (
            ["--strategy", "bestFits"],
            &["--strategy", "unknown placement strategy type `bestFits`", "firstFit"][..],
        ),
        (["--strategy", "spread"], &["--strategy", "`spread`", "field"][..]),
        (["--order", "sideways"], &["--order", "online or decreasing"][..]),
        (["--key", "volume"], &["--key", "dotProduct", "l2Norm"][..]),
    ] {
        let o = ecsim(&["pack", dir.to_str().unwrap(), args[0], args[1]]);
        assert!(!o.status.success());
        assert_mentions(&String::from_utf8_lossy(&o.stderr), needles);
    }
    assert!(!out.exists());
}

#[test]
fn further_dimensions_are_packed_as_resources_of_their_own() {
    // Two items fit together in CPU and memory but not in the third dimension.
    let text = "3\n10 10 10\n2\n5 5 6 2\n1 1 1 1\n";
    let inst = ecsim::pack::format::parse("d3.vbp", text, ecsim::pack::Format::Vbp).unwrap();
    assert_eq!(inst.volume_bound(), 2);
    for s in ["firstFit", "bestFit", "worstFit", "dotProduct", "l2Norm", "binpack:cpu"] {
        let st = parse_strategy(s).unwrap();
        let bins = pack(&inst, &st, &item_order(&inst, ItemOrder::Online), 1).unwrap();
        assert_eq!(bins, 2, "{s}");
    }
    // Projected on two dimensions the same items need one bin: the third is what counts.
    let flat = ecsim::pack::format::parse("d2.vbp", "2\n10 10\n1\n5 5 2\n", ecsim::pack::Format::Vbp).unwrap();
    let ff = parse_strategy("firstFit").unwrap();
    assert_eq!(pack(&flat, &ff, &item_order(&flat, ItemOrder::Online), 1).unwrap(), 1);
}

#[test]
fn sort_keys_order_items_largest_first_keeping_file_order_on_ties() {
    let inst = ecsim::pack::format::parse(
        "k.vbp",
        "2\n100 10\n4\n50 1 1\n10 5 1\n50 1 1\n20 2 1\n",
        ecsim::pack::Format::Vbp,
    )
    .unwrap();
    let order = |k| item_order(&inst, ItemOrder::Decreasing(k));
    assert_eq!(order(SortKey::Cpu), vec![0, 2, 3, 1]);
    assert_eq!(order(SortKey::Memory), vec![1, 3, 0, 2]);
    // Shares: (.5,.1) (.1,.5) (.5,.1) (.2,.2): max .5 for three, file order among them.
    assert_eq!(order(SortKey::Max), vec![0, 1, 2, 3]);
    assert_eq!(order(SortKey::Sum), vec![0, 1, 2, 3]);
    assert_eq!(order(SortKey::L2Norm), vec![0, 1, 2, 3]);
    // Mean shares (.325, .225): the CPU-heavy items weigh more.
    assert_eq!(order(SortKey::DotProduct), vec![0, 2, 1, 3]);
    let opts = Options::parse("firstFit", "online,decreasing", "sum,l2Norm").unwrap();
    assert_eq!(opts.orders.len(), 3);
}

#[test]
fn ct01_ffd_matches_the_derived_counts_on_all_400_instances() {
    let Some(dir) = shared("benchmarks/vector-2d-caprara-toth-ct01") else {
        return;
    };
    let loaded = load(discover(std::slice::from_ref(&dir)).unwrap()).unwrap();
    assert_eq!(loaded.len(), 400);
    let text = std::fs::read_to_string(dir.join("derived_bounds.csv")).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (i, sum, max) = (col("instance"), col("FFD_sum_normalized"), col("FFD_max_normalized"));
    let derived: BTreeMap<String, (u64, u64)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[i].to_string(), (x[sum].parse().unwrap(), x[max].parse().unwrap()))
        })
        .collect();
    let ff = parse_strategy("firstFit").unwrap();
    for l in &loaded {
        let (s, m) = derived[&l.instance.name];
        let by = |k| pack(&l.instance, &ff, &item_order(&l.instance, ItemOrder::Decreasing(k)), 1).unwrap();
        assert_eq!(by(SortKey::Sum), s, "{} FFD by sum", l.instance.name);
        assert_eq!(by(SortKey::Max), m, "{} FFD by max", l.instance.name);
        assert!(s >= l.lower_bound && l.optimum.is_none_or(|o| s >= o));
    }
}

/// Mommessin et al.'s per-instance results: instance → algorithm → bins.
fn published(dir: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(dir.join("results_data/Triplet_multidim.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let algs = head
                .iter()
                .zip(&f)
                .skip(2)
                .filter_map(|(h, v)| Some((h.to_string(), v.parse().ok()?)));
            (f[0].to_string(), algs.collect())
        })
        .collect()
}

#[test]
fn mommessin_triplets_ffd_agrees_with_the_published_results_up_to_sort_ties() {
    let Some(dir) = shared("benchmarks/vector-multidim-mommessin") else {
        return;
    };
    let pubd = published(&dir);
    let triplets = dir.join("Triplet_instances_multidim");
    // Caprara-type files with a negative size are refused, naming the line.
    let o = ecsim(&["pack", triplets.join("Caprara/classC_120_10_0.vbp").to_str().unwrap()]);
    assert_mentions(&String::from_utf8_lossy(&o.stderr), &["classC_120_10_0.vbp:9:", "-2"]);
    let mut files = Vec::new();
    for set in ["Falkenauer", "Caprara"] {
        for e in std::fs::read_dir(triplets.join(set)).unwrap() {
            let p = e.unwrap().path();
            if !std::fs::read_to_string(&p).unwrap().contains('-') {
                files.push(p);
            }
        }
    }
    files.sort();
    let loaded = load(discover(&files).unwrap()).unwrap();
    assert_eq!(
        loaded.len(),
        163,
        "120 Falkenauer-type and the 43 Caprara-type files without negative sizes"
    );
    let ff = parse_strategy("firstFit").unwrap();
    for (alg, key) in [
        ("FFD-L1-Unit", SortKey::Sum),
        ("FFD-Linf-Unit", SortKey::Max),
        ("FFD-L2-Unit", SortKey::L2Norm),
        ("FFD-L1-Avg", SortKey::DotProduct),
    ] {
        let (mut ours, mut theirs, mut same) = (0.0, 0.0, 0);
        for l in &loaded {
            let opt = l.optimum.expect("triplets: OPT = n/3") as f64;
            let bins = pack(
                &l.instance,
                &ff,
                &item_order(&l.instance, ItemOrder::Decreasing(key)),
                1,
            )
            .unwrap();
            let p = pubd[&l.instance.name][alg];
            assert!(bins.abs_diff(p) <= 3, "{alg} {}: {bins} against {p}", l.instance.name);
            same += usize::from(bins == p);
            ours += (bins as f64 - opt) / opt;
            theirs += (p as f64 - opt) / opt;
        }
        let n = loaded.len() as f64;
        let (ours, theirs) = (100.0 * ours / n, 100.0 * theirs / n);
        assert!(
            (ours - theirs).abs() < 0.3,
            "{alg}: mean gap {ours:.2}% against {theirs:.2}%"
        );
        assert!(same as f64 >= 0.85 * n, "{alg}: {same} of {n} equal");
    }
}

/// The FGD paper's GPU allocation (%) when arrived demand reaches the cluster's GPUs,
/// mean of 10 seeds (`analysis_allo_discrete.csv`, column 100, openb_pod_list_default).
const FGD_PAPER: [(&str, f64); 4] = [
    ("random", 86.30),
    ("dotProduct", 90.62),
    ("bestFit", 92.86),
    ("fragmentation", 95.23),
];

#[test]
fn openb_gpu_sharing_reproduces_the_fgd_papers_allocation_within_about_a_point() {
    let Some(dir) = shared("traces/alibaba-gpu-v2023-openb") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let list = dir.join("openb_pod_list_default.csv");
    let o = ecsim(&["pack", list.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_mentions(
        &String::from_utf8_lossy(&o.stdout),
        &["fullDemand%", "research mode (not ECS)", "fragmentation"],
    );
    let rows = csv_rows(&out.join("alibaba-gpu-v2023-openb-gpu.csv"));
    assert_eq!(rows.len(), 4 * 10);
    let mut means = Vec::new();
    for (strategy, paper) in FGD_PAPER {
        let of: Vec<f64> = rows
            .iter()
            .filter(|r| r["strategy"] == strategy)
            .map(|r| r["allocatedAtFullDemandPct"].parse().unwrap())
            .collect();
        assert_eq!(of.len(), 10);
        let mean = of.iter().sum::<f64>() / 10.0;
        assert!(
            (mean - paper).abs() <= 1.5,
            "{strategy}: {mean:.2} % of GPUs allocated at full demand; the paper has {paper}"
        );
        for r in rows.iter().filter(|r| r["strategy"] == strategy) {
            assert_eq!(r["totalGpus"], "6212");
            let first: f64 = r["allocatedAtFirstFailurePct"].parse().unwrap();
            let full: f64 = r["allocatedAtFullDemandPct"].parse().unwrap();
            let last: f64 = r["finalAllocatedPct"].parse().unwrap();
            assert!(first <= full && full <= last && last <= 100.0, "{r:?}");
        }
        means.push(mean);
    }
    // The paper's ranking: Random < DotProd < BestFit < FGD.
    assert!(means.windows(2).all(|w| w[0] < w[1]), "{means:?}");
}

#[test]
fn an_openb_pod_list_without_its_node_list_or_with_a_bad_line_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let header = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    let pods = tmp.path().join("openb_pod_list_x.csv");
    std::fs::write(&pods, format!("{header}p0,1000,1024,1,500,,LS,Running,0,10,0\n")).unwrap();
    let out = tmp.path().join("out");
    let o = ecsim(&["pack", pods.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["openb_pod_list_x.csv", "openb_node_list_all_node.csv"],
    );
    std::fs::write(
        tmp.path().join("openb_node_list_all_node.csv"),
        "sn,cpu_milli,memory_mib,gpu,model\nn0,8000,16384,2,T4\n",
    )
    .unwrap();
    std::fs::write(&pods, format!("{header}p0,1000,1024,2,500,,LS,Running,0,10,0\n")).unwrap();
    let o = ecsim(&["pack", pods.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert_mentions(
        &String::from_utf8_lossy(&o.stderr),
        &["openb_pod_list_x.csv:2", "gpu_milli"],
    );
    assert!(!out.exists(), "nothing written");
    std::fs::write(&pods, format!("{header}p0,1000,1024,1,500,,LS,Running,0,10,0\n")).unwrap();
    let o = ecsim(&[
        "pack",
        pods.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--strategy",
        "firstFit",
    ]);
    assert!(!o.status.success());
    assert_mentions(&String::from_utf8_lossy(&o.stderr), &["--strategy", "fragmentation"]);
    let o = ecsim(&[
        "pack",
        pods.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--runs",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let set = std::fs::canonicalize(tmp.path()).unwrap();
    let name = format!("{}-gpu.csv", set.file_name().unwrap().to_str().unwrap());
    assert_eq!(written, std::slice::from_ref(&name));
    let rows = csv_rows(&out.join(name));
    assert_eq!(rows.len(), 4 * 3);
    // 500 thousandths sampled up to 130 % of 2 GPUs: five pods, and the fifth finds the
    // two GPUs full whatever the policy.
    assert!(
        rows.iter()
            .all(|r| r["pods"] == "5" && r["failedPods"] == "1" && r["allocatedAtFirstFailurePct"] == "100.00"),
        "{rows:?}"
    );
    let o = ecsim(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("report/pack-gpu.svg")).unwrap();
    assert_mentions(&svg, &["GPUs allocated (%)", "openb_pod_list_x fragmentation"]);
}
