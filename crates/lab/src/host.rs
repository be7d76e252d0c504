//! What a run reports to and where it gives way: the engine's one interface
//! to whoever executes it (the CLI's progress bar, the page's worker, a test).

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{LabError, Result};
use crate::results::{PhaseLog, SeedOutcome};

/// What a run reports to, and where it gives way. Native runners report
/// and go on; the page's worker yields to its event loop at every pause (so
/// a Cancel message is heard) and stops the run by returning `false`.
pub trait Host {
    /// `n` more units of work are done in `regime` at `stage`; `false` stops the run.
    fn progress(&mut self, n: usize, regime: &str, stage: &str) -> bool;
    /// A phase's log grew by a point (for live curves); the attack phase of
    /// the evaluation reports here too, under its own name.
    fn logged(&mut self, _regime: &str, _phase: &str, _log: &PhaseLog) {}
    /// The seed about to run (progress reports name it).
    fn seed_started(&mut self, _seed: u64) {}
    /// A seed is finished, every regime trained and scored.
    fn seed_done(&mut self, _outcome: &SeedOutcome) {}
    /// A regime is trained and scored at this seed: `so_far` holds every
    /// regime finished so far at this seed (so a page can show it at once).
    fn regime_done(&mut self, _seed: u64, _so_far: &SeedOutcome) {}
    /// Awaited between chunks of work.
    fn pause(&mut self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(std::future::ready(()))
    }
    /// Does this host keep trained prefixes for later runs? (Keeping one
    /// costs a read of the model's weights.)
    fn keeps_checkpoints(&self) -> bool {
        false
    }
    /// The prefix with this key, if an earlier run kept it. Keys cover the
    /// world, model, seed and phases; a host that keeps checkpoints across
    /// engine versions should add the version to its own key.
    fn recall(&mut self, _key: u64) -> Pin<Box<dyn Future<Output = Option<Checkpoint>> + '_>> {
        Box::pin(std::future::ready(None))
    }
    /// Keep a prefix just trained.
    fn keep(&mut self, _key: u64, _checkpoint: Checkpoint) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Any `FnMut(units, regime, stage)` is a host that never stops or yields.
impl<F: FnMut(usize, &str, &str)> Host for F {
    fn progress(&mut self, n: usize, regime: &str, stage: &str) -> bool {
        self(n, regime, stage);
        true
    }
}

/// Report progress, then give way; a `false` from the host ends the run.
pub(crate) async fn report(host: &mut dyn Host, n: usize, regime: &str, stage: &str) -> Result<()> {
    if !host.progress(n, regime, stage) {
        return Err(LabError::Cancelled);
    }
    host.pause().await;
    Ok(())
}

/// Where a run is, for progress bars.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub seed: u64,
    pub regime: String,
    /// The phase being trained, or the condition being scored.
    pub stage: String,
}

/// The host of native runs: counts units done across seeds and reports them
/// as [`Progress`] (`false` from `on_progress` stops the run).
pub struct ProgressHost<'a> {
    done: usize,
    total: usize,
    seed: u64,
    on_progress: &'a mut dyn FnMut(&Progress) -> bool,
}

impl<'a> ProgressHost<'a> {
    /// `total`: the units of every seed to run (`experiment::units_per_seed`).
    pub fn new(total: usize, on_progress: &'a mut dyn FnMut(&Progress) -> bool) -> Self {
        Self {
            done: 0,
            total,
            seed: 0,
            on_progress,
        }
    }
}

impl Host for ProgressHost<'_> {
    fn progress(&mut self, n: usize, regime: &str, stage: &str) -> bool {
        self.done += n;
        (self.on_progress)(&Progress {
            done: self.done,
            total: self.total,
            seed: self.seed,
            regime: regime.into(),
            stage: stage.into(),
        })
    }
    fn seed_started(&mut self, seed: u64) {
        self.seed = seed;
    }
}
