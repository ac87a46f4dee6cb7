//! Managed scaling (cluster auto scaling) of an Auto Scaling group provider
//! (ecs-semantics.md §4.2): the CapacityProviderReservation metric, the scale-out
//! step, and target tracking.

use crate::ecs::task_definition::Reservation;
use std::collections::BTreeMap;

/// A managed-scaling configuration with the API's defaults filled in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `targetCapacity`, 1–100.
    pub target_capacity: u32,
    /// `minimumScalingStepSize`.
    pub min_step: u32,
    /// `maximumScalingStepSize`.
    pub max_step: u32,
    /// `instanceWarmupPeriod`, seconds.
    pub warmup_secs: u32,
}

/// Minutes below target before a scale-in (15 one-minute data points).
pub const SCALE_IN_MINUTES: u32 = 15;

/// CapacityProviderReservation = M / N × 100, with N = 0 giving 100 (M = 0) or 200.
pub fn reservation(m: u32, n: u32) -> f64 {
    match (m, n) {
        (0, 0) => 100.0,
        (_, 0) => 200.0,
        _ => m as f64 * 100.0 / n as f64,
    }
}

/// The capacity of an instance type, for sizing: CPU units, memory MiB, awsvpc tasks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// CPU units.
    pub cpu: u32,
    /// Memory MiB.
    pub memory: u32,
    /// awsvpc tasks.
    pub enis: u32,
    /// GPUs.
    pub gpus: u32,
}

impl Shape {
    /// How many tasks needing `res` one instance of this shape holds.
    fn holds(&self, res: &Reservation) -> u32 {
        let per = |have: u32, need: u32| have.checked_div(need).unwrap_or(u32::MAX);
        let mut n = per(self.cpu, res.cpu).min(per(self.memory, res.memory));
        if res.eni {
            n = n.min(self.enis);
        }
        if let Some(by_gpu) = self.gpus.checked_div(res.gpus) {
            n = n.min(by_gpu);
        }
        if !res.static_ports.is_empty() {
            n = n.min(1);
        }
        n
    }
}

/// Instances of the largest type needed for the provisioning tasks: group them by
/// exact requirement, binpack each group; groups that do not fit the smallest type are
/// left out (they stay provisioning).
pub fn instances_needed(tasks: &[&Reservation], smallest: Shape, largest: Shape) -> u32 {
    let mut groups: BTreeMap<(u32, u32, bool, usize, u32), u32> = BTreeMap::new();
    for r in tasks {
        if smallest.holds(r) == 0 {
            continue;
        }
        *groups
            .entry((r.cpu, r.memory, r.eni, r.static_ports.len(), r.gpus))
            .or_default() += 1;
    }
    groups
        .iter()
        .map(|(&(cpu, memory, eni, ports, gpus), &count)| {
            let r = Reservation {
                cpu,
                memory,
                eni,
                static_ports: vec![Default::default(); ports],
                dynamic_ports: 0,
                gpus,
                extra: Vec::new(),
            };
            count.div_ceil(largest.holds(&r).max(1))
        })
        .sum()
}

/// The scale-out step: `minimumScalingStepSize` if the need is below it, else the need
/// up to `maximumScalingStepSize`.
pub fn step(needed: u32, cfg: &Config) -> u32 {
    if needed == 0 {
        0
    } else {
        needed.max(cfg.min_step).min(cfg.max_step)
    }
}

/// Target tracking: the instances that bring M/N to the target.
pub fn desired_for(m: u32, cfg: &Config) -> u32 {
    (m as u64 * 100).div_ceil(cfg.target_capacity as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config {
            target_capacity: 100,
            min_step: 1,
            max_step: 10000,
            warmup_secs: 300,
        }
    }

    #[test]
    fn the_metric_and_its_special_cases() {
        assert_eq!(reservation(0, 0), 100.0);
        assert_eq!(reservation(3, 0), 200.0);
        assert_eq!(reservation(3, 4), 75.0);
        assert_eq!(reservation(6, 4), 150.0);
    }

    #[test]
    fn sizing_groups_and_binpacks_on_the_largest_type() {
        let small = Shape {
            cpu: 2048,
            memory: 7985,
            enis: 2,
            gpus: 0,
        };
        let large = Shape {
            cpu: 4096,
            memory: 15974,
            enis: 3,
            gpus: 0,
        };
        let a = Reservation {
            cpu: 1024,
            memory: 2048,
            ..Default::default()
        };
        let huge = Reservation {
            cpu: 3000,
            memory: 100,
            ..Default::default()
        };
        // 10 tasks of 1024 units: 4 per large instance → 3 instances. The huge task does
        // not fit the smallest type: left out.
        let tasks: Vec<&Reservation> = std::iter::repeat_n(&a, 10).chain([&huge]).collect();
        assert_eq!(instances_needed(&tasks, small, large), 3);
    }

    #[test]
    fn steps_and_target_tracking() {
        let c = Config {
            min_step: 2,
            max_step: 5,
            ..cfg()
        };
        assert_eq!(step(0, &c), 0);
        assert_eq!(step(1, &c), 2);
        assert_eq!(step(9, &c), 5);
        assert_eq!(desired_for(9, &cfg()), 9);
        let spare = Config {
            target_capacity: 90,
            ..cfg()
        };
        assert_eq!(desired_for(9, &spare), 10);
        assert_eq!(desired_for(0, &spare), 0);
    }
}
