//! Cost accounting: every billed thing (an instance, a Fargate task) is a meter with an
//! hourly rate, opened when billing starts and closed when it ends, with the billing
//! minimum applied at close. Totals per account (a capacity provider, `EC2`,
//! `EXTERNAL`; launch type FARGATE bills to the FARGATE provider's) are kept exactly as
//! running sums, so the accrued cost at any instant costs O(accounts) to read.

use crate::capacity::prices::charge;
use crate::ecs::provider::ProviderId;
use crate::engine::SimTime;

/// What a cost is billed to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// EC2 instances outside any capacity provider.
    Ec2,
    /// ECS Anywhere instances.
    External,
    /// A capacity provider's instances or tasks.
    Provider(ProviderId),
}

impl Account {
    /// The account's name in outputs: `EC2`, `EXTERNAL`, or the provider's name.
    pub fn name(self, providers: &crate::capacity::providers::CapacitySpec) -> &str {
        match self {
            Account::Ec2 => "EC2",
            Account::External => "EXTERNAL",
            Account::Provider(p) => &providers.providers[p.0 as usize].name,
        }
    }
}

/// An open meter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Meter(pub u32);

#[derive(Clone, Debug)]
struct Open {
    key: usize,
    hourly: f64,
    start: SimTime,
    minimum_secs: f64,
    closed: Option<(f64, SimTime)>,
}

#[derive(Clone, Debug, Default)]
struct Sums {
    closed: f64,
    rate: f64,
    rate_times_start_ms: f64,
}

/// Every meter of a run.
#[derive(Clone, Debug, Default)]
pub struct Costs {
    keys: Vec<Account>,
    accounts: Vec<Sums>,
    meters: Vec<Open>,
}

impl Costs {
    fn key(&mut self, key: Account) -> usize {
        match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                self.keys.push(key);
                self.accounts.push(Sums::default());
                self.keys.len() - 1
            }
        }
    }

    /// Declares an account so that it is reported even at zero.
    pub fn declare(&mut self, key: Account) {
        self.key(key);
    }

    /// Starts billing `hourly` USD/hour under `key` at `now`.
    pub fn open(&mut self, key: Account, hourly: f64, minimum_secs: f64, now: SimTime) -> Meter {
        let k = self.key(key);
        let a = &mut self.accounts[k];
        a.rate += hourly;
        a.rate_times_start_ms += hourly * now.millis() as f64;
        self.meters.push(Open {
            key: k,
            hourly,
            start: now,
            minimum_secs,
            closed: None,
        });
        Meter(self.meters.len() as u32 - 1)
    }

    /// Stops billing a meter at `now`; returns what it cost.
    pub fn close(&mut self, m: Meter, now: SimTime) -> f64 {
        let o = &mut self.meters[m.0 as usize];
        if o.closed.is_some() {
            return 0.0;
        }
        let cost = charge(o.hourly, now.since(o.start).as_secs_f64(), o.minimum_secs);
        o.closed = Some((cost, now));
        let a = &mut self.accounts[o.key];
        a.rate -= o.hourly;
        a.rate_times_start_ms -= o.hourly * o.start.millis() as f64;
        a.closed += cost;
        cost
    }

    /// What a meter has cost so far (or in all, once closed), without the minimum while open.
    pub fn so_far(&self, m: Meter, now: SimTime) -> f64 {
        let o = &self.meters[m.0 as usize];
        o.closed
            .map_or_else(|| charge(o.hourly, now.since(o.start).as_secs_f64(), 0.0), |c| c.0)
    }

    /// When a meter started billing, when it stopped (None while open), and its USD/hour.
    pub fn span(&self, m: Meter) -> (SimTime, Option<SimTime>, f64) {
        let o = &self.meters[m.0 as usize];
        (o.start, o.closed.map(|c| c.1), o.hourly)
    }

    /// Closes every open meter at `end`.
    pub fn close_all(&mut self, end: SimTime) {
        for i in 0..self.meters.len() {
            self.close(Meter(i as u32), end);
        }
    }

    /// Accrued cost per account at `now` (open meters without their minimum), in the
    /// order accounts were declared or first billed.
    pub fn accrued(&self, now: SimTime) -> Vec<(Account, f64)> {
        self.keys
            .iter()
            .zip(&self.accounts)
            .map(|(k, a)| {
                (
                    *k,
                    a.closed + (a.rate * now.millis() as f64 - a.rate_times_start_ms) / 3_600_000.0,
                )
            })
            .collect()
    }

    /// The total accrued at `now`.
    pub fn total(&self, now: SimTime) -> f64 {
        self.accrued(now).iter().map(|(_, v)| v).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_bill_by_the_second_with_a_minimum() {
        let mut c = Costs::default();
        let cp = Account::Provider(ProviderId(0));
        let a = c.open(cp, 0.096, 60.0, SimTime(0));
        let b = c.open(cp, 0.096, 60.0, SimTime(10_000));
        assert!((c.total(SimTime(3_610_000)) - 0.096 * (3610.0 / 3600.0 + 1.0)).abs() < 1e-9);
        // b runs 30 s but is billed the 60 s minimum.
        assert!((c.close(b, SimTime(40_000)) - 0.096 / 60.0).abs() < 1e-12);
        c.close_all(SimTime(7_200_000));
        assert_eq!(c.accrued(SimTime(9_000_000))[0].0, cp);
        assert!((c.accrued(SimTime(9_000_000))[0].1 - (0.192 + 0.0016)).abs() < 1e-9);

        assert_eq!(c.close(a, SimTime(9_000_000)), 0.0);
        assert!((c.so_far(b, SimTime(9_000_000)) - 0.0016).abs() < 1e-12);
    }
}
