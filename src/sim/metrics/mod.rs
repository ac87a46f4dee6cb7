//! The run's measurements: RunTask failures by reason, exact time-weighted integrals,
//! the timeseries and services.csv samples, task requests waiting, image pulls, and
//! the cost meters of every billed thing.

pub mod samples;
pub mod summary;

use crate::capacity::cost::{Account, Costs, Meter};
use crate::ecs::cluster::{Cluster, InstanceId};
use crate::ecs::failure::Failure;
use crate::engine::{SimDuration, SimTime};
pub use samples::{ProviderSample, SERVICE_HEADER, Sample, ServiceLoad, ServiceSample};
pub use summary::{Failures, FaultStats, Integrals, Overload, Summary, WaitStats, cell, fixed};

/// The measurements part of a run.
#[derive(Default)]
pub struct Metrics {
    failures: Failures,
    service_failures: Failures,
    interval_failures: Failures,
    integrals: Integrals,
    samples: Vec<Sample>,
    service_samples: Vec<ServiceSample>,
    next_sample: SimTime,
    waiting: u32,
    pulls: (u64, u64),
    costs: Costs,
    instance_meters: Vec<Meter>,
}

impl Metrics {
    /// Counts a RunTask failure entry.
    pub fn failed(&mut self, reason: Failure) {
        self.failures.add(reason);
        self.interval_failures.add(reason);
    }

    /// Counts a service's attempt to place a task that found no instance.
    pub fn service_failed(&mut self, reason: Failure) {
        self.service_failures.add(reason);
    }

    /// Every service placement failure so far.
    pub fn service_failures(&self) -> &Failures {
        &self.service_failures
    }

    /// Failures since the last sample (and starts counting again).
    pub fn take_interval_failures(&mut self) -> Failures {
        std::mem::take(&mut self.interval_failures)
    }

    /// Every failure so far.
    pub fn failures(&self) -> &Failures {
        &self.failures
    }

    /// Task requests wanted but not yet placed: `n` more (or fewer).
    pub fn waiting(&mut self, delta: i64) {
        self.waiting = self
            .waiting
            .checked_add_signed(delta as i32)
            .expect("waiting requests stay ≥ 0");
    }

    /// Task requests wanted but not yet placed.
    pub fn waiting_now(&self) -> u32 {
        self.waiting
    }

    /// A task waited `wait` for its images.
    pub fn pulled(&mut self, wait: SimDuration) {
        self.pulls.0 += 1;
        self.pulls.1 += wait.millis();
    }

    /// Mean image pull wait, seconds.
    pub fn pull_mean_s(&self) -> f64 {
        if self.pulls.0 == 0 {
            0.0
        } else {
            self.pulls.1 as f64 / self.pulls.0 as f64 / 1000.0
        }
    }

    /// The integrals up to `now`, with the cluster as it was since the last advance.
    pub fn advance(&mut self, now: SimTime, cluster: &Cluster) {
        self.integrals.advance(now, cluster, cluster.active_count());
    }

    /// The integrals.
    pub fn integrals(&self) -> &Integrals {
        &self.integrals
    }

    /// When the next sample is due.
    pub fn next_sample(&self) -> SimTime {
        self.next_sample
    }

    /// Records one sample time's rows; the next is due `interval` later.
    pub fn sampled(&mut self, row: Sample, services: Vec<ServiceSample>, interval: SimDuration) {
        self.samples.push(row);
        self.service_samples.extend(services);
        self.next_sample += interval;
    }

    /// The timeseries rows so far.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The cost meters.
    pub fn costs(&self) -> &Costs {
        &self.costs
    }

    /// Declares a cost account, so that it is reported even at zero.
    pub fn declare(&mut self, account: Account) {
        self.costs.declare(account);
    }

    /// Starts billing `hourly` USD per hour under `account` at `now`.
    pub fn open_meter(&mut self, account: Account, hourly: f64, minimum_secs: f64, now: SimTime) -> Meter {
        self.costs.open(account, hourly, minimum_secs, now)
    }

    /// Stops billing a meter at `now`.
    pub fn close_meter(&mut self, m: Meter, now: SimTime) {
        self.costs.close(m, now);
    }

    /// Starts billing instance `id`.
    pub fn open_instance_meter(&mut self, id: InstanceId, m: Meter) {
        debug_assert_eq!(id.idx(), self.instance_meters.len());
        self.instance_meters.push(m);
    }

    /// Instance `id`'s meter.
    pub fn instance_meter(&self, id: InstanceId) -> Meter {
        self.instance_meters[id.idx()]
    }

    /// Closes every meter at `end`.
    pub fn close_all(&mut self, end: SimTime) {
        self.costs.close_all(end);
    }

    /// The samples, for the outcome.
    pub fn into_samples(self) -> (Vec<Sample>, Vec<ServiceSample>) {
        (self.samples, self.service_samples)
    }
}
