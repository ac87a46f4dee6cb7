//! Coverage-guided fuzzing of load → validate → run: any text either is refused with
//! an error, or — when it is a small enough scenario — runs to the end with every
//! record rendered and the invariants holding. A panic, a hang or a broken invariant
//! is a crash; each one found becomes a regression test in tests/it/accepted.rs.
//!
//! Run it (nightly): `cargo +nightly fuzz run load_validate_run fuzz/corpus fuzz/seeds scenarios -- -dict=fuzz/scenario.dict`
//! (see DEVELOPERS.md).

#![no_main]

use ecsim::scenario::load::Format;
use ecsim::scenario::{Scenario, scenario_from_str};
use ecsim::sim::journal::Recorder;
use ecsim::sim::{check_invariants, run};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

/// Renders every record and drops it: the journal's code runs, memory stays flat.
struct Render(u64);

impl Recorder for Render {
    fn wants_events(&self) -> bool {
        true
    }
    fn event(&mut self, record: serde_json::Value) {
        self.0 += record.to_string().len() as u64;
    }
    fn wants_decisions(&self) -> bool {
        self.0 % 2 == 0
    }
    fn decision(&mut self, record: serde_json::Value) {
        self.0 += record.to_string().len() as u64;
    }
}

/// Whether a scenario is small enough to run within a fuzzing budget: a day at most,
/// a few hundred instances and tasks wanted, arrivals a few thousand in all.
fn small(sc: &Scenario) -> bool {
    let minutes = sc.duration.millis() as f64 / 60_000.0;
    let instances: u64 = sc.instance_groups.iter().map(|g| g.count as u64).sum::<u64>()
        + sc.asgs.iter().map(|a| a.max_size as u64).sum::<u64>();
    let desired: i64 = sc.services.iter().map(|s| s.desired_count.unwrap_or(0)).sum();
    let arrivals: f64 = sc
        .workloads
        .iter()
        .map(|w| match &w.arrival {
            Some(ecsim::scenario::schema::Arrival::Poisson { rate_per_minute }) => {
                rate_per_minute.max_per_minute() * minutes
            }
            Some(ecsim::scenario::schema::Arrival::Fixed { interval }) => {
                minutes * 60_000.0 / interval.0.millis().max(1) as f64
            }
            None => f64::INFINITY,
        })
        .sum();
    minutes <= 24.0 * 60.0
        && instances <= 300
        && desired <= 500
        && arrivals <= 5_000.0
        && sc.timeline.len() <= 200
        && sc.duration.millis() / sc.sample_interval.millis().max(1) <= 5_000
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let format = if text.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Toml
    };
    let Ok(sc) = scenario_from_str(text, format, "fuzz", Path::new(".")) else {
        return;
    };
    if !small(&sc) {
        return;
    }
    let mut rec = Render(0);
    let outcome = run(&sc, sc.seed, &mut rec);
    if let Err(e) = check_invariants(&outcome) {
        panic!("invariant broken: {e}");
    }
});
