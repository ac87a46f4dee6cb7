//! Rates that change over time, and arrivals that follow them: a constant, a
//! piecewise table (`profile`, optionally repeating), a smooth daily curve (`daily`),
//! or a table read from a CSV file (`file`, turned into a profile when the scenario is
//! loaded). Arrivals are an exact non-homogeneous Poisson process, drawn by thinning
//! (Lewis & Shedler): candidates at the highest rate, each kept with probability
//! rate(t) / highest rate.

use crate::engine::duration::{Duration, parse_duration};
use crate::engine::rng::{standard_exponential, unit_open_closed};
use crate::engine::{SimDuration, SimTime, StreamRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Milliseconds in a day, the period of a `daily` curve.
const DAY_MS: f64 = 86_400_000.0;

/// A rate per minute over simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, try_from = "Value")]
pub enum Rate {
    /// The same rate throughout.
    Constant(f64),
    /// From each time on, its rate, until the next point; the first point's time is 0
    /// or later (before it: 0). With `repeat`, the table starts again every period.
    Profile {
        /// (time, rate per minute), times increasing.
        profile: Vec<(Duration, f64)>,
        /// The period, longer than the last point's time.
        #[serde(skip_serializing_if = "Option::is_none")]
        repeat: Option<Duration>,
    },
    /// A cosine over 24 hours: `peak` at `peakAt`, `base` (the lowest) 12 hours away.
    Daily {
        /// The curve.
        daily: Daily,
    },
    /// A CSV file of `time, rate` rows (a time in seconds or as a duration), relative to
    /// the scenario; the scenario loader reads it into a [`Rate::Profile`].
    File {
        /// The path.
        file: String,
    },
}

/// A daily curve's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Daily {
    /// The lowest rate, 12 hours from the peak.
    pub base: f64,
    /// The highest rate.
    pub peak: f64,
    /// When in the day the peak is.
    pub peak_at: Duration,
}

const FORMS: &str = "a number, { profile = [[\"0h\", 1.0], [\"8h\", 6.0]], repeat = \"24h\" }, { daily = { base = 1.0, peak = 6.0, peakAt = \"14h\" } } or { file = \"rates.csv\" }";

impl TryFrom<Value> for Rate {
    type Error = String;

    fn try_from(v: Value) -> Result<Rate, String> {
        let rate = match &v {
            Value::Number(n) => Rate::Constant(n.as_f64().unwrap_or(f64::NAN)),
            Value::Object(m) if m.contains_key("profile") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct P {
                    profile: Vec<(Duration, f64)>,
                    repeat: Option<Duration>,
                }
                let p: P = serde_json::from_value(v).map_err(|e| format!("a profile: {e}"))?;
                Rate::Profile {
                    profile: p.profile,
                    repeat: p.repeat,
                }
            }
            Value::Object(m) if m.contains_key("daily") && m.len() == 1 => Rate::Daily {
                daily: serde_json::from_value(m["daily"].clone()).map_err(|e| format!("daily: {e}"))?,
            },
            Value::Object(m) if m.len() == 1 && m.get("file").is_some_and(Value::is_string) => Rate::File {
                file: m["file"].as_str().unwrap_or_default().to_string(),
            },
            _ => return Err(format!("`{v}` is not a rate: write {FORMS}")),
        };
        rate.check()?;
        Ok(rate)
    }
}

impl Rate {
    /// Whether the rate is well formed: finite, not negative, above 0 somewhere;
    /// profile times increasing and within the period.
    pub fn check(&self) -> Result<(), String> {
        let fine = |r: f64| r.is_finite() && r >= 0.0;
        match self {
            Rate::Constant(r) if !(r.is_finite() && *r > 0.0) => Err(format!("{r}: the rate must be a number > 0")),
            Rate::Profile { profile, repeat } => {
                if profile.is_empty() {
                    return Err("a profile needs at least one [time, rate] point".into());
                }
                if let Some((_, r)) = profile.iter().find(|(_, r)| !fine(*r)) {
                    return Err(format!("profile rate {r}: rates are numbers ≥ 0"));
                }
                if profile.windows(2).any(|w| w[1].0.0 <= w[0].0.0) {
                    return Err("profile times must increase from point to point".into());
                }
                if !profile.iter().any(|(_, r)| *r > 0.0) {
                    return Err("every profile rate is 0: nothing would ever arrive".into());
                }
                match repeat {
                    Some(p) if p.0 <= profile[profile.len() - 1].0.0 => Err(format!(
                        "repeat {}: the period must be longer than the last point's time",
                        crate::engine::duration::format_duration(p.0)
                    )),
                    _ => Ok(()),
                }
            }
            Rate::Daily { daily }
                if !(fine(daily.base) && fine(daily.peak) && daily.peak >= daily.base && daily.peak > 0.0) =>
            {
                Err(format!(
                    "daily base {} and peak {}: rates ≥ 0 with peak ≥ base and peak > 0",
                    daily.base, daily.peak
                ))
            }
            _ => Ok(()),
        }
    }

    /// The rate per minute at time `t` (a `file` rate not yet read is 0).
    pub fn per_minute_at(&self, t: f64) -> f64 {
        match self {
            Rate::Constant(r) => *r,
            Rate::Profile { profile, repeat } => {
                let t = match repeat {
                    Some(p) => t % p.0.millis() as f64,
                    None => t,
                };
                match profile.partition_point(|(at, _)| at.0.millis() as f64 <= t) {
                    0 => 0.0,
                    i => profile[i - 1].1,
                }
            }
            Rate::Daily { daily } => {
                let phase = 2.0 * std::f64::consts::PI * (t - daily.peak_at.0.millis() as f64) / DAY_MS;
                daily.base + (daily.peak - daily.base) * (1.0 + libm::cos(phase)) / 2.0
            }
            Rate::File { .. } => 0.0,
        }
    }

    /// The highest rate per minute it ever takes.
    pub fn max_per_minute(&self) -> f64 {
        match self {
            Rate::Constant(r) => *r,
            Rate::Profile { profile, .. } => profile.iter().map(|(_, r)| *r).fold(0.0, f64::max),
            Rate::Daily { daily } => daily.peak,
            Rate::File { .. } => 0.0,
        }
    }

    /// The mean rate per minute over `[0, over)` (one-minute steps; exact for a constant).
    pub fn mean_per_minute(&self, over: SimDuration) -> f64 {
        if let Rate::Constant(r) = self {
            return *r;
        }
        let minutes = (over.millis() / 60_000).max(1);
        (0..minutes)
            .map(|m| self.per_minute_at((m * 60_000 + 30_000) as f64))
            .sum::<f64>()
            / minutes as f64
    }

    /// The next arrival after `now` (None when the rate stays 0 from some time on and
    /// that time is past). A constant rate draws one exponential gap, as it always has.
    pub fn next_after(&self, now: SimTime, rng: &mut StreamRng) -> Option<SimTime> {
        let max = self.max_per_minute();
        if let Rate::Constant(r) = self {
            return Some(now + crate::engine::exponential_gap(rng, 60_000.0 / r));
        }
        let silent_from = match self {
            Rate::Profile { profile, repeat: None } if profile[profile.len() - 1].1 == 0.0 => {
                Some(profile[profile.len() - 1].0.0.millis() as f64)
            }
            _ => None,
        };
        let mean_gap = 60_000.0 / max;
        let mut t = now.0 as f64;
        loop {
            t += standard_exponential(rng) * mean_gap;
            if silent_from.is_some_and(|s| t >= s) {
                return None;
            }
            if unit_open_closed(rng) * max <= self.per_minute_at(t) {
                return Some(SimTime((t.round() as u64).max(now.0 + 1)));
            }
        }
    }

    /// A `time, rate` CSV (a header line allowed; times in seconds or durations,
    /// increasing) as a profile; errors give the 1-based line and column.
    pub fn from_csv(text: &str) -> Result<Rate, (usize, usize, String)> {
        let mut profile = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split(',').collect();
            let [time, rate] = cells[..] else {
                return Err((
                    line_no,
                    1,
                    format!("expected two columns, `time,rate`; found {}", cells.len()),
                ));
            };
            let at = match parse_duration(time) {
                Ok(d) => d,
                Err(_) if profile.is_empty() && rate.trim().parse::<f64>().is_err() => continue, // a header
                Err(e) => return Err((line_no, 1, e)),
            };
            let r: f64 = rate.trim().parse().map_err(|_| {
                (
                    line_no,
                    time.len() + 2,
                    format!("rate `{}` is not a number", rate.trim()),
                )
            })?;
            profile.push((Duration(at), r));
        }
        let rate = Rate::Profile { profile, repeat: None };
        rate.check().map_err(|m| (0, 0, m))?;
        Ok(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn rate(v: Value) -> Result<Rate, String> {
        Rate::try_from(v)
    }

    #[test]
    fn each_form_reads_and_evaluates() {
        let h = 3_600_000.0;
        let p =
            rate(serde_json::json!({"profile": [["0h", 1.0], ["8h", 6.0], ["18h", 2.0]], "repeat": "24h"})).unwrap();
        assert_eq!(p.per_minute_at(7.9 * h), 1.0);
        assert_eq!(p.per_minute_at(8.0 * h), 6.0);
        assert_eq!(p.per_minute_at(30.0 * h), 1.0);
        assert_eq!(p.max_per_minute(), 6.0);
        let d = rate(serde_json::json!({"daily": {"base": 1.0, "peak": 5.0, "peakAt": "14h"}})).unwrap();
        assert!((d.per_minute_at(14.0 * h) - 5.0).abs() < 1e-12);
        assert!((d.per_minute_at(2.0 * h) - 1.0).abs() < 1e-12);
        assert!((d.per_minute_at(8.0 * h) - 3.0).abs() < 1e-9);
        assert_eq!(rate(serde_json::json!(3.0)).unwrap(), Rate::Constant(3.0));
        let e = rate(serde_json::json!({"profile": [["8h", 1.0], ["2h", 2.0]]})).unwrap_err();
        assert!(e.contains("increase"), "{e}");
        let e = rate(serde_json::json!({"hourly": 2})).unwrap_err();
        assert!(e.contains("is not a rate") && e.contains("daily"), "{e}");
        let f = Rate::from_csv("time,rate\n0,2\n1h,4.5\n").unwrap();
        assert_eq!(f.per_minute_at(4_000_000.0), 4.5);
        assert_eq!(Rate::from_csv("0,2\n1h,x\n").unwrap_err().0, 2);
    }

    #[test]
    fn thinning_follows_the_profile_hour_by_hour() {
        // 1 per minute for 4 hours, then 6 per minute for 4 hours, then silence.
        let r = rate(serde_json::json!({"profile": [["0h", 1.0], ["4h", 6.0], ["8h", 0.0]]})).unwrap();
        let mut rng = RngStreams::new(7).stream(1, 0);
        let mut per_hour = [0u32; 10];
        let mut t = SimTime::ZERO;
        while let Some(next) = r.next_after(t, &mut rng) {
            per_hour[(next.0 / 3_600_000) as usize] += 1;
            t = next;
        }
        // Poisson counts of mean 60 and 360 an hour: within 4 standard deviations.
        for (h, &n) in per_hour.iter().enumerate() {
            let mean: f64 = if h < 4 {
                60.0
            } else if h < 8 {
                360.0
            } else {
                0.0
            };
            assert!(
                (n as f64 - mean).abs() <= 4.0 * mean.sqrt(),
                "hour {h}: {n} arrivals, mean {mean}"
            );
        }
    }
}
