//! Image pulls: a task starts once its containers' images are on its instance. A
//! pull takes `latency + size / bandwidth`; each instance keeps the images it pulled,
//! so a later task with the same image starts sooner — how much sooner depends on
//! ECS_IMAGE_PULL_BEHAVIOR. Pulls are modelled only for containers that give a
//! simulation-only `imageSizeMiB`.

use super::Fleet;
use crate::ecs::cluster::InstanceId;
use crate::ecs::task_definition::TaskDefinition;
use crate::engine::{SimDuration, SimTime};
use crate::scenario::settings::ImagePullSpec;
use serde_json::{Value, json};

/// Where one image of a task stands on an instance.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Present: only the registry check (default, always) or nothing (once, prefer-cached).
    Cached,
    /// Another task's pull of it is under way: wait for that one.
    Pulling,
    /// Absent: a full pull.
    Absent,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Cached => "cached",
            State::Pulling => "pulling",
            State::Absent => "absent",
        }
    }
}

/// One image's pull for one task.
struct Pull {
    image: String,
    size_mib: u64,
    state: State,
    ready: SimTime,
}

impl Fleet {
    /// The pulls a task of `td` needs on `inst` at `now` (None: Fargate, which caches
    /// nothing).
    fn pull_plan(
        &self,
        td: &TaskDefinition,
        inst: Option<InstanceId>,
        pull: &ImagePullSpec,
        now: SimTime,
    ) -> Vec<Pull> {
        if td.body.container_definitions.iter().all(|c| c.image_size_mib.is_none()) {
            // Nothing to pull: the instance (a cache miss in a big run) is not read.
            return Vec::new();
        }
        let latency = pull.latency;
        let (bandwidth, behavior) = match inst {
            Some(i) => {
                let spec = &self.cluster.instance(i).spec;
                (spec.pull_bandwidth, spec.agent.pull_behavior)
            }
            None => (pull.bandwidth_mib_per_s, Default::default()),
        };
        td.body
            .container_definitions
            .iter()
            .filter_map(|c| c.image_size_mib.map(|size| (c.image.clone(), size)))
            .map(|(image, size_mib)| {
                let transfer = SimDuration((size_mib as f64 / bandwidth * 1000.0).round() as u64);
                let cached = inst.and_then(|i| {
                    let sym = self.image_names.get(&image)?;
                    self.runtime[i.idx()].images.get(&sym).copied()
                });
                let (state, ready) = match cached {
                    Some(at) if at > now => (State::Pulling, at),
                    Some(_) if behavior.skips_registry_when_cached() => (State::Cached, now),
                    Some(_) => (State::Cached, now + latency),
                    None => (State::Absent, now + latency + transfer),
                };
                Pull {
                    image,
                    size_mib,
                    state,
                    ready,
                }
            })
            .collect()
    }

    /// How long until a task of `td` placed at `now` on `inst` has its images (pulls
    /// run in parallel; None when its containers give no image size); records the new
    /// pulls in the instance's cache.
    pub fn pull_images(
        &mut self,
        td: &TaskDefinition,
        inst: Option<InstanceId>,
        pull: &ImagePullSpec,
        now: SimTime,
    ) -> Option<SimDuration> {
        let plan = self.pull_plan(td, inst, pull, now);
        if plan.is_empty() {
            return None;
        }
        let mut ready = now;
        for p in plan {
            if let (Some(i), State::Absent) = (inst, p.state) {
                let sym = self.image_names.intern(&p.image);
                self.runtime[i.idx()].images.insert(sym, p.ready);
            }
            ready = ready.max(p.ready);
        }
        Some(ready.since(now))
    }

    /// The pulls a task of `td` would need on `inst`, for decisions.jsonl and `explain`
    /// (null when its containers give no image size).
    pub fn pull_preview(&self, td: &TaskDefinition, inst: InstanceId, pull: &ImagePullSpec, now: SimTime) -> Value {
        let plan = self.pull_plan(td, Some(inst), pull, now);
        if plan.is_empty() {
            return Value::Null;
        }
        let images: Vec<Value> = plan
            .iter()
            .map(|p| {
                json!({"image": p.image, "sizeMiB": p.size_mib, "state": p.state.as_str(),
                       "seconds": p.ready.since(now).secs_string()})
            })
            .collect();
        let wait = plan
            .iter()
            .map(|p| p.ready)
            .max()
            .map_or(SimDuration::ZERO, |r| r.since(now));
        json!({
            "behavior": self.cluster.instance(inst).spec.agent.pull_behavior.as_str(),
            "images": images,
            "seconds": wait.secs_string(),
        })
    }
}
