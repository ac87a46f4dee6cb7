//! The service scheduler's arithmetic (ecs-semantics.md §7): deployment bounds with
//! ECS's rounding, the circuit breaker's threshold, the throttle's back-off, and
//! when a RUNNING task counts as healthy.

use crate::ecs::api::DeploymentConfiguration;
use crate::engine::SimDuration;

/// Without load balancer or container health checks, a task counts toward
/// minimumHealthyPercent 40 seconds after it reaches RUNNING (API `DeploymentConfiguration`).
pub const HEALTHY_AFTER: SimDuration = SimDuration(40_000);

/// The first wait of the service throttle (SIM CHOICE: the growth curve is undocumented).
pub const THROTTLE_FIRST: SimDuration = SimDuration(10_000);
/// The throttle's documented ceiling: 15 minutes.
pub const THROTTLE_MAX: SimDuration = SimDuration(900_000);

/// A deployment's task-count bounds for a desired count.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Healthy RUNNING tasks at least: `ceil(desired × minimumHealthyPercent / 100)`.
    pub min_healthy: u32,
    /// RUNNING and PENDING tasks at most: `floor(desired × maximumPercent / 100)`.
    pub max_total: u32,
}

/// The resolved deployment settings of a service.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// minimumHealthyPercent.
    pub min_healthy_percent: u32,
    /// maximumPercent.
    pub max_percent: u32,
    /// The circuit breaker: None when off, else whether it rolls back.
    pub breaker: Option<bool>,
    /// BLUE_GREEN, LINEAR or CANARY: how long the old task set keeps running once the
    /// new one is healthy (the traffic shift and the bake time); None for ROLLING.
    pub blue_green: Option<SimDuration>,
}

/// How long a non-rolling strategy keeps the old set after the new one is healthy:
/// LINEAR ⌈100 / stepPercent⌉ steps of stepBakeTimeInMinutes, CANARY its canary bake,
/// then `bakeTimeInMinutes` (SIM CHOICE: traffic is not modelled, only its timing).
fn blue_green_wait(c: &DeploymentConfiguration) -> Option<SimDuration> {
    use crate::ecs::api::DeploymentStrategy as S;
    let minutes = |m: u32| SimDuration::from_secs(m as u64 * 60);
    let bake = minutes(c.bake_time_in_minutes.unwrap_or(0));
    let shift = match c.strategy? {
        S::Rolling => return None,
        S::BlueGreen => SimDuration::ZERO,
        S::Linear => {
            let l = c.linear_configuration.clone().unwrap_or_default();
            let steps = (100.0 / l.step_percent.unwrap_or(10.0).clamp(3.0, 100.0)).ceil() as u32;
            minutes(steps * l.step_bake_time_in_minutes.unwrap_or(6))
        }
        S::Canary => minutes(
            c.canary_configuration
                .as_ref()
                .and_then(|k| k.canary_bake_time_in_minutes)
                .unwrap_or(10),
        ),
    };
    Some(SimDuration(shift.0 + bake.0))
}

impl Settings {
    /// A service's settings: ECS's defaults (REPLICA 100/200, DAEMON 0/100) under the request's values.
    pub fn resolve(c: Option<&DeploymentConfiguration>, daemon: bool) -> Settings {
        let (mhp, max) = if daemon { (0, 100) } else { (100, 200) };
        Settings {
            min_healthy_percent: c.and_then(|c| c.minimum_healthy_percent).unwrap_or(mhp),
            max_percent: c.and_then(|c| c.maximum_percent).unwrap_or(max),
            breaker: c
                .and_then(|c| c.deployment_circuit_breaker.as_ref())
                .filter(|b| b.enable)
                .map(|b| b.rollback),
            blue_green: c.and_then(blue_green_wait),
        }
    }

    /// These settings updated by an UpdateService's `deploymentConfiguration`.
    pub fn updated(self, c: Option<&DeploymentConfiguration>) -> Settings {
        let Some(c) = c else { return self };
        Settings {
            min_healthy_percent: c.minimum_healthy_percent.unwrap_or(self.min_healthy_percent),
            max_percent: c.maximum_percent.unwrap_or(self.max_percent),
            breaker: match &c.deployment_circuit_breaker {
                Some(b) => b.enable.then_some(b.rollback),
                None => self.breaker,
            },
            blue_green: if c.strategy.is_some() {
                blue_green_wait(c)
            } else {
                self.blue_green
            },
        }
    }

    /// The bounds for `desired` tasks.
    pub fn bounds(self, desired: u32) -> Bounds {
        bounds(desired, self.min_healthy_percent, self.max_percent)
    }
}

/// ECS's rounding: the lower bound rounds up, the upper bound down.
pub fn bounds(desired: u32, min_healthy_percent: u32, max_percent: u32) -> Bounds {
    let d = desired as u64;
    Bounds {
        min_healthy: (d * min_healthy_percent as u64).div_ceil(100) as u32,
        max_total: (d * max_percent as u64 / 100) as u32,
    }
}

/// The circuit breaker's failure threshold: `0.5 × desired`, rounded up, clamped to
/// 3–200 (the current API; ecs-semantics.md §11 item 3 — DG23's minimum was 10).
pub fn breaker_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

/// The throttle's next wait after one more task failed to start: 10 s, doubling, at
/// most 15 minutes (SIM CHOICE, ecs-semantics.md §7).
pub fn throttle_next(previous: Option<SimDuration>) -> SimDuration {
    match previous {
        None => THROTTLE_FIRST,
        Some(p) => SimDuration((p.millis() * 2).min(THROTTLE_MAX.millis())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_rolling_strategies_keep_the_old_set_for_the_shift_and_the_bake() {
        let wait = |json: &str| {
            let c: DeploymentConfiguration = serde_json::from_str(json).unwrap();
            Settings::resolve(Some(&c), false).blue_green.map(|d| d.0 / 60_000)
        };
        assert_eq!(wait(r#"{"strategy": "ROLLING"}"#), None);
        assert_eq!(wait(r#"{}"#), None);
        assert_eq!(wait(r#"{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 15}"#), Some(15));
        assert_eq!(
            wait(
                r#"{"strategy": "LINEAR", "bakeTimeInMinutes": 1, "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": 2}}"#
            ),
            Some(4 * 2 + 1)
        );
        assert_eq!(wait(r#"{"strategy": "CANARY"}"#), Some(10));
    }

    #[test]
    fn bounds_round_as_the_developer_guide_shows() {
        // mhp 50, desired 4: may stop 2 before starting 2.
        assert_eq!(bounds(4, 50, 200).min_healthy, 2);
        // mhp 75, desired 2: ceil(1.5) = 2, can stop none.
        assert_eq!(bounds(2, 75, 200).min_healthy, 2);
        // max 200, desired 4: up to 8 tasks, so 4 new before stopping 4 old.
        assert_eq!(bounds(4, 100, 200).max_total, 8);
        // max 125, desired 3: floor(3.75) = 3, can start none.
        assert_eq!(bounds(3, 100, 125).max_total, 3);
        assert_eq!(
            bounds(0, 100, 200),
            Bounds {
                min_healthy: 0,
                max_total: 0
            }
        );
    }

    #[test]
    fn breaker_threshold_is_half_clamped_to_3_and_200() {
        assert_eq!(breaker_threshold(25), 13);
        assert_eq!(breaker_threshold(1), 3);
        assert_eq!(breaker_threshold(6), 3);
        assert_eq!(breaker_threshold(8), 4);
        assert_eq!(breaker_threshold(400), 200);
        assert_eq!(breaker_threshold(800), 200);
    }

    #[test]
    fn throttle_doubles_from_10s_to_15_minutes() {
        let mut w = None;
        let mut seen = vec![];
        for _ in 0..9 {
            let n = throttle_next(w);
            seen.push(n.millis() / 1000);
            w = Some(n);
        }
        assert_eq!(seen, vec![10, 20, 40, 80, 160, 320, 640, 900, 900]);
    }

    #[test]
    fn settings_default_by_scheduling_strategy_and_update() {
        let r = Settings::resolve(None, false);
        assert_eq!((r.min_healthy_percent, r.max_percent, r.breaker), (100, 200, None));
        let d = Settings::resolve(None, true);
        assert_eq!((d.min_healthy_percent, d.max_percent), (0, 100));
        let c = DeploymentConfiguration {
            minimum_healthy_percent: Some(50),
            ..Default::default()
        };
        let u = r.updated(Some(&c));
        assert_eq!((u.min_healthy_percent, u.max_percent), (50, 200));
    }
}
