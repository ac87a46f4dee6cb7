//! Sweeps: a base scenario, axes that set field paths, and seeds. The runs are the
//! cartesian product of the axes' values × seeds (first axis slowest, seeds fastest).

use crate::error::{Error, Report};
use crate::scenario::build::{Scenario, build};
use crate::scenario::load::check_name;
use crate::scenario::load::{self, Format};
use crate::scenario::schema::{Axis, ScenarioFile, SweepFile, SweepTable};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
    /// Every array element.
    All,
}

/// Parses `services[*].placementStrategy`, `instanceGroups[0].instanceType`, `seed`.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| {
        format!(
            "`{path}` is not a field path ({why}): use keys joined by dots, [N] for an index, [*] for every element"
        )
    };
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(bad("empty key"));
        }
        steps.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let end = rest.find(']').ok_or_else(|| bad("unclosed ["))?;
            let inner = &rest[1..end];
            steps.push(match inner {
                "*" => Step::All,
                n => Step::Index(n.parse().map_err(|_| bad("index is not a number"))?),
            });
            rest = &rest[end + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad("text after ]"));
            }
        }
    }
    Ok(steps)
}

/// Sets `value` at every location `steps` matches; returns how many.
pub fn set_path(doc: &mut Value, steps: &[Step], value: &Value) -> usize {
    let Some((first, rest)) = steps.split_first() else {
        *doc = value.clone();
        return 1;
    };
    match first {
        Step::Key(k) => {
            let Value::Object(map) = doc else { return 0 };
            if rest.is_empty() {
                map.insert(k.clone(), value.clone());
                return 1;
            }
            map.get_mut(k).map_or(0, |child| set_path(child, rest, value))
        }
        Step::Index(i) => match doc {
            Value::Array(a) => a.get_mut(*i).map_or(0, |child| set_path(child, rest, value)),
            _ => 0,
        },
        Step::All => match doc {
            Value::Array(a) => a.iter_mut().map(|child| set_path(child, rest, value)).sum(),
            _ => 0,
        },
    }
}

/// One combination of axis values.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The label of each axis's value, in axis order.
    pub labels: Vec<String>,
    /// (path, value) pairs to set.
    pub sets: Vec<(String, Value)>,
}

/// One run of a sweep.
#[derive(Clone, Debug)]
pub struct Run {
    /// Run number, from 0.
    pub index: usize,
    /// Which variant.
    pub variant: usize,
    /// The seed.
    pub seed: u64,
}

/// A checked sweep: every variant's scenario is built before anything runs.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// Results go to `results/<name>/`.
    pub name: String,
    /// Axis names (sweep.csv columns).
    pub axes: Vec<String>,
    /// The variants, cartesian order.
    pub variants: Vec<Variant>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// One checked scenario per variant.
    pub scenarios: Vec<Scenario>,
    /// The question the comparison answers.
    pub select: Option<crate::scenario::schema::Select>,
    /// What identifies this sweep's runs: a hash of its name, base scenario, variants
    /// and seeds (shards and resumed runs must carry the same).
    pub fingerprint: String,
}

/// A parsed `where` bound: column, operator, number.
pub fn parse_condition(c: &str) -> Result<(String, String, f64), String> {
    let bad = || format!("`{c}` is not a bound: write `<summary column> <op> <number>`, op one of <, <=, >, >=");
    let parts: Vec<&str> = c.split_whitespace().collect();
    let [col, op, n] = parts.as_slice() else {
        return Err(bad());
    };
    if !["<", "<=", ">", ">="].contains(op) {
        return Err(bad());
    }
    Ok((col.to_string(), op.to_string(), n.parse().map_err(|_| bad())?))
}

impl Sweep {
    /// The runs, numbered: first axis slowest, seeds fastest.
    pub fn runs(&self) -> Vec<Run> {
        let mut out = Vec::new();
        for v in 0..self.variants.len() {
            for &seed in &self.seeds {
                out.push(Run {
                    index: out.len(),
                    variant: v,
                    seed,
                });
            }
        }
        out
    }
}

fn label_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Expands axes into variants, checking their shape.
pub fn expand_axes(axes: &[Axis], r: &mut Report) -> Vec<Variant> {
    let mut variants = vec![Variant {
        labels: vec![],
        sets: vec![],
    }];
    let mut seen = std::collections::BTreeSet::new();
    for (a, axis) in axes.iter().enumerate() {
        let ap = format!("axes[{a}]");
        if !seen.insert(axis.name.clone()) || axis.name.is_empty() {
            r.error(
                format!("{ap}.name"),
                format!("axis name `{}` must be non-empty and unique", axis.name),
            );
        }
        if axis.values.is_empty() {
            r.error(format!("{ap}.values"), "an axis needs at least one value");
        }
        let mut options: Vec<(String, Vec<(String, Value)>)> = Vec::new();
        for (i, v) in axis.values.iter().enumerate() {
            let vp = format!("{ap}.values[{i}]");
            match &axis.path {
                Some(p) => {
                    if let Err(m) = parse_path(p) {
                        r.error(format!("{ap}.path"), m);
                    }
                    options.push((label_of(v), vec![(p.clone(), v.clone())]));
                }
                None => {
                    let Some(obj) = v.as_object() else {
                        r.error(
                            &vp,
                            "an axis without `path` takes tables { label = \"…\", set = { \"path\" = value } }",
                        );
                        continue;
                    };
                    for k in obj.keys().filter(|k| *k != "label" && *k != "set") {
                        r.error(
                            format!("{vp}.{k}"),
                            format!("unknown field `{k}`, expected `label` or `set`"),
                        );
                    }
                    let label = obj.get("label").and_then(Value::as_str);
                    let set = obj.get("set").and_then(Value::as_object);
                    match (label, set) {
                        (Some(l), Some(s)) if !s.is_empty() => {
                            for p in s.keys() {
                                if let Err(m) = parse_path(p) {
                                    r.error(format!("{vp}.set"), m);
                                }
                            }
                            options.push((l.to_string(), s.iter().map(|(k, v)| (k.clone(), v.clone())).collect()));
                        }
                        _ => r.error(
                            &vp,
                            "a labelled value needs `label` (a string) and `set` (a non-empty table of path = value)",
                        ),
                    }
                }
            }
        }
        variants = variants
            .iter()
            .flat_map(|base| {
                options.iter().map(move |(label, sets)| {
                    let mut v = base.clone();
                    v.labels.push(label.clone());
                    v.sets.extend(sets.iter().cloned());
                    v
                })
            })
            .collect();
    }
    variants
}

/// Builds the scenario of one variant from the base document.
pub fn variant_scenario(base: &Value, variant: &Variant, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let mut doc = base.clone();
    if let Value::Object(m) = &mut doc {
        m.remove("sweep");
    }
    let context = format!("variant {}: ", variant.labels.join(" / "));
    for (path, value) in &variant.sets {
        let steps = parse_path(path).map_err(|m| Error::invalid(file, path, m))?;
        if set_path(&mut doc, &steps, value) == 0 {
            return Err(Error::invalid(
                file,
                path,
                format!("{context}this path matches nothing in the scenario"),
            ));
        }
    }
    let parsed: ScenarioFile = load::from_value(doc.clone(), file, &context)?;
    build(parsed, &doc, file, dir).map_err(|e| match e {
        Error::Invalid(mut ps) => {
            for p in &mut ps {
                p.message = format!("{context}{}", p.message);
            }
            Error::Invalid(ps)
        }
        other => other,
    })
}

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
    let variants = expand_axes(&table.axes, &mut r);
    r.finish()?;
    let scenarios = variants
        .iter()
        .map(|v| variant_scenario(&base_doc, v, &base_file, &base_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let sets: Vec<&Vec<(String, Value)>> = variants.iter().map(|v| &v.sets).collect();
    let identity = serde_json::to_string(&(&name, &base_doc, &sets, &table.seeds)).unwrap_or_default();
    Ok(Sweep {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_and_set() {
        assert_eq!(
            parse_path("services[*].placementStrategy").unwrap(),
            vec![
                Step::Key("services".into()),
                Step::All,
                Step::Key("placementStrategy".into())
            ]
        );
        assert_eq!(
            parse_path("a[2][0]").unwrap(),
            vec![Step::Key("a".into()), Step::Index(2), Step::Index(0)]
        );
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
        let mut doc = json!({"services": [{"n": 1}, {"n": 2}], "groups": [{"t": "a"}]});
        assert_eq!(
            set_path(&mut doc, &parse_path("services[*].s").unwrap(), &json!("x")),
            2
        );
        assert_eq!(set_path(&mut doc, &parse_path("groups[0].t").unwrap(), &json!("b")), 1);
        assert_eq!(set_path(&mut doc, &parse_path("groups[3].t").unwrap(), &json!("b")), 0);
        assert_eq!(set_path(&mut doc, &parse_path("nothing[*].t").unwrap(), &json!("b")), 0);
        assert_eq!(doc["services"][1]["s"], json!("x"));
        assert_eq!(doc["groups"][0]["t"], json!("b"));
    }

    #[test]
    fn axes_expand_in_cartesian_order() {
        let axes: Vec<Axis> = serde_json::from_value(json!([
            {"name": "type", "path": "instanceGroups[0].instanceType", "values": ["m5.xlarge", "c5.2xlarge"]},
            {"name": "strategy", "values": [
                {"label": "bp", "set": {"services[*].placementStrategy": [{"type": "binpack", "field": "memory"}]}},
                {"label": "rnd", "set": {"services[*].placementStrategy": [{"type": "random"}]}},
                {"label": "sp", "set": {"services[*].placementStrategy": []}}
            ]}
        ]))
        .unwrap();
        let mut r = Report::new("s");
        let v = expand_axes(&axes, &mut r);
        assert!(r.is_ok());
        let labels: Vec<String> = v.iter().map(|v| v.labels.join("/")).collect();
        assert_eq!(
            labels,
            vec![
                "m5.xlarge/bp",
                "m5.xlarge/rnd",
                "m5.xlarge/sp",
                "c5.2xlarge/bp",
                "c5.2xlarge/rnd",
                "c5.2xlarge/sp"
            ]
        );
        assert_eq!(v[4].sets.len(), 2);
        let bad: Vec<Axis> = serde_json::from_value(json!([{"name": "x", "values": [{"label": "a"}]}])).unwrap();
        let mut r = Report::new("s");
        expand_axes(&bad, &mut r);
        assert!(!r.is_ok());
    }
}
