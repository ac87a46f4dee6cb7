//! Not ECS — research strategy `powerOfTwoChoices`: two candidates drawn at random, the
//! less loaded kept (worstFit's score decides).

use super::{Role, Sampler, Strategy, View, best, plain, worst_fit::WorstFit};
use crate::ecs::cluster::InstanceId;
use rand::RngExt;

/// `powerOfTwoChoices`.
#[derive(Debug, Default)]
pub struct PowerOfTwoChoices;

/// The registry entry.
pub const TYPE: super::StrategyType = super::StrategyType {
    name: "powerOfTwoChoices",
    ecs: false,
    build: plain::<PowerOfTwoChoices>,
};

impl Strategy for PowerOfTwoChoices {
    fn label(&self) -> String {
        "powerOfTwoChoices".into()
    }
    fn role(&self) -> Role<'_> {
        Role::Sample
    }
    fn score(&self, v: &View, id: InstanceId) -> u64 {
        WorstFit.score(v, id)
    }
    fn sample(&self, cands: &[InstanceId], v: &View, s: &mut Sampler) -> Vec<InstanceId> {
        best(&WorstFit, &two_choices(cands, s.rng), v).1
    }
}

/// Two distinct candidates drawn uniformly (all of them when there are at most two).
pub fn two_choices(cands: &[InstanceId], rng: &mut crate::engine::StreamRng) -> Vec<InstanceId> {
    if cands.len() <= 2 {
        return cands.to_vec();
    }
    let a = rng.random_range(0..cands.len());
    let mut b = rng.random_range(0..cands.len() - 1);
    if b >= a {
        b += 1;
    }
    vec![cands[a], cands[b]]
}
