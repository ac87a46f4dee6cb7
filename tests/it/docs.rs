//! The docs and the command-line help hold: every example runs, every markdown table
//! renders, and the docs stand on their own (nothing points outside the repository).

use crate::common::ecsim;
use std::path::Path;

const DOCS: &[&str] = &[
    "README.md",
    "ARCHITECTURE.md",
    "DEVELOPERS.md",
    "docs/scenario-reference.md",
    "docs/semantics.md",
    "docs/PERFORMANCE.md",
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Each table (a run of lines starting with `|`) with its second line not a
/// `|---|` separator: markdown renders it as plain text.
fn broken_tables(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut broken = Vec::new();
    let mut i = 0;
    let mut fenced = false;
    while i < lines.len() {
        if lines[i].starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !lines[i].starts_with('|') {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].starts_with('|') {
            i += 1;
        }
        let separated = i - start >= 2 && lines[start + 1].starts_with("|---");
        if !separated {
            broken.push(format!("line {}: {}", start + 1, lines[start]));
        }
    }
    broken
}

#[test]
fn every_markdown_table_has_its_header() {
    for doc in DOCS {
        let broken = broken_tables(&read(doc));
        assert!(
            broken.is_empty(),
            "{doc}: tables without a header row:\n{}",
            broken.join("\n")
        );
    }
    // Guards the test: a blank line inside a table leaves rows without a header.
    assert_eq!(broken_tables("| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n").len(), 1);
}

#[test]
fn the_docs_stand_on_their_own() {
    for doc in DOCS {
        assert!(!read(doc).contains("../shared/docs"), "{doc} points at ../shared/docs");
    }
}

#[test]
fn every_example_in_the_help_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().to_str().unwrap();
    let mut examples = 0;
    for command in ["run", "sweep", "validate", "replay", "explain", "report", "completions"] {
        let help = String::from_utf8(ecsim(&[command, "--help"]).stdout).unwrap();
        let line = help
            .lines()
            .find_map(|l| l.trim().strip_prefix("Example: "))
            .unwrap_or_else(|| panic!("`ecsim {command} --help` gives no example"));
        for step in line.split("&&") {
            let mut args: Vec<String> = step
                .split_whitespace()
                .skip(1)
                .map(|a| a.replace("/tmp/", &format!("{t}/")))
                .collect();
            if ["run", "sweep", "replay"].contains(&args[0].as_str()) && !args.contains(&"--out".to_string()) {
                args.extend(["--out".to_string(), format!("{t}/{command}")]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = ecsim(&args);
            assert!(
                out.status.success(),
                "the example of `ecsim {command} --help` fails: {args:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            examples += 1;
        }
    }
    assert!(examples >= 6);
}

#[test]
fn the_reference_names_every_column_of_tasks_and_instances_csv() {
    let reference = read("docs/scenario-reference.md");
    let row = |file: &str| {
        reference
            .lines()
            .find(|l| l.starts_with(&format!("| `{file}`")))
            .unwrap_or_else(|| panic!("no row for {file}"))
            .to_string()
    };
    for (file, header) in [
        ("tasks.csv", ecsim::output::TASK_HEADER),
        ("instances.csv", ecsim::output::INSTANCE_HEADER),
    ] {
        let r = row(file);
        for column in header {
            assert!(
                r.split(|c: char| !c.is_alphanumeric()).any(|w| w == *column),
                "docs/scenario-reference.md does not name {file} column {column}"
            );
        }
    }
}
