//! CreateCluster and PutClusterCapacityProviders.

use super::{ApiError, State, code};
use crate::capacity::providers::Associations;
use crate::ecs::api::{CreateCluster, valid_cluster_name};
use crate::ecs::cluster::ClusterId;
use crate::ecs::provider::PutClusterCapacityProviders;

/// Checks a CreateCluster body; returns the cluster's name.
pub fn create(c: &CreateCluster) -> Result<String, ApiError> {
    let name = c.name();
    if !valid_cluster_name(name) {
        return Err(ApiError::new(
            code::INVALID,
            "clusterName",
            format!("`{name}` is not a valid cluster name: 1–255 letters, numbers, hyphens and underscores"),
        ));
    }
    Ok(name.to_string())
}

/// Checks a PutClusterCapacityProviders body: the providers exist at that time, the
/// default strategy is valid over them, and no ACTIVE service of the cluster uses a
/// provider the call leaves out. Returns the cluster and its new associations.
pub fn put_capacity_providers(
    st: &dyn State,
    c: &PutClusterCapacityProviders,
) -> Result<(ClusterId, Associations), ApiError> {
    let cluster = super::cluster(st, c.cluster.as_deref())?;
    let spec = st.capacity();
    let assoc = spec
        .associate(c, st.now())
        .map_err(|(member, m)| ApiError::new(code::INVALID, &member, m))?;
    for (service, info) in st.services_in(cluster) {
        if let Some(p) = info
            .config
            .pools(spec)
            .iter()
            .find_map(|pool| pool.provider().filter(|p| !assoc.associated.contains(p)))
        {
            return Err(ApiError::new(
                code::INVALID,
                "capacityProviders",
                format!(
                    "capacity provider `{}` is in use by service `{service}`: it cannot be removed from the cluster",
                    spec.providers[p.0 as usize].name
                ),
            ));
        }
    }
    Ok((cluster, assoc))
}
