//! A service's demand over time and how its tasks use it (simulation only): each
//! RUNNING task serves an equal share of the requests; CPU used is requests × CPU units
//! per request, memory used a base per task plus a part per request. The one-minute
//! metrics are used over reserved, summed over the minute (ECS's service
//! utilization: the tasks' use over their reservations), not capped at 100 %.

use super::policy::Point;
use crate::engine::rate::Rate;
use serde::{Deserialize, Serialize};

/// A CreateService's simulation-only `demand` member.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Requests per second over time (the forms of a rate).
    #[serde(rename = "requestsPerSecond")]
    pub requests_per_second: Rate,
    /// CPU units one request per second takes (default 0).
    #[serde(rename = "cpuPerRequest", default)]
    pub cpu_per_request: f64,
    /// Memory each RUNNING task uses whatever its load, MiB (default 0).
    #[serde(rename = "memoryBaseMiB", default)]
    pub memory_base_mib: f64,
    /// Memory one request per second takes, MiB (default 0).
    #[serde(rename = "memoryPerRequestMiB", default)]
    pub memory_per_request_mib: f64,
}

impl Demand {
    /// Whether the numbers are usable: finite and not negative.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (member, v) in [
            ("cpuPerRequest", self.cpu_per_request),
            ("memoryBaseMiB", self.memory_base_mib),
            ("memoryPerRequestMiB", self.memory_per_request_mib),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err((member, format!("{v}: a number ≥ 0")));
            }
        }
        self.requests_per_second.check().map_err(|m| ("requestsPerSecond", m))
    }
}

/// One minute's sums for a service, kept between its task count's changes.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Minute {
    /// Requests arrived (∫ demand dt, requests).
    pub requests: f64,
    /// Requests arrived while no task ran.
    pub unserved: f64,
    /// ∫ CPU used dt and ∫ CPU reserved dt (CPU unit-seconds).
    pub cpu: (f64, f64),
    /// ∫ memory used dt and ∫ memory reserved dt (MiB-seconds).
    pub mem: (f64, f64),
    /// ∫ running tasks dt (task-seconds).
    pub task_seconds: f64,
}

impl Minute {
    /// Adds `secs` seconds at `rps` requests per second with `running` tasks reserving
    /// `cpu` units and `mem` MiB in all.
    pub fn add(&mut self, d: &Demand, secs: f64, rps: f64, running: u32, cpu: u64, mem: u64) {
        let requests = rps * secs;
        self.requests += requests;
        if running == 0 {
            self.unserved += requests;
            return;
        }
        self.cpu.0 += requests * d.cpu_per_request;
        self.cpu.1 += cpu as f64 * secs;
        self.mem.0 += (d.memory_base_mib * running as f64 + rps * d.memory_per_request_mib) * secs;
        self.mem.1 += mem as f64 * secs;
        self.task_seconds += running as f64 * secs;
    }

    /// The minute's datapoint (None: no task ran in it, so no data).
    pub fn point(&self, minute_secs: f64) -> Option<Point> {
        (self.task_seconds > 0.0).then(|| Point {
            cpu_pct: self.cpu.0 / self.cpu.1 * 100.0,
            mem_pct: self.mem.0 / self.mem.1 * 100.0,
            requests_per_target: self.requests / (self.task_seconds / minute_secs),
        })
    }

    /// Tasks the minute would have needed at 100 % of CPU and memory, with tasks the
    /// size `task` (CPU units, MiB): the mean load over the task's share.
    pub fn tasks_needed(&self, d: &Demand, minute_secs: f64, task: (u32, u32)) -> u32 {
        let rps = self.requests / minute_secs;
        let by_cpu = rps * d.cpu_per_request / task.0.max(1) as f64;
        let free_mem = task.1 as f64 - d.memory_base_mib;
        let by_mem = if rps * d.memory_per_request_mib == 0.0 {
            0.0
        } else if free_mem <= 0.0 {
            f64::INFINITY
        } else {
            rps * d.memory_per_request_mib / free_mem
        };
        let n = ((by_cpu.max(by_mem)) * 1e9).round() / 1e9;
        n.ceil().min(u32::MAX as f64) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilization_is_use_over_reservation() {
        let d = Demand {
            requests_per_second: Rate::Constant(100.0),
            cpu_per_request: 2.0,
            memory_base_mib: 300.0,
            memory_per_request_mib: 0.5,
        };
        let mut m = Minute::default();
        // 30 s with 2 tasks of 256 CPU / 1024 MiB, then 30 s with 4.
        m.add(&d, 30.0, 100.0, 2, 512, 2048);
        m.add(&d, 30.0, 100.0, 4, 1024, 4096);
        let p = m.point(60.0).unwrap();
        // CPU used 200 units throughout; reserved 512 then 1024.
        assert!((p.cpu_pct - 200.0 * 60.0 / (512.0 * 30.0 + 1024.0 * 30.0) * 100.0).abs() < 1e-9);
        assert!((p.requests_per_target - 6000.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            m.tasks_needed(&d, 60.0, (256, 1024)),
            1,
            "200 units fit in one 256-unit task"
        );
        assert_eq!(Minute::default().point(60.0), None);
    }
}
