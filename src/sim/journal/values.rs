//! Record members that write themselves: an ARN from its parts and an ISO time from its
//! digits (by the run's [`WallClock`]), built on the stack, so that a task state change
//! (three per task) allocates no string for them.

use crate::ecs::cluster::InstanceId;
use crate::ecs::ids::HexId;
use crate::engine::SimTime;
use crate::sim::Sim;
use crate::sim::ids::{ServiceId, TaskIdx};
use crate::sim::tasks::task_hex_id;
use serde::{Serialize, Serializer};
use std::cell::Cell;

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

/// `arn:aws:ecs:<region>:<account>:`, how every ECS ARN of the run starts.
const ARN_PREFIX: &str = "arn:aws:ecs:us-east-1:123456789012:";

impl Arn<'_> {
    /// Appends the ARN (room for all of it reserved once: a record writes several).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.reserve(ARN_PREFIX.len() + self.resource.len() + self.name.len() + 33);
        out.extend_from_slice(ARN_PREFIX.as_bytes());
        out.extend_from_slice(self.resource.as_bytes());
        out.extend_from_slice(self.name.as_bytes());
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

impl<'a> Arn<'a> {
    /// The ARN of the cluster named `cluster`.
    pub fn cluster(cluster: &'a str) -> Self {
        Arn {
            resource: "cluster/",
            name: cluster,
            tail: Tail::None,
        }
    }

    /// The ARN of task `t` of cluster `cluster`.
    pub fn task(cluster: &'a str, t: TaskIdx) -> Self {
        Arn {
            resource: "task/",
            name: cluster,
            tail: Tail::Id(task_hex_id(t)),
        }
    }

    /// The ARN of revision `revision` of task definition family `family`.
    pub fn task_definition(family: &'a str, revision: u32) -> Self {
        Arn {
            resource: "task-definition/",
            name: family,
            tail: Tail::Revision(revision),
        }
    }

    /// The ARN of container instance `i` of cluster `cluster`.
    pub fn container_instance(cluster: &'a str, i: InstanceId) -> Self {
        Arn {
            resource: "container-instance/",
            name: cluster,
            tail: Tail::Id(i.hex_id()),
        }
    }
}

/// The ARNs of the run's clusters, services, tasks, task definitions and container
/// instances, borrowing their names.
impl Sim<'_> {
    /// The ARN of ECS cluster `c`.
    pub(super) fn cluster_arn(&self, c: crate::ecs::cluster::ClusterId) -> Arn<'_> {
        Arn::cluster(self.control.cluster_name(c))
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
        Arn::task(self.control.cluster_name(self.tasks.get(t).cluster), t)
    }

    /// The ARN of task definition `td`.
    pub(super) fn task_definition_arn(&self, td: crate::ecs::registry::TaskDefId) -> Arn<'_> {
        let d = self.control.registry().get(td);
        Arn::task_definition(&d.family, d.revision)
    }

    /// The ARN of a container instance.
    pub(in crate::sim) fn container_instance_arn(&self, i: InstanceId) -> Arn<'_> {
        let inst = self.fleet.cluster().instance(i);
        Arn::container_instance(self.control.cluster_name(inst.spec.ecs_cluster), i)
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

/// Wall-clock timestamps of one run's simulated times.
/// Records made at one instant ask for its time several times, and a day's records
/// share their date: the last time and the last date are kept.
#[derive(Clone, Debug)]
pub struct WallClock {
    /// Wall-clock start, Unix ms.
    pub start_unix_ms: i64,
    /// The last time asked for (Unix ms) and its text.
    last: Cell<(i64, Iso)>,
    /// The last day asked for (days since 1970-01-01) and its `YYYY-MM-DD`, or None
    /// outside years 0–9999.
    day: Cell<(i64, Option<[u8; 10]>)>,
}

impl WallClock {
    /// A clock whose simulated time 0 is `start_unix_ms`.
    pub fn new(start_unix_ms: i64) -> Self {
        let never = i64::MIN;
        WallClock {
            start_unix_ms,
            last: Cell::new((
                never,
                Iso {
                    digits: [0; 24],
                    empty: true,
                },
            )),
            day: Cell::new((never, None)),
        }
    }

    /// ISO 8601 wall-clock time of simulated time `t`, millisecond precision
    /// (`2026-01-01T00:00:01.500Z`).
    pub fn iso(&self, t: SimTime) -> String {
        self.iso_of(t).as_str().to_string()
    }

    /// [`iso`](Self::iso) without a string: written digit by digit on the stack, a big
    /// run makes a few of these per task.
    pub fn iso_of(&self, t: SimTime) -> Iso {
        let ms = self.start_unix_ms + t.millis() as i64;
        let (last_ms, last) = self.last.get();
        if ms == last_ms {
            return last;
        }
        let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
        let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let mut s = *b"0000-00-00T00:00:00.000Z";
        let iso = match self.date(days) {
            None => Iso { digits: s, empty: true },
            Some(date) => {
                s[..10].copy_from_slice(&date);
                put_digits(&mut s[11..13], day_secs / 3600);
                put_digits(&mut s[14..16], day_secs / 60 % 60);
                put_digits(&mut s[17..19], day_secs % 60);
                put_digits(&mut s[20..23], milli);
                Iso {
                    digits: s,
                    empty: false,
                }
            }
        };
        self.last.set((ms, iso));
        iso
    }

    /// `YYYY-MM-DD` of day `days` since 1970-01-01 (None outside years 0–9999).
    fn date(&self, days: i64) -> Option<[u8; 10]> {
        let (last_day, date) = self.day.get();
        if days == last_day {
            return date;
        }
        let (y, m, d) = civil_from_days(days);
        let date = (0..=9999).contains(&y).then(|| {
            let mut s = *b"0000-00-00";
            put_digits(&mut s[0..4], y);
            put_digits(&mut s[5..7], m);
            put_digits(&mut s[8..10], d);
            s
        });
        self.day.set((days, date));
        date
    }
}

/// Writes `n` in decimal into all of `out`, with leading zeros.
fn put_digits(out: &mut [u8], mut n: i64) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// (year, month, day) of a day counted from 1970-01-01 (H. Hinnant's `civil_from_days`,
/// proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_look_like_aws() {
        let arn = |resource, name, tail| Arn { resource, name, tail }.string();
        let p = format!("arn:aws:ecs:{}:{}:", super::super::REGION, super::super::ACCOUNT);
        assert_eq!(ARN_PREFIX, p, "the prefix follows the run's region and account");
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

    #[test]
    fn arns_and_times_look_like_aws() {
        let a = WallClock::new(1_767_225_600_000);
        assert_eq!(a.iso(SimTime(1_500)), "2026-01-01T00:00:01.500Z");
        let want = |at: &WallClock, t: SimTime| {
            let ms = at.start_unix_ms + t.millis() as i64;
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        // Digit by digit, as chrono prints it, across leap days, years and centuries.
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = WallClock::new((x >> 22) as i64 % 250_000_000_000_000 - 60_000_000_000_000);
            let t = SimTime(x % 1_000_000_000);
            assert_eq!(at.iso(t), want(&at, t));
            assert_eq!(a.iso(t), want(&a, t), "the kept time and day follow");
        }
        // One clock asked again and again, as a run asks it: the same instant, the
        // same day, the next day, and back.
        let mut t = 0;
        for step in [0, 0, 1, 999, 1_000, 0, 86_399_000, 1, 86_400_000, 0, 3_000_000_000, 1] {
            t += step;
            assert_eq!(a.iso(SimTime(t)), want(&a, SimTime(t)), "{t}");
        }
        for back in [3_000_000_000u64, 86_400_000, 1] {
            let t = SimTime(t - back);
            assert_eq!(a.iso(t), want(&a, t));
        }
    }
}
