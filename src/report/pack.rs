//! `ecsim pack`'s charts: a bar per strategy of the mean over instances or runs.

use super::chart::{self, Labels};
use super::{Page, Table, render};
use crate::error::Error;

/// The mean of `values` per key, keys in the order they first appear.
fn means(keys: impl Iterator<Item = String>, values: impl Iterator<Item = f64>) -> Vec<(String, f64)> {
    let mut by: Vec<(String, f64, u32)> = Vec::new();
    for (key, v) in keys.zip(values) {
        if !v.is_finite() {
            continue;
        }
        match by.iter_mut().find(|b| b.0 == key) {
            Some(b) => (b.1, b.2) = (b.1 + v, b.2 + 1),
            None => by.push((key, v, 1)),
        }
    }
    by.into_iter().map(|(k, s, n)| (k, s / n as f64)).collect()
}

/// One bar chart of the mean of column `value` per pair of columns `a` and `b`.
fn mean_bars(
    tables: &[Table],
    (a, b, value): (&str, &str, &str),
    file: &str,
    about: &str,
    labels: Labels,
    pages: &mut Vec<Page>,
) -> Result<(), Error> {
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for t in tables {
        keys.extend(t.text(a).into_iter().zip(t.text(b)).map(|(x, y)| format!("{x} {y}")));
        values.extend(t.numbers(value)?);
    }
    let svg = chart::bars(&labels, &means(keys.into_iter(), values.into_iter()));
    render(pages, file, about, labels, svg)
}

/// Bin packing: the mean ratio to the optimum (or lower bound) per strategy and order.
pub(super) fn ratio_chart(tables: &[Table], pages: &mut Vec<Page>) -> Result<(), Error> {
    mean_bars(
        tables,
        ("strategy", "order", "ratio"),
        "pack-ratio.svg",
        "For each strategy and item order, the mean over instances of bins used ÷ the proven optimum (or the best lower bound).",
        Labels {
            title: "Bins used over the optimum (or lower bound), mean per strategy".into(),
            x: "strategy and item order".into(),
            y: "mean ratio".into(),
            y2: None,
        },
        pages,
    )
}

/// GPU sharing on openb pod lists: the mean GPUs allocated at full demand per pod list
/// and strategy.
pub(super) fn gpu_chart(tables: &[Table], pages: &mut Vec<Page>) -> Result<(), Error> {
    mean_bars(
        tables,
        ("instance", "strategy", "allocatedAtFullDemandPct"),
        "pack-gpu.svg",
        "For each openb pod list and strategy, the mean over runs of the cluster's GPUs allocated when the GPU demand that arrived reached the cluster's GPUs.",
        Labels {
            title: "GPU sharing (research mode): GPUs allocated at full demand, mean per strategy".into(),
            x: "pod list and strategy".into(),
            y: "GPUs allocated (%)".into(),
            y2: None,
        },
        pages,
    )
}
