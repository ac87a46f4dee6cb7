//! Bring your own placement strategy, without forking ecsim.
//!
//! `zoneThenBestFit` (not ECS; an example): put a task in the availability zone that
//! already holds most tasks of its group, and there on the instance it fills best —
//! the opposite of ECS's default zone spread, for workloads that talk mostly among
//! themselves. It is written against ecsim's library API only: the [`Strategy`]
//! interface, the read-only [`View`] the built-in strategies get, and the group counts
//! the placer keeps up to date on every placement and release.
//!
//! This program is the whole `ecsim` command line plus that strategy:
//!
//! ```text
//! cargo run --release --example custom_strategy -- pack ../shared/benchmarks/bpplib-1d --strategy zoneThenBestFit,bestFit
//! cargo run --release --example custom_strategy -- run my-scenario.toml   # placementStrategy = [{ type = "zoneThenBestFit" }]
//! ```

use ecsim::ecs::cluster::InstanceId;
use ecsim::ecs::strategy::PlacementStrategy;
use ecsim::placement::strategy::{Role, Strategy, StrategyType, View, best_fit, check_members, fixed_score, register};
use std::sync::Arc;

/// The attribute that names an instance's zone.
const ZONE: &str = "ecs.availability-zone";

/// Most-loaded zone first, then best fit.
#[derive(Debug)]
pub struct ZoneThenBestFit;

impl Strategy for ZoneThenBestFit {
    fn label(&self) -> String {
        "zoneThenBestFit".into()
    }

    fn role(&self) -> Role<'_> {
        // The score is our own, so every candidate is scored.
        Role::Score
    }

    fn counted_attributes(&self) -> Vec<&str> {
        vec![ZONE]
    }

    fn score(&self, v: &View, id: InstanceId) -> u64 {
        // More tasks of the group in the candidate's zone → a lower (better) high word.
        let in_zone = v.counts.count_named(v.cluster, v.group, ZONE, id);
        let fit = fixed_score(best_fit::leftover(v.cluster, id, v.res)).min(u32::MAX as u64);
        ((u32::MAX - in_zone) as u64) << 32 | fit
    }
}

/// Builds the strategy from its API form (`{ type = "zoneThenBestFit" }`; it takes no members).
fn build(s: &PlacementStrategy) -> Result<Arc<dyn Strategy>, String> {
    check_members(s, false, &[])?;
    Ok(Arc::new(ZoneThenBestFit))
}

/// Makes `zoneThenBestFit` a strategy type scenario files, sweeps and `ecsim pack` can name.
pub fn register_zone_then_best_fit() -> Result<(), String> {
    register(StrategyType {
        name: "zoneThenBestFit",
        ecs: false,
        build,
    })
}

#[allow(dead_code)] // Tests and benches include this file for the strategy alone.
fn main() -> std::process::ExitCode {
    if let Err(e) = register_zone_then_best_fit() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    ecsim::cli::main()
}
