//! Why a task could not be placed: the `reason` of a RunTask `failures` entry, typed.
//! ECS's strings appear only when a reason is printed.

use crate::ecs::cluster::Shortfall;

/// A RunTask failure reason.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// No instance has the CPU, memory, ports or network interface the task needs.
    Resource(Shortfall),
    /// No instance has an attribute the task definition requires (its
    /// `runtimePlatform`: CPU architecture, operating system family).
    Attribute,
    /// No instance satisfies a memberOf constraint.
    MemberOf,
    /// Every instance already runs a task of the group (distinctInstance).
    DistinctInstance,
    /// The instances that match take no tasks (DRAINING, or their agent is disconnected).
    Agent,
    /// The cluster has no container instance at all.
    NoInstances,
    /// The cluster already has as many PROVISIONING tasks as it may.
    ProvisioningLimit,
}

impl Failure {
    /// Every reason, in the order of the output columns.
    pub const ALL: [Failure; 11] = [
        Failure::Resource(Shortfall::Cpu),
        Failure::Resource(Shortfall::Memory),
        Failure::Resource(Shortfall::Ports),
        Failure::Resource(Shortfall::Eni),
        Failure::Resource(Shortfall::Gpu),
        Failure::Attribute,
        Failure::MemberOf,
        Failure::DistinctInstance,
        Failure::Agent,
        Failure::NoInstances,
        Failure::ProvisioningLimit,
    ];

    /// The reason as ECS reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Resource(Shortfall::Cpu) => "RESOURCE:CPU",
            Failure::Resource(Shortfall::Memory) => "RESOURCE:MEMORY",
            Failure::Resource(Shortfall::Ports) => "RESOURCE:PORTS",
            Failure::Resource(Shortfall::Eni) => "RESOURCE:ENI",
            Failure::Resource(Shortfall::Gpu) => "RESOURCE:GPU",
            Failure::Resource(Shortfall::Dimension) => "RESOURCE:DIMENSION",
            Failure::Attribute => "ATTRIBUTE",
            Failure::MemberOf => "MemberOf placement constraint unsatisfied.",
            Failure::DistinctInstance => "DistinctInstance placement constraint unsatisfied.",
            Failure::Agent => "AGENT",
            Failure::NoInstances => "No Container Instances were found in your cluster.",
            Failure::ProvisioningLimit => "Provisioning task limit reached",
        }
    }

    /// The service event ECS writes when a service's task finds no instance, naming the
    /// closest matching container instance when there is one (service-event-messages:
    /// "The closest matching (container-instance …) has insufficient CPU units available.").
    pub fn service_message(self, service: &str, closest: Option<&str>) -> String {
        let head = format!(
            "(service {service}) was unable to place a task because no container instance met all of its requirements."
        );
        let what = match self {
            Failure::Resource(Shortfall::Cpu) => "has insufficient CPU units available.".to_string(),
            Failure::Resource(Shortfall::Memory) => "has insufficient memory available.".to_string(),
            Failure::Resource(Shortfall::Ports) => "is already using a port required by your task.".to_string(),
            other => format!("encountered error \"{}\".", other.as_str().trim_end_matches('.')),
        };
        match (self, closest) {
            (Failure::Attribute, Some(id)) => format!(
                "{head} The closest matching (container-instance {id}) is missing an attribute required by your task."
            ),
            (Failure::Resource(_) | Failure::Agent, Some(id)) => {
                format!("{head} The closest matching (container-instance {id}) {what}")
            }
            _ => format!("{head} Reason: {}", self.as_str()),
        }
    }

    /// The short key of its output columns, e.g. `placementFailures[MemberOf]`.
    pub fn column(self) -> &'static str {
        match self {
            Failure::Resource(_) => self.as_str(),
            Failure::MemberOf => "MemberOf",
            Failure::DistinctInstance => "DistinctInstance",
            Failure::Agent => "AGENT",
            Failure::Attribute => "ATTRIBUTE",
            Failure::NoInstances => "NoInstances",
            Failure::ProvisioningLimit => "ProvisioningLimit",
        }
    }

    /// Its position in [`ALL`](Self::ALL); None for `RESOURCE:DIMENSION`, the
    /// research mode's reason, which no scenario can meet and no column counts.
    pub fn index(self) -> Option<usize> {
        Failure::ALL.iter().position(|f| *f == self)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
