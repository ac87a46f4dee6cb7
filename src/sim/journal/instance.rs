//! A container instance's records: the agent's RegisterContainerInstance body and the
//! "ECS Container Instance State Change" event, as typed structs written by hand
//! (`json.rs`) in the bytes their JSON values would give: every instance of a big
//! cluster leaves both, so they are never built as values on the way to events.jsonl.

use super::render::Envelope;
use super::values::{Arn, Iso};
use super::{Body, REGION};
use crate::ecs::cluster::{DEFAULT_RESERVED_PORTS, InstanceId, InstanceSpec};
use crate::ecs::ids::HexId;
use crate::engine::SimTime;
use crate::sim::Sim;
use serde::Serialize;

/// An attribute: `{"name", "value"}`.
#[derive(Serialize)]
pub(super) struct Attribute<'a> {
    pub(super) name: &'a str,
    pub(super) value: &'a str,
}

/// A resource of `totalResources`, `registeredResources` or `remainingResources`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Resource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) integer_value: Option<u32>,
    pub(super) name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) string_set_value: Option<Vec<String>>,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

impl Resource {
    fn integer(name: &'static str, value: u32) -> Self {
        Resource {
            integer_value: Some(value),
            name,
            string_set_value: None,
            kind: "INTEGER",
        }
    }
}

/// `versionInfo`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionInfo<'a> {
    pub(super) agent_version: &'a str,
}

/// The instance identity document the agent sends, as a JSON string.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityDocument<'a> {
    availability_zone: &'a str,
    instance_id: &'a str,
    instance_type: &'a str,
    region: &'static str,
}

/// RegisterContainerInstance's `requestParameters` (written by hand: `json.rs`).
pub(super) struct Registration<'a> {
    pub(super) attributes: Vec<Attribute<'a>>,
    pub(super) cluster: &'a str,
    pub(super) instance_identity_document: String,
    pub(super) total_resources: [Resource; 3],
    /// Left out when empty.
    pub(super) user_data: &'a str,
    pub(super) version_info: VersionInfo<'a>,
}

/// The RegisterContainerInstance body the agent of `spec` sends to cluster `cluster`.
pub fn registration_body(spec: &InstanceSpec, user_data: &str, cluster: &str) -> Body {
    let document = IdentityDocument {
        availability_zone: &spec.availability_zone,
        instance_id: &spec.ec2_instance_id,
        instance_type: &spec.instance_type,
        region: REGION,
    };
    let mut ports: Vec<u16> = DEFAULT_RESERVED_PORTS
        .iter()
        .chain(&spec.reserved_ports)
        .copied()
        .collect();
    ports.sort();
    ports.dedup();
    let body = Registration {
        attributes: spec
            .attributes
            .iter()
            .map(|(name, value)| Attribute { name, value })
            .collect(),
        cluster,
        instance_identity_document: serde_json::to_string(&document).expect("a document renders"),
        total_resources: [
            Resource::integer("CPU", spec.cpu),
            Resource::integer("MEMORY", spec.memory),
            Resource {
                integer_value: None,
                name: "PORTS",
                string_set_value: Some(ports.iter().map(u16::to_string).collect()),
                kind: "STRINGSET",
            },
        ],
        user_data,
        version_info: VersionInfo {
            agent_version: &spec.agent_version,
        },
    };
    Body::Rendered(body.json().into())
}

/// The detail of an "ECS Container Instance State Change" event (members in sorted
/// order; written by hand in `json.rs`, through serde as a value).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDetail<'a> {
    pub(super) agent_connected: bool,
    pub(super) attributes: Vec<Attribute<'a>>,
    pub(super) capacity_provider_name: Option<&'a str>,
    pub(super) cluster_arn: Arn<'a>,
    pub(super) container_instance_arn: Arn<'a>,
    pub(super) ec2_instance_id: &'a str,
    pub(super) registered_at: Iso,
    pub(super) registered_resources: [Resource; 2],
    pub(super) remaining_resources: [Resource; 2],
    pub(super) running_tasks_count: u32,
    pub(super) status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) status_reason: Option<&'a str>,
    pub(super) version_info: VersionInfo<'a>,
}

impl Sim<'_> {
    /// An "ECS Container Instance State Change" event `id` of instance `i` at `now`
    /// (with `reason` as its `statusReason`), borrowing the run's names.
    pub(in crate::sim) fn instance_change<'a>(
        &'a self,
        i: InstanceId,
        reason: Option<&'a str>,
        now: SimTime,
        id: HexId,
        ecsim_event: Option<u64>,
    ) -> Envelope<InstanceDetail<'a>, Arn<'a>> {
        let cluster = self.fleet.cluster();
        let inst = cluster.instance(i);
        let arn = self.container_instance_arn(i);
        let detail = InstanceDetail {
            agent_connected: cluster.agent_connected(i),
            attributes: cluster
                .attribute_pairs(i)
                .into_iter()
                .map(|(name, value)| Attribute { name, value })
                .collect(),
            capacity_provider_name: inst
                .spec
                .provider
                .map(|p| self.sc.capacity.providers[p.0 as usize].name.as_str()),
            cluster_arn: self.cluster_arn(inst.spec.ecs_cluster),
            container_instance_arn: arn,
            ec2_instance_id: &inst.spec.ec2_instance_id,
            registered_at: self.journal.clock().iso_of(inst.registered_at),
            registered_resources: [
                Resource::integer("CPU", inst.spec.cpu),
                Resource::integer("MEMORY", inst.spec.memory),
            ],
            remaining_resources: [
                Resource::integer("CPU", cluster.cpu_left(i)),
                Resource::integer("MEMORY", cluster.mem_left(i)),
            ],
            running_tasks_count: cluster.running_tasks(i),
            status: cluster.status(i).as_str(),
            status_reason: reason,
            version_info: VersionInfo {
                agent_version: &inst.spec.agent_version,
            },
        };
        super::render::envelope(
            self.journal.clock(),
            now,
            id,
            "ECS Container Instance State Change",
            arn,
            detail,
            ecsim_event,
        )
    }
}
