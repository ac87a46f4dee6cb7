//! Record members that write themselves: an ARN from its parts and an ISO time from its
//! digits, built on the stack, so that a task state change (three per task) allocates
//! no string for them.

use super::{ACCOUNT, REGION};
use crate::ecs::cluster::InstanceId;
use crate::ecs::ids::HexId;
use crate::sim::Sim;
use crate::sim::ids::{ServiceId, TaskIdx};
use crate::sim::tasks::task_hex_id;
use serde::{Serialize, Serializer};

/// What follows an ARN's resource name.
#[derive(Copy, Clone, Debug)]
pub enum Tail<'a> {
    /// Nothing (a cluster).
    None,
    /// `/` and a 32-digit id (a task, a container instance).
    Id(HexId),
    /// `/` and a name (a service).
    Name(&'a str),
    /// `:` and a revision (a task definition).
    Revision(u32),
}

/// An ECS ARN: `arn:aws:ecs:<region>:<account>:<resource><name>` and its tail.
#[derive(Copy, Clone, Debug)]
pub struct Arn<'a> {
    /// The resource type and its slash (`task/`).
    pub resource: &'static str,
    /// The cluster, or the family of a task definition.
    pub name: &'a str,
    /// What follows the name.
    pub tail: Tail<'a>,
}

impl Arn<'_> {
    /// Appends the ARN.
    pub fn write(&self, out: &mut Vec<u8>) {
        for part in ["arn:aws:ecs:", REGION, ":", ACCOUNT, ":", self.resource, self.name] {
            out.extend_from_slice(part.as_bytes());
        }
        match self.tail {
            Tail::None => {}
            Tail::Id(id) => {
                out.push(b'/');
                out.extend_from_slice(id.as_bytes());
            }
            Tail::Name(n) => {
                out.push(b'/');
                out.extend_from_slice(n.as_bytes());
            }
            Tail::Revision(r) => {
                out.push(b':');
                crate::text::push_decimal(out, u64::from(r));
            }
        }
    }

    /// The ARN as a string.
    pub fn string(&self) -> String {
        let mut out = Vec::with_capacity(64 + self.name.len());
        self.write(&mut out);
        String::from_utf8(out).expect("an ARN of strings and digits is UTF-8")
    }
}

/// The ARNs of the run's clusters, services, tasks, task definitions and container
/// instances, borrowing their names.
impl Sim<'_> {
    /// The ARN of ECS cluster `c`.
    pub(super) fn cluster_arn(&self, c: crate::ecs::cluster::ClusterId) -> Arn<'_> {
        Arn {
            resource: "cluster/",
            name: self.control.cluster_name(c),
            tail: Tail::None,
        }
    }

    /// The ARN of service `s`.
    pub(super) fn service_arn(&self, s: ServiceId) -> Arn<'_> {
        let svc = self.services.get(s);
        Arn {
            resource: "service/",
            name: self.control.cluster_name(svc.cluster),
            tail: Tail::Name(&svc.name),
        }
    }

    /// The ARN of task `t`.
    pub(super) fn task_arn(&self, t: TaskIdx) -> Arn<'_> {
        Arn {
            resource: "task/",
            name: self.control.cluster_name(self.tasks.get(t).cluster),
            tail: Tail::Id(task_hex_id(t)),
        }
    }

    /// The ARN of task definition `td`.
    pub(super) fn task_definition_arn(&self, td: crate::ecs::registry::TaskDefId) -> Arn<'_> {
        let d = self.control.registry().get(td);
        Arn {
            resource: "task-definition/",
            name: &d.family,
            tail: Tail::Revision(d.revision),
        }
    }

    /// The ARN of a container instance.
    pub(in crate::sim) fn container_instance_arn(&self, i: InstanceId) -> Arn<'_> {
        let inst = self.fleet.cluster().instance(i);
        Arn {
            resource: "container-instance/",
            name: self.control.cluster_name(inst.spec.ecs_cluster),
            tail: Tail::Id(inst.container_instance_hex_id()),
        }
    }
}

impl Serialize for Arn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.string())
    }
}

/// An ISO 8601 time with milliseconds (`2026-01-01T00:00:01.500Z`), or empty for a time
/// outside years 0–9999.
#[derive(Copy, Clone, Debug)]
pub struct Iso {
    pub(super) digits: [u8; 24],
    pub(super) empty: bool,
}

impl Iso {
    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).expect("ISO times are ASCII")
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        if self.empty { &[] } else { &self.digits }
    }
}

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A simulated time as seconds with three decimals (`12.345`), written when serialised.
#[derive(Copy, Clone, Debug)]
pub struct Secs(pub crate::engine::SimTime);

impl Serialize for Secs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.secs_string())
    }
}

impl Serialize for HexId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_look_like_aws() {
        let arn = |resource, name, tail| Arn { resource, name, tail }.string();
        let p = "arn:aws:ecs:us-east-1:123456789012:";
        assert_eq!(arn("cluster/", "default", Tail::None), format!("{p}cluster/default"));
        assert_eq!(arn("service/", "c", Tail::Name("web")), format!("{p}service/c/web"));
        assert_eq!(
            arn("task-definition/", "web", Tail::Revision(12)),
            format!("{p}task-definition/web:12")
        );
        let id = HexId::new(1, 7);
        assert_eq!(arn("task/", "default", Tail::Id(id)), format!("{p}task/default/{id}"));
        assert_eq!(
            serde_json::to_string(&Arn {
                resource: "cluster/",
                name: "a\"b",
                tail: Tail::None
            })
            .unwrap(),
            format!("\"{p}cluster/a\\\"b\""),
            "serialised as an escaped string"
        );
    }
}
