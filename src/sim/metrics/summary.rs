//! The run's statistics: exact time-weighted integrals of reservations and busy
//! instances, wait times, failure counts, and the summary row.

use crate::ecs::cluster::Cluster;
use crate::ecs::failure::Failure;
use crate::engine::{SimDuration, SimTime};

/// Time-weighted integrals, advanced at every event boundary (exact: the state is
/// constant between events).
#[derive(Clone, Debug, Default)]
pub struct Integrals {
    last: SimTime,
    reserved_cpu: u128,
    reserved_mem: u128,
    registered_cpu: u128,
    registered_mem: u128,
    busy_instances: u128,
    /// Most registered (not INACTIVE) instances at once.
    pub instances_max: u32,
    /// Most instances running a task at once.
    pub busy_max: u32,
}

impl Integrals {
    /// Adds the interval from the last advance to `now` at the cluster's current state.
    pub fn advance(&mut self, now: SimTime, cluster: &Cluster, registered_instances: u32) {
        let dt = now.since(self.last).millis() as u128;
        if dt > 0 {
            let (rc, rm) = cluster.reserved_totals();
            let (gc, gm) = cluster.registered_totals();
            self.reserved_cpu += rc as u128 * dt;
            self.reserved_mem += rm as u128 * dt;
            self.registered_cpu += gc as u128 * dt;
            self.registered_mem += gm as u128 * dt;
            self.busy_instances += cluster.busy_count() as u128 * dt;
            self.last = now;
        }
        self.instances_max = self.instances_max.max(registered_instances);
        self.busy_max = self.busy_max.max(cluster.busy_count());
    }

    /// Mean reserved CPU and memory as % of registered, over the run.
    pub fn reserved_pct(&self) -> (f64, f64) {
        let pct = |a: u128, b: u128| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
        (
            pct(self.reserved_cpu, self.registered_cpu),
            pct(self.reserved_mem, self.registered_mem),
        )
    }

    /// Mean number of instances running at least one task.
    pub fn busy_mean(&self, duration: SimDuration) -> f64 {
        if duration.millis() == 0 {
            0.0
        } else {
            self.busy_instances as f64 / duration.millis() as f64
        }
    }
}

/// Wait statistics in seconds: mean and nearest-rank percentiles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaitStats {
    /// Mean.
    pub mean: f64,
    /// 50th percentile.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Nearest-rank percentile of sorted values: the smallest value with at least p% at or below it.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl WaitStats {
    /// From waits in milliseconds (any order).
    pub fn from_millis(mut waits: Vec<u64>) -> Self {
        if waits.is_empty() {
            return WaitStats::default();
        }
        waits.sort_unstable();
        let s = |ms: u64| ms as f64 / 1000.0;
        WaitStats {
            mean: waits.iter().map(|&w| w as f64).sum::<f64>() / waits.len() as f64 / 1000.0,
            p50: s(percentile(&waits, 50.0)),
            p95: s(percentile(&waits, 95.0)),
            p99: s(percentile(&waits, 99.0)),
        }
    }
}

/// RunTask failure entries counted by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failures(pub [u64; Failure::ALL.len()]);

impl Failures {
    /// Counts one failure.
    pub fn add(&mut self, reason: Failure) {
        if let Some(i) = reason.index() {
            self.0[i] += 1;
        }
    }

    /// The total.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Columns `<prefix>[<reason>]`.
    pub fn cells(&self, prefix: &str) -> Vec<(String, String)> {
        Failure::ALL
            .iter()
            .zip(self.0)
            .map(|(f, n)| (format!("{prefix}[{}]", f.column()), n.to_string()))
            .collect()
    }
}

impl Failures {
    /// The non-zero reasons, most frequent first (ties in column order): `RESOURCE:CPU 10,
    /// ProvisioningLimit 4`.
    pub fn by_reason(&self) -> String {
        let mut v: Vec<(Failure, u64)> = Failure::ALL
            .iter()
            .copied()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.1));
        v.iter()
            .map(|(f, n)| format!("{} {n}", f.column()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A named CSV cell.
pub fn cell(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// The summary row (summary.csv, and each run's columns in sweep.csv).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Task requests: RunTask counts (retries not counted again) and service tasks wanted.
    pub tasks_arrived: u64,
    /// Requests that became tasks (placed on an instance).
    pub tasks_placed: u64,
    /// Failure entries RunTask returned, every attempt counted, by reason.
    pub placement_failures: Failures,
    /// Attempts of the service schedulers to place a task that found no instance, by reason.
    pub service_placement_failures: Failures,
    /// Requests still wanted at the end (service tasks waiting, RunTask retries pending).
    pub tasks_waiting_at_end: u64,
    /// Tasks that stopped before RUNNING with TaskFailedToStart.
    pub tasks_failed_to_start: u64,
    /// Wait from arrival to RUNNING, seconds.
    pub wait: WaitStats,
    /// Most registered instances at once.
    pub instances_max: u32,
    /// Mean reserved CPU and memory, % of registered.
    pub reserved_mean_pct: (f64, f64),
    /// Cost, USD.
    pub cost_usd: f64,
    /// Cost per account: each capacity provider, `EC2` (instance groups), `EXTERNAL`, `FARGATE`.
    pub cost_by_key: Vec<(String, f64)>,
    /// Waits per service (`service:<name>`) and per workload (`workload:<name>`), in
    /// the scenario's order.
    pub wait_by: Vec<(String, WaitStats)>,
    /// Engine events processed.
    pub events: u64,
    /// Requests abandoned after RunTask failures (no retry left).
    pub tasks_rejected: u64,
    /// Tasks that reached RUNNING.
    pub tasks_started: u64,
    /// Most instances running at least one task at once.
    pub instances_used_max: u32,
    /// Mean instances running at least one task.
    pub instances_used_mean: f64,
    /// Mean over samples of the free CPU and memory stranded where the typical task no
    /// longer fits, % of registered.
    pub stranded_mean_pct: (f64, f64),
    /// Most and mean (over samples) instances a perfect packer would need at least.
    pub instances_lower_bound: (u32, f64),
    /// Services' desired minus RUNNING tasks at the end, summed.
    pub service_shortfall_at_end: u64,
    /// Deployments that completed, failed (circuit breaker) and were rollbacks.
    pub deployments: crate::sim::services::DeploymentStats,
    /// Fault outcomes.
    pub faults: FaultStats,
    /// Instances that could not register (IAM role, missing cluster), and instances whose
    /// agent never connected (no ecs:Poll).
    pub instances_unusable: (u64, u64),
    /// Mean image pull time of tasks that reached RUNNING, seconds.
    pub image_pull_mean_s: f64,
    /// Desired-count changes made by Application Auto Scaling (scheduled actions included).
    pub scaling_activities: u64,
    /// Per demand-driven service (by name), its overload.
    pub overload_by: Vec<(String, Overload)>,
}

/// A demand-driven service's overload over the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overload {
    /// One-minute datapoints above 100 % CPU or memory, or minutes with requests and no task.
    pub minutes: u64,
    /// The most tasks short in a minute: tasks needed at 100 % minus the mean running.
    pub peak_shortfall: u32,
}

/// What faults did and how services recovered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultStats {
    /// Faults that took effect.
    pub injected: u64,
    /// Tasks a fault stopped.
    pub tasks_stopped: u64,
    /// Service tasks started to replace them that reached RUNNING.
    pub replacements: u64,
    /// Task-minutes lost: for each service task a fault stopped, the time until its
    /// replacement ran (or the end); for each standalone task, the run time it lost.
    pub task_minutes_lost: f64,
    /// Recoveries: from a fault until every service it hit was back at its desired
    /// count, seconds.
    pub recoveries_s: Vec<f64>,
    /// Faults still unrecovered at the end.
    pub unrecovered: u64,
}

impl Summary {
    /// The columns of summary.csv, in order.
    pub fn cells(&self) -> Vec<(String, String)> {
        let mut c = vec![
            cell("scenario", &self.scenario),
            cell("seed", self.seed),
            cell("tasksArrived", self.tasks_arrived),
            cell("tasksPlaced", self.tasks_placed),
            cell("placementFailures", self.placement_failures.total()),
            cell("tasksWaitingAtEnd", self.tasks_waiting_at_end),
            cell("tasksFailedToStart", self.tasks_failed_to_start),
            cell("waitMeanS", fixed(self.wait.mean, 3)),
            cell("waitP50S", fixed(self.wait.p50, 3)),
            cell("waitP95S", fixed(self.wait.p95, 3)),
            cell("waitP99S", fixed(self.wait.p99, 3)),
            cell("instancesMax", self.instances_max),
            cell("cpuReservedMeanPct", fixed(self.reserved_mean_pct.0, 2)),
            cell("memReservedMeanPct", fixed(self.reserved_mean_pct.1, 2)),
            cell("costUsd", fixed(self.cost_usd, 4)),
            cell("events", self.events),
            cell("tasksRejected", self.tasks_rejected),
            cell("tasksStarted", self.tasks_started),
            cell("instancesUsedMax", self.instances_used_max),
            cell("instancesUsedMean", fixed(self.instances_used_mean, 2)),
            cell("strandedCpuMeanPct", fixed(self.stranded_mean_pct.0, 2)),
            cell("strandedMemMeanPct", fixed(self.stranded_mean_pct.1, 2)),
            cell("instancesLowerBoundMax", self.instances_lower_bound.0),
            cell("instancesLowerBoundMean", fixed(self.instances_lower_bound.1, 2)),
            cell("serviceShortfallAtEnd", self.service_shortfall_at_end),
            cell("deploymentsCompleted", self.deployments.completed),
            cell("deploymentsFailed", self.deployments.failed),
            cell("deploymentsRolledBack", self.deployments.rolled_back),
            cell("faultsInjected", self.faults.injected),
            cell("tasksStoppedByFaults", self.faults.tasks_stopped),
            cell("faultReplacements", self.faults.replacements),
            cell("taskMinutesLost", fixed(self.faults.task_minutes_lost, 2)),
            cell(
                "recoveryMaxS",
                fixed(self.faults.recoveries_s.iter().copied().fold(0.0, f64::max), 3),
            ),
            cell(
                "recoveryMeanS",
                fixed(
                    if self.faults.recoveries_s.is_empty() {
                        0.0
                    } else {
                        self.faults.recoveries_s.iter().sum::<f64>() / self.faults.recoveries_s.len() as f64
                    },
                    3,
                ),
            ),
            cell("faultsUnrecovered", self.faults.unrecovered),
            cell("instancesRegistrationFailed", self.instances_unusable.0),
            cell("instancesNeverConnected", self.instances_unusable.1),
            cell("imagePullMeanS", fixed(self.image_pull_mean_s, 3)),
            cell("scalingActivities", self.scaling_activities),
        ];

        c.extend(self.placement_failures.cells("placementFailures"));
        c.extend(self.service_placement_failures.cells("servicePlacementFailures"));
        c.extend(
            self.cost_by_key
                .iter()
                .map(|(k, v)| cell(&format!("costUsd[{k}]"), fixed(*v, 4))),
        );
        for (k, w) in &self.wait_by {
            c.push(cell(&format!("waitMeanS[{k}]"), fixed(w.mean, 3)));
            c.push(cell(&format!("waitP95S[{k}]"), fixed(w.p95, 3)));
        }
        for (k, o) in &self.overload_by {
            c.push(cell(&format!("overloadMinutes[{k}]"), o.minutes));
            c.push(cell(&format!("peakShortfallTasks[{k}]"), o.peak_shortfall));
        }
        c
    }

    /// Whether `name` is a summary column (`costUsd[<key>]`,
    /// `placementFailures[<reason>]`, `waitMeanS[<origin>]` and `waitP95S[<origin>]`
    /// included, whatever the key).
    pub fn is_column(name: &str) -> bool {
        if let Some((base, rest)) = name.split_once('[') {
            return rest.ends_with(']')
                && [
                    "costUsd",
                    "placementFailures",
                    "waitMeanS",
                    "waitP95S",
                    "overloadMinutes",
                    "peakShortfallTasks",
                ]
                .contains(&base);
        }
        Summary::default().cells().iter().any(|(n, _)| n == name)
    }

    /// The one line a run prints: what arrived, was placed, still waits at the end, how
    /// far services are short of their desiredCount (RUNNING), RunTask failures by reason (the provisioning limit
    /// among them), tasks that failed to start, waits, reservation and cost.
    pub fn headline(&self) -> String {
        let v = |k: &str| self.get(k).unwrap_or_default();
        let mut line = format!(
            "{}: seed {}, {} tasks arrived, {} placed, {} waiting at end",
            self.scenario, self.seed, self.tasks_arrived, self.tasks_placed, self.tasks_waiting_at_end
        );
        if self.service_shortfall_at_end > 0 {
            let n = self.service_shortfall_at_end;
            line += &format!(
                ", services {n} task{} short of desiredCount",
                if n == 1 { "" } else { "s" }
            );
            if self.service_placement_failures.total() > 0 {
                line += &format!(" (placement failures: {})", self.service_placement_failures.by_reason());
            }
        }
        line += &format!(", {} RunTask failures", self.placement_failures.total());
        if self.placement_failures.total() > 0 {
            line += &format!(" ({})", self.placement_failures.by_reason());
        }
        if self.tasks_failed_to_start > 0 {
            line += &format!(", {} failed to start", self.tasks_failed_to_start);
        }
        line += &format!(
            "; wait mean {}s p95 {}s p99 {}s; CPU {}% / memory {}% reserved; ${}",
            v("waitMeanS"),
            v("waitP95S"),
            v("waitP99S"),
            v("cpuReservedMeanPct"),
            v("memReservedMeanPct"),
            v("costUsd")
        );
        line
    }

    /// The value of column `name`, as printed.
    pub fn get(&self, name: &str) -> Option<String> {
        self.cells().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Formats a float with a fixed number of decimals (outputs never print raw floats).
pub fn fixed(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 95.0), 95);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        let w = WaitStats::from_millis(vec![3000, 1000, 2000]);
        assert_eq!((w.mean, w.p50, w.p99), (2.0, 2.0, 3.0));
    }
}
