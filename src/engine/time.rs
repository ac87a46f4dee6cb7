//! Simulated time: integer milliseconds since the start of a run.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of simulated time, in milliseconds since the start of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// An optional instant in 8 bytes (an `Option<SimTime>` takes 16): the times a task
/// record carries, of which a run keeps hundreds of thousands live.
#[derive(Copy, Clone, Default, PartialEq, Eq, Hash)]
pub struct OptTime(Option<std::num::NonZeroU64>);

impl OptTime {
    /// No time.
    pub const NONE: OptTime = OptTime(None);

    /// The time, if any.
    pub fn get(self) -> Option<SimTime> {
        self.0.map(|n| SimTime(n.get() - 1))
    }
}

impl From<SimTime> for OptTime {
    fn from(t: SimTime) -> Self {
        OptTime(std::num::NonZeroU64::new(
            t.0.checked_add(1).expect("an instant before SimTime::MAX"),
        ))
    }
}

impl From<Option<SimTime>> for OptTime {
    fn from(t: Option<SimTime>) -> Self {
        t.map_or(OptTime::NONE, OptTime::from)
    }
}

impl fmt::Debug for OptTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// A span of simulated time, in milliseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event a run can hold.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Milliseconds since the start.
    pub fn millis(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Seconds with three decimals, exactly (no floating point): `12.345`.
    pub fn secs_string(self) -> String {
        crate::text::secs_string(self.0)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// From whole seconds.
    pub fn from_secs(s: u64) -> Self {
        SimDuration(s * 1000)
    }

    /// From milliseconds.
    pub fn from_millis(ms: u64) -> Self {
        SimDuration(ms)
    }

    /// Milliseconds in this span.
    pub fn millis(self) -> u64 {
        self.0
    }

    /// Seconds as a float (for statistics and prices, never for ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Seconds with three decimals, exactly: `12.345`.
    pub fn secs_string(self) -> String {
        crate::text::secs_string(self.0)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.secs_string())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_printed_exactly() {
        assert_eq!(SimTime(0).secs_string(), "0.000");
        assert_eq!(SimTime(12_345).secs_string(), "12.345");
        assert_eq!(SimTime(7).secs_string(), "0.007");
        assert_eq!((SimTime(1500) + SimDuration::from_secs(2)).millis(), 3500);
        assert_eq!(SimTime(10).since(SimTime(20)), SimDuration::ZERO);
    }
}
