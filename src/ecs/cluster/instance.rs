//! What registers a container instance, what it is once registered, and why a task
//! may not fit it.

use super::{ClusterId, InstanceId};
use crate::ecs::api::Protocol;
use crate::ecs::intern::Sym;
use crate::engine::SimTime;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The agent version instances register with unless told otherwise.
pub const DEFAULT_AGENT_VERSION: &str = "1.85.0";
/// The attribute that marks an instance with a trunk network interface.
pub const TRUNK_ATTRIBUTE: &str = "ecs.awsvpc-trunk-id";
/// ECS's container-instance quota per cluster (ecsim simulates more, with a warning).
pub const INSTANCE_QUOTA: u64 = 5000;

/// The container agent's default `ECS_RESERVED_PORTS`.
pub const DEFAULT_RESERVED_PORTS: [u16; 5] = [22, 2375, 2376, 51678, 51679];
/// A container instance can have at most this many reserved (static) ports.
pub const MAX_RESERVED_PORTS: usize = 100;
/// The Linux ephemeral range dynamic host ports come from (49153–65535).
pub const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 49153..=65535;

/// What registers a container instance.
#[derive(Clone, Debug)]
pub struct InstanceSpec {
    /// The EC2 instance id (or an external instance's id).
    pub ec2_instance_id: String,
    /// The instance type name.
    pub instance_type: Cow<'static, str>,
    /// The availability zone.
    pub availability_zone: String,
    /// Registered CPU units.
    pub cpu: u32,
    /// Registered memory MiB.
    pub memory: u32,
    /// Tasks with their own network interface this instance can hold.
    pub task_enis: u32,
    /// GPUs it registers (whole GPUs, reserved one task at a time).
    pub gpus: u32,
    /// Not ECS — capacities in further dimensions (`ecsim pack`'s vector bins); every
    /// instance of a cluster has the same number, none in a scenario.
    pub extra: Vec<u32>,
    /// Extra static ports the agent reserves (`ECS_RESERVED_PORTS` beyond the defaults).
    pub reserved_ports: Vec<u16>,
    /// Attributes, built-in and custom. Registration moves them into the cluster's
    /// interned `ContainerInstance::attributes` (read them with
    /// `Cluster::attribute_pairs`, or the whole spec with `Cluster::registered_spec`),
    /// so a registered instance's spec has none left.
    pub attributes: BTreeMap<String, String>,
    /// The agent version it registers with.
    pub agent_version: Cow<'static, str>,
    /// Wall-clock registration time, Unix milliseconds (query language `registeredAt`).
    pub registered_at_unix_ms: i64,
    /// Instance group (or Auto Scaling group) index, for outputs.
    pub origin: u32,
    /// Price per hour in USD.
    pub hourly_price: f64,
    /// The capacity provider whose Auto Scaling group launched it.
    pub provider: Option<crate::ecs::provider::ProviderId>,
    /// An ECS Anywhere (EXTERNAL) instance.
    pub external: bool,
    /// The ECS cluster it registered into (index in the run's clusters).
    pub ecs_cluster: ClusterId,
    /// The container agent's configuration.
    pub agent: crate::ecs::agent::AgentConfig,
    /// MiB per second it pulls images at.
    pub pull_bandwidth: f64,
}

impl InstanceSpec {
    /// A plain instance with `cpu` units and `memory` MiB: no attributes, two task ENIs,
    /// the default reserved ports, agent 1.85.0, no price (hand-built clusters, tests).
    pub fn new(ec2_instance_id: impl Into<String>, cpu: u32, memory: u32) -> Self {
        InstanceSpec {
            ec2_instance_id: ec2_instance_id.into(),
            instance_type: Cow::Borrowed("custom"),
            availability_zone: String::new(),
            cpu,
            memory,
            task_enis: 2,
            gpus: 0,
            extra: vec![],
            reserved_ports: vec![],
            attributes: BTreeMap::new(),
            agent_version: Cow::Borrowed(DEFAULT_AGENT_VERSION),
            registered_at_unix_ms: 0,
            origin: 0,
            hourly_price: 0.0,
            provider: None,
            external: false,
            ecs_cluster: ClusterId(0),
            agent: crate::ecs::agent::AgentConfig::default(),
            pull_bandwidth: 100.0,
        }
    }

    /// The same, in availability zone `az` (also set as attribute `ecs.availability-zone`).
    pub fn in_zone(mut self, az: &str) -> Self {
        self.availability_zone = az.to_string();
        self.attributes.insert("ecs.availability-zone".into(), az.to_string());
        self
    }
}

/// A container instance's descriptive state.
#[derive(Clone, Debug)]
pub struct ContainerInstance {
    /// Its index in the cluster, from which its container instance id is made.
    pub id: InstanceId,
    /// What registered it.
    pub spec: InstanceSpec,
    /// Attributes as interned (name, value) pairs, sorted by name symbol.
    pub attributes: Vec<(Sym, Sym)>,
    /// Simulated registration time.
    pub registered_at: SimTime,
    /// Simulated deregistration time.
    pub deregistered_at: Option<SimTime>,
    /// Static ports in use, reserved ones included, sorted.
    pub used_ports: PortList,
    /// Dynamic host ports in use.
    pub dynamic_ports: u32,
}

impl ContainerInstance {
    /// The container instance id (32 hex digits, as ECS prints it), made from the index
    /// when asked for: instances register by the thousand and few are ever named.
    pub fn container_instance_id(&self) -> String {
        self.container_instance_hex_id().as_str().to_string()
    }

    /// [`container_instance_id`](Self::container_instance_id) without allocating.
    pub fn container_instance_hex_id(&self) -> crate::ecs::ids::HexId {
        self.id.hex_id()
    }
}

/// Static ports in use, sorted: the agent's five reserved ones and a few more fit inline.
pub type PortList = smallvec::SmallVec<[(Protocol, u16); 8]>;

/// Why a reservation does not fit an instance, in the order ECS checks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shortfall {
    /// Not enough CPU.
    Cpu,
    /// Not enough memory.
    Memory,
    /// A static port is taken, the 100-port limit would be passed, or the ephemeral range is used up.
    Ports,
    /// No network interface left.
    Eni,
    /// Not enough free GPUs.
    Gpu,
    /// Not ECS — not enough capacity in a further dimension (`ecsim pack`).
    Dimension,
}

impl Shortfall {
    /// The RunTask failure reason ECS reports.
    pub fn reason(self) -> crate::ecs::failure::Failure {
        crate::ecs::failure::Failure::Resource(self)
    }
}
