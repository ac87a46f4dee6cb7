//! The layers of ARCHITECTURE.md hold: a module of the library uses only modules of
//! earlier layers (so there are no import circles between them); and nothing calls the
//! platform's math library, whose last bits may differ between systems.

use std::path::Path;

/// Top-level modules by layer, earliest first.
const LAYERS: &[&[&str]] = &[
    &["text"],
    &["engine", "error"],
    &["appscaling"],
    &["ecs"],
    &["capacity", "placement"],
    &["control"],
    &["scenario"],
    &["replay"],
    &["sim"],
    &["output"],
    &["sweep", "pack", "report"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The `crate::<module>` names a source file uses outside comments and its tests.
fn uses(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    code.match_indices("crate::")
        .map(|(i, _)| {
            code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect()
        })
        .collect()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_uses_only_earlier_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for f in &all {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let own = layer(&top).unwrap_or_else(|| panic!("{top} is in no layer of ARCHITECTURE.md"));
        for used in uses(&std::fs::read_to_string(f).unwrap()) {
            if used != top && layer(&used).is_none_or(|l| l >= own) {
                wrong.push(format!("{} uses crate::{used}", rel.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_layer_check_sees_a_wrong_import() {
    // Guards the test above: it must catch an engine file that uses the domain.
    assert_eq!(uses("use crate::ecs::cluster::Cluster; // crate::sim\n"), ["ecs"]);
    assert!(layer("ecs").unwrap() >= layer("engine").unwrap());
}

/// Float functions whose results the platform's math library decides (they may differ
/// in the last bit between systems); `libm`'s are used instead.
const PLATFORM_MATH: &[&str] = &[
    ".ln()",
    ".log(",
    ".log2()",
    ".log10()",
    ".exp()",
    ".exp2()",
    ".powi(",
    ".powf(",
    ".sin()",
    ".cos()",
    ".tan()",
    ".ln_1p()",
    ".exp_m1()",
    ".cbrt()",
    ".hypot(",
    "rand_distr",
];

/// The platform-math calls in `text`, outside comments.
fn platform_math(text: &str) -> Vec<&'static str> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    PLATFORM_MATH.iter().copied().filter(|m| code.contains(m)).collect()
}

/// Every source file under `src/` with its text.
fn sources() -> Vec<(std::path::PathBuf, String)> {
    let mut all = Vec::new();
    files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut all);
    all.into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect()
}

#[test]
fn no_run_uses_the_platform_math_library() {
    let found: Vec<String> = sources()
        .iter()
        .flat_map(|(f, text)| {
            platform_math(text)
                .into_iter()
                .map(move |m| format!("{}: {m}", f.display()))
        })
        .collect();
    assert!(found.is_empty(), "use libm instead:\n{}", found.join("\n"));
    assert_eq!(platform_math("let y = x.ln(); // not .exp()"), [".ln()"]);
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = sources()
        .iter()
        .map(|(f, text)| (f, text.lines().count()))
        .filter(|(_, n)| *n > 600)
        .map(|(f, n)| format!("{}: {n} lines", f.display()))
        .collect();
    assert!(
        long.is_empty(),
        "split these (ARCHITECTURE.md: no source file over 600 lines):\n{}",
        long.join("\n")
    );
}
