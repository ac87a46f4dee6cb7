//! Placement strategies and constraints in the API's form:
//! `{"type": "binpack", "field": "memory"}`, `{"type": "memberOf", "expression": "…"}`.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A resource a `binpack` strategy packs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// A `PlacementStrategy` in the API's form: its `type`, its `field`, and any further
/// members a strategy takes (the research heuristic `sampled` takes `percentage`).
/// Which types exist and what their members mean is the placement registry's to say
/// (`placement::strategy`), so a strategy added there — by ecsim or by a program
/// using it as a library — is read like ECS's own.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementStrategy {
    /// `type`: `binpack`, `spread`, `random`, or a registered research strategy.
    pub kind: String,
    /// `field`, when the strategy takes one.
    pub field: Option<String>,
    /// Further members, by name.
    pub params: BTreeMap<String, serde_json::Value>,
}

impl PlacementStrategy {
    /// A strategy of type `kind` with an optional `field`.
    pub fn new(kind: &str, field: Option<&str>) -> Self {
        PlacementStrategy {
            kind: kind.to_string(),
            field: field.map(str::to_string),
            params: BTreeMap::new(),
        }
    }
}

impl fmt::Display for PlacementStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        let mut args: Vec<String> = self.field.iter().cloned().collect();
        args.extend(self.params.iter().map(|(k, v)| format!("{k}={v}")));
        if !args.is_empty() {
            write!(f, "({})", args.join(", "))?;
        }
        Ok(())
    }
}

impl Serialize for PlacementStrategy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &self.kind)?;
        if let Some(field) = &self.field {
            m.serialize_entry("field", field)?;
        }
        for (k, v) in &self.params {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for PlacementStrategy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = PlacementStrategy;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a placement strategy such as { type = \"binpack\", field = \"memory\" }")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<PlacementStrategy, A::Error> {
                let (mut kind, mut field, mut params) = (None, None, BTreeMap::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "type" => kind = Some(map.next_value::<String>()?),
                        "field" => field = Some(map.next_value::<String>()?),
                        _ => {
                            let v: serde_json::Value = map.next_value()?;
                            params.insert(key, v);
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
                Ok(PlacementStrategy { kind, field, params })
            }
        }
        d.deserialize_map(V)
    }
}

impl BinpackField {
    /// `cpu` or `memory`.
    pub fn parse(s: &str) -> Result<BinpackField, String> {
        match s {
            "cpu" => Ok(BinpackField::Cpu),
            "memory" => Ok(BinpackField::Memory),
            _ => Err(format!("binpack field `{s}` is not valid: use cpu or memory")),
        }
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BinpackField::Cpu => "cpu",
            BinpackField::Memory => "memory",
        }
    }
}

impl SpreadField {
    /// `instanceId`, `host` or `attribute:<name>`.
    pub fn parse(s: &str) -> Result<SpreadField, String> {
        match s {
            "instanceId" => Ok(SpreadField::Instance { host: false }),
            "host" => Ok(SpreadField::Instance { host: true }),
            _ => match s.strip_prefix("attribute:") {
                Some(name) if !name.is_empty() && name.len() <= 128 => Ok(SpreadField::Attribute(name.to_string())),
                _ => Err(format!(
                    "spread field `{s}` is not valid: use instanceId, host or attribute:<name>"
                )),
            },
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
    fn strategies_read_and_write_in_the_api_form() {
        let s: Vec<PlacementStrategy> = serde_json::from_str(
            r#"[{"type":"spread","field":"attribute:ecs.availability-zone"},
                {"type":"binpack","field":"memory"},{"type":"random"},
                {"type":"sampled","percentage":10}]"#,
        )
        .unwrap();
        assert_eq!(
            s[0],
            PlacementStrategy::new("spread", Some("attribute:ecs.availability-zone"))
        );
        assert_eq!(s[2], PlacementStrategy::new("random", None));
        assert_eq!(s[3].params["percentage"], serde_json::json!(10));
        assert_eq!(s[3].to_string(), "sampled(percentage=10)");
        let back = serde_json::to_string(&s[0]).unwrap();
        assert_eq!(back, r#"{"type":"spread","field":"attribute:ecs.availability-zone"}"#);
        assert_eq!(
            serde_json::to_string(&s[3]).unwrap(),
            r#"{"type":"sampled","percentage":10}"#
        );
        let e = serde_json::from_str::<PlacementStrategy>(r#"{"field":"cpu"}"#).unwrap_err();
        assert!(e.to_string().contains("type"), "{e}");
    }

    #[test]
    fn fields_are_read_with_what_is_allowed() {
        assert_eq!(BinpackField::parse("cpu"), Ok(BinpackField::Cpu));
        assert!(BinpackField::parse("disk").unwrap_err().contains("cpu or memory"));
        assert_eq!(SpreadField::parse("host"), Ok(SpreadField::Instance { host: true }));
        assert!(SpreadField::parse("az").unwrap_err().contains("attribute:<name>"));
        let c: PlacementConstraint = serde_json::from_str(r#"{"type":"distinctInstance"}"#).unwrap();
        assert_eq!(c, PlacementConstraint::DistinctInstance {});
    }
}
