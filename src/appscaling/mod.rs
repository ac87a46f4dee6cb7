//! Application Auto Scaling for ECS services: the request bodies of
//! RegisterScalableTarget, PutScalingPolicy, PutScheduledAction and their deletes (in
//! Application Auto Scaling's own PascalCase, so `aws application-autoscaling` JSON
//! pastes), their checked forms, and the policies' arithmetic. Call-time checks are in
//! [`crate::control::appscaling`]; the run's alarms and activities in the sim.

pub mod demand;
pub mod policy;
pub mod schedule;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The namespace ecsim scales.
pub const NAMESPACE: &str = "ecs";
/// The one scalable dimension of an ECS service.
pub const DIMENSION: &str = "ecs:service:DesiredCount";
/// Application Auto Scaling's `eventSource` in CloudTrail.
pub const EVENT_SOURCE: &str = "application-autoscaling.amazonaws.com";
/// Who Application Auto Scaling's calls to ECS are invoked by, in CloudTrail.
pub const INVOKED_BY: &str = "application-autoscaling.amazonaws.com";

/// What every Application Auto Scaling body names: the scalable target.
pub trait Addressed {
    /// `ServiceNamespace`, `ResourceId`, `ScalableDimension`.
    fn address(&self) -> (&str, &str, &str);
}

macro_rules! addressed {
    ($($t:ty),*) => {$(
        impl Addressed for $t {
            fn address(&self) -> (&str, &str, &str) {
                (&self.service_namespace, &self.resource_id, &self.scalable_dimension)
            }
        }
    )*};
}
addressed!(
    RegisterScalableTarget,
    DeregisterScalableTarget,
    PutScalingPolicy,
    DeleteScalingPolicy,
    PutScheduledAction,
    DeleteScheduledAction
);

/// `SuspendedState`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SuspendedState {
    /// No scale-in by scaling policies.
    #[serde(default)]
    pub dynamic_scaling_in_suspended: bool,
    /// No scale-out by scaling policies.
    #[serde(default)]
    pub dynamic_scaling_out_suspended: bool,
    /// No scheduled action runs.
    #[serde(default)]
    pub scheduled_scaling_suspended: bool,
}

/// A RegisterScalableTarget body.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RegisterScalableTarget {
    /// `ecs`.
    pub service_namespace: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
    /// Required on the first registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i64>,
    /// Required on the first registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i64>,
    /// Accepted, not used.
    #[serde(default, rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// Suspends scaling activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
    /// Accepted, not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A DeregisterScalableTarget body (its policies and scheduled actions go with it).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeregisterScalableTarget {
    /// `ecs`.
    pub service_namespace: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
}

/// `PredefinedMetricSpecification`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PredefinedMetricSpecification {
    /// ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget.
    pub predefined_metric_type: String,
    /// Required for ALBRequestCountPerTarget (any string here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<String>,
}

/// `TargetTrackingScalingPolicyConfiguration`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetTrackingScalingPolicyConfiguration {
    /// The metric's target.
    pub target_value: f64,
    /// The metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetricSpecification>,
    /// Not modelled (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<serde_json::Value>,
    /// Seconds (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<i64>,
    /// Seconds (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<i64>,
    /// The policy never scales in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_scale_in: Option<bool>,
}

/// One `StepAdjustments` entry: bounds relative to the alarm's threshold.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepAdjustment {
    /// Inclusive lower bound (absent: −∞).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<f64>,
    /// Exclusive upper bound (absent: +∞).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<f64>,
    /// Tasks, percent or the exact count, by `AdjustmentType`.
    pub scaling_adjustment: i64,
}

/// `StepScalingPolicyConfiguration`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepScalingPolicyConfiguration {
    /// ChangeInCapacity, PercentChangeInCapacity or ExactCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<String>,
    /// The steps.
    #[serde(default)]
    pub step_adjustments: Vec<StepAdjustment>,
    /// PercentChangeInCapacity: change by at least this many tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<i64>,
    /// Seconds (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<i64>,
    /// Average, Minimum or Maximum (default Average).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_aggregation_type: Option<String>,
}

/// The CloudWatch alarm behind a step scaling policy, shaped like PutMetricAlarm
/// (simulation only: AWS takes it in a separate call).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MetricAlarm {
    /// The alarm's name (default `<policy>-alarm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_name: Option<String>,
    /// CPUUtilization, MemoryUtilization (AWS/ECS) or RequestCountPerTarget (AWS/ApplicationELB).
    pub metric_name: String,
    /// AWS/ECS or AWS/ApplicationELB (checked against the metric when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Average, Minimum or Maximum (default Average).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// The threshold.
    pub threshold: f64,
    /// GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold.
    pub comparison_operator: String,
    /// Periods evaluated.
    pub evaluation_periods: i64,
    /// Seconds, a multiple of 60 (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    /// Breaching periods among them that set the alarm off (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<i64>,
}

/// A PutScalingPolicy body.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutScalingPolicy {
    /// The policy's name (a second Put of one name replaces it).
    pub policy_name: String,
    /// `ecs`.
    pub service_namespace: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
    /// TargetTrackingScaling or StepScaling (AWS's default: StepScaling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_type: Option<String>,
    /// For TargetTrackingScaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_tracking_scaling_policy_configuration: Option<TargetTrackingScalingPolicyConfiguration>,
    /// For StepScaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_scaling_policy_configuration: Option<StepScalingPolicyConfiguration>,
    /// Simulation only, for StepScaling: the alarm that invokes it.
    #[serde(default, rename = "alarm", skip_serializing_if = "Option::is_none")]
    pub alarm: Option<MetricAlarm>,
}

/// A DeleteScalingPolicy body.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteScalingPolicy {
    /// The policy.
    pub policy_name: String,
    /// `ecs`.
    pub service_namespace: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
}

/// `ScalableTargetAction`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScalableTargetAction {
    /// The new MinCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<i64>,
    /// The new MaxCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<i64>,
}

/// A PutScheduledAction body.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutScheduledAction {
    /// `ecs`.
    pub service_namespace: String,
    /// at(…), rate(…) or cron(…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// UTC only (absent: UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The action's name (a second Put of one name replaces it).
    pub scheduled_action_name: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
    /// Not before (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Not after (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// The new bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalable_target_action: Option<ScalableTargetAction>,
}

/// A DeleteScheduledAction body.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteScheduledAction {
    /// `ecs`.
    pub service_namespace: String,
    /// The action.
    pub scheduled_action_name: String,
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
}

/// One Application Auto Scaling call.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum ScalingCall {
    /// RegisterScalableTarget.
    Register(RegisterScalableTarget),
    /// DeregisterScalableTarget.
    Deregister(DeregisterScalableTarget),
    /// PutScalingPolicy.
    PutPolicy(Box<PutScalingPolicy>),
    /// DeleteScalingPolicy.
    DeletePolicy(DeleteScalingPolicy),
    /// PutScheduledAction.
    PutAction(PutScheduledAction),
    /// DeleteScheduledAction.
    DeleteAction(DeleteScheduledAction),
}

impl ScalingCall {
    /// The API name.
    pub fn name(&self) -> &'static str {
        match self {
            ScalingCall::Register(_) => "RegisterScalableTarget",
            ScalingCall::Deregister(_) => "DeregisterScalableTarget",
            ScalingCall::PutPolicy(_) => "PutScalingPolicy",
            ScalingCall::DeletePolicy(_) => "DeleteScalingPolicy",
            ScalingCall::PutAction(_) => "PutScheduledAction",
            ScalingCall::DeleteAction(_) => "DeleteScheduledAction",
        }
    }
}
