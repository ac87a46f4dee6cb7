//! The workloads' checks: names, arrivals and run times, and each RunTask body run
//! through the load-time world (a trace workload: the body of each of its task shapes).

use crate::engine::SimDuration;
use crate::error::Report;
use crate::scenario::schema::{Arrival, Workload};
use crate::scenario::world::World;
use std::collections::BTreeSet;

/// Checks the workloads through `world` (a trace workload: each of its shapes'
/// RunTask bodies); returns each one's trace, ready to run.
pub fn check_workloads(
    workloads: &[Workload],
    traces: &[Option<crate::scenario::trace::Trace>],
    world: &mut World<'_>,
    r: &mut Report,
) -> Vec<Option<std::sync::Arc<crate::scenario::trace::TraceWorkload>>> {
    let mut workload_names = BTreeSet::new();
    let mut trace_workloads = Vec::new();
    for (i, w) in workloads.iter().enumerate() {
        let path = format!("workloads[{i}]");
        if !workload_names.insert(w.name.clone()) {
            r.error(
                format!("{path}.name"),
                format!("workload name `{}` is used twice", w.name),
            );
        }
        if w.trace.is_some() {
            for (member, given) in [
                ("arrival", w.arrival.is_some()),
                ("taskDuration", w.task_duration.is_some()),
            ] {
                if given {
                    r.error(
                        format!("{path}.{member}"),
                        "a trace workload takes its arrivals and run times from the trace: leave it out",
                    );
                }
            }
            if !w.run_task.task_definition.is_empty() {
                r.error(
                    format!("{path}.runTask.taskDefinition"),
                    "a trace workload's tasks take the trace's sizes (a task definition per size): leave it out",
                );
            }
        }
        match (&w.trace, &traces[i]) {
            (Some(spec), Some(t)) => {
                let requests: Vec<_> = t
                    .shapes
                    .iter()
                    .enumerate()
                    .map(|(k, shape)| crate::scenario::trace::request(&w.run_task, &w.name, k, shape))
                    .collect();
                for req in &requests {
                    let before = r.errors.len();
                    world.run_task(req, &format!("{path}.runTask"), r);
                    if r.errors.len() > before {
                        break;
                    }
                }
                trace_workloads.push(Some(std::sync::Arc::new(crate::scenario::trace::TraceWorkload {
                    rows: t.rows.clone(),
                    requests,
                    sample: spec.sample.unwrap_or(1.0),
                })));
            }
            (Some(_), None) => trace_workloads.push(None),
            (None, _) => {
                trace_workloads.push(None);
                world.run_task(&w.run_task, &format!("{path}.runTask"), r);
                match &w.arrival {
                None => r.error(format!("{path}.arrival"), "required: { process = \"poisson\", ratePerMinute = r } or { process = \"fixed\", interval = d } (or a `trace`)"),
                Some(Arrival::Poisson { rate_per_minute }) => {
                    if let Err(m) = rate_per_minute.check() {
                        r.error(format!("{path}.arrival.ratePerMinute"), m);
                    }
                }
                Some(Arrival::Fixed { interval }) if interval.0 == SimDuration::ZERO => {
                    r.error(format!("{path}.arrival.interval"), "the interval must be more than 0");
                }
                _ => {}
            }
                match &w.task_duration {
                    None => r.error(
                        format!("{path}.taskDuration"),
                        "required: how long each task runs (or a `trace`)",
                    ),
                    Some(d) => {
                        if let Err(m) = d.validate() {
                            r.error(format!("{path}.taskDuration"), m);
                        }
                    }
                }
            }
        }
        if let Some(retry) = &w.retry
            && let Some(m) = retry.multiplier
            && !(m.is_finite() && m >= 1.0)
        {
            r.error(
                format!("{path}.retry.multiplier"),
                format!("{m}: the multiplier must be ≥ 1"),
            );
        }
    }
    trace_workloads
}
