//! Durations (`"500ms"`, `"90s"`, `"2h30m"`, or a number of seconds) and the
//! duration distributions scenarios use for task run times and latencies.

use crate::engine::{SimDuration, StreamRng};
use rand::RngExt;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Parses `"500ms"`, `"90s"`, `"15m"`, `"6h"`, `"1d"`, `"2h30m"`, `"1.5h"` or `"30"` (seconds).
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let bad = || {
        format!(
            "`{s}` is not a duration: use a number with a unit (ms, s, m, h, d), e.g. \"90s\" or \"2h30m\", or a number of seconds"
        )
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return secs_to_duration(secs).ok_or_else(bad);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad()),
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    secs_to_duration(total).ok_or_else(bad)
}

fn secs_to_duration(secs: f64) -> Option<SimDuration> {
    if secs.is_finite() && secs >= 0.0 && secs * 1000.0 < u64::MAX as f64 / 4.0 {
        Some(SimDuration((secs * 1000.0).round() as u64))
    } else {
        None
    }
}

/// Writes a duration the way [`parse_duration`] reads it back, e.g. `2h30m`, `1.5s`.
pub fn format_duration(d: SimDuration) -> String {
    let ms = d.millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) {
        return format!("{}ms", ms);
    }
    let mut secs = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// A duration as written in a scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub SimDuration);

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Duration;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration such as \"90s\", \"15m\", \"2h30m\", or a number of seconds")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map(Duration).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        secs_to_duration(v as f64)
            .map(Duration)
            .ok_or_else(|| E::custom("duration too large"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        if v < 0 {
            return Err(E::custom(format!("duration {v} is negative: durations are ≥ 0")));
        }
        self.visit_u64(v as u64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        if v < 0.0 {
            return Err(E::custom(format!("duration {v} is negative: durations are ≥ 0")));
        }
        secs_to_duration(v)
            .map(Duration)
            .ok_or_else(|| E::custom("duration is not a finite number of seconds"))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

/// A distribution of durations: a plain duration is fixed; otherwise a table
/// `{ distribution = "fixed" | "exponential" | "lognormal" | "uniform", … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "camelCase", deny_unknown_fields)]
pub enum DistSpec {
    /// Always `value`.
    Fixed {
        /// The duration.
        value: Duration,
    },
    /// Exponential with the given mean.
    Exponential {
        /// The mean.
        mean: Duration,
    },
    /// Log-normal: `median × e^(sigma·Z)`, Z standard normal.
    Lognormal {
        /// The median.
        median: Duration,
        /// The shape (standard deviation of the log), ≥ 0.
        sigma: f64,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Lower bound.
        min: Duration,
        /// Upper bound (≥ min).
        max: Duration,
    },
}

/// Reads a [`DistSpec`] that may also be a plain duration.
pub fn deserialize_dist<'de, D: Deserializer<'de>>(d: D) -> Result<DistSpec, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = DistSpec;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(
                "a duration or a table { distribution = \"fixed\" | \"exponential\" | \"lognormal\" | \"uniform\", … }",
            )
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<DistSpec, E> {
            DurationVisitor.visit_str(v).map(|value| DistSpec::Fixed { value })
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistSpec, E> {
            DurationVisitor.visit_u64(v).map(|value| DistSpec::Fixed { value })
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
            DurationVisitor.visit_i64(v).map(|value| DistSpec::Fixed { value })
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
            DurationVisitor.visit_f64(v).map(|value| DistSpec::Fixed { value })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DistSpec, A::Error> {
            DistSpec::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V)
}

/// Like [`deserialize_dist`], for optional fields.
pub fn deserialize_opt_dist<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DistSpec>, D::Error> {
    deserialize_dist(d).map(Some)
}

impl DistSpec {
    /// A fixed duration.
    pub fn fixed(d: SimDuration) -> Self {
        DistSpec::Fixed { value: Duration(d) }
    }

    /// Checks the parameters; the message names what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            DistSpec::Lognormal { sigma, .. } if !(sigma.is_finite() && *sigma >= 0.0) => {
                Err(format!("sigma {sigma} must be a finite number ≥ 0"))
            }
            DistSpec::Uniform { min, max } if max < min => Err(format!(
                "uniform max {} is below min {}",
                format_duration(max.0),
                format_duration(min.0)
            )),
            _ => Ok(()),
        }
    }

    /// Draws one duration.
    pub fn sample(&self, rng: &mut StreamRng) -> SimDuration {
        let ms = match self {
            DistSpec::Fixed { value } => return value.0,
            DistSpec::Exponential { mean } => mean.0.millis() as f64 * super::rng::standard_exponential(rng),
            DistSpec::Lognormal { median, sigma } => {
                median.0.millis() as f64 * libm::exp(sigma * super::rng::standard_normal(rng))
            }
            DistSpec::Uniform { min, max } => {
                return SimDuration(rng.random_range(min.0.millis()..=max.0.millis()));
            }
        };
        SimDuration(ms.round().clamp(0.0, (u64::MAX / 4) as f64) as u64)
    }

    /// The mean of the distribution, in milliseconds (for capacity estimates and docs).
    pub fn mean_millis(&self) -> f64 {
        match self {
            DistSpec::Fixed { value } => value.0.millis() as f64,
            DistSpec::Exponential { mean } => mean.0.millis() as f64,
            DistSpec::Lognormal { median, sigma } => median.0.millis() as f64 * libm::exp(sigma * sigma / 2.0),
            DistSpec::Uniform { min, max } => (min.0.millis() + max.0.millis()) as f64 / 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn durations_parse_in_every_documented_form() {
        let ms = |s: &str| parse_duration(s).map(|d| d.millis());
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("90s"), Ok(90_000));
        assert_eq!(ms("15m"), Ok(900_000));
        assert_eq!(ms("6h"), Ok(21_600_000));
        assert_eq!(ms("1d"), Ok(86_400_000));
        assert_eq!(ms("2h30m"), Ok(9_000_000));
        assert_eq!(ms("1.5s"), Ok(1500));
        assert_eq!(ms("30"), Ok(30_000));
        for bad in ["", "ten", "5y", "m5", "-3s", "1..5s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should fail");
        }
        for d in [0u64, 500, 90_000, 9_000_000, 86_400_000 + 61_000] {
            assert_eq!(parse_duration(&format_duration(SimDuration(d))).unwrap().millis(), d);
        }
    }

    #[test]
    fn distributions_read_from_strings_numbers_and_tables() {
        #[derive(Deserialize)]
        struct W {
            #[serde(deserialize_with = "deserialize_dist")]
            d: DistSpec,
        }
        let w: W = serde_json::from_str(r#"{"d": "10m"}"#).unwrap();
        assert_eq!(w.d, DistSpec::fixed(SimDuration::from_secs(600)));
        let w: W = serde_json::from_str(r#"{"d": 5}"#).unwrap();
        assert_eq!(w.d, DistSpec::fixed(SimDuration::from_secs(5)));
        let w: W = serde_json::from_str(r#"{"d": {"distribution":"lognormal","median":"5m","sigma":1.0}}"#).unwrap();
        assert!(matches!(w.d, DistSpec::Lognormal { .. }));
        let e = serde_json::from_str::<W>(r#"{"d": {"distribution":"gamma"}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("exponential"), "{e}");
        assert!(serde_json::from_str::<W>(r#"{"d": -4}"#).is_err());
    }

    #[test]
    fn samples_have_the_right_centre() {
        let mut rng = RngStreams::new(7).stream(0, 0);
        let exp = DistSpec::Exponential {
            mean: Duration(SimDuration::from_secs(100)),
        };
        let n = 20_000;
        let mean = (0..n).map(|_| exp.sample(&mut rng).millis() as f64).sum::<f64>() / n as f64;
        assert!((mean - 100_000.0).abs() < 3_000.0, "{mean}");
        let ln = DistSpec::Lognormal {
            median: Duration(SimDuration::from_secs(60)),
            sigma: 1.0,
        };
        let mut v: Vec<u64> = (0..n).map(|_| ln.sample(&mut rng).millis()).collect();
        v.sort();
        let median = v[n / 2] as f64;
        assert!((median - 60_000.0).abs() < 3_000.0, "{median}");
    }
}
