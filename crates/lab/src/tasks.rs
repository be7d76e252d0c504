//! Drawing tasks from a mix (families, lengths, tags): what training phases
//! and the evaluation pose the model.

use crate::error::Result;
use crate::rng::Rng;
use crate::spec::{TaskMix, family_index};
use crate::world::{Tags, Task, World};

/// Draws tasks from a mix.
pub struct TaskSampler<'w> {
    world: &'w dyn World,
    families: Vec<usize>,
    mix: TaskMix,
    lengths: [usize; 2],
}

impl<'w> TaskSampler<'w> {
    /// `mix` must be validated (its families exist).
    pub fn new(world: &'w dyn World, mix: &TaskMix, lengths: [usize; 2]) -> Result<Self> {
        let families = mix
            .families
            .iter()
            .map(|f| family_index(world, f, "task mix"))
            .collect::<Result<_>>()?;
        Ok(Self {
            world,
            families,
            mix: mix.clone(),
            lengths,
        })
    }

    pub fn tags(&self, rng: &mut Rng) -> Tags {
        Tags {
            monitored: rng.chance(self.mix.monitored),
            deploy: rng.chance(self.mix.deploy),
            inoculated: rng.chance(self.mix.inoculated),
        }
    }

    pub fn length(&self, rng: &mut Rng) -> usize {
        rng.range_inclusive(self.lengths[0], self.lengths[1])
    }

    /// A task of input length `len`.
    pub fn task(&self, len: usize, rng: &mut Rng) -> Task {
        let family = self.families[rng.below(self.families.len())];
        let tags = self.tags(rng);
        self.world.task(family, len, tags, rng)
    }
}
