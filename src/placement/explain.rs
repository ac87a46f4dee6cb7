//! Explanations of placement decisions, for teaching and debugging: the candidates,
//! what each filter removed and why, each strategy's scores and what it kept, the
//! tie-break and the choice. Built from the reference scan, which draws no random
//! numbers, so explaining never changes a run.

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::task_definition::Reservation;
use crate::placement::TieBreak;
use crate::placement::plan::Plan;
use crate::placement::scan::Scan;
use serde_json::{Value, json};
use std::fmt::Write;

/// Who and when, for the record.
#[derive(Clone, Debug)]
pub struct Context {
    /// Simulated time, seconds.
    pub time: String,
    /// The task id, when the decision placed a task.
    pub task: Option<String>,
    /// Who asked: `service:web`, `workload:batch`, `timeline[3]`.
    pub origin: String,
    /// The tie-break rule in force.
    pub tie_break: TieBreak,
}

/// One decisions.jsonl record.
pub fn record(
    cluster: &Cluster,
    plan: &Plan,
    res: &Reservation,
    group: GroupId,
    scan: &Scan,
    chosen: Option<InstanceId>,
    ctx: Context,
) -> Value {
    let name = |id: InstanceId| cluster.instance(id).spec.ec2_instance_id.clone();
    let considered = cluster
        .ids()
        .filter(|&id| cluster.status(id) != crate::ecs::cluster::InstanceStatus::Inactive)
        .count();
    let tie_break = if plan.ends_random {
        "random (the chain ends with random)"
    } else {
        match ctx.tie_break {
            TieBreak::Random => "random (seeded)",
            TieBreak::LowestId => "lowest instance id",
        }
    };
    let mut v = head(cluster, plan, res, group, ctx);
    let more = json!({
        "candidates": considered,
        "filters": scan.filters,
        "strategySteps": scan.strategies,
        "finalists": scan.finalists.iter().map(|&i| name(i)).collect::<Vec<_>>(),
        "tieBreak": tie_break,
        "chosen": chosen.map(name),
        "outcome": match (chosen, &scan.failure) {
            (Some(_), _) => "placed".to_string(),
            (None, Some((reason, _))) => reason.to_string(),
            (None, None) => "unplaced".to_string(),
        },
        "closest": scan.failure.and_then(|(_, c)| c).map(name),
    });
    extend(&mut v, more);
    v
}

/// What every record starts with: when, which task, who asked, its group, what it
/// reserves, and the plan's constraints and strategies.
fn head(cluster: &Cluster, plan: &Plan, res: &Reservation, group: GroupId, ctx: Context) -> Value {
    json!({
        "time": ctx.time,
        "taskId": ctx.task,
        "origin": ctx.origin,
        "group": cluster.group_name(group),
        "reservation": {
            "cpu": res.cpu,
            "memory": res.memory,
            "staticPorts": res.static_ports.iter().map(|(p, n)| format!("{n}/{}", if *p == crate::ecs::api::Protocol::Tcp { "tcp" } else { "udp" })).collect::<Vec<_>>(),
            "dynamicPorts": res.dynamic_ports,
            "eni": res.eni,
        },
        "constraints": plan.chain.constraints.iter().map(|c| c.label()).collect::<Vec<_>>(),
        "strategies": plan.chain.labels(),
    })
}

fn extend(v: &mut Value, more: Value) {
    if let (Some(m), Value::Object(more)) = (v.as_object_mut(), more) {
        m.extend(more);
    }
}

/// The record of a DAEMON service's task: the daemon scheduler puts one task on each
/// instance that passes the service's constraints, with no strategy; the record lists
/// the checks instance `on` passed.
pub fn daemon_record(
    cluster: &Cluster,
    plan: &Plan,
    res: &Reservation,
    group: GroupId,
    on: InstanceId,
    ctx: Context,
) -> Value {
    let inst = cluster.instance(on);
    let mut checks = vec![
        format!("{} and its agent connected", cluster.status(on).as_str()),
        format!(
            "resources: {} of {} CPU units and {} of {} MiB free",
            cluster.cpu_left(on),
            inst.spec.cpu,
            cluster.mem_left(on),
            inst.spec.memory
        ),
    ];
    checks.extend(plan.chain.constraints.iter().map(|c| format!("{} holds", c.label())));
    let mut v = head(cluster, plan, res, group, ctx);
    extend(
        &mut v,
        json!({
            "scheduler": "DAEMON",
            "candidates": 1,
            "checks": checks,
            "chosen": inst.spec.ec2_instance_id,
            "outcome": "placed",
        }),
    );
    v
}

/// The record of a Fargate task: no container instance to choose; the zone is the one
/// of its subnets' zones holding the fewest tasks of its group on its provider.
pub fn fargate_record(
    cluster: &Cluster,
    res: &Reservation,
    group: GroupId,
    zone: Option<&str>,
    zones: &[String],
    ctx: Context,
) -> Value {
    json!({
        "time": ctx.time,
        "taskId": ctx.task,
        "origin": ctx.origin,
        "group": cluster.group_name(group),
        "reservation": { "cpu": res.cpu, "memory": res.memory, "eni": true },
        "constraints": [],
        "strategies": [],
        "scheduler": "FARGATE",
        "zone": zone,
        "zones": zones,
        "outcome": "placed",
    })
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A decision record as a human-readable table.
pub fn render_text(v: &Value) -> String {
    let mut out = String::new();
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let _ = writeln!(
        out,
        "Task {} ({}, group {}) at t={}s",
        v["taskId"].as_str().unwrap_or("(not created)"),
        s("origin"),
        s("group"),
        s("time")
    );
    let r = &v["reservation"];
    let _ = writeln!(
        out,
        "Needs: {} CPU units, {} MiB{}{}{}",
        r["cpu"],
        r["memory"],
        if strs(&r["staticPorts"]).is_empty() {
            String::new()
        } else {
            format!(", host ports {}", strs(&r["staticPorts"]).join(" "))
        },
        if r["dynamicPorts"].as_u64().unwrap_or(0) > 0 {
            format!(", {} dynamic ports", r["dynamicPorts"])
        } else {
            String::new()
        },
        if r["eni"].as_bool().unwrap_or(false) {
            ", one ENI"
        } else {
            ""
        }
    );
    let c = strs(&v["constraints"]);
    let _ = writeln!(
        out,
        "Constraints: {}",
        if c.is_empty() { "none".into() } else { c.join("; ") }
    );
    match v["scheduler"].as_str() {
        Some("DAEMON") => {
            let _ = writeln!(
                out,
                "\nPlaced on its instance by the daemon scheduler: one task on every instance that passes the \
                 service's constraints, no strategy. {} passed:",
                s("chosen")
            );
            for c in strs(&v["checks"]) {
                let _ = writeln!(out, "   ✓ {c}");
            }
            let _ = writeln!(out, "\nChosen: {}", s("chosen"));
            return out;
        }
        Some("FARGATE") => {
            let _ = writeln!(
                out,
                "\nFargate: no container instance to choose. Zone {} — of its subnets' zones ({}), the one \
                 holding the fewest tasks of its group.",
                v["zone"].as_str().unwrap_or("(any)"),
                strs(&v["zones"]).join(", ")
            );
            return out;
        }
        _ => {}
    }
    let _ = writeln!(out, "Strategies: {}", strs(&v["strategies"]).join(" → "));
    let _ = writeln!(out, "\n1. Candidates: {} registered instances", v["candidates"]);
    let mut step = 2;
    for f in v["filters"].as_array().into_iter().flatten() {
        let removed = f["removed"].as_array().cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "{step}. Filter {:<10} removed {}",
            f["stage"].as_str().unwrap_or(""),
            removed.len()
        );
        for r in removed.iter().take(20) {
            let _ = writeln!(
                out,
                "     {:<24} {}",
                r["ec2InstanceId"].as_str().unwrap_or(""),
                r["why"].as_str().unwrap_or("")
            );
        }
        if removed.len() > 20 {
            let _ = writeln!(out, "     … and {} more", removed.len() - 20);
        }
        step += 1;
    }
    for st in v["strategySteps"].as_array().into_iter().flatten() {
        let scores = st["scores"].as_array().cloned().unwrap_or_default();
        let kept = strs(&st["kept"]);
        let _ = writeln!(
            out,
            "{step}. Strategy {} keeps {} of {}",
            st["strategy"].as_str().unwrap_or(""),
            kept.len(),
            scores.len().max(kept.len())
        );
        let mut rows: Vec<(String, u64)> = scores
            .iter()
            .map(|p| (p[0].as_str().unwrap_or("").to_string(), p[1].as_u64().unwrap_or(0)))
            .collect();
        rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        for (id, score) in rows.iter().take(20) {
            let mark = if kept.contains(id) { "*" } else { " " };
            let _ = writeln!(out, "   {mark} {id:<24} score {score}");
        }
        if rows.len() > 20 {
            let _ = writeln!(out, "     … and {} more", rows.len() - 20);
        }
        step += 1;
    }
    let finalists = strs(&v["finalists"]);
    if !finalists.is_empty() {
        let _ = writeln!(
            out,
            "{step}. Tie-break ({}) among {}: {}",
            s("tieBreak"),
            finalists.len(),
            finalists.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    match v["chosen"].as_str() {
        Some(c) => {
            let _ = writeln!(out, "\nChosen: {c}");
            let pull = &v["imagePull"];
            for img in pull["images"].as_array().into_iter().flatten() {
                let what = match img["state"].as_str().unwrap_or("") {
                    "cached" => "cached there".to_string(),
                    "pulling" => "being pulled there by another task".to_string(),
                    _ => format!("not on {c}: a full pull"),
                };
                let _ = writeln!(
                    out,
                    "Image {} ({} MiB): {what} — ready in {} s",
                    img["image"].as_str().unwrap_or(""),
                    img["sizeMiB"],
                    img["seconds"].as_str().unwrap_or("")
                );
            }
            if let Some(secs) = pull["seconds"].as_str() {
                let _ = writeln!(
                    out,
                    "Start: images ready after {secs} s (ECS_IMAGE_PULL_BEHAVIOR={}); placement decides this wait",
                    pull["behavior"].as_str().unwrap_or("default")
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nNot placed: {}{}",
                s("outcome"),
                v["closest"]
                    .as_str()
                    .map(|c| format!(" (closest matching instance: {c})"))
                    .unwrap_or_default()
            );
        }
    }
    out
}
