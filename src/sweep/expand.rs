//! Sweeps: a base scenario, axes that set field paths, and seeds. The runs are the
//! cartesian product of the axes' values (less exclusions; zipped axes step together)
//! × seeds (first axis slowest, seeds fastest).

use crate::error::{Error, Report};
use crate::scenario::build::{Scenario, build};
use crate::scenario::load;
use crate::scenario::schema::{Axis, ScenarioFile};
use serde_json::Value;
use std::path::Path;

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
    /// Axis values that change nothing.
    pub warnings: Vec<crate::error::Problem>,
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

fn label_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// One axis's values: label and (path, value) pairs each.
type Options = Vec<(String, Vec<(String, Value)>)>;

/// Reads one axis's values, checking their shape.
fn axis_options(a: usize, axis: &Axis, r: &mut Report) -> Options {
    let ap = format!("axes[{a}]");
    if axis.values.is_empty() {
        r.error(format!("{ap}.values"), "an axis needs at least one value");
    }
    let mut options = Options::new();
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
                    (Some(l), Some(s)) => {
                        for p in s.keys() {
                            if let Err(m) = parse_path(p) {
                                r.error(format!("{vp}.set"), m);
                            }
                        }
                        options.push((l.to_string(), s.iter().map(|(k, v)| (k.clone(), v.clone())).collect()));
                    }
                    _ => r.error(
                        &vp,
                        "a labelled value needs `label` (a string) and `set` (a table of path = value; `set = {}` is the baseline)",
                    ),
                }
            }
        }
    }
    let mut labels = std::collections::BTreeSet::new();
    for (i, (l, _)) in options.iter().enumerate() {
        if !labels.insert(l.as_str()) {
            r.error(
                format!("{ap}.values[{i}]"),
                format!("label `{l}` appears twice on this axis"),
            );
        }
    }
    options
}

/// Expands axes into variants: the cartesian product of the axes, except that an axis
/// with `zipWith` steps with the axis it names, and less the `exclude`d combinations.
/// The first axis varies slowest.
pub fn expand_axes(
    axes: &[Axis],
    exclude: &[std::collections::BTreeMap<String, String>],
    r: &mut Report,
) -> Vec<Variant> {
    let mut seen = std::collections::BTreeSet::new();
    for (a, axis) in axes.iter().enumerate() {
        if !seen.insert(axis.name.clone()) || axis.name.is_empty() {
            r.error(
                format!("axes[{a}].name"),
                format!("axis name `{}` must be non-empty and unique", axis.name),
            );
        }
    }
    let options: Vec<Options> = axes.iter().enumerate().map(|(a, x)| axis_options(a, x, r)).collect();
    // Each axis's leader: itself, or the earlier axis it is zipped with (followed to the end).
    let mut leader: Vec<usize> = (0..axes.len()).collect();
    for (a, axis) in axes.iter().enumerate() {
        let Some(with) = &axis.zip_with else { continue };
        match axes[..a].iter().position(|x| &x.name == with) {
            Some(b) if options[b].len() == options[a].len() => leader[a] = leader[b],
            Some(b) => r.error(
                format!("axes[{a}].zipWith"),
                format!(
                    "`{with}` has {} values and this axis {}: zipped axes step together, value by value, so they need as many",
                    options[b].len(),
                    options[a].len()
                ),
            ),
            None => r.error(
                format!("axes[{a}].zipWith"),
                format!("`{with}` is not an earlier axis: zip an axis with one named before it"),
            ),
        }
    }
    for (e, entry) in exclude.iter().enumerate() {
        for (name, label) in entry {
            match axes.iter().position(|x| &x.name == name) {
                Some(a) if options[a].iter().any(|(l, _)| l == label) => {}
                Some(a) => r.error(
                    format!("exclude[{e}].{name}"),
                    format!(
                        "`{label}` is not a value of axis `{name}`: its labels are {}",
                        options[a]
                            .iter()
                            .map(|(l, _)| l.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                None => r.error(format!("exclude[{e}]"), format!("`{name}` is not an axis")),
            }
        }
    }
    if !r.is_ok() {
        return Vec::new();
    }
    // The product over the leaders, slowest first; a zipped axis takes its leader's index.
    let leaders: Vec<usize> = (0..axes.len()).filter(|&a| leader[a] == a).collect();
    let mut picks: Vec<Vec<usize>> = vec![vec![0; axes.len()]];
    for &l in &leaders {
        picks = picks
            .into_iter()
            .flat_map(|p| {
                (0..options[l].len()).map(move |i| {
                    let mut p = p.clone();
                    p[l] = i;
                    p
                })
            })
            .collect();
    }
    picks
        .into_iter()
        .map(|mut p| {
            for a in 0..axes.len() {
                p[a] = p[leader[a]];
            }
            Variant {
                labels: (0..axes.len()).map(|a| options[a][p[a]].0.clone()).collect(),
                sets: (0..axes.len())
                    .flat_map(|a| options[a][p[a]].1.iter().cloned())
                    .collect(),
            }
        })
        .filter(|v| {
            !exclude.iter().any(|entry| {
                entry.iter().all(|(name, label)| {
                    axes.iter()
                        .position(|x| &x.name == name)
                        .is_some_and(|a| &v.labels[a] == label)
                })
            })
        })
        .collect()
}

/// Axis values that leave the base scenario as it is (a labelled `set = {}`, the
/// baseline, is meant to): warnings, since their configurations repeat others.
pub fn unchanging_values(axes: &[Axis], base: &Value, file: &str) -> Vec<crate::error::Problem> {
    let mut r = Report::new(file);
    let mut quiet = Report::new(file);
    let unchanged = variant_doc(
        base,
        &Variant {
            labels: vec![],
            sets: vec![],
        },
        file,
    )
    .ok();
    for (a, axis) in axes.iter().enumerate() {
        for (i, (label, sets)) in axis_options(a, axis, &mut quiet).into_iter().enumerate() {
            if sets.is_empty() {
                continue;
            }
            let v = Variant {
                labels: vec![label.clone()],
                sets,
            };
            if variant_doc(base, &v, file).ok() == unchanged {
                r.warn(
                    format!("axes[{a}].values[{i}]"),
                    format!("`{label}` changes nothing: the base scenario already has it, so its runs repeat the base's (write `set = {{}}` for a baseline)"),
                );
            }
        }
    }
    r.warnings
}

/// The document of one variant: the base with the variant's values set (and no `sweep`).
pub fn variant_doc(base: &Value, variant: &Variant, file: &str) -> Result<Value, Error> {
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
    Ok(doc)
}

/// Builds the scenario of one variant from the base document.
pub fn variant_scenario(base: &Value, variant: &Variant, file: &str, dir: &Path) -> Result<Scenario, Error> {
    let doc = variant_doc(base, variant, file)?;
    let context = format!("variant {}: ", variant.labels.join(" / "));
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
        let v = expand_axes(&axes, &[], &mut r);
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
        expand_axes(&bad, &[], &mut r);
        assert!(!r.is_ok());
    }

    #[test]
    fn zipped_axes_step_together_and_excluded_combinations_go() {
        let axes: Vec<Axis> = serde_json::from_value(json!([
            {"name": "launch", "values": [
                {"label": "baseline", "set": {}},
                {"label": "FARGATE", "set": {"workloads[*].runTask.launchType": "FARGATE"}}
            ]},
            {"name": "type", "path": "instanceGroups[0].instanceType", "values": ["m5.xlarge", "c5.2xlarge", "r5.large"]},
            {"name": "count", "path": "instanceGroups[0].count", "values": [4, 8, 2], "zipWith": "type"},
            {"name": "strategy", "values": [
                {"label": "bp", "set": {"services[*].placementStrategy": [{"type": "binpack", "field": "memory"}]}},
                {"label": "rnd", "set": {"services[*].placementStrategy": [{"type": "random"}]}}
            ]}
        ]))
        .unwrap();
        let exclude: Vec<std::collections::BTreeMap<String, String>> =
            serde_json::from_value(json!([{"launch": "FARGATE", "strategy": "rnd"}])).unwrap();
        let mut r = Report::new("s");
        let v = expand_axes(&axes, &exclude, &mut r);
        assert!(r.is_ok(), "{:?}", r.errors);
        let labels: Vec<String> = v.iter().map(|v| v.labels.join("/")).collect();
        assert_eq!(labels.len(), 2 * 3 * 2 - 3);
        assert_eq!(labels[0], "baseline/m5.xlarge/4/bp");
        assert_eq!(labels[3], "baseline/c5.2xlarge/8/rnd");
        assert!(labels.contains(&"FARGATE/r5.large/2/bp".to_string()));
        assert!(!labels.iter().any(|l| l.starts_with("FARGATE") && l.ends_with("rnd")));
        assert!(v[0].sets.len() == 3, "the baseline sets nothing: {:?}", v[0].sets);
        // Zipping needs an earlier axis with as many values; exclusions name real labels.
        let mut bad = axes.clone();
        bad[2].values.pop();
        let mut r = Report::new("s");
        expand_axes(&bad, &[], &mut r);
        assert!(
            r.errors[0].message.contains("zipped axes step together"),
            "{:?}",
            r.errors
        );
        let wrong: Vec<std::collections::BTreeMap<String, String>> =
            serde_json::from_value(json!([{"launch": "EC2"}])).unwrap();
        let mut r = Report::new("s");
        expand_axes(&axes, &wrong, &mut r);
        assert_eq!(r.errors[0].path, "exclude[0].launch");
        assert!(r.errors[0].message.contains("its labels are baseline, FARGATE"));
    }

    #[test]
    fn values_that_change_nothing_are_reported_but_the_baseline_is_not() {
        let base = json!({"name": "b", "instanceGroups": [{"count": 4}]});
        let axes: Vec<Axis> = serde_json::from_value(json!([
            {"name": "count", "path": "instanceGroups[0].count", "values": [4, 8]},
            {"name": "b", "values": [{"label": "baseline", "set": {}}]}
        ]))
        .unwrap();
        let w = unchanging_values(&axes, &base, "s.toml");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "axes[0].values[0]");
        assert!(w[0].message.contains("`4` changes nothing"));
    }
}
