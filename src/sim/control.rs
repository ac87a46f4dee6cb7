//! The run's control plane: its clusters (with their capacity providers and default
//! strategy) and registered task definitions, and the view of them — with the services
//! — that the call checks of [`crate::control`] read at call time.

use super::services::Services;
use crate::capacity::providers::{Associations, CapacitySpec};
use crate::control::{ServiceInfo, State};
use crate::ecs::cluster::ClusterId;
use crate::ecs::registry::{TaskDefId, TaskDefinitions};
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::SimTime;

/// The clusters and task definitions of a run.
#[derive(Default)]
pub struct ControlPlane {
    registry: TaskDefinitions,
    clusters: Vec<(String, Associations)>,
    epoch: u64,
}

impl ControlPlane {
    /// The cluster called `name`, if it exists.
    pub fn cluster(&self, name: &str) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| ClusterId(i as u32))
    }

    /// Adds cluster `name` with `associations`.
    pub fn add_cluster(&mut self, name: &str, associations: Associations) -> ClusterId {
        self.clusters.push((name.to_string(), associations));
        self.epoch += 1;
        ClusterId(self.clusters.len() as u32 - 1)
    }

    /// A cluster's name.
    pub fn cluster_name(&self, c: ClusterId) -> &str {
        &self.clusters[c.0 as usize].0
    }

    /// How many clusters exist.
    pub fn cluster_count(&self) -> usize {
        self.clusters.len()
    }

    /// A cluster's capacity providers and default strategy.
    pub fn associations(&self, c: ClusterId) -> &Associations {
        &self.clusters[c.0 as usize].1
    }

    /// Replaces a cluster's capacity providers and default strategy.
    pub fn set_associations(&mut self, c: ClusterId, a: Associations) {
        self.clusters[c.0 as usize].1 = a;
        self.epoch += 1;
    }

    /// Task definitions registered so far.
    pub fn registry(&self) -> &TaskDefinitions {
        &self.registry
    }

    /// Registers the next revision of a family.
    pub fn register(&mut self, td: TaskDefinition) -> TaskDefId {
        self.epoch += 1;
        self.registry.add(td)
    }

    /// Changes whenever a cluster, association or task definition is added: checks of
    /// a workload's RunTask made at an earlier epoch are made again.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The cluster names, by id, for the run's outcome.
    pub fn into_parts(self) -> (TaskDefinitions, Vec<String>) {
        (self.registry, self.clusters.into_iter().map(|(n, _)| n).collect())
    }
}

/// What the call checks see during a run.
pub struct RunState<'a> {
    /// The clusters and task definitions.
    pub control: &'a ControlPlane,
    /// The services.
    pub services: &'a Services,
    /// The scenario's capacity providers and subnets.
    pub capacity: &'a CapacitySpec,
    /// The call's time.
    pub now: SimTime,
}

impl State for RunState<'_> {
    fn capacity(&self) -> &CapacitySpec {
        self.capacity
    }
    fn registry(&self) -> &TaskDefinitions {
        &self.control.registry
    }
    fn now(&self) -> SimTime {
        self.now
    }
    fn cluster(&self, name: &str) -> Option<ClusterId> {
        self.control.cluster(name)
    }
    fn cluster_names(&self) -> Vec<String> {
        self.control.clusters.iter().map(|(n, _)| n.clone()).collect()
    }
    fn associations(&self, c: ClusterId) -> Associations {
        self.control.associations(c).clone()
    }
    fn service(&self, c: ClusterId, name: &str) -> Option<ServiceInfo> {
        self.services.find(c, name).map(|s| self.services.get(s).info())
    }
    fn services_in(&self, c: ClusterId) -> Vec<(String, ServiceInfo)> {
        self.services
            .in_cluster(c)
            .map(|s| (s.name.clone(), s.info()))
            .collect()
    }
}
