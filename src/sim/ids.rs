//! Typed ids of a run's things, and who asked for a task.

/// A created task: its index in the task store, which is also its creation order (its
/// ECS task id derives from it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskIdx(pub u32);

/// A task request ECS never turned into a task.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestIdx(pub u32);

/// A service, in creation order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

/// A deployment of a service, in the service's creation order (the first: 0).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentIdx(pub u32);

/// A workload of the scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId(pub u32);

/// A timeline call (index into the scenario's sorted timeline).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallIdx(pub u32);

/// Who asked for a task.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A service.
    Service(ServiceId),
    /// A workload's RunTask calls.
    Workload(WorkloadId),
    /// A timeline RunTask.
    Timeline(CallIdx),
}

impl ServiceId {
    /// As a vector index.
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl DeploymentIdx {
    /// As a vector index.
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

impl TaskIdx {
    /// As a vector index.
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}
