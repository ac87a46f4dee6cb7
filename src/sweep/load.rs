//! Loading a sweep: a sweep file or a scenario's `[sweep]` table, checked whole — every
//! configuration's scenario is built before anything runs — and fingerprinted.

use super::expand::{Sweep, expand_axes, parse_condition, unchanging_values, variant_scenario};
use crate::error::{Error, Report};
use crate::scenario::build::build;
use crate::scenario::load::{self, Format, check_name};
use crate::scenario::schema::{ScenarioFile, SweepFile, SweepTable};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Loads a sweep file, or a scenario carrying its own `[sweep]` table.
pub fn load_sweep(path: &Path) -> Result<Sweep, Error> {
    let file = path.display().to_string();
    let format = load::format_of(path)?;
    let text = load::read(path)?;
    let doc = load::parse_value(&text, format, &file)?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let (name, table, base_doc, base_file, base_dir): (String, SweepTable, Value, String, PathBuf) = if doc
        .get("scenario")
        .is_some()
    {
        let sf: SweepFile = load::parse_typed(&text, format, &file)?;
        let mut r = Report::new(&file);
        check_name(&sf.name, "name", &mut r);
        r.finish()?;
        let scenario_path = dir.join(&sf.scenario);
        let sfile = scenario_path.display().to_string();
        let stext = load::read(&scenario_path)?;
        let sformat: Format = load::format_of(&scenario_path)?;
        let base: ScenarioFile = load::parse_typed(&stext, sformat, &sfile)?;
        let bdoc = load::parse_value(&stext, sformat, &sfile)?;
        build(base, &bdoc, &sfile, scenario_path.parent().unwrap_or(Path::new(".")))?;
        (
            sf.name,
            SweepTable {
                seeds: sf.seeds,
                axes: sf.axes,
                select: sf.select,
                exclude: sf.exclude,
            },
            bdoc,
            sfile,
            scenario_path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        )
    } else {
        let sc = build(load::parse_typed(&text, format, &file)?, &doc, &file, &dir)?;
        let Some(table) = sc.sweep else {
            return Err(Error::invalid(
                &file,
                "sweep",
                "this scenario has no [sweep] table (and is not a sweep file with `scenario`): add one, or use `ecsim run`",
            ));
        };
        (sc.name, table, doc, file.clone(), dir)
    };
    let mut r = Report::new(&file);
    if table.seeds.is_empty() {
        r.error("seeds", "a sweep needs at least one seed");
    }
    if let Some(sel) = &table.select {
        let known = |c: &str| crate::sim::metrics::Summary::is_column(c);
        if !known(&sel.minimize) {
            r.error("select.minimize", format!("`{}` is not a summary column", sel.minimize));
        }
        if let Some(c) = &sel.condition {
            match parse_condition(c) {
                Ok((col, _, _)) if !known(&col) => r.error("select.where", format!("`{col}` is not a summary column")),
                Ok(_) => {}
                Err(m) => r.error("select.where", m),
            }
        }
    }
    let variants = expand_axes(&table.axes, &table.exclude, &mut r);
    if r.is_ok() && variants.is_empty() {
        r.error("exclude", "every configuration is excluded: nothing would run");
    }
    r.finish()?;
    let warnings = unchanging_values(&table.axes, &base_doc, &file);
    let scenarios = variants
        .iter()
        .map(|v| variant_scenario(&base_doc, v, &base_file, &base_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let sets: Vec<&Vec<(String, Value)>> = variants.iter().map(|v| &v.sets).collect();
    let identity = serde_json::to_string(&(&name, &base_doc, &sets, &table.seeds)).unwrap_or_default();
    Ok(Sweep {
        warnings,
        fingerprint: fingerprint(&identity),
        name,
        axes: table.axes.iter().map(|a| a.name.clone()).collect(),
        variants,
        seeds: table.seeds,
        scenarios,
        select: table.select,
    })
}

/// A 64-bit FNV-1a hash of `text`, in hex, with the ecsim version that will run it.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}-{}", env!("CARGO_PKG_VERSION"))
}
