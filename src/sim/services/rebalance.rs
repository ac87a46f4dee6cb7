//! Availability Zone rebalancing at steady state: when the most loaded zone holds at
//! least two tasks more than the least loaded one, and a task fits there, one task of
//! the most loaded zone is replaced (the replacement goes where the spread strategy
//! sends it) and then stopped.

use super::Doom;
use crate::ecs::intern::Sym;
use crate::ecs::provider::{Pool, Scope};
use crate::sim::Sim;
use crate::sim::ids::{Origin, ServiceId, TaskIdx};
use crate::sim::journal::{ActionDetail, Severity};
use std::collections::BTreeMap;

impl Sim<'_> {
    /// The zone of a live task (its instance's, or a Fargate task's).
    fn task_zone(&self, t: TaskIdx) -> Option<Sym> {
        let task = self.tasks.get(t);
        let cluster = self.fleet.cluster();
        match task.instance {
            Some(i) => cluster.attribute(i, cluster.zone_attribute()),
            None => task.zone,
        }
    }

    /// The pools a service's PRIMARY deployment uses.
    fn service_pools(&self, s: ServiceId) -> Vec<Pool> {
        self.services.get(s).primary().config.pools(&self.sc.capacity)
    }

    /// The zones a service's tasks can run in now: its subnets' (Fargate), or those of
    /// the instances in its pools and cluster that accept tasks.
    fn service_zones(&self, s: ServiceId) -> Vec<Sym> {
        let pools = self.service_pools(s);
        let svc = self.services.get(s);
        if pools.iter().any(|p| p.is_fargate()) {
            return svc
                .primary()
                .zones
                .iter()
                .copied()
                .filter(|z| !self.zone_out(*z))
                .collect();
        }
        self.fleet.cluster().accepting_zones(svc.cluster, |provider, external| {
            pools.iter().any(|p| p.admits(provider, external))
        })
    }

    /// Looks at a service's zones, and dooms a task of the most loaded zone when the
    /// zones are unbalanced and the least loaded one has room.
    pub(super) fn rebalance(&mut self, s: ServiceId) {
        let svc = self.services.get(s);
        if !svc.az_rebalancing || svc.daemon {
            return;
        }
        let epoch = self.fleet.cluster().zone_epoch();
        let svc = self.services.get_mut(s);
        svc.zone_epoch = epoch;
        svc.rebalance_blocked = None;
        let zones = self.service_zones(s);
        if zones.len() < 2 {
            return;
        }
        let mut count: BTreeMap<Sym, Vec<TaskIdx>> = zones.iter().map(|z| (*z, vec![])).collect();
        for &t in &self.services.get(s).live {
            if let Some(z) = self.task_zone(t)
                && let Some(v) = count.get_mut(&z)
            {
                v.push(t);
            }
        }
        let symbols = &self.fleet.cluster().symbols;
        let name = |z: Sym| symbols.resolve(z).to_string();
        // Ties go to the first zone in name order.
        let mut by_name = zones.clone();
        by_name.sort_by_key(|z| name(*z));
        let most = *by_name.iter().rev().max_by_key(|z| count[*z].len()).expect("zones");
        let least = *by_name.iter().min_by_key(|z| count[*z].len()).expect("zones");
        let balanced = count[&most].len() < count[&least].len() + 2;
        let (from, to) = (name(most), name(least));
        if !balanced && !self.zone_has_room(s, least) {
            // Look again when an instance of that zone changes, even if the zones stay the same.
            self.services.get_mut(s).rebalance_blocked = Some(least);
            return;
        }
        if balanced {
            if self.services.get(s).rebalancing {
                self.services.get_mut(s).rebalancing = false;
                self.service_action(s, Severity::Info, "SERVICE_REBALANCING_COMPLETED", ActionDetail::None);
            }
            return;
        }
        let victim = *count[&most].iter().max().expect("a task in the most loaded zone");
        let svc = self.services.get_mut(s);
        svc.doomed.insert(victim, Doom::Rebalancing);
        svc.steady = false;
        if !svc.rebalancing {
            svc.rebalancing = true;
            self.service_action(
                s,
                Severity::Info,
                "SERVICE_REBALANCING_STARTED",
                ActionDetail::Rebalancing(from, to),
            );
        }
        self.services.mark_dirty(s);
    }

    /// Whether some instance of zone `z` in the service's pools could take a task of
    /// service `s` now — resources and the service's constraints both (Fargate: always).
    fn zone_has_room(&mut self, s: ServiceId, z: Sym) -> bool {
        let pools = self.service_pools(s);
        if pools.iter().any(|p| p.is_fargate()) {
            return true;
        }
        let svc = self.services.get(s);
        let (p, cluster_id, group) = (svc.primary, svc.cluster, svc.group);
        let config = &svc.deployment(p).config;
        let td = config.taskdef;
        let chain = config.chain.clone();
        let plans: Vec<_> = pools
            .iter()
            .map(|&pool| {
                let scope = Scope {
                    pool,
                    cluster: cluster_id,
                };
                let chain = chain.clone();
                self.fleet.plan((Origin::Service(s), p.0, td, pool), || chain, scope)
            })
            .collect();
        let res = &self.control.registry().get(td).reservation;
        let cluster = self.fleet.cluster();
        let az = cluster.zone_attribute();
        cluster.ids().any(|id| {
            cluster.attribute(id, az) == Some(z)
                && plans.iter().any(|&plan| self.fleet.fits(plan, res, group, id).is_ok())
        })
    }
}
