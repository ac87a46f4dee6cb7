//! The embedded EC2 instance-type catalogue (`data/instance-types.csv`, compiled in).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One EC2 instance type.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceType {
    /// The API name, e.g. `m5.xlarge`.
    pub name: String,
    /// Virtual CPUs; the agent registers `vcpu × 1024` CPU units.
    pub vcpu: u32,
    /// Nominal memory in MiB.
    pub memory_mib: u32,
    /// `MaximumNetworkInterfaces`, the primary one included.
    pub max_network_interfaces: u32,
    /// `x86_64` or `arm64` (the `ecs.cpu-architecture` attribute).
    pub cpu_architecture: String,
    /// Linux on-demand price in us-east-1, USD per hour.
    pub on_demand_usd_per_hour: f64,
    /// awsvpc tasks the instance holds with ENI trunking, if the type supports it.
    pub trunk_tasks: Option<u32>,
    /// NVIDIA GPUs it registers (0 for most types).
    pub gpus: u32,
}

impl InstanceType {
    /// The attributes the agent registers for this type: `ecs.instance-type`,
    /// `ecs.os-type`, `ecs.os-family` and `ecs.cpu-architecture` (Linux).
    pub fn attributes(&self) -> [(String, String); 4] {
        [
            ("ecs.instance-type".into(), self.name.clone()),
            ("ecs.os-type".into(), "linux".into()),
            ("ecs.os-family".into(), "LINUX".into()),
            ("ecs.cpu-architecture".into(), self.cpu_architecture.clone()),
        ]
    }

    /// CPU units the container agent registers: vCPU × 1024.
    pub fn registered_cpu(&self) -> u32 {
        self.vcpu * 1024
    }

    /// awsvpc tasks the instance can hold: `maxNetworkInterfaces − 1` (the primary
    /// interface counts), or the documented trunking limit when trunked.
    pub fn task_enis(&self, trunked: bool) -> Option<u32> {
        if trunked {
            self.trunk_tasks
        } else {
            Some(self.max_network_interfaces.saturating_sub(1))
        }
    }

    /// Memory the agent registers before `ECS_RESERVED_MEMORY`.
    ///
    /// SIM CHOICE (ecs-semantics.md §8): the OS reports less than the nominal size;
    /// we scale by 7985/8192, the ratio documented for an m4.large (8 GiB → 7985 MiB).
    pub fn registered_memory(&self) -> u32 {
        (self.memory_mib as u64 * 7985 / 8192) as u32
    }
}

const DATA: &str = include_str!("../../data/instance-types.csv");

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    instance_type: String,
    vcpu: u32,
    #[serde(rename = "memoryMiB")]
    memory_mib: u32,
    max_network_interfaces: u32,
    cpu_architecture: String,
    on_demand_usd_per_hour: f64,
    trunk_tasks: Option<u32>,
    gpus: Option<u32>,
}

/// The catalogue: every instance type ecsim knows, by name.
#[derive(Debug)]
pub struct Catalogue {
    types: BTreeMap<String, InstanceType>,
}

impl Catalogue {
    /// The compiled-in catalogue.
    pub fn builtin() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            let mut reader = csv::ReaderBuilder::new()
                .comment(Some(b'#'))
                .from_reader(DATA.as_bytes());
            let types = reader
                .deserialize::<Row>()
                .map(|row| {
                    let r = row.expect("data/instance-types.csv is malformed");
                    let t = InstanceType {
                        name: r.instance_type,
                        vcpu: r.vcpu,
                        memory_mib: r.memory_mib,
                        max_network_interfaces: r.max_network_interfaces,
                        cpu_architecture: r.cpu_architecture,
                        on_demand_usd_per_hour: r.on_demand_usd_per_hour,
                        trunk_tasks: r.trunk_tasks,
                        gpus: r.gpus.unwrap_or(0),
                    };
                    (t.name.clone(), t)
                })
                .collect();
            Catalogue { types }
        })
    }

    /// The type named `name`, if known.
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.get(name)
    }

    /// Every known type name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// A short "one of …" list for error messages: the families and their sizes.
    pub fn describe(&self) -> String {
        let mut families: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for name in self.types.keys() {
            let (fam, size) = name.split_once('.').unwrap_or((name, ""));
            families.entry(fam).or_default().push(size);
        }
        families
            .iter()
            .map(|(f, sizes)| format!("{f}.{{{}}}", sizes.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_required_families_with_sane_values() {
        let cat = Catalogue::builtin();
        for fam in ["m5", "m6i", "m7g", "c5", "c6g", "c7i", "r5", "r6i", "t3"] {
            assert!(
                cat.names().any(|n| n.starts_with(&format!("{fam}."))),
                "missing family {fam}"
            );
        }
        let m5 = cat.get("m5.large").unwrap();
        assert_eq!((m5.vcpu, m5.memory_mib, m5.max_network_interfaces), (2, 8192, 3));
        assert_eq!(m5.on_demand_usd_per_hour, 0.096);
        assert_eq!(m5.registered_cpu(), 2048);
        let c5 = cat.get("c5.large").unwrap();
        assert_eq!(c5.max_network_interfaces, 3);
        // The documented c5.large figures: 2 awsvpc tasks, 10 with trunking.
        assert_eq!((c5.task_enis(false), c5.task_enis(true)), (Some(2), Some(10)));
        assert_eq!(cat.get("t3.large").unwrap().task_enis(true), None);
        assert_eq!(cat.get("m7g.large").unwrap().cpu_architecture, "arm64");
        // The documented calibration point: 8 GiB registers 7985 MiB.
        assert_eq!(m5.registered_memory(), 7985);
        for name in cat.names() {
            let t = cat.get(name).unwrap();
            assert!(t.vcpu > 0 && t.memory_mib > 0 && t.on_demand_usd_per_hour > 0.0);
        }
        assert!(cat.describe().contains("m5.{"));
    }
}
