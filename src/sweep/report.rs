//! What a sweep prints: the comparison of its runs, the configuration its `select`
//! asks for, the cheapest one meeting an objective on every seed (`--slo`), and the
//! Pareto-optimal configurations sweep.csv marks.

use super::{Layout, SweepRow, expand};

/// Columns of the printed comparison.
const SHOWN: &[&str] = &[
    "tasksArrived",
    "tasksPlaced",
    "tasksWaitingAtEnd",
    "waitMeanS",
    "waitP50S",
    "waitP95S",
    "waitP99S",
    "instancesUsedMax",
    "instancesUsedMean",
    "cpuReservedMeanPct",
    "memReservedMeanPct",
    "costUsd",
];

fn align(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 || c.parse::<f64>().is_err() {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The most runs the comparison lists one by one (beyond, only the means per configuration).
const PER_RUN_LINES: usize = 60;

/// Each configuration's seeds' values of `col`, in seed order.
fn per_variant(layout: &Layout, rows: &[SweepRow], col: &str) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); layout.variants.len()];
    let hint = rows
        .first()
        .and_then(|r| r.cells.iter().position(|(c, _)| c == col))
        .unwrap_or(0);
    for r in rows {
        let v = r.get_at(hint, col).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        out[layout.run(r.run).0].push(v);
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The comparison printed after a sweep: one line per run, then the mean over seeds
/// of each configuration, then the answers asked for. `rows` in run order.
pub fn comparison_table(layout: &Layout, rows: &[SweepRow], slo: Option<&Slo>) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut header: Vec<String> = vec!["run".into()];
    header.extend(layout.axes.iter().cloned());
    header.push("seed".into());
    header.extend(SHOWN.iter().map(|s| s.to_string()));
    let pick =
        |r: &SweepRow| -> Vec<String> { SHOWN.iter().map(|k| r.get(k).unwrap_or_default().to_string()).collect() };
    let mut table = vec![header];
    for r in rows {
        let (variant, seed) = layout.run(r.run);
        let mut line = vec![r.run.to_string()];
        line.extend(layout.variants[variant].iter().cloned());
        line.push(seed.to_string());
        line.extend(pick(r));
        table.push(line);
    }
    // A big sweep's runs are in sweep.csv; the table shows the means per configuration.
    let mut out = if rows.len() > PER_RUN_LINES && layout.seeds.len() > 1 {
        format!("{} runs: one row each in sweep.csv\n", rows.len())
    } else {
        align(&table)
    };
    if layout.seeds.len() > 1 {
        let mut means = vec![{
            let mut h = vec!["variant".to_string()];
            h.extend(SHOWN.iter().map(|s| s.to_string()));
            h
        }];
        let columns: Vec<Vec<Vec<f64>>> = SHOWN.iter().map(|c| per_variant(layout, rows, c)).collect();
        for v in 0..layout.variants.len() {
            let mut line = vec![layout.label(v)];
            for (c, col) in columns.iter().enumerate() {
                let m = mean(&col[v]);
                line.push(if SHOWN[c] == "costUsd" {
                    format!("{m:.4}")
                } else {
                    format!("{m:.2}")
                });
            }
            means.push(line);
        }
        out.push_str(&format!("\nMean over {} seeds:\n", layout.seeds.len()));
        out.push_str(&align(&means));
    }
    if let Some(sel) = &layout.select {
        out.push('\n');
        out.push_str(&answer(layout, rows, sel));
    }
    if let Some(slo) = slo {
        out.push('\n');
        out.push_str(&slo_answer(layout, rows, slo));
    }
    out
}

/// The configuration a sweep's `select` asks for: the least mean `minimize` among those
/// whose every seed meets `where` (a mean could hide one seed past the bound), on a
/// line beginning `answer:`.
pub fn answer(layout: &Layout, rows: &[SweepRow], sel: &crate::scenario::schema::Select) -> String {
    match sel.condition.as_deref().and_then(|c| expand::parse_condition(c).ok()) {
        Some((column, op, bound)) => slo_answer(
            layout,
            rows,
            &Slo {
                column,
                op,
                bound,
                quantile: 1.0,
                minimize: sel.minimize.clone(),
            },
        ),
        None => {
            let values = per_variant(layout, rows, &sel.minimize);
            let best = (0..layout.variants.len())
                .filter(|&v| !values[v].is_empty())
                .min_by(|&a, &b| mean(&values[a]).total_cmp(&mean(&values[b])).then(a.cmp(&b)));
            match best {
                Some(v) => format!(
                    "answer: {} — the least mean {}: {:.4} (seeds {})\n",
                    layout.label(v),
                    sel.minimize,
                    mean(&values[v]),
                    spread(&values[v])
                ),
                None => "answer: none — no runs\n".into(),
            }
        }
    }
}

/// The lowest and highest of `v`, as `lo–hi`.
fn spread(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{lo:.3}–{hi:.3}")
}

fn compare(v: f64, op: &str, n: f64) -> bool {
    match op {
        "<" => v < n,
        "<=" => v <= n,
        ">" => v > n,
        _ => v >= n,
    }
}

/// Per configuration, whether it is Pareto-optimal for (mean costUsd, mean waitP95S)
/// and for (mean costUsd, mean instancesMax): no other configuration is as good in both
/// and better in one.
pub fn pareto(layout: &Layout, rows: &[SweepRow]) -> Vec<(bool, bool)> {
    let means = |col: &str| -> Vec<f64> { per_variant(layout, rows, col).iter().map(|v| mean(v)).collect() };
    let cost = means("costUsd");
    let front = |other: &[f64]| -> Vec<bool> {
        (0..cost.len())
            .map(|a| {
                !(0..cost.len())
                    .any(|b| cost[b] <= cost[a] && other[b] <= other[a] && (cost[b] < cost[a] || other[b] < other[a]))
            })
            .collect()
    };
    let wait = front(&means("waitP95S"));
    let instances = front(&means("instancesMax"));
    wait.into_iter().zip(instances).collect()
}

/// A service-level objective over a summary column, met by a share of the seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// The summary column.
    pub column: String,
    /// `<`, `<=`, `>` or `>=`.
    pub op: String,
    /// The bound.
    pub bound: f64,
    /// The share of seeds that must meet it (1 = every seed).
    pub quantile: f64,
    /// The column whose mean the answer minimises among those meeting it (`costUsd`).
    pub minimize: String,
}

impl Slo {
    /// `--slo "waitP95S<=60"` (spaces optional) and `--slo-quantile`.
    pub fn parse(text: &str, quantile: f64) -> Result<Slo, String> {
        let spaced = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| {
                text.split_once(op)
                    .map(|(c, n)| format!("{} {op} {}", c.trim(), n.trim()))
            })
            .unwrap_or_default();
        let (column, op, bound) = expand::parse_condition(&spaced).map_err(|_| {
            format!("`{text}` is not an objective: write `<summary column><op><number>`, op one of <, <=, >, >= (e.g. waitP95S<=60)")
        })?;
        if !crate::sim::metrics::Summary::is_column(&column) {
            return Err(format!("`{column}` is not a summary column"));
        }
        if !(quantile > 0.0 && quantile <= 1.0) {
            return Err(format!(
                "--slo-quantile {quantile}: a share of seeds, above 0 and at most 1"
            ));
        }
        Ok(Slo {
            column,
            op,
            bound,
            quantile,
            minimize: "costUsd".into(),
        })
    }
}

/// The cheapest configuration (least mean `slo.minimize`, costUsd unless a `select`
/// says otherwise) whose seeds meet `slo` — every seed, or the share `slo.quantile`
/// asks — on a line beginning `answer:`, with its margin (the worst qualifying seed's
/// distance from the bound) and the spread over seeds of the objective and the cost.
pub fn slo_answer(layout: &Layout, rows: &[SweepRow], slo: &Slo) -> String {
    let values = per_variant(layout, rows, &slo.column);
    let cost = per_variant(layout, rows, &slo.minimize);
    let need = |n: usize| ((slo.quantile * n as f64) - 1e-9).ceil().max(1.0) as usize;
    let meets = |v: usize| values[v].iter().filter(|&&x| compare(x, &slo.op, slo.bound)).count();
    let objective = format!("{}{}{}", slo.column, slo.op, slo.bound);
    let seeds = if slo.quantile >= 1.0 {
        "every seed".to_string()
    } else {
        format!("{:.0} % of seeds", slo.quantile * 100.0)
    };
    let best = (0..layout.variants.len())
        .filter(|&v| !values[v].is_empty() && meets(v) >= need(values[v].len()))
        .min_by(|&a, &b| mean(&cost[a]).total_cmp(&mean(&cost[b])).then(a.cmp(&b)));
    let which = if slo.minimize == "costUsd" {
        "the cheapest configuration".to_string()
    } else {
        format!("the least mean {}", slo.minimize)
    };
    match best {
        Some(v) => {
            // The margin: how far the k-th best seed (k = the seeds needed) is inside the bound.
            let mut inside: Vec<f64> = values[v]
                .iter()
                .map(|x| {
                    if slo.op.starts_with('<') {
                        slo.bound - x
                    } else {
                        x - slo.bound
                    }
                })
                .collect();
            inside.sort_by(|a, b| b.total_cmp(a));
            let margin = inside[need(values[v].len()) - 1];
            format!(
                "answer: {} — {which} with {objective} on {seeds}: {} mean {:.4} (seeds {}), {} seeds {} (margin {margin:.3}), {} of {} seeds meet it\n",
                layout.label(v),
                slo.minimize,
                mean(&cost[v]),
                spread(&cost[v]),
                slo.column,
                spread(&values[v]),
                meets(v),
                values[v].len()
            )
        }
        None => {
            let closest = (0..layout.variants.len()).max_by(|&a, &b| meets(a).cmp(&meets(b)).then(b.cmp(&a)));
            format!(
                "answer: none — no configuration has {objective} on {seeds}{}\n",
                closest
                    .map(|v| format!(
                        "; closest: {} ({} of {} seeds, {} {})",
                        layout.label(v),
                        meets(v),
                        values[v].len(),
                        slo.column,
                        spread(&values[v])
                    ))
                    .unwrap_or_default()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three configurations × two seeds: (costUsd, waitP95S, instancesMax) per run.
    fn sweep_of(values: &[(f64, f64, f64)]) -> (Layout, Vec<SweepRow>) {
        let layout = Layout {
            name: "t".into(),
            fingerprint: "f".into(),
            axes: vec!["type".into()],
            variants: vec![vec!["small".into()], vec!["medium".into()], vec!["large".into()]],
            seeds: vec![1, 2],
            select: None,
        };
        let rows = values
            .iter()
            .enumerate()
            .map(|(run, (c, w, i))| SweepRow {
                run,
                cells: vec![
                    ("costUsd".into(), c.to_string()),
                    ("waitP95S".into(), w.to_string()),
                    ("instancesMax".into(), i.to_string()),
                ],
            })
            .collect();
        (layout, rows)
    }

    #[test]
    fn the_answer_needs_every_seed_to_meet_the_objective_not_the_mean() {
        // small: mean wait 50 but one seed at 61; medium meets on both; large is dearer.
        let (layout, rows) = sweep_of(&[
            (10.0, 39.0, 4.0),
            (10.0, 61.0, 4.0),
            (12.0, 55.0, 5.0),
            (12.0, 59.2, 5.0),
            (20.0, 5.0, 9.0),
            (20.0, 6.0, 9.0),
        ]);
        let every = Slo::parse("waitP95S<=60", 1.0).unwrap();
        let a = slo_answer(&layout, &rows, &every);
        assert!(a.starts_with("answer: medium — "), "{a}");
        assert!(a.contains("margin 0.800") && a.contains("2 of 2 seeds"), "{a}");
        // Half the seeds suffice: the cheapest, small, with its better seed's margin.
        let half = Slo::parse("waitP95S <= 60", 0.5).unwrap();
        assert!(slo_answer(&layout, &rows, &half).starts_with("answer: small — "));
        // A scenario's select asks every seed too (its mean 50 s would let `small` win).
        let sel = crate::scenario::schema::Select {
            minimize: "costUsd".into(),
            condition: Some("waitP95S <= 60".into()),
        };
        assert!(answer(&layout, &rows, &sel).starts_with("answer: medium — "));
        let cheapest = crate::scenario::schema::Select {
            minimize: "costUsd".into(),
            condition: None,
        };
        assert!(answer(&layout, &rows, &cheapest).starts_with("answer: small — the least mean costUsd: 10.0000"));
        let none = Slo::parse("waitP95S<1", 1.0).unwrap();
        assert!(slo_answer(&layout, &rows, &none).starts_with("answer: none — "));
        assert!(
            Slo::parse("waitP95 <= 60", 1.0)
                .unwrap_err()
                .contains("not a summary column")
        );
        assert!(Slo::parse("waitP95S == 60", 1.0).is_err());
        assert!(Slo::parse("waitP95S<=60", 0.0).is_err());
    }

    #[test]
    fn pareto_marks_the_configurations_nothing_beats_on_both() {
        // medium is beaten by small on cost and instances, but not on wait; large is
        // beaten by medium on wait (same wait, dearer) but has the fewest instances.
        let (layout, rows) = sweep_of(&[
            (10.0, 50.0, 4.0),
            (10.0, 50.0, 4.0),
            (12.0, 30.0, 5.0),
            (12.0, 30.0, 5.0),
            (20.0, 30.0, 1.0),
            (20.0, 30.0, 3.0),
        ]);
        assert_eq!(pareto(&layout, &rows), [(true, true), (true, false), (false, true)]);
    }
}
