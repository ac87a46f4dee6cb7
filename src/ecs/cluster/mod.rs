//! A cluster's container instances: registered and remaining resources, attributes,
//! status, ports, network interfaces, and the task groups running on each.
//!
//! The resources placement reads on every decision are kept in flat vectors
//! (struct of arrays); the rest lives in [`ContainerInstance`].

use crate::ecs::api::Protocol;
use crate::ecs::intern::{Interner, Sym};
use crate::ecs::task_definition::Reservation;
use crate::engine::SimTime;
use std::collections::BTreeMap;

/// Index of a container instance in its cluster's arena.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId(pub u32);

impl InstanceId {
    /// As a vector index.
    pub fn idx(self) -> usize {
        self.0 as usize
    }

    /// The container instance id ECS prints (32 hex digits), made from the index.
    pub fn hex_id(self) -> crate::ecs::ids::HexId {
        crate::ecs::ids::HexId::new(0xC1, u64::from(self.0))
    }
}

/// An ECS cluster of the run (index in the order clusters came to exist).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterId(pub u32);

/// A task group (`service:web`, `family:batch`, …), interned.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

/// `ContainerInstance.status`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InstanceStatus {
    /// Accepts tasks.
    Active,
    /// No new tasks; existing ones are moved off.
    Draining,
    /// Deregistered.
    Inactive,
}

impl InstanceStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
            InstanceStatus::Inactive => "INACTIVE",
        }
    }
}

mod dims;
mod groups;
mod instance;
#[cfg(test)]
mod tests;

pub use instance::*;

/// One ECS cluster.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// `clusterName`.
    pub name: String,
    /// Attribute names and values.
    pub symbols: Interner,
    /// Task group names.
    pub group_names: Interner,
    instances: Vec<ContainerInstance>,
    /// Per instance, what a placement reads and changes, in one record.
    room: Vec<Room>,
    /// Capacity left in further dimensions, `extra_dims` per instance.
    extra_left: Vec<u32>,
    extra_dims: usize,
    status: Vec<InstanceStatus>,
    connected: Vec<bool>,
    groups: Vec<GroupList>,
    registered_cpu_total: u64,
    registered_mem_total: u64,
    reserved_cpu_total: u64,
    reserved_mem_total: u64,
    active_count: u32,
    busy_count: u32,
    zone_attr: Sym,
    accepting: BTreeMap<ZoneKey, u32>,
    zone_epoch: u64,
}

/// An instance's registered and remaining resources and task counts: what a placement
/// decision reads and an allocation or release changes, in half a cache line, so that
/// one memory access serves them all.
#[derive(Copy, Clone, Debug, Default)]
#[repr(align(32))]
struct Room {
    cpu_left: u32,
    mem_left: u32,
    enis_left: u32,
    gpus_left: u32,
    /// Tasks running (or pending) here.
    running: u32,
    /// Tasks ever placed here.
    tasks_placed: u32,
    cpu: u32,
    memory: u32,
}

/// Task groups with tasks on an instance, and how many (no zero entries), sorted; a
/// few inline, so that an allocation reads no other memory.
type GroupList = smallvec::SmallVec<[(GroupId, u32); 4]>;

/// Instances that accept tasks are counted by ECS cluster, capacity provider, EXTERNAL,
/// and zone.
type ZoneKey = (ClusterId, Option<crate::ecs::provider::ProviderId>, bool, Option<Sym>);

impl Cluster {
    /// An empty cluster.
    pub fn new(name: &str) -> Self {
        let mut symbols = Interner::default();
        let zone_attr = symbols.intern("ecs.availability-zone");
        Cluster {
            name: name.to_string(),
            symbols,
            group_names: Interner::default(),
            instances: Vec::new(),
            room: Vec::new(),
            extra_left: Vec::new(),
            extra_dims: 0,
            status: Vec::new(),
            connected: Vec::new(),
            groups: Vec::new(),
            registered_cpu_total: 0,
            registered_mem_total: 0,
            reserved_cpu_total: 0,
            reserved_mem_total: 0,
            active_count: 0,
            busy_count: 0,
            zone_attr,
            accepting: BTreeMap::new(),
            zone_epoch: 0,
        }
    }

    fn count_accepting(&mut self, id: InstanceId, up: bool) {
        let key = self.zone_key(id);
        let n = self.accepting.entry(key).or_default();
        if up {
            *n += 1;
        } else {
            *n -= 1;
        }
        if *n == u32::from(up) {
            self.zone_epoch += 1;
        }
    }

    /// Changes whenever a zone gains its first, or loses its last, instance that
    /// accepts tasks (per ECS cluster, provider and EXTERNAL).
    pub fn zone_epoch(&self) -> u64 {
        self.zone_epoch
    }

    fn zone_key(&self, id: InstanceId) -> ZoneKey {
        let spec = &self.instances[id.idx()].spec;
        (
            spec.ecs_cluster,
            spec.provider,
            spec.external,
            self.attribute(id, self.zone_attr),
        )
    }

    /// Keeps the per-zone counts of instances that accept tasks while `change` runs.
    fn tracking_acceptance(&mut self, id: InstanceId, change: impl FnOnce(&mut Self)) {
        let before = self.accepts_tasks(id);
        change(self);
        let after = self.accepts_tasks(id);
        if before != after {
            self.count_accepting(id, after);
        }
    }

    /// The zones (attribute `ecs.availability-zone`) holding instances of ECS cluster
    /// `ecs_cluster` that accept tasks and that `admits` (given their capacity provider
    /// and whether they are EXTERNAL) lets in; sorted, distinct.
    pub fn accepting_zones(
        &self,
        ecs_cluster: ClusterId,
        admits: impl Fn(Option<crate::ecs::provider::ProviderId>, bool) -> bool,
    ) -> Vec<Sym> {
        let mut zones: Vec<Sym> = self
            .accepting
            .range((ecs_cluster, None, false, None)..)
            .take_while(|((c, ..), _)| *c == ecs_cluster)
            .filter(|((_, p, ext, _), n)| **n > 0 && admits(*p, *ext))
            .filter_map(|((.., z), _)| *z)
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// Makes room for `more` instances, so registering them reallocates nothing.
    pub fn reserve(&mut self, more: usize) {
        self.instances.reserve(more);
        self.room.reserve(more);
        self.status.reserve(more);
        self.connected.reserve(more);
        self.groups.reserve(more);
    }

    /// Registers an instance (ACTIVE, agent connected) at `now`.
    pub fn register(&mut self, mut spec: InstanceSpec, now: SimTime) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let mut attributes: Vec<(Sym, Sym)> = std::mem::take(&mut spec.attributes)
            .iter()
            .map(|(k, v)| (self.symbols.intern(k), self.symbols.intern(v)))
            .collect();
        attributes.sort();
        let mut used_ports: PortList = DEFAULT_RESERVED_PORTS
            .iter()
            .chain(&spec.reserved_ports)
            .map(|p| (Protocol::Tcp, *p))
            .collect();
        if !spec.reserved_ports.is_empty() {
            // The agent's defaults are sorted and distinct already.
            used_ports.sort();
            used_ports.dedup();
        }
        self.room.push(Room {
            cpu_left: spec.cpu,
            mem_left: spec.memory,
            enis_left: spec.task_enis,
            gpus_left: spec.gpus,
            running: 0,
            tasks_placed: 0,
            cpu: spec.cpu,
            memory: spec.memory,
        });
        self.register_extra(&spec.extra);
        self.status.push(InstanceStatus::Active);
        self.connected.push(true);
        self.groups.push(GroupList::new());
        self.registered_cpu_total += spec.cpu as u64;
        self.registered_mem_total += spec.memory as u64;
        self.active_count += 1;
        self.instances.push(ContainerInstance {
            id,
            spec,
            attributes,
            registered_at: now,
            deregistered_at: None,
            used_ports,
            dynamic_ports: 0,
        });
        self.count_accepting(id, true);
        id
    }

    /// Sets an instance's status. Deregistering (INACTIVE) removes its capacity from
    /// the totals; it must run no task.
    pub fn set_status(&mut self, id: InstanceId, status: InstanceStatus, now: SimTime) {
        self.tracking_acceptance(id, |c| c.apply_status(id, status, now));
    }

    fn apply_status(&mut self, id: InstanceId, status: InstanceStatus, now: SimTime) {
        let i = id.idx();
        let old = self.status[i];
        if old == status {
            return;
        }
        assert!(
            old != InstanceStatus::Inactive,
            "an INACTIVE instance cannot change status"
        );
        if old == InstanceStatus::Active {
            self.active_count -= 1;
        }
        if status == InstanceStatus::Active {
            self.active_count += 1;
        }
        if status == InstanceStatus::Inactive {
            assert_eq!(self.room[i].running, 0, "deregistering an instance that runs tasks");
            self.registered_cpu_total -= self.instances[i].spec.cpu as u64;
            self.registered_mem_total -= self.instances[i].spec.memory as u64;
            self.instances[i].deregistered_at = Some(now);
        }
        self.status[i] = status;
    }

    /// Marks the agent connected or not.
    pub fn set_agent_connected(&mut self, id: InstanceId, connected: bool) {
        self.tracking_acceptance(id, |c| c.connected[id.idx()] = connected);
    }

    /// Every instance ever registered, in id order.
    pub fn instances(&self) -> &[ContainerInstance] {
        &self.instances
    }

    /// One instance.
    pub fn instance(&self, id: InstanceId) -> &ContainerInstance {
        &self.instances[id.idx()]
    }

    /// How many instances were ever registered.
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// True when no instance was ever registered.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// All instance ids.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = InstanceId> + use<> {
        (0..self.instances.len() as u32).map(InstanceId)
    }

    /// Remaining CPU units.
    pub fn cpu_left(&self, id: InstanceId) -> u32 {
        self.room[id.idx()].cpu_left
    }

    /// Remaining memory MiB.
    pub fn mem_left(&self, id: InstanceId) -> u32 {
        self.room[id.idx()].mem_left
    }

    /// Registered CPU units and memory MiB.
    pub fn registered(&self, id: InstanceId) -> (u32, u32) {
        let r = &self.room[id.idx()];
        (r.cpu, r.memory)
    }

    /// Network interfaces left for tasks.
    pub fn enis_left(&self, id: InstanceId) -> u32 {
        self.room[id.idx()].enis_left
    }

    /// GPUs not reserved by a task.
    pub fn gpus_left(&self, id: InstanceId) -> u32 {
        self.room[id.idx()].gpus_left
    }

    /// The instance's status.
    pub fn status(&self, id: InstanceId) -> InstanceStatus {
        self.status[id.idx()]
    }

    /// The interned name of attribute `ecs.availability-zone`.
    pub fn zone_attribute(&self) -> Sym {
        self.zone_attr
    }

    /// Whether the agent is connected.
    pub fn agent_connected(&self, id: InstanceId) -> bool {
        self.connected[id.idx()]
    }

    /// Whether tasks of `scope` (a pool in an ECS cluster) may run on `id`.
    pub fn in_scope(&self, id: InstanceId, scope: crate::ecs::provider::Scope) -> bool {
        let spec = &self.instances[id.idx()].spec;
        spec.ecs_cluster == scope.cluster && scope.pool.admits(spec.provider, spec.external)
    }

    /// ACTIVE with a connected agent: may receive tasks.
    pub fn accepts_tasks(&self, id: InstanceId) -> bool {
        self.status[id.idx()] == InstanceStatus::Active && self.connected[id.idx()]
    }

    /// Tasks running (or pending) here.
    pub fn running_tasks(&self, id: InstanceId) -> u32 {
        self.room[id.idx()].running
    }

    /// Instances currently ACTIVE.
    pub fn active_count(&self) -> u32 {
        self.active_count
    }

    /// Registered (not yet INACTIVE) instances running at least one task.
    pub fn busy_count(&self) -> u32 {
        self.busy_count
    }

    /// Registered CPU and memory of all instances not INACTIVE.
    pub fn registered_totals(&self) -> (u64, u64) {
        (self.registered_cpu_total, self.registered_mem_total)
    }

    /// Reserved CPU and memory over the cluster.
    pub fn reserved_totals(&self) -> (u64, u64) {
        (self.reserved_cpu_total, self.reserved_mem_total)
    }

    /// The value of attribute `name` on an instance.
    pub fn attribute(&self, id: InstanceId, name: Sym) -> Option<Sym> {
        lookup(&self.instances[id.idx()].attributes, name)
    }

    /// The spec instance `id` registered with, its attributes put back (to register the
    /// same machine again).
    pub fn registered_spec(&self, id: InstanceId) -> InstanceSpec {
        let mut spec = self.instances[id.idx()].spec.clone();
        spec.attributes = self
            .attribute_pairs(id)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        spec
    }

    /// An instance's attributes as (name, value), sorted by name.
    pub fn attribute_pairs(&self, id: InstanceId) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self.instances[id.idx()]
            .attributes
            .iter()
            .map(|&(k, v)| (self.symbols.resolve(k), self.symbols.resolve(v)))
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// The value of attribute `name` (a string) on an instance.
    pub fn attribute_str(&self, id: InstanceId, name: &str) -> Option<&str> {
        let sym = self.symbols.get(name)?;
        self.attribute(id, sym).map(|v| self.symbols.resolve(v))
    }

    /// The first reason `res` does not fit `id`, if any (CPU, memory, ports, ENI, GPU).
    pub fn shortfall(&self, id: InstanceId, res: &Reservation) -> Option<Shortfall> {
        let room = &self.room[id.idx()];
        if room.cpu_left < res.cpu {
            return Some(Shortfall::Cpu);
        }
        if room.mem_left < res.memory {
            return Some(Shortfall::Memory);
        }
        if !self.ports_fit(id, res) {
            return Some(Shortfall::Ports);
        }
        if res.eni && room.enis_left == 0 {
            return Some(Shortfall::Eni);
        }
        if room.gpus_left < res.gpus {
            return Some(Shortfall::Gpu);
        }
        if !res.extra.is_empty() && !self.extra_fits(id, res) {
            return Some(Shortfall::Dimension);
        }
        None
    }

    /// Whether the static and dynamic ports of `res` are free on `id`.
    pub fn ports_fit(&self, id: InstanceId, res: &Reservation) -> bool {
        if res.static_ports.is_empty() && res.dynamic_ports == 0 {
            return true;
        }
        let inst = &self.instances[id.idx()];
        if res
            .static_ports
            .iter()
            .any(|p| inst.used_ports.binary_search(p).is_ok())
        {
            return false;
        }
        if inst.used_ports.len() + res.static_ports.len() > MAX_RESERVED_PORTS {
            return false;
        }
        let range = (*EPHEMERAL_PORTS.end() - *EPHEMERAL_PORTS.start()) as u32 + 1;
        let static_in_range = inst
            .used_ports
            .iter()
            .chain(&res.static_ports)
            .filter(|(_, p)| EPHEMERAL_PORTS.contains(p))
            .count() as u32;
        inst.dynamic_ports + res.dynamic_ports + static_in_range <= range
    }

    /// Reserves `res` on `id` for a task of `group`. The caller has checked the fit.
    pub fn allocate(&mut self, id: InstanceId, res: &Reservation, group: GroupId) {
        let i = id.idx();
        let room = &mut self.room[i];
        assert!(
            room.cpu_left >= res.cpu && room.mem_left >= res.memory,
            "over-commit: a task placed where its reservation does not fit"
        );
        room.cpu_left -= res.cpu;
        room.mem_left -= res.memory;
        if res.eni {
            room.enis_left -= 1;
        }
        room.gpus_left -= res.gpus;
        if room.running == 0 {
            self.busy_count += 1;
        }
        room.running += 1;
        room.tasks_placed += 1;
        if !res.extra.is_empty() {
            self.adjust_extra(i, res, false);
        }
        self.reserved_cpu_total += res.cpu as u64;
        self.reserved_mem_total += res.memory as u64;
        if res.dynamic_ports > 0 || !res.static_ports.is_empty() {
            let inst = &mut self.instances[i];
            for p in &res.static_ports {
                let at = inst.used_ports.binary_search(p).unwrap_err();
                inst.used_ports.insert(at, *p);
            }
            inst.dynamic_ports += res.dynamic_ports;
        }
        let groups = &mut self.groups[i];
        match groups.binary_search_by_key(&group, |(g, _)| *g) {
            Ok(at) => groups[at].1 += 1,
            Err(at) => groups.insert(at, (group, 1)),
        }
    }

    /// Gives back what [`allocate`](Self::allocate) took.
    pub fn release(&mut self, id: InstanceId, res: &Reservation, group: GroupId) {
        let i = id.idx();
        let room = &mut self.room[i];
        room.cpu_left += res.cpu;
        room.mem_left += res.memory;
        if res.eni {
            room.enis_left += 1;
        }
        room.gpus_left += res.gpus;
        room.running -= 1;
        if room.running == 0 {
            self.busy_count -= 1;
        }
        assert!(
            room.cpu_left <= room.cpu && room.mem_left <= room.memory,
            "released more than was registered on {}",
            self.instances[i].spec.ec2_instance_id
        );
        if !res.extra.is_empty() {
            self.adjust_extra(i, res, true);
        }
        self.reserved_cpu_total -= res.cpu as u64;
        self.reserved_mem_total -= res.memory as u64;
        if res.dynamic_ports > 0 || !res.static_ports.is_empty() {
            let inst = &mut self.instances[i];
            for p in &res.static_ports {
                let at = inst.used_ports.binary_search(p).expect("releasing a port not held");
                inst.used_ports.remove(at);
            }
            inst.dynamic_ports -= res.dynamic_ports;
        }
        let groups = &mut self.groups[i];
        let at = groups
            .binary_search_by_key(&group, |(g, _)| *g)
            .expect("releasing a task of a group not on the instance");
        groups[at].1 -= 1;
        if groups[at].1 == 0 {
            groups.remove(at);
            if groups.spilled() && groups.len() <= groups.inline_size() {
                groups.shrink_to_fit();
            }
        }
    }

    /// Asks the processor for what releasing a task on `id` will touch.
    pub fn prefetch(&self, id: InstanceId) {
        use crate::engine::prefetch::prefetch;
        let i = id.idx();
        if i < self.instances.len() {
            prefetch(&self.room[i], 1);
            prefetch(&self.groups[i], 1);
            prefetch(&self.status[i], 1);
        }
    }

    /// Tasks ever placed on `id`.
    pub fn tasks_placed(&self, id: InstanceId) -> u64 {
        self.room[id.idx()].tasks_placed as u64
    }
}

fn lookup(attrs: &[(Sym, Sym)], name: Sym) -> Option<Sym> {
    attrs.binary_search_by_key(&name, |(k, _)| *k).ok().map(|i| attrs[i].1)
}
