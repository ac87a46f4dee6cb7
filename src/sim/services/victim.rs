//! Which task a service stops when its desired count falls (ecs-semantics.md §1.1 and
//! §1.3): the rule its first placement strategy implies.

use super::ScaleIn;
use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::engine::StreamRng;
use crate::placement::strategy::binpack;
use crate::sim::ids::TaskIdx;
use rand::RngExt;

/// What the victim choice needs to know of a live task.
pub struct LiveTask {
    /// The task.
    pub task: TaskIdx,
    /// Its instance.
    pub instance: InstanceId,
    /// What it reserves of CPU and memory.
    pub cpu: u32,
    /// Memory MiB.
    pub memory: u32,
}

fn argmax_random<T: Copy>(items: &[(T, u64)], rng: &mut StreamRng) -> Option<T> {
    let best = items.iter().map(|(_, k)| *k).max()?;
    let ties: Vec<T> = items.iter().filter(|(_, k)| *k == best).map(|(t, _)| *t).collect();
    Some(ties[rng.random_range(0..ties.len())])
}

/// Picks the task to stop when the desired count falls.
pub fn choose_victim(
    rule: &ScaleIn,
    live: &[LiveTask],
    group: GroupId,
    cluster: &Cluster,
    rng: &mut StreamRng,
) -> Option<TaskIdx> {
    let az = cluster.symbols.get("ecs.availability-zone");
    let count_by = |attr: Option<crate::ecs::intern::Sym>, inst: InstanceId| -> u64 {
        let value = attr.and_then(|a| cluster.attribute(inst, a));
        live.iter()
            .filter(|t| attr.and_then(|a| cluster.attribute(t.instance, a)) == value)
            .count() as u64
    };
    let on_instance = |inst: InstanceId| cluster.group_count_on(group, inst) as u64;
    match rule {
        ScaleIn::Default => {
            let scored: Vec<(TaskIdx, u64)> = live
                .iter()
                .map(|t| (t.task, (count_by(az, t.instance) << 32) | on_instance(t.instance)))
                .collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::Binpack(field) => {
            let scored: Vec<(TaskIdx, u64)> = live
                .iter()
                .map(|t| {
                    let freed = binpack::needed(t.cpu, t.memory, *field);
                    (t.task, (binpack::remaining(cluster, t.instance, *field) + freed) as u64)
                })
                .collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::SpreadAttribute(name) => {
            let attr = cluster.symbols.get(name);
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, count_by(attr, t.instance))).collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::SpreadInstance => {
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, on_instance(t.instance))).collect();
            argmax_random(&scored, rng)
        }
        ScaleIn::Random => {
            let scored: Vec<(TaskIdx, u64)> = live.iter().map(|t| (t.task, 0)).collect();
            argmax_random(&scored, rng)
        }
    }
}
