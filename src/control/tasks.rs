//! RunTask, StopTask and RegisterTaskDefinition.

use super::{ApiError, Config, ConfigRequest, State, code};
use crate::ecs::api::{RunTask, StopTask};
use crate::ecs::cluster::ClusterId;
use crate::ecs::task_definition::{RegisterTaskDefinition, TaskDefinition, register};
use crate::error::Report;
use crate::placement::plan::run_task_default;

/// ECS's limit on tasks per RunTask call.
pub const MAX_RUN_TASK_COUNT: i64 = 10;

/// An accepted RunTask.
#[derive(Clone, Debug)]
pub struct RunTaskCall {
    /// Its cluster.
    pub cluster: ClusterId,
    /// Tasks asked for.
    pub count: u32,
    /// The task group (`family:<family>` by default).
    pub group: String,
    /// Task definition, capacity, zones and placement.
    pub config: Config,
}

/// Checks a RunTask body.
pub fn run_task(st: &dyn State, rt: &RunTask) -> Result<RunTaskCall, ApiError> {
    super::check_token(rt.client_token.as_deref())?;
    let td = super::task_definition(st, &rt.task_definition, "taskDefinition")?;
    let count = rt.count.unwrap_or(1);
    if !(1..=MAX_RUN_TASK_COUNT).contains(&count) {
        return Err(ApiError::new(
            code::INVALID,
            "count",
            format!("{count}: RunTask starts 1–{MAX_RUN_TASK_COUNT} tasks per call"),
        ));
    }
    if let Some(g) = &rt.group
        && (g.is_empty() || g.len() > 255)
    {
        return Err(ApiError::new(
            code::INVALID,
            "group",
            "a task group name has 1–255 characters",
        ));
    }
    let cluster = super::cluster(st, rt.cluster.as_deref())?;
    let config = super::config(
        st,
        cluster,
        td,
        ConfigRequest {
            launch_type: rt.launch_type,
            capacity_provider_strategy: rt.capacity_provider_strategy.as_deref(),
            network: rt.network_configuration.as_ref(),
            placement_strategy: rt.placement_strategy.as_deref(),
            placement_constraints: &rt.placement_constraints,
            default_strategies: run_task_default(),
        },
    )?;
    let family = &st.registry().get(td).family;
    Ok(RunTaskCall {
        cluster,
        count: count as u32,
        group: rt.group.clone().unwrap_or_else(|| format!("family:{family}")),
        config,
    })
}

/// Checks a StopTask body's shape (whether the task exists is the run's to say).
pub fn stop_task(st: &StopTask) -> Result<(), ApiError> {
    if st.task.is_empty() {
        return Err(ApiError::new(
            code::INVALID,
            "task",
            "StopTask needs the task ID or ARN",
        ));
    }
    Ok(())
}

/// Checks a RegisterTaskDefinition body as the next revision of its family.
pub fn register_task_definition(st: &dyn State, td: &RegisterTaskDefinition) -> Result<TaskDefinition, ApiError> {
    if td.file.is_some() {
        return Err(ApiError::new(
            code::CLIENT,
            "file",
            "a RegisterTaskDefinition call takes the body itself",
        ));
    }
    let mut report = Report::new("");
    let revision = st.registry().next_revision(&td.family);
    match register(td, revision, "", &mut report) {
        Some(t) => Ok(t),
        None => Err(match report.errors.first() {
            Some(p) => ApiError::new(code::CLIENT, p.path.trim_start_matches('.'), p.message.clone()),
            None => ApiError::new(code::CLIENT, "", "the task definition is not valid"),
        }),
    }
}
