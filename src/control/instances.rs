//! RegisterContainerInstance, DeregisterContainerInstance and
//! UpdateContainerInstancesState.

use super::{ApiError, State, code};
use crate::ecs::api::{
    DeregisterContainerInstance, IdentityDocument, InstanceState, RegisterContainerInstance,
    UpdateContainerInstancesState,
};
use crate::ecs::cluster::ClusterId;

/// ECS's limit on container instances per UpdateContainerInstancesState call.
pub const MAX_INSTANCES_PER_STATE_CALL: usize = 10;

/// An accepted RegisterContainerInstance: the cluster and the identity document.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The cluster.
    pub cluster: ClusterId,
    /// The instance identity document.
    pub identity: IdentityDocument,
}

/// Checks a RegisterContainerInstance body: its identity document names a catalogue
/// instance type (or the body gives CPU and MEMORY), and its resources and agent
/// configuration read.
pub fn register(st: &dyn State, b: &RegisterContainerInstance) -> Result<Registration, ApiError> {
    let cluster = super::cluster(st, b.cluster.as_deref())?;
    let identity = b
        .identity()
        .map_err(|m| ApiError::new(code::INVALID, "instanceIdentityDocument", m))?;
    let known = crate::ecs::catalogue::Catalogue::builtin()
        .get(&identity.instance_type)
        .is_some();
    if !known && (b.resource("CPU").is_none() || b.resource("MEMORY").is_none()) {
        return Err(ApiError::new(
            code::INVALID,
            "instanceIdentityDocument",
            format!(
                "instance type `{}` is not in the catalogue: give totalResources CPU and MEMORY",
                identity.instance_type
            ),
        ));
    }
    for name in ["CPU", "MEMORY"] {
        if let Some(res) = b.resource(name)
            && !res.number().is_some_and(|n| n > 0 && n <= u32::MAX as i64)
        {
            return Err(ApiError::new(
                code::INVALID,
                "totalResources",
                format!("{name} needs a positive integerValue"),
            ));
        }
    }
    if let Some(res) = b.resource("PORTS")
        && res.string_set_value.iter().any(|p| p.parse::<u16>().is_err())
    {
        return Err(ApiError::new(
            code::INVALID,
            "totalResources",
            "PORTS lists port numbers as strings",
        ));
    }
    if let Some(ud) = &b.user_data {
        let mut r = crate::error::Report::new("");
        crate::ecs::agent::parse_user_data(ud, "userData", &mut r);
        if let Some(p) = r.errors.first() {
            return Err(ApiError::new(code::INVALID, &p.path, p.message.clone()));
        }
    }
    Ok(Registration { cluster, identity })
}

/// Checks an UpdateContainerInstancesState body; returns the cluster and the status.
pub fn update_state(st: &dyn State, b: &UpdateContainerInstancesState) -> Result<(ClusterId, InstanceState), ApiError> {
    let cluster = super::cluster(st, b.cluster.as_deref())?;
    let status = b
        .status
        .ok_or_else(|| ApiError::new(code::INVALID, "status", "status is required: ACTIVE or DRAINING"))?;
    if b.container_instances.is_empty() || b.container_instances.len() > MAX_INSTANCES_PER_STATE_CALL {
        return Err(ApiError::new(
            code::INVALID,
            "containerInstances",
            format!("1–{MAX_INSTANCES_PER_STATE_CALL} container instances per call"),
        ));
    }
    Ok((cluster, status))
}

/// Checks a DeregisterContainerInstance body; returns the cluster.
pub fn deregister(st: &dyn State, b: &DeregisterContainerInstance) -> Result<ClusterId, ApiError> {
    let cluster = super::cluster(st, b.cluster.as_deref())?;
    if b.container_instance.is_empty() {
        return Err(ApiError::new(
            code::INVALID,
            "containerInstance",
            "containerInstance is required: its id or ARN, or the EC2 instance id",
        ));
    }
    Ok(cluster)
}
