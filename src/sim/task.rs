//! Tasks: what was asked for, what ECS made of it, and how it ended.

use crate::capacity::cost::Meter;
use crate::ecs::cluster::{ClusterId, GroupId, InstanceId};
use crate::ecs::failure::Failure;
use crate::ecs::intern::Sym;
use crate::ecs::provider::Pool;
use crate::ecs::registry::TaskDefId;
use crate::engine::{OptTime, SimDuration, SimTime};
pub use crate::sim::ids::{DeploymentIdx, Origin, TaskIdx};
use std::borrow::Cow;

/// `lastStatus`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    /// Created, waiting for capacity a capacity provider is adding.
    Provisioning,
    /// Placed; the agent is starting it.
    Pending,
    /// Running.
    Running,
    /// Told to stop (SIGTERM sent); its containers are exiting.
    Stopping,
    /// Stopped.
    Stopped,
}

impl TaskStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Stopping => "STOPPING",
            TaskStatus::Stopped => "STOPPED",
        }
    }
}

/// `TaskStopCode`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StopCode {
    /// The essential container exited.
    EssentialContainerExited,
    /// StopTask.
    UserInitiated,
    /// The service scheduler stopped it (scale-in, deployment).
    ServiceSchedulerInitiated,
    /// It never reached RUNNING (a provisioning timeout, a failed start).
    TaskFailedToStart,
    /// EC2 reclaimed its Spot instance.
    SpotInterruption,
    /// Its capacity went away: an instance terminated, a Fargate Spot interruption.
    TerminationNotice,
}

impl StopCode {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::UserInitiated => "UserInitiated",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            StopCode::TaskFailedToStart => "TaskFailedToStart",
            StopCode::SpotInterruption => "SpotInterruption",
            StopCode::TerminationNotice => "TerminationNotice",
        }
    }
}

/// Why a task stopped, or why a request never became a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// "Essential container in task exited".
    Exited,
    /// StopTask, with the request's reason if any.
    UserInitiated(Option<String>),
    /// The service scheduler stopped it: scale-in or a deployment (the deployment that
    /// did it), or its service was deleted.
    ScaleIn(String),
    /// RunTask returned this failure reason and no retry was left.
    Rejected(Failure),
    /// Still waiting for capacity at the end (service), with the last reason (None:
    /// capacity was not yet checked).
    WaitingForCapacity(Option<Failure>),
    /// A RunTask retry was still pending at the end, with the last reason.
    WaitingForRetry(Failure),
    /// The service's desired count fell before the task could be placed.
    NoLongerWanted,
    /// The deployment failed (circuit breaker) before the task could be placed.
    DeploymentFailed,
    /// No capacity arrived within the provisioning timeout.
    ProvisioningTimeout,
    /// Its instance was terminated (Spot: reclaimed).
    InstanceTerminated {
        /// The EC2 instance id.
        ec2_instance_id: String,
        /// By a Spot interruption.
        spot: bool,
    },
    /// A Fargate Spot interruption.
    FargateSpotInterrupted,
    /// Moved off a DRAINING instance (a replica task once its replacement was healthy; a
    /// DAEMON task once nothing else ran there).
    Draining(String),

    /// Moved to a zone with fewer of the service's tasks.
    Rebalancing(String),
    /// Its container failed to start (startFailureProbability).
    StartFailed,
    /// Its instance's agent stayed disconnected past the timeout.
    AgentDisconnected(String),
    /// Its instance was deregistered with force: ECS no longer tracks it.
    Orphaned(String),
    /// A DAEMON task whose instance no longer matches the service.
    DaemonNotEligible,
    /// Fargate capacity in its zone failed (an availability-zone outage).
    ZoneOutage(String),
}

impl Reason {
    /// The text for tasks.csv `stoppedReason`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Reason::Exited => "Essential container in task exited".into(),
            Reason::UserInitiated(Some(r)) => r.as_str().into(),
            Reason::UserInitiated(None) => "Task stopped by user".into(),
            Reason::ScaleIn(d) => format!("Scaling activity initiated by (deployment {d})").into(),
            Reason::Rejected(r) => format!("RunTask failure: {r}").into(),
            Reason::WaitingForCapacity(r) => format!(
                "No container instance met all of its requirements: {}",
                r.map_or("capacity was not yet checked", Failure::as_str)
            )
            .into(),
            Reason::WaitingForRetry(r) => format!("RunTask retry pending after failure: {r}").into(),
            Reason::NoLongerWanted => "Desired count lowered before the task was placed".into(),
            Reason::DeploymentFailed => "The deployment failed (circuit breaker) before the task was placed".into(),

            Reason::ProvisioningTimeout => {
                "Capacity is unavailable at this time: no instance came within the provisioning timeout".into()
            }
            Reason::InstanceTerminated {
                ec2_instance_id,
                spot: false,
            } => format!("Host EC2 (instance {ec2_instance_id}) terminated.").into(),
            Reason::InstanceTerminated {
                ec2_instance_id,
                spot: true,
            } => format!("Host EC2 (instance {ec2_instance_id}) terminated: Spot instance interrupted.").into(),
            Reason::FargateSpotInterrupted => "Your Spot Task was interrupted.".into(),
            Reason::Draining(d) => format!("Container instance is draining (deployment {d})").into(),
            Reason::Rebalancing(d) => format!("Availability Zone rebalancing initiated by (deployment {d})").into(),
            Reason::StartFailed => {
                "CannotStartContainerError: the container failed to start (startFailureProbability)".into()
            }
            Reason::AgentDisconnected(i) => {
                format!("Container instance {i} agent disconnected past the timeout: the service replaced the task")
                    .into()
            }
            Reason::Orphaned(i) => format!("Container instance {i} deregistered: the task is no longer tracked").into(),
            Reason::DaemonNotEligible => {
                "The container instance no longer meets the daemon service's placement constraints".into()
            }
            Reason::ZoneOutage(z) => {
                format!("ECS is performing maintenance on the underlying infrastructure hosting the task ({z} outage)")
                    .into()
            }
        }
    }

    /// True when the request is still wanted at the end of the run.
    pub fn is_waiting(&self) -> bool {
        matches!(self, Reason::WaitingForCapacity(_) | Reason::WaitingForRetry(_))
    }
}

/// One task.
#[derive(Clone, Debug)]
pub struct Task {
    /// The task definition revision.
    pub taskdef: TaskDefId,
    /// The task group.
    pub group: GroupId,
    /// Who asked.
    pub origin: Origin,
    /// The container instance, once placed.
    pub instance: Option<InstanceId>,
    /// When it was first asked for.
    pub arrived_at: SimTime,
    /// When ECS created it.
    pub created_at: SimTime,
    /// When it was placed: on an instance, or on Fargate (a PROVISIONING task is created
    /// before it is placed).
    pub placed_at: OptTime,
    /// When it reached RUNNING.
    pub started_at: OptTime,
    /// When it stopped.
    pub stopped_at: OptTime,
    /// Last status.
    pub status: TaskStatus,
    /// Stop code.
    pub stop_code: Option<StopCode>,
    /// Why it stopped.
    pub reason: Option<Reason>,
    /// How long it runs once RUNNING (None: until stopped or the end).
    pub run_for: Option<SimDuration>,
    /// Where it runs: the launch type's or capacity provider's pool.
    pub pool: Pool,
    /// A Fargate task's zone.
    pub zone: Option<Sym>,
    /// A Fargate task's cost meter.
    pub meter: Option<Meter>,
    /// State-change counter (EventBridge `version`).
    pub version: u32,
    /// Its ECS cluster.
    pub cluster: ClusterId,
    /// A service task's deployment.
    pub deployment: DeploymentIdx,
    /// A service task counts toward minimumHealthyPercent.
    pub healthy: bool,
    /// When it began stopping.
    pub stopping_at: OptTime,
    /// It replaces a task a fault stopped (counted when it reaches RUNNING).
    pub after_fault: bool,
    /// Its place in tasks.csv (tasks and requests by when they were recorded, from 0);
    /// set by the task store.
    pub row: u32,
}

impl Task {
    /// Live: PROVISIONING, PENDING or RUNNING.
    pub fn is_live(&self) -> bool {
        matches!(
            self.status,
            TaskStatus::Provisioning | TaskStatus::Pending | TaskStatus::Running
        )
    }
}

/// A task request ECS never turned into a task: a RunTask that returned failures, a
/// service task still waiting for capacity at the end, one no longer wanted.
#[derive(Clone, Debug)]
pub struct Request {
    /// The task definition revision.
    pub taskdef: TaskDefId,
    /// The task group.
    pub group: GroupId,
    /// Who asked.
    pub origin: Origin,
    /// When it was first asked for.
    pub arrived_at: SimTime,
    /// Why it never became a task.
    pub reason: Reason,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_task_record_stays_small() {
        // A run keeps every live task (400k at W 100k hosts): each byte here is 400 kB there.
        assert!(
            std::mem::size_of::<super::Task>() <= 168,
            "{}",
            std::mem::size_of::<super::Task>()
        );
        assert_eq!(std::mem::size_of::<super::OptTime>(), 8);
    }
}
