//! Running an experiment: every regime, every seed, then the evaluation suite.
//!
//! Regimes form a prefix tree: a phase is keyed by a hash of everything that
//! determines it (world, model, seed and the phases up to and including it:
//! [`prefix_keys`], beside the spec), and a key already trained is reused
//! instead of trained again. A phase's randomness is derived from its key,
//! so sharing never changes a result.

use std::collections::HashMap;

use crate::backend::Backend;
use crate::checkpoint::{self, Checkpoint};
use crate::error::{LabError, Result};
use crate::eval::{Condition, Counts, depth, score};
use crate::host::{Host, Progress, ProgressHost, report};
use crate::model::Gpt;
use crate::phase::train_phase;
use crate::results::{DepthRow, ExperimentResults, Failure, LogRow, PhaseLog, Row, SeedOutcome, StageRow};
use crate::rng::Rng;
use crate::spec::{ExperimentSpec, WorldSpec, prefix_keys, prefix_text};

/// Work units an evaluation condition counts for in progress reports
/// (roughly its cost in training steps).
const EVAL_UNITS: usize = 5;
/// Shortcut answers per input length in the depth view.
const DEPTH_TASKS: usize = 64;
/// Random streams forked from a seed's generator: a condition uses
/// `EVAL_STREAM + condition.stream()` and, after each phase,
/// `STAGE_STREAM + condition.stream()`, so
/// every regime at a seed is scored on the same tasks and noise (common
/// random numbers); the depth view and the attack have their own.
const EVAL_STREAM: u64 = 100;
const STAGE_STREAM: u64 = 200;
const DEPTH_STREAM: u64 = 99;
const ATTACK_STREAM: u64 = 7;

/// Total progress units for one seed (each shared prefix counted once).
pub fn units_per_seed(spec: &ExperimentSpec, seed: u64) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut units = 0;
    for r in &spec.regimes {
        for (p, key) in r.phases.iter().zip(prefix_keys(spec, seed, &r.phases)) {
            if seen.insert(key) {
                units += p.steps + EVAL_UNITS;
            }
        }
        units += (Condition::ALL.len() + 1) * EVAL_UNITS + spec.eval.attack.steps;
    }
    units
}

/// Train and evaluate every regime for one seed, reporting to `host`.
pub async fn run_seed(
    spec: &ExperimentSpec,
    backend: &Backend,
    seed: u64,
    host: &mut dyn Host,
) -> Result<SeedOutcome> {
    let world = spec.world.build()?;
    let WorldSpec::GradedTasks(world_spec) = &spec.world;
    let lengths = world_spec.lengths;
    let device = backend.device.clone();
    let init: Gpt = spec.model.gpt(&world).init_seeded(&device, seed);
    let mut cache: HashMap<u64, Prefix> = HashMap::new();
    let mut out = SeedOutcome::default();
    for regime in &spec.regimes {
        // A regime that fails (training diverged, a lost device, a kept
        // checkpoint gone bad) ends with a message; the others go on.
        let mark = (out.rows.len(), out.depth.len(), out.logs.len(), out.stages.len());
        let ctx = SeedContext {
            spec,
            world: &world,
            lengths,
            seed,
            init: &init,
        };
        let cached_before: std::collections::HashSet<u64> = cache.keys().copied().collect();
        match run_regime(&ctx, regime, &mut cache, &mut out, host).await {
            Ok(()) => {}
            // Cancelled, or the device is gone: every regime after would fail too.
            Err(e @ (LabError::Cancelled | LabError::Read { .. } | LabError::NoGpu(_))) => return Err(e),
            Err(e) => {
                // Prefixes this regime trained leave with its logs: a later
                // regime that shares them trains them again (identically)
                // and logs them, so no curve goes missing.
                cache.retain(|k, _| cached_before.contains(k));
                out.rows.truncate(mark.0);
                out.depth.truncate(mark.1);
                out.logs.truncate(mark.2);
                out.stages.truncate(mark.3);
                out.failures.push(Failure {
                    regime: regime.name.clone(),
                    seed,
                    message: e.to_string(),
                });
            }
        }
        host.regime_done(seed, &out);
        report(host, EVAL_UNITS, &regime.name, "depth").await?;
    }
    Ok(out)
}

/// What every regime of one seed shares.
struct SeedContext<'a> {
    spec: &'a ExperimentSpec,
    world: &'a crate::world::graded::GradedTasks,
    lengths: [usize; 2],
    seed: u64,
    init: &'a Gpt,
}

/// A trained prefix of phases, and its scores on the stage conditions.
#[derive(Clone)]
struct Prefix {
    model: Gpt,
    stages: Vec<(Condition, Counts)>,
}

/// What a phase's stage scores depend on besides its model: the
/// evaluation settings (a hash of them). A kept checkpoint's scores are
/// reused only under the same.
pub fn stage_setup(spec: &ExperimentSpec) -> String {
    let eval = serde_json::to_string(&spec.eval).expect("a spec always serialises");
    format!("{:016x}", crate::spec::fnv1a(eval.as_bytes()))
}

/// The cheap evaluation of a phase's model: the stage conditions at half
/// the episodes, no probes.
async fn score_stage(
    ctx: &SeedContext<'_>,
    model: &Gpt,
    host: &mut dyn Host,
    regime: &str,
) -> Result<Vec<(Condition, Counts)>> {
    let WorldSpec::GradedTasks(world_spec) = &ctx.spec.world;
    let mut out = vec![];
    for condition in Condition::STAGES {
        let mut rng = Rng::new(ctx.seed).fork(STAGE_STREAM + condition.stream());
        let setup = condition.setup(&ctx.spec.eval, world_spec);
        let episodes = ctx.spec.eval.stage_episodes();
        let (counts, _) = score(ctx.world, model, &setup, episodes, 0, &mut rng).await?;
        out.push((condition, counts));
    }
    report(host, EVAL_UNITS, regime, "after-phase check").await?;
    Ok(out)
}

/// Train (or recall) one regime's phases and score it, appending to `out`.
async fn run_regime(
    ctx: &SeedContext<'_>,
    regime: &crate::spec::RegimeSpec,
    cache: &mut HashMap<u64, Prefix>,
    out: &mut SeedOutcome,
    host: &mut dyn Host,
) -> Result<()> {
    let SeedContext {
        spec,
        world,
        lengths,
        seed,
        init,
    } = *ctx;
    let WorldSpec::GradedTasks(world_spec) = &spec.world;
    let keys = prefix_keys(spec, seed, &regime.phases);
    let mut model = init.clone();
    let mut before: Option<Gpt> = None;
    let mut logs: Vec<(String, PhaseLog)> = vec![];
    for (index, (phase, &key)) in regime.phases.iter().zip(&keys).enumerate() {
        if phase.alignment && before.is_none() {
            before = Some(model.clone());
        }
        let prefix = match cache.get(&key) {
            Some(trained) => trained.clone(),
            None => {
                let kept = match host.keeps_checkpoints() {
                    true => host.recall(key).await,
                    false => None,
                };
                // A kept checkpoint of another prefix (its key collided) or
                // that does not fit is trained again.
                let text = || prefix_text(spec, seed, &regime.phases[..=index]);
                let recalled = kept.filter(|c| c.prefix == text()).and_then(|c| {
                    // Scores made under other evaluation settings are not these.
                    let stages = if c.stages_for == stage_setup(spec) {
                        c.stages
                    } else {
                        vec![]
                    };
                    Some((checkpoint::load(model.clone(), &c.weights).ok()?, c.log, stages))
                });
                let (trained, stages) = match recalled {
                    Some((trained, log, stages)) => {
                        out.phases_recalled += 1;
                        host.logged(&regime.name, &phase.name, &log);
                        let stage = format!("{} (kept from an earlier run)", phase.name);
                        report(host, phase.steps, &regime.name, &stage).await?;
                        logs.push((phase.name.clone(), log));
                        // Kept with its scores (deterministic, so the same as
                        // scoring again); older checkpoints have none.
                        let stages = match stages.iter().map(|s| s.0).eq(Condition::STAGES) {
                            true => {
                                report(host, EVAL_UNITS, &regime.name, "after-phase check").await?;
                                stages
                            }
                            false => score_stage(ctx, &trained, host, &regime.name).await?,
                        };
                        (trained, stages)
                    }
                    None => {
                        let (trained, log) =
                            train_phase(world, lengths, phase, model, key, host, &regime.name).await?;
                        out.phases_trained += 1;
                        let stages = score_stage(ctx, &trained, host, &regime.name).await?;
                        if host.keeps_checkpoints() {
                            let weights = checkpoint::weights(&trained).await?;
                            host.keep(
                                key,
                                Checkpoint {
                                    prefix: text(),
                                    weights,
                                    log: log.clone(),
                                    stages: stages.clone(),
                                    stages_for: stage_setup(spec),
                                },
                            )
                            .await;
                        }
                        logs.push((phase.name.clone(), log));
                        (trained, stages)
                    }
                };
                let prefix = Prefix {
                    model: trained,
                    stages,
                };
                cache.insert(key, prefix.clone());
                prefix
            }
        };
        for &(condition, counts) in &prefix.stages {
            out.stages.push(StageRow {
                regime: regime.name.clone(),
                seed,
                phase: index,
                condition,
                counts,
            });
        }
        model = prefix.model;
    }
    for (phase, log) in logs {
        out.logs.push(LogRow {
            regime: regime.name.clone(),
            seed,
            phase,
            log,
        });
    }
    let final_key = *keys.last().expect("validated: regimes have phases");
    for condition in Condition::ALL {
        // The same tasks and sampling noise for every regime at this seed
        // (common random numbers): differences are the models'.
        let mut rng = Rng::new(seed).fork(EVAL_STREAM + condition.stream());
        let setup = condition.setup(&spec.eval, world_spec);
        let scored = if condition == Condition::AfterAttack {
            let attack_seed = Rng::new(final_key).fork(ATTACK_STREAM).next_u64();
            let (attacked, _) = train_phase(
                world,
                lengths,
                &spec.eval.attack,
                model.clone(),
                attack_seed,
                host,
                &regime.name,
            )
            .await?;
            attacked
        } else {
            model.clone()
        };
        let (counts, transcripts) = score(
            world,
            &scored,
            &setup,
            spec.eval.episodes,
            spec.eval.probes,
            &mut rng,
        )
        .await?;
        report(host, EVAL_UNITS, &regime.name, condition.name()).await?;
        out.rows.push(Row {
            regime: regime.name.clone(),
            seed,
            condition,
            counts,
            transcripts,
        });
    }
    if let Some(before) = before {
        let mut rng = Rng::new(seed).fork(DEPTH_STREAM);
        let kl = depth(
            world,
            &before,
            &model,
            &spec.eval.tasks,
            lengths,
            DEPTH_TASKS,
            &mut rng,
        )
        .await?;
        out.depth.push(DepthRow {
            regime: regime.name.clone(),
            seed,
            kl,
        });
    }
    Ok(())
}

/// Run each `(spec, seed)` in turn, reporting to `host`: the one seed loop
/// of every executor (a whole run, a part of one, the page's worker). A part
/// may cut a seed's spec to the regimes it runs.
pub async fn run_seeds(
    runs: &[(&ExperimentSpec, u64)],
    backend: &Backend,
    host: &mut dyn Host,
) -> Result<Vec<SeedOutcome>> {
    let mut outcomes = Vec::with_capacity(runs.len());
    for &(spec, seed) in runs {
        host.seed_started(seed);
        let outcome = run_seed(spec, backend, seed, host).await?;
        host.seed_done(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Run the whole experiment, one seed after another (`on_progress` returns
/// `false` to stop it).
pub async fn run(
    spec: &ExperimentSpec,
    backend: &Backend,
    on_progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<ExperimentResults> {
    spec.validate()?;
    let total = spec.seeds.iter().map(|&s| units_per_seed(spec, s)).sum();
    let runs: Vec<(&ExperimentSpec, u64)> = spec.seeds.iter().map(|&s| (spec, s)).collect();
    let outcomes = run_seeds(&runs, backend, &mut ProgressHost::new(total, on_progress)).await?;
    Ok(ExperimentResults::assemble(spec, backend, outcomes))
}
