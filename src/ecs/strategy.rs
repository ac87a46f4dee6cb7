//! Placement strategies and constraints in the API's form:
//! `{"type": "binpack", "field": "memory"}`, `{"type": "memberOf", "expression": "…"}`.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A resource a `binpack` strategy packs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BinpackField {
    /// CPU units.
    Cpu,
    /// Memory MiB.
    Memory,
}

/// What a `spread` strategy spreads over.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpreadField {
    /// `instanceId` or `host`: the container instance itself.
    Instance {
        /// True when written `host`.
        host: bool,
    },
    /// `attribute:<name>`, e.g. `attribute:ecs.availability-zone`.
    Attribute(String),
}

impl SpreadField {
    /// The availability-zone spread every service defaults to.
    pub fn availability_zone() -> Self {
        SpreadField::Attribute("ecs.availability-zone".into())
    }
}

impl fmt::Display for SpreadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpreadField::Instance { host: false } => f.write_str("instanceId"),
            SpreadField::Instance { host: true } => f.write_str("host"),
            SpreadField::Attribute(a) => write!(f, "attribute:{a}"),
        }
    }
}

impl Serialize for SpreadField {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SpreadField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "instanceId" => Ok(SpreadField::Instance { host: false }),
            "host" => Ok(SpreadField::Instance { host: true }),
            _ => match s.strip_prefix("attribute:") {
                Some(name) if !name.is_empty() && name.len() <= 128 => Ok(SpreadField::Attribute(name.to_string())),
                _ => Err(de::Error::custom(format!(
                    "spread field `{s}` is not valid: use instanceId, host or attribute:<name>"
                ))),
            },
        }
    }
}

/// A `PlacementStrategy`. The ECS types come first; the research heuristics that
/// ECS does not offer are marked so in their documentation.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PlacementStrategy {
    /// ECS `random`: a uniformly random candidate.
    Random {
        /// ECS ignores `field` for random; it is kept only to echo the request.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// ECS `spread`: fewest tasks of the group per value of `field`.
    Spread {
        /// What to spread over.
        field: SpreadField,
    },
    /// ECS `binpack`: least remaining `field` that still fits.
    Binpack {
        /// CPU or memory.
        field: BinpackField,
    },
    /// Not ECS (research): the first candidate in registration order.
    FirstFit {},
    /// Not ECS (research): first fit from where the last placement went, wrapping
    /// around (CloudSim Plus's FirstFit with a rotating start).
    NextFit {},
    /// Not ECS (research): least CPU + memory left after placing (each as a share of
    /// the instance's registered amount).
    BestFit {},
    /// Not ECS (research): most CPU + memory left after placing.
    WorstFit {},
    /// Not ECS (research): largest dot product of the task's demand and the instance's
    /// remaining capacity, both normalised (Panigrahy et al.).
    DotProduct {},
    /// Not ECS (research): smallest L2 distance between the normalised remaining capacity
    /// and the demand (Panigrahy et al.).
    L2Norm {},
    /// Not ECS (research): smallest increase of fragmentation — free CPU and memory that
    /// tasks of the workload seen so far could no longer use (FGD-style, CPU × memory).
    Fragmentation {},
    /// Not ECS (research): two candidates drawn at random, the less loaded kept.
    PowerOfTwoChoices {},
    /// Not ECS (research): kube-scheduler's sampling: from a rotating start, the first
    /// `percentage` % of instances that fit (at least 100; default adaptive: 50 − n/125,
    /// at least 5 %).
    Sampled {
        /// Share of the instances to find, 1–100.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percentage: Option<u32>,
    },
}

impl PlacementStrategy {
    /// True for the research heuristics ECS does not offer.
    pub fn is_research(&self) -> bool {
        !matches!(
            self,
            PlacementStrategy::Random { .. } | PlacementStrategy::Spread { .. } | PlacementStrategy::Binpack { .. }
        )
    }
}

impl fmt::Display for PlacementStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementStrategy::Random { .. } => f.write_str("random"),
            PlacementStrategy::Spread { field } => write!(f, "spread({field})"),
            PlacementStrategy::Binpack { field } => {
                let name = match field {
                    BinpackField::Cpu => "cpu",
                    BinpackField::Memory => "memory",
                };
                write!(f, "binpack({name})")
            }
            PlacementStrategy::FirstFit {} => f.write_str("firstFit"),
            PlacementStrategy::NextFit {} => f.write_str("nextFit"),
            PlacementStrategy::BestFit {} => f.write_str("bestFit"),
            PlacementStrategy::WorstFit {} => f.write_str("worstFit"),
            PlacementStrategy::DotProduct {} => f.write_str("dotProduct"),
            PlacementStrategy::L2Norm {} => f.write_str("l2Norm"),
            PlacementStrategy::Fragmentation {} => f.write_str("fragmentation"),
            PlacementStrategy::PowerOfTwoChoices {} => f.write_str("powerOfTwoChoices"),
            PlacementStrategy::Sampled { percentage: None } => f.write_str("sampled"),
            PlacementStrategy::Sampled { percentage: Some(p) } => write!(f, "sampled({p}%)"),
        }
    }
}

/// A `PlacementConstraint`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PlacementConstraint {
    /// Each task of the group on a different container instance.
    DistinctInstance {},
    /// Only instances satisfying a cluster-query-language expression.
    MemberOf {
        /// The expression (at most 2000 characters).
        expression: String,
    },
}

/// ECS's limit on strategies per service or task.
pub const MAX_STRATEGIES: usize = 5;
/// ECS's limit on constraints per task, the task definition's included.
pub const MAX_CONSTRAINTS: usize = 10;
/// ECS's limit on a constraint expression's length.
pub const MAX_EXPRESSION_LEN: usize = 2000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_read_in_the_api_form() {
        let s: Vec<PlacementStrategy> = serde_json::from_str(
            r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},
                {"type":"binpack","field":"memory"},{"type":"random"},
                {"type":"spread","field":"host"}]"#,
        )
        .unwrap();
        assert_eq!(
            s[0],
            PlacementStrategy::Spread {
                field: SpreadField::availability_zone()
            }
        );
        assert_eq!(
            s[1],
            PlacementStrategy::Binpack {
                field: BinpackField::Memory
            }
        );
        assert_eq!(s[2], PlacementStrategy::Random { field: None });
        assert_eq!(s[3].to_string(), "spread(host)");
        let back = serde_json::to_string(&s[0]).unwrap();
        assert_eq!(back, r#"{"type":"spread","field":"attribute:ecs.availability-zone"}"#);
    }

    #[test]
    fn bad_strategies_are_refused_with_what_is_allowed() {
        let e = serde_json::from_str::<PlacementStrategy>(r#"{"type":"binpak","field":"cpu"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("binpack"), "{e}");
        let e = serde_json::from_str::<PlacementStrategy>(r#"{"type":"binpack","field":"disk"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cpu") && e.contains("memory"), "{e}");
        let e = serde_json::from_str::<PlacementStrategy>(r#"{"type":"spread","field":"az"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("attribute:<name>"), "{e}");
        let c: PlacementConstraint = serde_json::from_str(r#"{"type":"distinctInstance"}"#).unwrap();
        assert_eq!(c, PlacementConstraint::DistinctInstance {});
    }
}
