//! Application Auto Scaling's call-time rules: scalable targets, scaling policies and
//! scheduled actions, registered against the services that exist at the call. The run
//! and `ecsim validate` keep one [`Targets`] each and change it through these functions.

use super::{ApiError, State};
use crate::appscaling::policy::{self, Policy};
use crate::appscaling::schedule::{self, Schedule};
use crate::appscaling::{
    Addressed, DIMENSION, DeleteScalingPolicy, DeleteScheduledAction, DeregisterScalableTarget, NAMESPACE,
    PutScalingPolicy, PutScheduledAction, RegisterScalableTarget, ScalingCall, SuspendedState,
};
use crate::ecs::cluster::ClusterId;

/// Application Auto Scaling's error codes.
pub mod code {
    /// A member is malformed or names what does not exist.
    pub const VALIDATION: &str = "ValidationException";
    /// No such scalable target, policy or scheduled action.
    pub const NOT_FOUND: &str = "ObjectNotFoundException";
}

/// A scaling policy of a target; `id` is unique over the run (a replaced policy gets a new one).
#[derive(Clone, Debug)]
pub struct NamedPolicy {
    /// `PolicyName`.
    pub name: String,
    /// Run-wide id.
    pub id: u32,
    /// The policy.
    pub policy: Policy,
}

/// A scheduled action of a target; `id` is unique over the run.
#[derive(Clone, Debug)]
pub struct ScheduledAction {
    /// `ScheduledActionName`.
    pub name: String,
    /// Run-wide id.
    pub id: u32,
    /// When it runs.
    pub schedule: Schedule,
    /// Not before (Unix ms).
    pub start: Option<i64>,
    /// Not after (Unix ms).
    pub end: Option<i64>,
    /// When it was put (Unix ms): a rate counts from here or `start`.
    pub put_at: i64,
    /// The new MinCapacity.
    pub min: Option<u32>,
    /// The new MaxCapacity.
    pub max: Option<u32>,
}

/// A registered scalable target: one service's desired count.
#[derive(Clone, Debug)]
pub struct Target {
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// The service's cluster.
    pub cluster: ClusterId,
    /// The service's name.
    pub service: String,
    /// `MinCapacity`.
    pub min: u32,
    /// `MaxCapacity`.
    pub max: u32,
    /// `SuspendedState`.
    pub suspended: SuspendedState,
    /// Its policies, in the order they were put.
    pub policies: Vec<NamedPolicy>,
    /// Its scheduled actions.
    pub actions: Vec<ScheduledAction>,
}

/// What an accepted call changed, for the run to act on.
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// A target was registered or its bounds changed: (cluster, service, min, max).
    Bounds(ClusterId, String, u32, u32),
    /// A policy was put (its id).
    Policy(u32),
    /// A scheduled action was put (its id).
    Action(u32),
    /// Something was deleted or deregistered.
    Removed,
}

/// Applies one call to `targets`, checked against `st`, at `now_unix_ms`.
pub fn apply(targets: &mut Targets, st: &dyn State, c: &ScalingCall, now_unix_ms: i64) -> Result<Applied, ApiError> {
    Ok(match c {
        ScalingCall::Register(b) => {
            let t = targets.register(st, b)?;
            Applied::Bounds(t.cluster, t.service.clone(), t.min, t.max)
        }
        ScalingCall::Deregister(b) => targets.deregister(st, b).map(|_| Applied::Removed)?,
        ScalingCall::PutPolicy(b) => Applied::Policy(targets.put_policy(st, b)?),
        ScalingCall::DeletePolicy(b) => targets.delete_policy(st, b).map(|_| Applied::Removed)?,
        ScalingCall::PutAction(b) => Applied::Action(targets.put_action(st, b, now_unix_ms)?.id),
        ScalingCall::DeleteAction(b) => targets.delete_action(st, b).map(|_| Applied::Removed)?,
    })
}

/// The registered scalable targets.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    list: Vec<Target>,
    next_id: u32,
}

fn invalid(member: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(code::VALIDATION, member, message)
}

/// The cluster and service of a body's scalable target, checked.
fn resolve(st: &dyn State, b: &dyn Addressed) -> Result<(ClusterId, String), ApiError> {
    let (ns, id, dim) = b.address();
    if ns != NAMESPACE {
        return Err(invalid("ServiceNamespace", format!("`{ns}`: only ecs is modelled")));
    }
    if dim != DIMENSION {
        return Err(invalid("ScalableDimension", format!("`{dim}`: {DIMENSION}")));
    }
    let parts: Vec<&str> = id.split('/').collect();
    let ["service", cluster, service] = parts[..] else {
        return Err(invalid("ResourceId", format!("`{id}`: service/<cluster>/<service>")));
    };
    let c = st.cluster(cluster).ok_or_else(|| {
        invalid(
            "ResourceId",
            format!(
                "`{id}`: no cluster `{cluster}` (clusters: {})",
                st.cluster_names().join(", ")
            ),
        )
    })?;
    if st.service(c, service).is_none() {
        return Err(invalid("ResourceId", format!("`{id}`: ECS service doesn't exist")));
    }
    Ok((c, service.to_string()))
}

fn capacity(v: i64, member: &str) -> Result<u32, ApiError> {
    u32::try_from(v).map_err(|_| invalid(member, format!("{v}: a count ≥ 0")))
}

impl Targets {
    /// Every target, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Target> {
        self.list.iter()
    }

    /// The target of service `name` in cluster `c`.
    pub fn of_service(&self, c: ClusterId, name: &str) -> Option<&Target> {
        self.list.iter().find(|t| t.cluster == c && t.service == name)
    }

    fn find(&self, b: &dyn Addressed) -> Result<usize, ApiError> {
        let (ns, id, dim) = b.address();
        self.list.iter().position(|t| t.resource_id == id).ok_or_else(|| {
            ApiError::new(
                code::NOT_FOUND,
                "ResourceId",
                format!("No scalable target registered for service namespace: {ns}, resource ID: {id}, scalable dimension: {dim}"),
            )
        })
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// RegisterScalableTarget: a new target or new bounds; returns the target.
    pub fn register(&mut self, st: &dyn State, b: &RegisterScalableTarget) -> Result<&Target, ApiError> {
        let (cluster, service) = resolve(st, b)?;
        let existing = self.list.iter().position(|t| t.resource_id == b.resource_id);
        let min = b.min_capacity.map(|v| capacity(v, "MinCapacity")).transpose()?;
        let max = b.max_capacity.map(|v| capacity(v, "MaxCapacity")).transpose()?;
        let (min, max) = match (existing.map(|i| &self.list[i]), min, max) {
            (None, Some(min), Some(max)) => (min, max),
            (None, _, _) => {
                return Err(invalid(
                    if min.is_none() { "MinCapacity" } else { "MaxCapacity" },
                    "MinCapacity and MaxCapacity are required to register a new scalable target",
                ));
            }
            (Some(t), min, max) => (min.unwrap_or(t.min), max.unwrap_or(t.max)),
        };
        if min > max {
            return Err(invalid(
                "MinCapacity",
                format!("MinCapacity {min} must not be above MaxCapacity {max}"),
            ));
        }
        let i = match existing {
            Some(i) => i,
            None => {
                self.list.push(Target {
                    resource_id: b.resource_id.clone(),
                    cluster,
                    service,
                    min,
                    max,
                    suspended: SuspendedState::default(),
                    policies: Vec::new(),
                    actions: Vec::new(),
                });
                self.list.len() - 1
            }
        };
        let t = &mut self.list[i];
        (t.min, t.max) = (min, max);
        if let Some(s) = b.suspended_state {
            t.suspended = s;
        }
        Ok(&self.list[i])
    }

    /// DeregisterScalableTarget: the target goes, with its policies and actions.
    pub fn deregister(&mut self, st: &dyn State, b: &DeregisterScalableTarget) -> Result<(), ApiError> {
        let _ = resolve(st, b);
        let i = self.find(b)?;
        self.list.remove(i);
        Ok(())
    }

    /// PutScalingPolicy: a new policy, or one replacing the policy of that name;
    /// returns the policy's id.
    pub fn put_policy(&mut self, st: &dyn State, b: &PutScalingPolicy) -> Result<u32, ApiError> {
        resolve(st, b)?;
        let i = self.find(b)?;
        if b.policy_name.is_empty() || b.policy_name.len() > 256 {
            return Err(invalid("PolicyName", "1 to 256 characters"));
        }
        let policy = policy::check(b).map_err(|(m, msg)| invalid(&m, msg))?;
        let id = self.id();
        let t = &mut self.list[i];
        let p = NamedPolicy {
            name: b.policy_name.clone(),
            id,
            policy,
        };
        match t.policies.iter_mut().find(|p| p.name == b.policy_name) {
            Some(old) => *old = p,
            None => t.policies.push(p),
        }
        Ok(id)
    }

    /// DeleteScalingPolicy.
    pub fn delete_policy(&mut self, st: &dyn State, b: &DeleteScalingPolicy) -> Result<(), ApiError> {
        let _ = resolve(st, b);
        let i = self.find(b)?;
        let t = &mut self.list[i];
        let k = t.policies.iter().position(|p| p.name == b.policy_name).ok_or_else(|| {
            ApiError::new(
                code::NOT_FOUND,
                "PolicyName",
                format!("No scaling policy found for service namespace: ecs, resource ID: {}, scalable dimension: {DIMENSION}, policy name: {}", b.resource_id, b.policy_name),
            )
        })?;
        t.policies.remove(k);
        Ok(())
    }

    /// PutScheduledAction at `now_unix_ms`: a new action, or one replacing the action
    /// of that name; returns it.
    pub fn put_action(
        &mut self,
        st: &dyn State,
        b: &PutScheduledAction,
        now_unix_ms: i64,
    ) -> Result<&ScheduledAction, ApiError> {
        resolve(st, b)?;
        let i = self.find(b)?;
        if let Some(tz) = &b.timezone
            && !matches!(tz.as_str(), "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT")
        {
            return Err(invalid("Timezone", format!("`{tz}`: only UTC is modelled")));
        }
        let text = b
            .schedule
            .as_deref()
            .ok_or_else(|| invalid("Schedule", "required: at(…), rate(…) or cron(…)"))?;
        let schedule = schedule::parse(text).map_err(|m| invalid("Schedule", m))?;
        let time = |s: &Option<String>, member: &str| -> Result<Option<i64>, ApiError> {
            s.as_deref()
                .map(|v| {
                    crate::ecs::query::parse_time(v)
                        .or_else(|| crate::ecs::query::parse_time(&format!("{v}Z")))
                        .ok_or_else(|| invalid(member, format!("`{v}`: a time such as 2026-01-01T08:00:00Z")))
                })
                .transpose()
        };
        let (start, end) = (time(&b.start_time, "StartTime")?, time(&b.end_time, "EndTime")?);
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            return Err(invalid("EndTime", "EndTime must not be before StartTime"));
        }
        let action = b.scalable_target_action.unwrap_or_default();
        let min = action
            .min_capacity
            .map(|v| capacity(v, "ScalableTargetAction.MinCapacity"))
            .transpose()?;
        let max = action
            .max_capacity
            .map(|v| capacity(v, "ScalableTargetAction.MaxCapacity"))
            .transpose()?;
        if min.is_none() && max.is_none() {
            return Err(invalid(
                "ScalableTargetAction",
                "MinCapacity, MaxCapacity or both are required",
            ));
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            return Err(invalid(
                "ScalableTargetAction.MinCapacity",
                format!("MinCapacity {a} must not be above MaxCapacity {b}"),
            ));
        }
        let id = self.id();
        let a = ScheduledAction {
            name: b.scheduled_action_name.clone(),
            id,
            schedule,
            start,
            end,
            put_at: now_unix_ms,
            min,
            max,
        };
        let t = &mut self.list[i];
        let k = match t.actions.iter().position(|x| x.name == a.name) {
            Some(k) => {
                t.actions[k] = a;
                k
            }
            None => {
                t.actions.push(a);
                t.actions.len() - 1
            }
        };
        Ok(&self.list[i].actions[k])
    }

    /// DeleteScheduledAction.
    pub fn delete_action(&mut self, st: &dyn State, b: &DeleteScheduledAction) -> Result<(), ApiError> {
        let _ = resolve(st, b);
        let i = self.find(b)?;
        let t = &mut self.list[i];
        let k = t
            .actions
            .iter()
            .position(|a| a.name == b.scheduled_action_name)
            .ok_or_else(|| {
                ApiError::new(
                    code::NOT_FOUND,
                    "ScheduledActionName",
                    format!("No scheduled action found: {}", b.scheduled_action_name),
                )
            })?;
        t.actions.remove(k);
        Ok(())
    }

    /// The action with run-wide id `id`, and its target.
    pub fn action(&self, id: u32) -> Option<(&Target, &ScheduledAction)> {
        self.list
            .iter()
            .find_map(|t| t.actions.iter().find(|a| a.id == id).map(|a| (t, a)))
    }

    /// Scheduled action `id` ran: its target's bounds become the action's; returns the
    /// target's new (min, max).
    pub fn run_action(&mut self, id: u32) -> Option<(ClusterId, String, u32, u32)> {
        let t = self.list.iter_mut().find(|t| t.actions.iter().any(|a| a.id == id))?;
        let a = t.actions.iter().find(|a| a.id == id)?;
        let (min, max) = (a.min.unwrap_or(t.min), a.max.unwrap_or(t.max));
        // A new minimum above the maximum raises it (and a maximum below the minimum lowers it).
        (t.min, t.max) = match (a.min, a.max) {
            (Some(_), None) => (min, max.max(min)),
            (None, Some(_)) => (min.min(max), max),
            _ => (min, max),
        };
        Some((t.cluster, t.service.clone(), t.min, t.max))
    }
}
