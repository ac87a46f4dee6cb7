//! Rows of timeseries.csv and services.csv: the state sampled every sampleInterval.

use super::summary::{Failures, cell, fixed};
use crate::engine::SimTime;
use crate::sim::Outcome;
use crate::sim::ids::{DeploymentIdx, ServiceId};

/// Per capacity provider, what the timeseries shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSample {
    /// The provider's name.
    pub name: String,
    /// Its Auto Scaling group's name, if any.
    pub asg: Option<String>,
    /// The last CapacityProviderReservation (Auto Scaling group providers).
    pub reservation: Option<f64>,
    /// The group's desired capacity.
    pub desired: Option<u32>,
    /// Registered instances (Auto Scaling group providers) or running tasks (Fargate).
    pub running: u32,
    /// Instances still launching or within their warm-up.
    pub warming: u32,
    /// Tasks PROVISIONING on the provider.
    pub provisioning: u32,
}

/// One timeseries.csv row: the state at the end of instant `time`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The sample time.
    pub time: SimTime,
    /// RUNNING tasks.
    pub running_tasks: u32,
    /// PENDING tasks.
    pub pending_tasks: u32,
    /// PROVISIONING tasks.
    pub provisioning_tasks: u32,
    /// Registered (ACTIVE) instances.
    pub instances: u32,
    /// Reserved CPU and memory, % of registered.
    pub reserved_pct: (f64, f64),
    /// Task requests wanted but not placed (service shortfall, RunTask retries pending).
    pub waiting_tasks: u32,
    /// Instances running at least one task.
    pub busy_instances: u32,
    /// Free CPU and memory on instances where the typical task no longer fits, % of registered.
    pub stranded_pct: (f64, f64),
    /// Instances a perfect packer would need at least, from total reservations.
    pub instances_lower_bound: u32,
    /// RunTask failures since the previous sample, by reason.
    pub failures: Failures,
    /// Cost accrued so far, USD.
    pub cost_usd: f64,
    /// Per capacity provider.
    pub providers: Vec<ProviderSample>,
}

impl Sample {
    /// The columns of timeseries.csv, in order.
    pub fn cells(&self) -> Vec<(String, String)> {
        let mut c = vec![
            cell("time", self.time.secs_string()),
            cell("runningTasks", self.running_tasks),
            cell("pendingTasks", self.pending_tasks),
            cell("provisioningTasks", self.provisioning_tasks),
            cell("instances", self.instances),
            cell("cpuReservedPct", fixed(self.reserved_pct.0, 2)),
            cell("memReservedPct", fixed(self.reserved_pct.1, 2)),
            cell("waitingTasks", self.waiting_tasks),
            cell("busyInstances", self.busy_instances),
            cell("strandedCpuPct", fixed(self.stranded_pct.0, 2)),
            cell("strandedMemPct", fixed(self.stranded_pct.1, 2)),
            cell("instancesLowerBound", self.instances_lower_bound),
            cell("costUsd", fixed(self.cost_usd, 4)),
        ];
        c.extend(self.failures.cells("placementFailures"));
        for p in &self.providers {
            if let Some(asg) = &p.asg {
                let r = p.reservation.map(|r| fixed(r, 2)).unwrap_or_default();
                c.push(cell(&format!("capacityProviderReservation[{}]", p.name), r));
                c.push(cell(&format!("desiredCapacity[{asg}]"), p.desired.unwrap_or(0)));
            }
            c.push(cell(&format!("runningInstances[{}]", p.name), p.running));
            c.push(cell(&format!("warmingInstances[{}]", p.name), p.warming));
            c.push(cell(&format!("provisioningTasks[{}]", p.name), p.provisioning));
        }
        c
    }
}

/// A demand-driven service's load at a sample.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct ServiceLoad {
    /// Mean requests per second over the last minute.
    pub demand_rps: f64,
    /// The last one-minute datapoint (None: no task ran).
    pub point: Option<crate::appscaling::policy::Point>,
    /// The last minute was overloaded (above 100 %, or requests and no task).
    pub overloaded: bool,
    /// Desired-count changes Application Auto Scaling made to the service so far.
    pub activities: u64,
}

/// Header of services.csv (also written when there is no service).
pub const SERVICE_HEADER: [&str; 17] = [
    "time",
    "serviceName",
    "cluster",
    "status",
    "desiredCount",
    "runningCount",
    "pendingCount",
    "waitingCount",
    "deployments",
    "primaryDeployment",
    "taskDefinition",
    "rolloutState",
    "demandRps",
    "cpuUtilizationPct",
    "memoryUtilizationPct",
    "overloaded",
    "scalingActivities",
];

/// One services.csv row: a service's state at the end of instant `time`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSample {
    /// The sample time.
    pub time: SimTime,
    /// The service.
    pub service: ServiceId,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: &'static str,
    /// `desiredCount`.
    pub desired: u32,
    /// RUNNING tasks.
    pub running: u32,
    /// PENDING and PROVISIONING tasks.
    pub pending: u32,
    /// Tasks wanted but not yet placed.
    pub waiting: u32,
    /// Deployments not yet INACTIVE.
    pub deployments: u32,
    /// The PRIMARY deployment.
    pub primary: DeploymentIdx,
    /// Its `rolloutState`.
    pub rollout_state: &'static str,
    /// Its demand and utilization (services with a `demand`).
    pub load: Option<ServiceLoad>,
}

impl ServiceSample {
    /// The columns of services.csv, in order (names from the run's outcome).
    pub fn cells(&self, o: &Outcome) -> Vec<(String, String)> {
        let svc = &o.services[self.service.idx()];
        let d = svc.deployment(self.primary);
        let values: [String; SERVICE_HEADER.len()] = [
            self.time.secs_string(),
            svc.name.clone(),
            o.cluster_name(svc.cluster).to_string(),
            self.status.to_string(),
            self.desired.to_string(),
            self.running.to_string(),
            self.pending.to_string(),
            self.waiting.to_string(),
            self.deployments.to_string(),
            d.id.clone(),
            o.registry.get(d.config.taskdef).name(),
            self.rollout_state.to_string(),
            self.load.map(|l| fixed(l.demand_rps, 3)).unwrap_or_default(),
            self.load
                .and_then(|l| l.point)
                .map(|p| fixed(p.cpu_pct, 2))
                .unwrap_or_default(),
            self.load
                .and_then(|l| l.point)
                .map(|p| fixed(p.mem_pct, 2))
                .unwrap_or_default(),
            self.load.map(|l| (l.overloaded as u8).to_string()).unwrap_or_default(),
            self.load.map(|l| l.activities.to_string()).unwrap_or_default(),
        ];
        SERVICE_HEADER.iter().map(|n| n.to_string()).zip(values).collect()
    }
}
