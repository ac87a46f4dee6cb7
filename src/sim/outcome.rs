//! What a run leaves behind: its outcome, for the output writers and tests, and the
//! invariants a finished run must satisfy.

use super::Unusable;
use super::ids::Origin;
use super::metrics::{Sample, ServiceSample, Summary};
use super::services::Service;
use super::task::{Request, Task, TaskStatus};
use super::tasks::Row;
use crate::ecs::cluster::{Cluster, InstanceStatus};
use crate::ecs::registry::TaskDefinitions;
use crate::engine::SimTime;
use crate::scenario::Scenario;

/// What one container instance was billed: enough to check its cost by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceBill {
    /// `on-demand`, `spot` or `external` (ECS Anywhere, billed per instance-hour).
    pub purchase_option: &'static str,
    /// Billing start: the launch (Auto Scaling groups) or the registration.
    pub from: SimTime,
    /// Billing end: termination, or the end of the run.
    pub until: SimTime,
    /// USD per hour.
    pub hourly: f64,
    /// What it cost, USD (per second, 60 s minimum).
    pub cost: f64,
}

/// Everything a run leaves behind, for the output writers.
pub struct Outcome {
    /// The summary row.
    pub summary: Summary,
    /// timeseries.csv rows.
    pub timeseries: Vec<Sample>,
    /// services.csv rows.
    pub service_samples: Vec<ServiceSample>,
    /// The container instances at the end.
    pub cluster: Cluster,
    /// Task definitions at the end.
    pub registry: TaskDefinitions,
    /// Every task, in creation order.
    pub tasks: Vec<Task>,
    /// Task requests that never became tasks.
    pub requests: Vec<Request>,
    /// Tasks and requests in the order they were recorded (tasks.csv's order).
    pub rows: Vec<Row>,
    /// Services at the end.
    pub services: Vec<Service>,
    /// The run's cluster names, by cluster id.
    pub clusters: Vec<String>,
    /// Instance group (then Auto Scaling group) names, by instance origin index.
    pub group_names: Vec<String>,
    /// Capacity provider names, by provider id.
    pub provider_names: Vec<String>,
    /// Per instance: its bill.
    pub instance_costs: Vec<InstanceBill>,
    /// Instances that never became usable.
    pub unusable: Vec<Unusable>,
    /// The end of the run.
    pub end: SimTime,
}

impl Outcome {
    /// The name of cluster `c`.
    pub fn cluster_name(&self, c: crate::ecs::cluster::ClusterId) -> &str {
        &self.clusters[c.0 as usize]
    }

    /// The capacity provider a task ran on, if any.
    pub fn provider_name(&self, pool: crate::ecs::provider::Pool) -> &str {
        pool.provider()
            .map_or("", |p| self.provider_names[p.0 as usize].as_str())
    }
}

/// The `startedBy` of a workload's or timeline call's RunTask.
pub(super) fn run_task_started_by(sc: &Scenario, origin: Origin) -> &str {
    use crate::scenario::schema::ApiCall;
    match origin {
        Origin::Workload(w) => sc.workloads[w.0 as usize].run_task.started_by.as_deref().unwrap_or(""),
        Origin::Timeline(e) => match &sc.timeline[e.0 as usize].request {
            ApiCall::RunTask(rt) => rt.started_by.as_deref().unwrap_or(""),
            _ => "",
        },
        Origin::Service(_) => "",
    }
}

/// Whether every instance's reservations are within its registered capacity, and the
/// cluster totals agree with the live tasks (used by tests after runs).
pub fn check_invariants(o: &Outcome) -> Result<(), String> {
    let mut cpu = vec![0u64; o.cluster.len()];
    let mut mem = vec![0u64; o.cluster.len()];
    for t in &o.tasks {
        if matches!(
            t.status,
            TaskStatus::Pending | TaskStatus::Running | TaskStatus::Stopping
        ) && !t.pool.is_fargate()
        {
            let i = t.instance.ok_or("a live task without an instance")?;
            let r = &o.registry.get(t.taskdef).reservation;
            cpu[i.idx()] += r.cpu as u64;
            mem[i.idx()] += r.memory as u64;
        }
    }
    for id in o.cluster.ids() {
        let inst = o.cluster.instance(id);
        if cpu[id.idx()] > inst.spec.cpu as u64 || mem[id.idx()] > inst.spec.memory as u64 {
            return Err(format!("{} is over-committed", inst.spec.ec2_instance_id));
        }
        if o.cluster.cpu_left(id) as u64 + cpu[id.idx()] != inst.spec.cpu as u64
            || o.cluster.mem_left(id) as u64 + mem[id.idx()] != inst.spec.memory as u64
        {
            return Err(format!(
                "{}: remaining resources disagree with its tasks",
                inst.spec.ec2_instance_id
            ));
        }
        if o.cluster.status(id) == InstanceStatus::Inactive && o.cluster.running_tasks(id) > 0 {
            return Err(format!("{} is INACTIVE with tasks", inst.spec.ec2_instance_id));
        }
    }
    let mut live = vec![0u32; o.services.len()];
    for t in &o.tasks {
        if let Origin::Service(s) = t.origin
            && t.is_live()
        {
            live[s.idx()] += 1;
        }
    }
    for (s, n) in o.services.iter().zip(live) {
        if n != s.totals().live || n as usize != s.live.len() {
            return Err(format!("service {}: live counts disagree with its tasks", s.name));
        }
    }
    Ok(())
}
