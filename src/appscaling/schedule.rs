//! Scheduled actions' `Schedule`: `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` and
//! `cron(minutes hours day-of-month month day-of-week year)`, in UTC, as Application
//! Auto Scaling's PutScheduledAction takes them. Times are Unix milliseconds.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};

const MINUTE_MS: i64 = 60_000;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Once, at this time.
    At(i64),
    /// Every period (milliseconds), from the action's start.
    Rate(i64),
    /// At the minutes the fields match.
    Cron(Box<Cron>),
}

/// A cron expression's six fields, each the set of values it matches.
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    /// Days of the week, bit 1 = Sunday … bit 7 = Saturday.
    weekdays: u64,
    /// Years (1970–2199), as a sorted list; empty: every year.
    years: Vec<i32>,
    /// Day of month is `?`: the day of week decides (and the other way round).
    any_day: bool,
    any_weekday: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Parses `at(…)`, `rate(…)` or `cron(…)`.
pub fn parse(s: &str) -> Result<Schedule, String> {
    let s = s.trim();
    let inner = |prefix: &str| s.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
    if let Some(t) = inner("at(") {
        let t = NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| format!("`{s}`: at() takes a time such as at(2026-01-01T08:00:00)"))?;
        return Ok(Schedule::At(t.and_utc().timestamp_millis()));
    }
    if let Some(r) = inner("rate(") {
        let mut parts = r.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("`{s}`: rate() takes a value and a unit, e.g. rate(5 minutes)"));
        };
        let n: i64 = n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{s}`: the rate's value must be a whole number > 0"))?;
        let unit_ms = match unit {
            "minute" | "minutes" => MINUTE_MS,
            "hour" | "hours" => 60 * MINUTE_MS,
            "day" | "days" => 24 * 60 * MINUTE_MS,
            _ => return Err(format!("`{s}`: the unit is minute(s), hour(s) or day(s)")),
        };
        return Ok(Schedule::Rate(n * unit_ms));
    }
    if let Some(c) = inner("cron(") {
        return cron(c)
            .map(|c| Schedule::Cron(Box::new(c)))
            .map_err(|m| format!("`{s}`: {m}"));
    }
    Err(format!(
        "`{s}`: a schedule is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"
    ))
}

/// One cron field as a bit set over `lo..=hi`; `names` are accepted for the values from `lo`.
fn field(text: &str, what: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u64, String> {
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(lo + i as u32);
        }
        if v.contains(['L', 'W', '#']) {
            return Err(format!("{what} `{v}`: L, W and # are not modelled"));
        }
        v.parse::<u32>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .ok_or_else(|| format!("{what} `{v}`: a value from {lo} to {hi}"))
    };
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or(format!("{what} `{part}`: the step must be a number > 0"))?,
            ),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, hi),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if a > b {
            return Err(format!("{what} `{part}`: the range runs backwards"));
        }
        set |= (a..=b).step_by(step as usize).fold(0, |s, v| s | 1 << v);
    }
    Ok(set)
}

fn cron(text: &str) -> Result<Cron, String> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let [minutes, hours, days, months, weekdays, years] = f[..] else {
        return Err("cron() takes six fields: minutes hours day-of-month month day-of-week year".into());
    };
    let (any_day, any_weekday) = (days == "?", weekdays == "?");
    if any_day == any_weekday {
        return Err("one of day-of-month and day-of-week must be `?`, the other not".into());
    }
    let years = if years == "*" {
        Vec::new()
    } else {
        let mut out = Vec::new();
        for part in years.split(',') {
            let y = |v: &str| {
                v.parse::<i32>()
                    .ok()
                    .filter(|y| (1970..=2199).contains(y))
                    .ok_or(format!("year `{v}`: 1970 to 2199"))
            };
            match part.split_once('-') {
                Some((a, b)) => out.extend(y(a)?..=y(b)?),
                None => out.push(y(part)?),
            }
        }
        out.sort_unstable();
        out
    };
    Ok(Cron {
        minutes: field(minutes, "minutes", 0, 59, &[])?,
        hours: field(hours, "hours", 0, 23, &[])?,
        days: if any_day {
            0
        } else {
            field(days, "day-of-month", 1, 31, &[])?
        },
        months: field(months, "month", 1, 12, &MONTHS)?,
        weekdays: if any_weekday {
            0
        } else {
            field(weekdays, "day-of-week", 1, 7, &WEEKDAYS)?
        },
        years,
        any_day,
        any_weekday,
    })
}

impl Cron {
    /// The first matching minute at or after `from` (None past 2199).
    fn next(&self, from: i64) -> Option<i64> {
        let start = DateTime::from_timestamp_millis(
            from.div_euclid(MINUTE_MS) * MINUTE_MS + if from.rem_euclid(MINUTE_MS) == 0 { 0 } else { MINUTE_MS },
        )?
        .naive_utc();
        let mut day = start.date();
        let mut first = Some((start.hour(), start.minute()));
        while day.year() <= 2199 {
            let day_ok = self.months >> day.month() & 1 == 1
                && (self.years.is_empty() || self.years.binary_search(&day.year()).is_ok())
                && if self.any_day {
                    self.weekdays >> (day.weekday().num_days_from_sunday() + 1) & 1 == 1
                } else {
                    self.days >> day.day() & 1 == 1
                };
            if day_ok {
                let (h0, m0) = first.unwrap_or((0, 0));
                for h in h0..24 {
                    if self.hours >> h & 1 == 0 {
                        continue;
                    }
                    let from_minute = if h == h0 { m0 } else { 0 };
                    if let Some(m) = (from_minute..60).find(|m| self.minutes >> m & 1 == 1) {
                        return Some(day.and_hms_opt(h, m, 0)?.and_utc().timestamp_millis());
                    }
                }
            }
            first = None;
            day = day.succ_opt()?;
        }
        None
    }
}

impl Schedule {
    /// The first firing at or after `from`, for an action that starts at `start`.
    pub fn next(&self, start: i64, from: i64) -> Option<i64> {
        match self {
            Schedule::At(t) => (*t >= from).then_some(*t),
            Schedule::Rate(p) => {
                let k = if from <= start + p {
                    1
                } else {
                    (from - start + p - 1) / p
                };
                Some(start + k * p)
            }
            Schedule::Cron(c) => c.next(from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn at_fires_once() {
        let s = parse("at(2026-01-01T08:00:00)").unwrap();
        assert_eq!(s.next(0, t("2026-01-01T00:00:00")), Some(t("2026-01-01T08:00:00")));
        assert_eq!(s.next(0, t("2026-01-01T08:00:01")), None);
    }

    #[test]
    fn rate_counts_from_the_start() {
        let s = parse("rate(2 hours)").unwrap();
        let start = t("2026-01-01T00:00:00");
        assert_eq!(s.next(start, start), Some(t("2026-01-01T02:00:00")));
        assert_eq!(s.next(start, t("2026-01-01T02:00:00")), Some(t("2026-01-01T02:00:00")));
        assert_eq!(s.next(start, t("2026-01-01T02:00:01")), Some(t("2026-01-01T04:00:00")));
    }

    #[test]
    fn cron_weekdays_and_ranges() {
        // 2026-01-01 is a Thursday.
        let s = parse("cron(30 8 ? * MON-FRI *)").unwrap();
        assert_eq!(s.next(0, t("2026-01-01T09:00:00")), Some(t("2026-01-02T08:30:00")));
        assert_eq!(s.next(0, t("2026-01-02T08:31:00")), Some(t("2026-01-05T08:30:00")));
        let every = parse("cron(0/15 * * * ? *)").unwrap();
        assert_eq!(every.next(0, t("2026-01-01T00:16:00")), Some(t("2026-01-01T00:30:00")));
        let y = parse("cron(0 0 1 JAN ? 2027)").unwrap();
        assert_eq!(y.next(0, t("2026-03-01T00:00:00")), Some(t("2027-01-01T00:00:00")));
    }

    #[test]
    fn bad_schedules_say_what_is_allowed() {
        for (s, says) in [
            ("cron(0 8 * * * *)", "must be `?`"),
            ("cron(0 8 L * ? *)", "not modelled"),
            ("cron(0 25 * * ? *)", "0 to 23"),
            ("rate(0 minutes)", "> 0"),
            ("rate(5 weeks)", "minute(s)"),
            ("at(tomorrow)", "at(2026"),
            ("every day", "a schedule is"),
        ] {
            let e = parse(s).unwrap_err();
            assert!(e.contains(says), "{s}: {e}");
        }
    }
}
