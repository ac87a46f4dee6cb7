//! The trace file formats: Alibaba 2017 batch_task.csv, openb pod and node lists,
//! Azure 2017 arrivals with their durations. Rows as read, in trace seconds.

use super::{Shape, TraceError};
use std::path::Path;

/// One row as read: trace seconds, shape, count, run time in trace seconds.
pub(super) struct Raw {
    pub(super) at: f64,
    pub(super) shape: Shape,
    pub(super) count: u32,
    pub(super) run_for: Option<f64>,
}

fn field<'a>(rec: &'a csv::StringRecord, i: usize, file: &str, line: usize, what: &str) -> Result<&'a str, TraceError> {
    rec.get(i).map(str::trim).ok_or_else(|| {
        (
            file.to_string(),
            line,
            i + 1,
            format!("missing column {} ({what})", i + 1),
        )
    })
}

fn number(v: &str, file: &str, line: usize, col: usize, what: &str) -> Result<f64, TraceError> {
    v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
        (
            file.to_string(),
            line,
            col + 1,
            format!("{what}: `{v}` is not a number"),
        )
    })
}

/// A CSV record and its line, or the error naming the file and line.
fn record(rec: csv::Result<csv::StringRecord>, file: &str) -> Result<(csv::StringRecord, usize), TraceError> {
    let rec = rec.map_err(|e| {
        (
            file.to_string(),
            e.position().map_or(0, |p| p.line() as usize),
            0,
            e.to_string(),
        )
    })?;
    let line = rec.position().map_or(0, |p| p.line() as usize);
    Ok((rec, line))
}

/// Column `c` of a record as a number (`what` names it in errors).
fn column(rec: &csv::StringRecord, c: usize, file: &str, line: usize, what: &str) -> Result<f64, TraceError> {
    number(field(rec, c, file, line, what)?, file, line, c, what)
}

/// Column `c` as a number ≥ 0 (> 0 when `positive`).
fn at_least(
    rec: &csv::StringRecord,
    c: usize,
    file: &str,
    line: usize,
    what: &str,
    positive: bool,
) -> Result<f64, TraceError> {
    let x = column(rec, c, file, line, what)?;
    if x < 0.0 || (positive && x == 0.0) {
        let least = if positive { "more than 0" } else { "≥ 0" };
        return Err((file.to_string(), line, c + 1, format!("{what}: {x} must be {least}")));
    }
    Ok(x)
}

/// The positions of the header's columns `names`; a missing one is an error saying
/// what a file of `kind` has.
fn columns<const N: usize>(
    r: &mut csv::Reader<&[u8]>,
    file: &str,
    names: [&str; N],
    kind: &str,
) -> Result<[usize; N], TraceError> {
    let headers = r.headers().map_err(|e| (file.to_string(), 1, 0, e.to_string()))?;
    let mut out = [0; N];
    for (k, name) in names.iter().enumerate() {
        out[k] = headers.iter().position(|h| h.trim() == *name).ok_or_else(|| {
            (
                file.to_string(),
                1,
                0,
                format!("no `{name}` column: {kind} has {}", names.join(", ")),
            )
        })?;
    }
    Ok(out)
}

fn open(path: &Path) -> Result<String, TraceError> {
    std::fs::read_to_string(path).map_err(|e| (path.display().to_string(), 0, 0, format!("cannot read: {e}")))
}

fn csv_rows(text: &str, header: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(header)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// Alibaba 2017 batch_task.csv: create, end, job, task, instances, status, CPU per
/// instance (1/100 core), normalised memory per instance. Rows without a request
/// (`Waiting`, mostly) are skipped; a task still running at the trace's end (end before create)
/// runs to the end of the trace.
pub(super) fn alibaba(path: &Path, machine_mib: f64) -> Result<Vec<Raw>, TraceError> {
    let text = open(path)?;
    let file = path.display().to_string();
    let header = text.split(',').next().is_some_and(|f| f.trim().parse::<f64>().is_err());
    let mut raws = Vec::new();
    let mut end_of_trace = f64::NEG_INFINITY;
    let mut r = csv_rows(&text, header);
    for rec in r.records() {
        let (rec, line) = record(rec, &file)?;
        let (cpu, mem) = (
            field(&rec, 6, &file, line, "CPU")?,
            field(&rec, 7, &file, line, "memory")?,
        );
        if cpu.is_empty() || mem.is_empty() {
            continue;
        }
        let create = column(&rec, 0, &file, line, "task create time")?;
        let end = column(&rec, 1, &file, line, "task end time")?;
        let count = column(&rec, 4, &file, line, "number of instances")?;
        let cpu = number(cpu, &file, line, 6, "CPUs requested")?;
        let mem = number(mem, &file, line, 7, "normalised memory")?;
        if count < 0.0 || cpu < 0.0 || mem < 0.0 {
            return Err((file, line, 5, "instances, CPU and memory must be ≥ 0".into()));
        }
        end_of_trace = end_of_trace.max(end);
        raws.push(Raw {
            at: create,
            shape: Shape {
                cpu: (cpu / 100.0 * 1024.0).round() as u32,
                memory: (mem * machine_mib / 0.69).round() as u32,
                gpus: 0,
                gpu_models: Vec::new(),
            },
            count: count as u32,
            run_for: (end >= create).then_some(end - create),
        });
    }
    for raw in &mut raws {
        raw.run_for = Some(raw.run_for.unwrap_or(end_of_trace - raw.at).max(0.0));
    }
    Ok(raws)
}

/// One pod of an openb pod list, as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenbPod {
    /// CPU, thousandths of a core.
    pub cpu_milli: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// GPUs.
    pub num_gpu: u32,
    /// Thousandths of each GPU (below 1000: a share of one GPU).
    pub gpu_milli: u32,
    /// GPU models allowed (`gpu_spec` split at `|`), sorted; empty: any.
    pub gpu_models: Vec<String>,
    /// Creation time, seconds.
    pub created: f64,
    /// Deletion time, seconds.
    pub deleted: f64,
}

/// Reads an openb pod list: name, cpu_milli, memory_mib, num_gpu, gpu_milli, gpu_spec,
/// qos, pod_phase, creation_time, deletion_time, scheduled_time (by header name).
pub fn openb_pods(path: &Path) -> Result<Vec<OpenbPod>, TraceError> {
    let text = open(path)?;
    let file = path.display().to_string();
    let mut r = csv_rows(&text, true);
    let [c_cpu, c_mem, c_gpu, c_milli, c_spec, c_new, c_del] = columns(
        &mut r,
        &file,
        [
            "cpu_milli",
            "memory_mib",
            "num_gpu",
            "gpu_milli",
            "gpu_spec",
            "creation_time",
            "deletion_time",
        ],
        "an openb pod list",
    )?;
    let mut pods = Vec::new();
    for rec in r.records() {
        let (rec, line) = record(rec, &file)?;
        let num = |c: usize, what: &str| at_least(&rec, c, &file, line, what, false);
        let whole = |c: usize, what: &str| -> Result<u32, TraceError> {
            let v = num(c, what)?;
            if v.fract() != 0.0 || v > u32::MAX as f64 {
                return Err((
                    file.clone(),
                    line,
                    c + 1,
                    format!("{what} is {v}: a whole number was expected"),
                ));
            }
            Ok(v as u32)
        };
        let spec = field(&rec, c_spec, &file, line, "gpu_spec")?;
        let mut gpu_models: Vec<String> = spec.split('|').filter(|s| !s.is_empty()).map(String::from).collect();
        gpu_models.sort();
        pods.push(OpenbPod {
            cpu_milli: whole(c_cpu, "cpu_milli")?,
            memory_mib: whole(c_mem, "memory_mib")?,
            num_gpu: whole(c_gpu, "num_gpu")?,
            gpu_milli: whole(c_milli, "gpu_milli")?,
            gpu_models,
            created: num(c_new, "creation_time")?,
            deleted: num(c_del, "deletion_time")?,
        });
    }
    Ok(pods)
}

/// An openb pod list as trace records. A pod sharing a fraction of a GPU takes one
/// whole GPU (ECS has no GPU sharing).
pub(super) fn openb(path: &Path) -> Result<Vec<Raw>, TraceError> {
    Ok(openb_pods(path)?
        .into_iter()
        .map(|p| Raw {
            at: p.created,
            shape: Shape {
                cpu: (p.cpu_milli as f64 * 1.024).round() as u32,
                memory: p.memory_mib,
                gpus: if p.num_gpu == 0 && p.gpu_milli > 0 {
                    1
                } else {
                    p.num_gpu
                },
                gpu_models: p.gpu_models,
            },
            count: 1,
            run_for: Some((p.deleted - p.created).max(0.0)),
        })
        .collect())
}

/// Azure 2017 VM arrivals as Huawei preprocessed them: `<t> <flavour>,…,|,…` per
/// 5-minute bin (`|` closes a tenant's batch); durations `U<bin>` (finished) or `C<bin>`
/// (still running at the end: it runs to the end of the run), token for token.
/// Flavours are Azure's: vCPUs and memory (GB). A bin's batches arrive spread evenly
/// over its five minutes; a duration bin is the middle of its seconds.
pub(super) fn azure(path: &Path, durations: &Path, map: &Path) -> Result<Vec<Raw>, TraceError> {
    const FLAVOURS: &str =
        "a1,0.75 b1,1.75 c1,2 d16,112 e2,14 f2,16 g2,3.5 h2,4 i4,28 j4,32 k4,7 l4,8 m8,14 n8,16 o8,56 p8,64";
    let flavour = |c: char| -> Option<(f64, f64)> {
        FLAVOURS.split(' ').find(|f| f.starts_with(c)).and_then(|f| {
            let (v, m) = f[1..].split_once(',')?;
            Some((v.parse().ok()?, m.parse().ok()?))
        })
    };
    let map_text = open(map)?;
    let map_file = map.display().to_string();
    let mut bins: Vec<(f64, f64)> = Vec::new();
    for (i, l) in map_text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut it = l.split_whitespace();
        let (Some(s), Some(b)) = (it.next(), it.next()) else {
            return Err((map_file, i + 1, 1, "expected `<seconds> <bin>`".into()));
        };
        let s = number(s, &map_file, i + 1, 0, "seconds")?;
        let b = number(b, &map_file, i + 1, 1, "bin")? as usize;
        if bins.len() <= b {
            bins.resize(b + 1, (f64::INFINITY, f64::NEG_INFINITY));
        }
        bins[b] = (bins[b].0.min(s), bins[b].1.max(s + 300.0));
    }
    let (text, dtext) = (open(path)?, open(durations)?);
    let (file, dfile) = (path.display().to_string(), durations.display().to_string());
    let mut dlines = dtext.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let mut raws = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Some((t, toks)) = l.split_once(' ') else {
            return Err((file, i + 1, 1, "expected `<seconds> <tokens>`".into()));
        };
        let at = number(t, &file, i + 1, 0, "time")?;
        let Some((j, dl)) = dlines.next() else {
            return Err((dfile, 0, 0, format!("has fewer lines than {file}")));
        };
        let Some((dt, dtoks)) = dl.split_once(' ') else {
            return Err((dfile, j + 1, 1, "expected `<seconds> <tokens>`".into()));
        };
        if dt != t {
            return Err((
                dfile,
                j + 1,
                1,
                format!("time {dt} where {file} line {} has {t}", i + 1),
            ));
        }
        let toks: Vec<&str> = toks.split(',').collect();
        let dtoks: Vec<&str> = dtoks.split(',').collect();
        if toks.len() != dtoks.len() {
            return Err((
                dfile,
                j + 1,
                0,
                format!("{} tokens where the arrivals have {}", dtoks.len(), toks.len()),
            ));
        }
        let batches = toks.iter().filter(|t| **t == "|").count().max(1);
        let mut batch = 0;
        let mut column = t.len() + 2;
        for (tok, dtok) in toks.iter().zip(&dtoks) {
            let here = column;
            column += tok.len() + 1;
            if *tok == "|" {
                batch += 1;
                continue;
            }
            let mut chars = tok.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err((file, i + 1, here, format!("`{tok}` is not a flavour letter")));
            };
            let (vcpu, gb) =
                flavour(c).ok_or_else(|| (file.clone(), i + 1, here, format!("unknown flavour `{tok}` (a to p)")))?;
            let run_for = match (dtok.chars().next(), dtok.get(1..).and_then(|b| b.parse::<usize>().ok())) {
                (Some('U'), Some(b)) if b < bins.len() && bins[b].0.is_finite() => Some((bins[b].0 + bins[b].1) / 2.0),
                (Some('C'), Some(_)) => None,
                _ => {
                    return Err((
                        dfile,
                        j + 1,
                        0,
                        format!(
                            "`{dtok}`: a duration is U<bin> or C<bin>, bins 0–{}",
                            bins.len().saturating_sub(1)
                        ),
                    ));
                }
            };
            raws.push(Raw {
                at: at + 300.0 * batch as f64 / batches as f64,
                shape: Shape {
                    cpu: (vcpu * 1024.0).round() as u32,
                    memory: (gb * 1024.0).round() as u32,
                    gpus: 0,
                    gpu_models: Vec::new(),
                },
                count: 1,
                run_for,
            });
        }
    }
    Ok(raws)
}

/// One node of an openb node list, as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenbNode {
    /// CPU, thousandths of a core.
    pub cpu_milli: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// GPUs.
    pub gpus: u32,
    /// GPU model; empty for a node without GPUs.
    pub model: String,
}

/// Reads an openb node list: sn, cpu_milli, memory_mib, gpu, model (by header name).
pub fn openb_node_list(path: &Path) -> Result<Vec<OpenbNode>, TraceError> {
    let text = open(path)?;
    let file = path.display().to_string();
    let mut r = csv_rows(&text, true);
    let [c_cpu, c_mem, c_gpu, c_model] = columns(
        &mut r,
        &file,
        ["cpu_milli", "memory_mib", "gpu", "model"],
        "an openb node list",
    )?;
    let mut nodes = Vec::new();
    for rec in r.records() {
        let (rec, line) = record(rec, &file)?;
        let num = |c: usize, what: &str| at_least(&rec, c, &file, line, what, what != "gpu");
        nodes.push(OpenbNode {
            cpu_milli: num(c_cpu, "cpu_milli")?.round() as u32,
            memory_mib: num(c_mem, "memory_mib")?.round() as u32,
            gpus: num(c_gpu, "gpu")? as u32,
            model: field(&rec, c_model, &file, line, "model")?.to_string(),
        });
    }
    Ok(nodes)
}

/// A node shape: CPU units, MiB, GPUs, GPU model.
pub(super) type NodeShape = (u32, u32, u32, String);

/// An openb node list's distinct shapes and their counts, in order of first appearance.
pub(super) fn openb_nodes(path: &Path) -> Result<Vec<(NodeShape, u32)>, TraceError> {
    let mut shapes: Vec<(NodeShape, u32)> = Vec::new();
    for n in openb_node_list(path)? {
        let shape = (
            (n.cpu_milli as f64 * 1.024).round() as u32,
            n.memory_mib,
            n.gpus,
            n.model,
        );
        match shapes.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, k)) => *k += 1,
            None => shapes.push((shape, 1)),
        }
    }
    Ok(shapes)
}
