//! `ecsim report DIR`: SVG charts of an output folder — a run's (tasks, instances,
//! reservations, cost, capacity providers, each service's demand, utilization and
//! desired count, and a packing view of the instances at one time), a sweep's (cost
//! against p95 wait, the Pareto frontier marked) or `ecsim pack`'s (mean ratio to the
//! optimum per strategy) — and an index.html linking them, readable offline. Written
//! into `DIR/report/` atomically; read from the CSV files alone, so any earlier output
//! folder can be drawn.

pub mod chart;
mod pack;

use crate::error::Error;
use crate::output::OutDir;
use chart::{Block, Labels, Series};
use std::io::{Read, Write};
use std::path::Path;

/// What to draw.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The packing view's time, seconds (default: the sample with the most running tasks).
    pub at: Option<f64>,
}

/// One chart written: its file name and what it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    /// File name in the report folder.
    pub file: String,
    /// Its title.
    pub title: String,
}

/// A CSV file read whole (or its `.gz`).
struct Table {
    file: String,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    /// `dir/name`, or `dir/name.gz`; None when neither exists.
    fn read(dir: &Path, name: &str) -> Result<Option<Table>, Error> {
        let plain = dir.join(name);
        let gz = dir.join(format!("{name}.gz"));
        let (path, zipped) = if plain.exists() {
            (plain, false)
        } else if gz.exists() {
            (gz, true)
        } else {
            return Ok(None);
        };
        let file = path.display().to_string();
        let bad = |e: &dyn std::fmt::Display| Error::Read {
            file: file.clone(),
            reason: e.to_string(),
        };
        let f = std::fs::File::open(&path).map_err(|e| bad(&e))?;
        let reader: Box<dyn Read> = if zipped {
            Box::new(flate2::read::GzDecoder::new(f))
        } else {
            Box::new(f)
        };
        let mut r = csv::Reader::from_reader(reader);
        let header = r.headers().map_err(|e| bad(&e))?.iter().map(String::from).collect();
        let rows = r.records().collect::<Result<Vec<_>, _>>().map_err(|e| bad(&e))?;
        Ok(Some(Table { file, header, rows }))
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Column `name` as numbers (empty cells NaN); an unreadable cell is an error naming
    /// the file, line and column.
    fn numbers(&self, name: &str) -> Result<Vec<f64>, Error> {
        let Some(c) = self.col(name) else {
            return Ok(Vec::new());
        };
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let v = r.get(c).unwrap_or("");
                if v.is_empty() {
                    return Ok(f64::NAN);
                }
                v.parse().map_err(|_| {
                    Error::invalid(
                        &self.file,
                        format!("line {}, column {name}", i + 2),
                        format!("`{v}` is not a number"),
                    )
                })
            })
            .collect()
    }

    fn text(&self, name: &str) -> Vec<String> {
        match self.col(name) {
            Some(c) => self.rows.iter().map(|r| r.get(c).unwrap_or("").to_string()).collect(),
            None => Vec::new(),
        }
    }
}

/// Time axis: hours for runs longer than three hours, else minutes.
fn time_axis(seconds: &[f64]) -> (f64, &'static str) {
    if seconds.iter().copied().fold(0.0, f64::max) > 3.0 * 3600.0 {
        (3600.0, "simulated time (h)")
    } else {
        (60.0, "simulated time (min)")
    }
}

fn xy(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter().copied().zip(y.iter().copied()).collect()
}

/// A chart to write: file name, title, SVG text, and a line for the index.
struct Page {
    file: String,
    title: String,
    about: String,
    svg: String,
}

fn render(
    pages: &mut Vec<Page>,
    file: &str,
    about: &str,
    labels: Labels,
    svg: Result<String, String>,
) -> Result<(), Error> {
    let svg = svg.map_err(|m| Error::Write {
        path: file.to_string(),
        reason: m,
    })?;
    pages.push(Page {
        file: file.to_string(),
        title: labels.title,
        about: about.to_string(),
        svg,
    });
    Ok(())
}

/// Charts of a run's timeseries.csv.
fn run_charts(ts: &Table, pages: &mut Vec<Page>) -> Result<(), Error> {
    let t = ts.numbers("time")?;
    let (unit, x) = time_axis(&t);
    let t: Vec<f64> = t.iter().map(|s| s / unit).collect();
    let mut tasks = Vec::new();
    for (col, name) in [
        ("runningTasks", "RUNNING tasks"),
        ("pendingTasks", "PENDING tasks"),
        ("provisioningTasks", "PROVISIONING tasks"),
        ("waitingTasks", "tasks waiting to be placed"),
    ] {
        tasks.push(Series::new(name, xy(&t, &ts.numbers(col)?)));
    }
    tasks.push(Series::new("ACTIVE container instances", xy(&t, &ts.numbers("instances")?)).right());
    let labels = Labels {
        title: "Tasks and container instances".into(),
        x: x.into(),
        y: "tasks".into(),
        y2: Some("container instances".into()),
    };
    let svg = chart::lines(&labels, &tasks);
    render(
        pages,
        "tasks.svg",
        "Tasks by state, requests not yet placed, and ACTIVE container instances, at each sample.",
        labels,
        svg,
    )?;

    let reserved = vec![
        Series::new("CPU reserved", xy(&t, &ts.numbers("cpuReservedPct")?)),
        Series::new("memory reserved", xy(&t, &ts.numbers("memReservedPct")?)),
    ];
    let labels = Labels {
        title: "CPU and memory reserved".into(),
        x: x.into(),
        y: "% of registered".into(),
        y2: None,
    };
    let svg = chart::lines(&labels, &reserved);
    render(
        pages,
        "reserved.svg",
        "What tasks reserve, as a share of what the ACTIVE container instances registered.",
        labels,
        svg,
    )?;

    let labels = Labels {
        title: "Cost so far".into(),
        x: x.into(),
        y: "USD".into(),
        y2: None,
    };
    let svg = chart::lines(&labels, &[Series::new("cost accrued", xy(&t, &ts.numbers("costUsd")?))]);
    render(
        pages,
        "cost.svg",
        "Cost accrued by every meter (instances, Fargate tasks) up to each sample.",
        labels,
        svg,
    )?;

    let mut capacity = Vec::new();
    for h in &ts.header {
        if let Some(p) = h.strip_prefix("capacityProviderReservation[") {
            capacity.push(Series::new(
                format!("CapacityProviderReservation {}", p.trim_end_matches(']')),
                xy(&t, &ts.numbers(h)?),
            ));
        }
    }
    for h in &ts.header {
        if let Some(a) = h.strip_prefix("desiredCapacity[") {
            capacity.push(
                Series::new(
                    format!("desired capacity {}", a.trim_end_matches(']')),
                    xy(&t, &ts.numbers(h)?),
                )
                .right(),
            );
        }
    }
    if !capacity.is_empty() {
        let labels = Labels {
            title: "Managed scaling: capacity provider reservation and desired capacity".into(),
            x: x.into(),
            y: "CapacityProviderReservation (%)".into(),
            y2: Some("Auto Scaling group desired capacity (instances)".into()),
        };
        let svg = chart::lines(&labels, &capacity);
        render(
            pages,
            "capacity.svg",
            "Each Auto Scaling group provider's CapacityProviderReservation metric and its group's desired capacity.",
            labels,
            svg,
        )?;
    }
    Ok(())
}

/// Charts of each service in services.csv.
fn service_charts(sv: &Table, pages: &mut Vec<Page>) -> Result<(), Error> {
    let names = sv.text("serviceName");
    let time = sv.numbers("time")?;
    let (unit, x) = time_axis(&time);
    let mut order: Vec<String> = Vec::new();
    for n in &names {
        if !order.contains(n) {
            order.push(n.clone());
        }
    }
    let cols = |c: &str| sv.numbers(c);
    let (desired, running, demand, cpu, mem) = (
        cols("desiredCount")?,
        cols("runningCount")?,
        cols("demandRps")?,
        cols("cpuUtilizationPct")?,
        cols("memoryUtilizationPct")?,
    );
    for name in &order {
        let rows: Vec<usize> = (0..names.len()).filter(|&i| &names[i] == name).collect();
        let pick = |v: &[f64]| -> Vec<(f64, f64)> {
            rows.iter()
                .filter_map(|&i| v.get(i).map(|y| (time[i] / unit, *y)))
                .collect()
        };
        let has_demand = rows.iter().any(|&i| demand.get(i).is_some_and(|d| d.is_finite()));
        let mut series = Vec::new();
        if has_demand {
            series.push(Series::new("demand (requests/s)", pick(&demand)));
        }
        let counts = [
            Series::new("desiredCount", pick(&desired)),
            Series::new("runningCount", pick(&running)),
        ];
        let labels = Labels {
            title: format!("Service {name}: demand and tasks"),
            x: x.into(),
            y: if has_demand { "requests per second" } else { "tasks" }.into(),
            y2: has_demand.then(|| "tasks".into()),
        };
        series.extend(counts.into_iter().map(|s| if has_demand { s.right() } else { s }));
        let svg = chart::lines(&labels, &series);
        render(
            pages,
            &format!("service-{name}.svg"),
            &format!(
                "Service {name}: its demand (a one-minute mean), and the desired count Application Auto Scaling or the timeline set against the tasks RUNNING."
            ),
            labels,
            svg,
        )?;
        if has_demand {
            let hundred: Vec<(f64, f64)> = pick(&cpu).iter().map(|p| (p.0, 100.0)).collect();
            let labels = Labels {
                title: format!("Service {name}: utilization"),
                x: x.into(),
                y: "% of reserved".into(),
                y2: None,
            };
            let svg = chart::lines(
                &labels,
                &[
                    Series::new("CPU utilization", pick(&cpu)),
                    Series::new("memory utilization", pick(&mem)),
                    Series::new("100 % (overload above)", hundred),
                ],
            );
            render(
                pages,
                &format!("service-{name}-utilization.svg"),
                &format!(
                    "Service {name}: the last one-minute CPU and memory utilization datapoints (use over reservation); above 100 % the service is overloaded."
                ),
                labels,
                svg,
            )?;
        }
    }
    Ok(())
}

/// The packing view: each instance registered at `at` a column of its CPU, each task
/// on it a block, coloured by task definition family; at most 60 instances.
fn packing_chart(dir: &Path, at: Option<f64>, ts: Option<&Table>, pages: &mut Vec<Page>) -> Result<(), Error> {
    let (Some(tasks), Some(inst)) = (Table::read(dir, "tasks.csv")?, Table::read(dir, "instances.csv")?) else {
        return Ok(());
    };
    let at = match (at, ts) {
        (Some(a), _) => a,
        (None, Some(ts)) => {
            let t = ts.numbers("time")?;
            let r = ts.numbers("runningTasks")?;
            let best = (0..t.len()).max_by(|&a, &b| r[a].total_cmp(&r[b]).then(b.cmp(&a)));
            best.map(|i| t[i]).unwrap_or(0.0)
        }
        (None, None) => 0.0,
    };
    let live = |from: f64, until: f64| from <= at && (until.is_nan() || until > at);
    let ids = inst.text("containerInstanceId");
    let (reg, dereg, cpu) = (
        inst.numbers("registeredAt")?,
        inst.numbers("deregisteredAt")?,
        inst.numbers("cpu")?,
    );
    const MAX: usize = 60;
    let columns: Vec<usize> = (0..ids.len()).filter(|&i| live(reg[i], dereg[i])).collect();
    let shown = &columns[..columns.len().min(MAX)];
    let column_of = |id: &str| shown.iter().position(|&i| ids[i] == id);
    let (tid, placed, stopped, tcpu, family) = (
        tasks.text("containerInstanceId"),
        tasks.numbers("placedAt")?,
        tasks.numbers("stoppedAt")?,
        tasks.numbers("cpu")?,
        tasks.text("taskDefinition"),
    );
    let mut groups: Vec<String> = Vec::new();
    let mut filled = vec![0.0; shown.len()];
    let mut blocks = Vec::new();
    for i in 0..tid.len() {
        if tid[i].is_empty() || !live(placed[i], stopped[i]) {
            continue;
        }
        let Some(column) = column_of(&tid[i]) else { continue };
        let fam = family[i].split(':').next().unwrap_or("").to_string();
        let group = match groups.iter().position(|g| *g == fam) {
            Some(g) => g,
            None => {
                groups.push(fam);
                groups.len() - 1
            }
        };
        let from = filled[column];
        filled[column] += tcpu[i];
        blocks.push(Block {
            column,
            from,
            to: filled[column],
            group,
        });
    }
    let more = if columns.len() > MAX {
        format!(", the first {MAX} of {}", columns.len())
    } else {
        String::new()
    };
    let labels = Labels {
        title: format!(
            "Instances at {}:{:02} ({at:.0} s){more}: tasks by CPU",
            (at / 3600.0).floor(),
            ((at % 3600.0) / 60.0).floor()
        ),
        x: "container instances, in registration order".into(),
        y: "CPU units".into(),
        y2: None,
    };
    let capacity: Vec<f64> = shown.iter().map(|&i| cpu[i]).collect();
    let svg = chart::blocks(&labels, &capacity, &blocks, &groups);
    render(
        pages,
        "packing.svg",
        "Each container instance registered at that time as a column of its registered CPU; each task on it a block, coloured by task definition family (from tasks.csv and instances.csv; --at picks the time).",
        labels,
        svg,
    )
}

/// A sweep's cost against p95 wait: each run, each configuration's mean over its
/// seeds, and the configurations on the Pareto frontier (sweep.csv's `paretoWait`) joined.
fn sweep_charts(sw: &Table, pages: &mut Vec<Page>) -> Result<(), Error> {
    let (cost, wait, pareto) = (
        sw.numbers("costUsd")?,
        sw.numbers("waitP95S")?,
        sw.numbers("paretoWait")?,
    );
    let axes = 1..sw.col("seed").unwrap_or(1).max(1);
    let mut configs: Vec<(String, f64, f64, u32, bool)> = Vec::new();
    for (i, r) in sw.rows.iter().enumerate() {
        let key: Vec<&str> = axes.clone().map(|c| r.get(c).unwrap_or("")).collect();
        let key = key.join(" / ");
        match configs.iter_mut().find(|c| c.0 == key) {
            Some(c) => (c.1, c.2, c.3) = (c.1 + cost[i], c.2 + wait[i], c.3 + 1),
            None => configs.push((key, cost[i], wait[i], 1, pareto.get(i) == Some(&1.0))),
        }
    }
    let means: Vec<(f64, f64)> = configs.iter().map(|c| (c.1 / c.3 as f64, c.2 / c.3 as f64)).collect();
    let mut front: Vec<(f64, f64)> = means
        .iter()
        .zip(&configs)
        .filter(|(_, c)| c.4)
        .map(|(m, _)| *m)
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let labels = Labels {
        title: "Sweep: cost against p95 wait".into(),
        x: "cost (USD)".into(),
        y: "p95 wait (s)".into(),
        y2: None,
    };
    let runs = Series::new(
        "run (one seed)",
        cost.iter().copied().zip(wait.iter().copied()).collect(),
    );
    let svg = chart::points(
        &labels,
        &runs,
        &Series::new("configuration (mean over seeds)", means),
        &Series::new("Pareto frontier (paretoWait)", front),
    );
    render(
        pages,
        "pareto.svg",
        "Each run of the sweep, and each configuration's mean over its seeds, by cost and p95 wait; the configurations no other beats on both are joined.",
        labels,
        svg,
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Draws the charts of output folder `dir` into `dir/report/`; returns them.
pub fn write(dir: &Path, opts: &Options) -> Result<Vec<Written>, Error> {
    if !dir.is_dir() {
        return Err(Error::Read {
            file: dir.display().to_string(),
            reason: "not a folder: give an output folder of ecsim run, sweep or pack".into(),
        });
    }
    let mut pages = Vec::new();
    let ts = Table::read(dir, "timeseries.csv")?;
    if let Some(ts) = &ts {
        run_charts(ts, &mut pages)?;
    }
    if let Some(sv) = Table::read(dir, "services.csv")? {
        service_charts(&sv, &mut pages)?;
    }
    packing_chart(dir, opts.at, ts.as_ref(), &mut pages)?;
    if let Some(sw) = Table::read(dir, "sweep.csv")? {
        sweep_charts(&sw, &mut pages)?;
    }
    let mut packs = Vec::new();
    let mut gpu = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::Read {
            file: dir.display().to_string(),
            reason: e.to_string(),
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    for n in names {
        if let Some(t) = Table::read(dir, &n)?
            && ["set", "instance", "strategy", "order", "ratio"]
                .iter()
                .all(|c| t.col(c).is_some())
        {
            packs.push(t);
        } else if let Some(t) = Table::read(dir, &n)?
            && t.col("allocatedAtFullDemandPct").is_some()
        {
            gpu.push(t);
        }
    }
    if !packs.is_empty() {
        pack::ratio_chart(&packs, &mut pages)?;
    }
    if !gpu.is_empty() {
        pack::gpu_chart(&gpu, &mut pages)?;
    }
    if pages.is_empty() {
        return Err(Error::Read {
            file: dir.display().to_string(),
            reason: "nothing to draw: no timeseries.csv, services.csv, sweep.csv or ecsim pack CSV here".into(),
        });
    }
    let what = match Table::read(dir, "summary.csv")? {
        Some(t) => format!(
            "Scenario {}, seed {}.",
            t.text("scenario").first().cloned().unwrap_or_default(),
            t.text("seed").first().cloned().unwrap_or_default()
        ),
        None if Table::read(dir, "sweep.csv")?.is_some() => "A sweep.".to_string(),
        None => "Packing results.".to_string(),
    };
    let mut out = OutDir::open(&dir.join("report"))?;
    let write_err = |p: &str, e: std::io::Error| Error::Write {
        path: dir.join("report").join(p).display().to_string(),
        reason: e.to_string(),
    };
    let mut index = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ecsim report</title>\n\
         <style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}img{max-width:100%;border:1px solid #ddd}</style>\n\
         </head>\n<body>\n<h1>ecsim report</h1>\n",
    );
    index += &format!("<p>{}</p>\n<ul>\n", html_escape(&what));
    for p in &pages {
        index += &format!("<li><a href=\"#{0}\">{1}</a></li>\n", p.file, html_escape(&p.title));
    }
    index += "</ul>\n";
    for p in &pages {
        index += &format!(
            "<h2 id=\"{0}\">{1}</h2>\n<p>{2}</p>\n<img src=\"{0}\" alt=\"{1}\">\n",
            p.file,
            html_escape(&p.title),
            html_escape(&p.about)
        );
        let mut f = out.create(&p.file)?;
        f.write_all(p.svg.as_bytes()).map_err(|e| write_err(&p.file, e))?;
        f.finish().map_err(|e| write_err(&p.file, e))?;
    }
    index += "</body>\n</html>\n";
    let mut f = out.create("index.html")?;
    f.write_all(index.as_bytes()).map_err(|e| write_err("index.html", e))?;
    f.finish().map_err(|e| write_err("index.html", e))?;
    out.commit()?;
    Ok(pages
        .into_iter()
        .map(|p| Written {
            file: p.file,
            title: p.title,
        })
        .collect())
}
