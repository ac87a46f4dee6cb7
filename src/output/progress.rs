//! Progress of a run on simulated time, on standard error: an indicatif bar on a
//! terminal, else a plain line every few seconds (CI and batch logs). Wall-clock time
//! is read here only, to pace the display; the run never sees it.

use crate::engine::SimTime;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a plain progress line is printed when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Where progress goes.
pub enum Progress {
    /// Nowhere (`--quiet`).
    Off,
    /// A bar over simulated seconds.
    Bar(indicatif::ProgressBar),
    /// A line every [`LINE_EVERY`] of wall time.
    Lines {
        /// When the run began.
        started: Instant,
        /// When the last line was printed.
        last: Instant,
    },
}

impl Progress {
    /// A bar when standard error is a terminal, lines otherwise; nothing when `quiet`.
    pub fn new(quiet: bool, end: SimTime) -> Progress {
        if quiet {
            return Progress::Off;
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(end.0 / 1000);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} simulated {msg}, {elapsed} elapsed, {eta} left")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            return Progress::Bar(bar);
        }
        let now = Instant::now();
        Progress::Lines {
            started: now,
            last: now,
        }
    }

    /// The run has reached simulated time `now` of `end`, after `events` events.
    pub fn update(&mut self, now: SimTime, end: SimTime, events: u64) {
        match self {
            Progress::Off => {}
            Progress::Bar(bar) => {
                bar.set_position(now.0 / 1000);
                bar.set_message(format!("{} of {}", clock(now), clock(end)));
            }
            Progress::Lines { started, last } => {
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!(
                        "progress: simulated {} of {} ({}%), {events} events, {:.0?} elapsed",
                        clock(now),
                        clock(end),
                        (now.0 * 100).checked_div(end.0).unwrap_or(100),
                        started.elapsed()
                    );
                }
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Progress over a count of pieces of work (runs, instances), from several threads:
/// a bar when standard error is a terminal, else a line every few seconds (batch logs).
pub enum Counter {
    /// Nowhere.
    Off,
    /// A bar.
    Bar(indicatif::ProgressBar),
    /// Lines.
    Lines {
        /// What is counted.
        unit: String,
        /// The count to reach.
        total: u64,
        /// Done so far, and when the last line was printed.
        state: std::sync::Mutex<(u64, Instant)>,
        /// When the work began.
        started: Instant,
    },
}

impl Counter {
    /// A counter to `total` `unit`s (e.g. "runs"); nothing unless `show`.
    pub fn new(total: u64, unit: &str, show: bool) -> Counter {
        if !show {
            return Counter::Off;
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{bar:40}} {{pos}}/{{len}} {unit}, {{elapsed}} elapsed, {{eta}} left"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            return Counter::Bar(bar);
        }
        let now = Instant::now();
        Counter::Lines {
            unit: unit.to_string(),
            total,
            state: std::sync::Mutex::new((0, now)),
            started: now,
        }
    }

    /// One more piece done.
    pub fn inc(&self) {
        match self {
            Counter::Off => {}
            Counter::Bar(bar) => bar.inc(1),
            Counter::Lines {
                unit,
                total,
                state,
                started,
            } => {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.0 += 1;
                if s.1.elapsed() >= LINE_EVERY {
                    s.1 = Instant::now();
                    eprintln!("progress: {}/{total} {unit}, {:.0?} elapsed", s.0, started.elapsed());
                }
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Counter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Simulated time as `h:mm:ss`.
fn clock(t: SimTime) -> String {
    let s = t.0 / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_hours_minutes_seconds() {
        assert_eq!(clock(SimTime(0)), "0:00:00");
        assert_eq!(clock(SimTime(29_063_000)), "8:04:23");
        assert_eq!(clock(SimTime(90_061_999)), "25:01:01");
    }
}
