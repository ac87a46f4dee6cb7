//! Scaling policies, checked, and their arithmetic: target tracking's capacity and its
//! alarms (3 one-minute points above the target to scale out, 15 below 90 % of it to
//! scale in), step scaling's steps over its alarm's breach.

use super::{MetricAlarm, PutScalingPolicy};
use crate::engine::SimDuration;

/// Points above the target that set a target-tracking policy's high alarm off.
pub const OUT_POINTS: usize = 3;
/// Points below [`IN_FRACTION`] of the target that set its low alarm off.
pub const IN_POINTS: usize = 15;
/// The low alarm's threshold as a fraction of the target (SIM CHOICE: AWS says only
/// "usually more than 10 % lower").
pub const IN_FRACTION: f64 = 0.9;
/// Default cooldowns for ECS services, seconds.
pub const DEFAULT_COOLDOWN_S: u64 = 300;
/// The longest an alarm may look back (CloudWatch: Period × EvaluationPeriods ≤ 1 day), minutes.
pub const MAX_LOOKBACK_MIN: usize = 1440;

/// A service's one-minute datapoint.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Point {
    /// ECSServiceAverageCPUUtilization / CPUUtilization, %.
    pub cpu_pct: f64,
    /// ECSServiceAverageMemoryUtilization / MemoryUtilization, %.
    pub mem_pct: f64,
    /// ALBRequestCountPerTarget: requests in the minute per running task.
    pub requests_per_target: f64,
}

/// The metric a policy or alarm follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Average CPU utilization of the service's tasks.
    Cpu,
    /// Average memory utilization.
    Memory,
    /// Requests per target per minute.
    Requests,
}

impl Metric {
    /// The metric's value in a datapoint.
    pub fn of(self, p: &Point) -> f64 {
        match self {
            Metric::Cpu => p.cpu_pct,
            Metric::Memory => p.mem_pct,
            Metric::Requests => p.requests_per_target,
        }
    }

    /// The CloudWatch (namespace, metric name).
    pub fn cloudwatch(self) -> (&'static str, &'static str) {
        match self {
            Metric::Cpu => ("AWS/ECS", "CPUUtilization"),
            Metric::Memory => ("AWS/ECS", "MemoryUtilization"),
            Metric::Requests => ("AWS/ApplicationELB", "RequestCountPerTarget"),
        }
    }
}

/// How an alarm or a step policy reduces several one-minute points.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// The mean.
    Average,
    /// The least.
    Minimum,
    /// The most.
    Maximum,
}

impl Statistic {
    fn parse(s: Option<&str>) -> Result<Statistic, String> {
        match s.unwrap_or("Average") {
            "Average" => Ok(Statistic::Average),
            "Minimum" => Ok(Statistic::Minimum),
            "Maximum" => Ok(Statistic::Maximum),
            o => Err(format!("`{o}`: Average, Minimum or Maximum")),
        }
    }

    /// The statistic over `values` (not empty).
    pub fn over(self, values: &[f64]) -> f64 {
        match self {
            Statistic::Average => values.iter().sum::<f64>() / values.len() as f64,
            Statistic::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
            Statistic::Maximum => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// An alarm's comparison.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `>`.
    Greater,
    /// `>=`.
    GreaterOrEqual,
    /// `<`.
    Less,
    /// `<=`.
    LessOrEqual,
}

impl Comparison {
    /// Whether `v` breaches `threshold`.
    pub fn breaches(self, v: f64, threshold: f64) -> bool {
        match self {
            Comparison::Greater => v > threshold,
            Comparison::GreaterOrEqual => v >= threshold,
            Comparison::Less => v < threshold,
            Comparison::LessOrEqual => v <= threshold,
        }
    }
}

/// A CloudWatch metric alarm, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// What it watches.
    pub metric: Metric,
    /// How a period's minutes reduce.
    pub statistic: Statistic,
    /// The threshold.
    pub threshold: f64,
    /// The comparison.
    pub comparison: Comparison,
    /// Periods evaluated.
    pub periods: usize,
    /// Minutes per period.
    pub period_minutes: usize,
    /// Breaching periods that set it off.
    pub to_alarm: usize,
}

impl Alarm {
    /// Whether the alarm is in ALARM after the latest point: of the last `periods`
    /// periods (newest last in `history`, one-minute points, None where there was no
    /// data), at least `to_alarm` breach; a period with no point does not breach.
    pub fn in_alarm(&self, history: &[Option<f64>]) -> bool {
        let need = self.periods * self.period_minutes;
        if history.len() < need {
            return false;
        }
        let breaching = history[history.len() - need..]
            .chunks(self.period_minutes)
            .filter(|period| {
                let values: Vec<f64> = period.iter().flatten().copied().collect();
                !values.is_empty() && self.comparison.breaches(self.statistic.over(&values), self.threshold)
            })
            .count();
        breaching >= self.to_alarm
    }
}

/// A target-tracking policy, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTracking {
    /// The metric.
    pub metric: Metric,
    /// Its target.
    pub target: f64,
    /// No further scale-out by this policy unless larger, this long after one.
    pub scale_out_cooldown: SimDuration,
    /// No scale-in by this policy this long after one.
    pub scale_in_cooldown: SimDuration,
    /// Never scales in.
    pub disable_scale_in: bool,
}

impl TargetTracking {
    /// The capacity that brings the metric to the target: ⌈running × value / target⌉.
    pub fn capacity(&self, running: u32, value: f64) -> u32 {
        let c = (running as f64 * value / self.target * 1e9).round() / 1e9;
        c.ceil().clamp(0.0, u32::MAX as f64) as u32
    }

    /// The high alarm: the last [`OUT_POINTS`] points all above the target.
    pub fn high(&self, history: &[Option<f64>]) -> bool {
        history.len() >= OUT_POINTS
            && history[history.len() - OUT_POINTS..]
                .iter()
                .all(|p| p.is_some_and(|v| v > self.target))
    }

    /// The low alarm: the last [`IN_POINTS`] points all below 90 % of the target.
    pub fn low(&self, history: &[Option<f64>]) -> bool {
        history.len() >= IN_POINTS
            && history[history.len() - IN_POINTS..]
                .iter()
                .all(|p| p.is_some_and(|v| v < self.target * IN_FRACTION))
    }
}

/// How a step changes the capacity.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AdjustmentType {
    /// Add the adjustment.
    ChangeInCapacity,
    /// Add the adjustment as a percentage of the capacity.
    PercentChangeInCapacity,
    /// Set the capacity to the adjustment.
    ExactCapacity,
}

/// One step, bounds relative to the alarm threshold.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Step {
    /// Inclusive lower bound (−∞ when absent).
    pub lower: Option<f64>,
    /// Exclusive upper bound (+∞ when absent).
    pub upper: Option<f64>,
    /// The adjustment.
    pub adjustment: i64,
}

/// A step-scaling policy, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    /// How steps change the capacity.
    pub adjustment_type: AdjustmentType,
    /// The steps, by lower bound.
    pub steps: Vec<Step>,
    /// PercentChangeInCapacity's least change.
    pub min_magnitude: Option<i64>,
    /// The cooldown.
    pub cooldown: SimDuration,
    /// How the alarm period's minutes reduce for the breach.
    pub aggregation: Statistic,
    /// The alarm that invokes it.
    pub alarm: Alarm,
}

impl StepScaling {
    /// The new capacity from `current` for a metric `value` (None: no step covers the breach).
    pub fn capacity(&self, current: u32, value: f64) -> Option<i64> {
        let breach = value - self.alarm.threshold;
        let step = self
            .steps
            .iter()
            .find(|s| s.lower.is_none_or(|l| breach >= l) && s.upper.is_none_or(|u| breach < u))?;
        let current = current as i64;
        Some(match self.adjustment_type {
            AdjustmentType::ChangeInCapacity => current + step.adjustment,
            AdjustmentType::ExactCapacity => step.adjustment,
            AdjustmentType::PercentChangeInCapacity => {
                let exact = current as f64 * step.adjustment as f64 / 100.0;
                // Between 0 and 1 rounds to 1; above 1, down (towards 0 for decreases too).
                let mut delta = if exact.abs() > 0.0 && exact.abs() < 1.0 {
                    exact.signum() as i64
                } else {
                    exact.trunc() as i64
                };
                if let Some(m) = self.min_magnitude
                    && delta.abs() < m
                    && step.adjustment != 0
                {
                    delta = m * step.adjustment.signum();
                }
                current + delta
            }
        })
    }
}

/// A scaling policy, checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    /// TargetTrackingScaling.
    TargetTracking(TargetTracking),
    /// StepScaling.
    Step(StepScaling),
}

/// The metric of a predefined metric type.
fn predefined(t: &str) -> Option<Metric> {
    match t {
        "ECSServiceAverageCPUUtilization" => Some(Metric::Cpu),
        "ECSServiceAverageMemoryUtilization" => Some(Metric::Memory),
        "ALBRequestCountPerTarget" => Some(Metric::Requests),
        _ => None,
    }
}

/// Seconds as a cooldown (default 300).
fn cooldown(s: Option<i64>, member: &str) -> Result<SimDuration, (String, String)> {
    match s {
        None => Ok(SimDuration::from_secs(DEFAULT_COOLDOWN_S)),
        Some(s) if (0..=31_536_000).contains(&s) => Ok(SimDuration::from_secs(s as u64)),
        Some(s) => Err((member.into(), format!("{s}: seconds from 0 to 31536000"))),
    }
}

/// A checked alarm for policy `policy`.
fn alarm(a: &MetricAlarm, policy: &str) -> Result<Alarm, (String, String)> {
    let err = |m: &str, msg: String| (format!("alarm.{m}"), msg);
    let metric = match a.metric_name.as_str() {
        "CPUUtilization" => Metric::Cpu,
        "MemoryUtilization" => Metric::Memory,
        "RequestCountPerTarget" => Metric::Requests,
        o => {
            return Err(err(
                "MetricName",
                format!("`{o}`: CPUUtilization, MemoryUtilization or RequestCountPerTarget"),
            ));
        }
    };
    if let Some(ns) = &a.namespace
        && ns != metric.cloudwatch().0
    {
        return Err(err(
            "Namespace",
            format!("`{ns}`: {} is in {}", a.metric_name, metric.cloudwatch().0),
        ));
    }
    let statistic = Statistic::parse(a.statistic.as_deref()).map_err(|m| err("Statistic", m))?;
    let comparison = match a.comparison_operator.as_str() {
        "GreaterThanThreshold" => Comparison::Greater,
        "GreaterThanOrEqualToThreshold" => Comparison::GreaterOrEqual,
        "LessThanThreshold" => Comparison::Less,
        "LessThanOrEqualToThreshold" => Comparison::LessOrEqual,
        o => {
            return Err(err(
                "ComparisonOperator",
                format!(
                    "`{o}`: GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold or LessThanOrEqualToThreshold"
                ),
            ));
        }
    };
    let period = a.period.unwrap_or(60);
    if period <= 0 || period % 60 != 0 {
        return Err(err("Period", format!("{period}: a multiple of 60 seconds")));
    }
    let period_minutes = (period / 60) as usize;
    if a.evaluation_periods < 1 || a.evaluation_periods as usize * period_minutes > MAX_LOOKBACK_MIN {
        return Err(err(
            "EvaluationPeriods",
            format!(
                "{}: at least 1, with Period × EvaluationPeriods at most one day",
                a.evaluation_periods
            ),
        ));
    }
    let periods = a.evaluation_periods as usize;
    let to_alarm = a.datapoints_to_alarm.unwrap_or(a.evaluation_periods);
    if !(1..=a.evaluation_periods).contains(&to_alarm) {
        return Err(err(
            "DatapointsToAlarm",
            format!("{to_alarm}: from 1 to EvaluationPeriods"),
        ));
    }
    if !a.threshold.is_finite() {
        return Err(err("Threshold", "a finite number".into()));
    }
    Ok(Alarm {
        name: a.alarm_name.clone().unwrap_or_else(|| format!("{policy}-alarm")),
        metric,
        statistic,
        threshold: a.threshold,
        comparison,
        periods,
        period_minutes,
        to_alarm: to_alarm as usize,
    })
}

/// Checks a PutScalingPolicy body's policy; an error names the member and what is allowed.
pub fn check(b: &PutScalingPolicy) -> Result<Policy, (String, String)> {
    let kind = b.policy_type.as_deref().unwrap_or("StepScaling");
    match kind {
        "TargetTrackingScaling" => {
            const M: &str = "TargetTrackingScalingPolicyConfiguration";
            let Some(c) = &b.target_tracking_scaling_policy_configuration else {
                return Err((M.into(), "required for TargetTrackingScaling".into()));
            };
            if c.customized_metric_specification.is_some() {
                return Err((
                    format!("{M}.CustomizedMetricSpecification"),
                    "custom metrics are not modelled: use PredefinedMetricSpecification".into(),
                ));
            }
            let Some(p) = &c.predefined_metric_specification else {
                return Err((format!("{M}.PredefinedMetricSpecification"), "required".into()));
            };
            let metric = predefined(&p.predefined_metric_type).ok_or_else(|| {
                (
                    format!("{M}.PredefinedMetricSpecification.PredefinedMetricType"),
                    format!(
                        "`{}`: ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget",
                        p.predefined_metric_type
                    ),
                )
            })?;
            if metric == Metric::Requests && p.resource_label.is_none() {
                return Err((
                    format!("{M}.PredefinedMetricSpecification.ResourceLabel"),
                    "required for ALBRequestCountPerTarget".into(),
                ));
            }
            if !(c.target_value.is_finite() && c.target_value > 0.0) {
                return Err((format!("{M}.TargetValue"), format!("{}: a number > 0", c.target_value)));
            }
            Ok(Policy::TargetTracking(TargetTracking {
                metric,
                target: c.target_value,
                scale_out_cooldown: cooldown(c.scale_out_cooldown, &format!("{M}.ScaleOutCooldown"))?,
                scale_in_cooldown: cooldown(c.scale_in_cooldown, &format!("{M}.ScaleInCooldown"))?,
                disable_scale_in: c.disable_scale_in.unwrap_or(false),
            }))
        }
        "StepScaling" => {
            const M: &str = "StepScalingPolicyConfiguration";
            let Some(c) = &b.step_scaling_policy_configuration else {
                return Err((M.into(), "required for StepScaling".into()));
            };
            let Some(a) = &b.alarm else {
                return Err((
                    "alarm".into(),
                    "a step scaling policy needs the alarm that invokes it (MetricName, Threshold, ComparisonOperator, EvaluationPeriods)".into(),
                ));
            };
            let alarm = alarm(a, &b.policy_name)?;
            let adjustment_type = match c.adjustment_type.as_deref() {
                Some("ChangeInCapacity") => AdjustmentType::ChangeInCapacity,
                Some("PercentChangeInCapacity") => AdjustmentType::PercentChangeInCapacity,
                Some("ExactCapacity") => AdjustmentType::ExactCapacity,
                o => {
                    return Err((
                        format!("{M}.AdjustmentType"),
                        format!("{o:?}: ChangeInCapacity, PercentChangeInCapacity or ExactCapacity"),
                    ));
                }
            };
            if c.step_adjustments.is_empty() {
                return Err((format!("{M}.StepAdjustments"), "at least one step".into()));
            }
            let mut steps: Vec<Step> = c
                .step_adjustments
                .iter()
                .map(|s| Step {
                    lower: s.metric_interval_lower_bound,
                    upper: s.metric_interval_upper_bound,
                    adjustment: s.scaling_adjustment,
                })
                .collect();
            steps.sort_by(|a, b| {
                a.lower
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY))
            });
            for (i, w) in steps.windows(2).enumerate() {
                if w[0].upper.is_none_or(|u| w[1].lower.is_none_or(|l| l < u)) {
                    return Err((
                        format!("{M}.StepAdjustments"),
                        format!("steps {i} and {} overlap", i + 1),
                    ));
                }
            }
            if let Some(s) = steps
                .iter()
                .find(|s| matches!((s.lower, s.upper), (Some(l), Some(u)) if l >= u))
            {
                return Err((
                    format!("{M}.StepAdjustments"),
                    format!(
                        "a step's lower bound {:?} must be below its upper bound {:?}",
                        s.lower, s.upper
                    ),
                ));
            }
            if let Some(m) = c.min_adjustment_magnitude
                && (m < 1 || adjustment_type != AdjustmentType::PercentChangeInCapacity)
            {
                return Err((
                    format!("{M}.MinAdjustmentMagnitude"),
                    "at least 1, with PercentChangeInCapacity only".into(),
                ));
            }
            Ok(Policy::Step(StepScaling {
                adjustment_type,
                steps,
                min_magnitude: c.min_adjustment_magnitude,
                cooldown: cooldown(c.cooldown, &format!("{M}.Cooldown"))?,
                aggregation: Statistic::parse(c.metric_aggregation_type.as_deref())
                    .map_err(|m| (format!("{M}.MetricAggregationType"), m))?,
                alarm,
            }))
        }
        "PredictiveScaling" => Err(("PolicyType".into(), "PredictiveScaling is not modelled".into())),
        o => Err((
            "PolicyType".into(),
            format!("`{o}`: TargetTrackingScaling or StepScaling"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tt(target: f64) -> TargetTracking {
        TargetTracking {
            metric: Metric::Cpu,
            target,
            scale_out_cooldown: SimDuration::from_secs(60),
            scale_in_cooldown: SimDuration::from_secs(300),
            disable_scale_in: false,
        }
    }

    #[test]
    fn target_tracking_capacity_is_the_ceiling() {
        assert_eq!(tt(60.0).capacity(4, 90.0), 6);
        assert_eq!(tt(60.0).capacity(4, 91.0), 7);
        assert_eq!(tt(60.0).capacity(10, 40.0), 7);
        assert_eq!(tt(70.0).capacity(7, 70.0), 7, "float noise does not add a task");
    }

    #[test]
    fn alarms_need_every_point_in_their_window() {
        let t = tt(60.0);
        let p = |v: &[f64]| v.iter().map(|v| Some(*v)).collect::<Vec<_>>();
        assert!(!t.high(&p(&[61.0, 61.0])));
        assert!(t.high(&p(&[10.0, 61.0, 61.0, 61.0])));
        assert!(!t.high(&[Some(61.0), None, Some(61.0), Some(61.0)][1..]));
        assert!(!t.low(&p(&[53.0; 14])));
        assert!(t.low(&p(&[53.0; 15])));
        assert!(!t.low(&p(&[54.0; 15])), "54 is not below 90 % of 60");
    }

    #[test]
    fn steps_and_percentages_round_as_documented() {
        let s = StepScaling {
            adjustment_type: AdjustmentType::PercentChangeInCapacity,
            steps: vec![
                Step {
                    lower: Some(0.0),
                    upper: Some(20.0),
                    adjustment: 10,
                },
                Step {
                    lower: Some(20.0),
                    upper: None,
                    adjustment: 50,
                },
            ],
            min_magnitude: None,
            cooldown: SimDuration::from_secs(300),
            aggregation: Statistic::Average,
            alarm: Alarm {
                name: "a".into(),
                metric: Metric::Cpu,
                statistic: Statistic::Average,
                threshold: 70.0,
                comparison: Comparison::Greater,
                periods: 1,
                period_minutes: 1,
                to_alarm: 1,
            },
        };
        assert_eq!(s.capacity(5, 75.0), Some(6), "10 % of 5 is 0.5: rounds up to 1");
        assert_eq!(s.capacity(15, 75.0), Some(16), "1.5 rounds down to 1");
        assert_eq!(s.capacity(10, 95.0), Some(15));
        assert_eq!(s.capacity(10, 60.0), None, "no step below the threshold");
    }

    #[test]
    fn a_period_alarm_reduces_its_minutes() {
        let a = Alarm {
            name: "a".into(),
            metric: Metric::Cpu,
            statistic: Statistic::Average,
            threshold: 50.0,
            comparison: Comparison::Greater,
            periods: 2,
            period_minutes: 2,
            to_alarm: 2,
        };
        let h = [Some(40.0), Some(70.0), Some(45.0), Some(60.0)];
        assert!(a.in_alarm(&h), "periods average 55 and 52.5");
        assert!(!a.in_alarm(&[Some(40.0), Some(50.0), Some(45.0), Some(60.0)]));
        assert!(!a.in_alarm(&h[1..]), "three minutes are not two periods");
    }
}
