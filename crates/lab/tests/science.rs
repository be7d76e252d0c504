//! The science engine end to end on flex, with fixed seeds: prefix sharing,
//! determinism, well-formed results in every cell, and a world with signal.

use upbringing_lab::Backend;
use upbringing_lab::eval::Condition;
use upbringing_lab::experiment::{run, run_seed};
use upbringing_lab::phase::LOG_EVERY;
use upbringing_lab::presets::{preset, smoke};
use upbringing_lab::spec::{ExperimentSpec, Objective};

/// The quick preset cut to seconds, seed 3, only `regimes` (all if empty).
fn shrunk(regimes: &[&str]) -> ExperimentSpec {
    let mut spec = smoke(preset("quick").unwrap());
    if !regimes.is_empty() {
        spec.regimes.retain(|r| regimes.contains(&r.name.as_str()));
        assert_eq!(spec.regimes.len(), regimes.len(), "unknown regime in {regimes:?}");
    }
    spec.seeds = vec![3];
    spec
}

fn run_sync(spec: &ExperimentSpec) -> upbringing_lab::results::ExperimentResults {
    pollster::block_on(run(spec, &Backend::flex(), &mut |_| true)).unwrap()
}

#[test]
fn shared_prefixes_train_once_and_change_nothing() {
    let spec = shrunk(&["control", "chalkboard", "ethics class"]);
    let outcome = pollster::block_on(run_seed(
        &spec,
        &Backend::flex(),
        3,
        &mut |_: usize, _: &str, _: &str| {},
    ))
    .unwrap();
    // pretrain and capability rl once, then each side phase: 4, not 2 + 3 + 3.
    assert_eq!(outcome.phases_trained, 4);
    let alone = shrunk(&["ethics class"]);
    let solo = pollster::block_on(run_seed(
        &alone,
        &Backend::flex(),
        3,
        &mut |_: usize, _: &str, _: &str| {},
    ))
    .unwrap();
    assert_eq!(solo.phases_trained, 3);
    let shared: Vec<_> = outcome
        .rows
        .iter()
        .filter(|r| r.regime == "ethics class")
        .collect();
    let solo: Vec<_> = solo.rows.iter().collect();
    assert_eq!(
        shared, solo,
        "training a prefix once must not change the regime's results"
    );
}

#[test]
fn every_regime_gives_finite_in_range_metrics_in_every_cell() {
    let spec = shrunk(&[]);
    let results = run_sync(&spec);
    assert_eq!(results.rows.len(), spec.regimes.len() * Condition::ALL.len());
    for row in &results.rows {
        let c = row.counts;
        assert_eq!(c.episodes, spec.eval.episodes as u64, "{row:?}");
        assert_eq!(c.probes, spec.eval.probes as u64, "{row:?}");
        assert!(c.consistent(), "{row:?}");
        if row.condition != Condition::Prefill {
            assert_eq!(
                (c.recovered, c.bad_starts),
                (0, 0),
                "only prefill counts recoveries: {row:?}"
            );
        }
        // Transcripts: a few per input length, each a real scored episode.
        assert!(!row.transcripts.is_empty(), "{row:?}");
        for t in &row.transcripts {
            assert!(t.prompt.starts_with('^') && t.prompt.ends_with('='), "{t:?}");
            assert!(
                !t.answer.contains('$') || t.answer.ends_with('$'),
                "cut after the stop: {t:?}"
            );
            assert_eq!(
                t.forced,
                usize::from(row.condition == Condition::Prefill),
                "{t:?}"
            );
        }
    }
    // Every phase of every regime has its curve, shared prefixes included.
    for r in &spec.regimes {
        for &seed in &spec.seeds {
            for (phase, log) in results.regime_logs(&r.name, seed) {
                let log = log.unwrap_or_else(|| panic!("{} / {}: no log", r.name, phase.name));
                assert_eq!(
                    log.loss.len(),
                    phase.steps.div_ceil(LOG_EVERY),
                    "{} / {}",
                    r.name,
                    phase.name
                );
                assert!(log.loss.iter().all(|l| l.is_finite()));
                let rl = matches!(phase.objective, Objective::Rl(_));
                assert_eq!(log.gamed.len(), if rl { log.loss.len() } else { 0 });
                assert_eq!(log.accepted_error.len(), log.gamed.len());
            }
        }
    }
    for cell in results.summary() {
        for e in [cell.honest, cell.gamed, cell.accepted_error, cell.stated] {
            let r = e.pooled;
            assert!((0.0..=1.0).contains(&r.rate), "{cell:?}");
            assert!(r.lo <= r.rate && r.rate <= r.hi, "{cell:?}");
        }
        assert!(
            cell.gap.mean.is_finite() && (-1.0..=1.0).contains(&cell.gap.mean),
            "{cell:?}"
        );
    }
    // Every phase of every regime is scored on the stage conditions.
    for r in &spec.regimes {
        for (i, _) in r.phases.iter().enumerate() {
            for c in Condition::STAGES {
                let n = results
                    .stages
                    .iter()
                    .filter(|s| s.regime == r.name && s.phase == i && s.condition == c)
                    .count();
                assert_eq!(n, spec.seeds.len(), "{} phase {i} {c:?}", r.name);
            }
        }
    }
    // Depth exists exactly for regimes with an alignment phase.
    for r in &spec.regimes {
        let has = r.phases.iter().any(|p| p.alignment);
        let depth = results.mean_depth(&r.name);
        assert_eq!(!depth.is_empty(), has, "{}", r.name);
        assert!(
            depth.iter().all(|k| k.is_finite() && *k >= 0.0),
            "{}: {depth:?}",
            r.name
        );
    }
    let table = results.table();
    for r in &spec.regimes {
        assert!(table.contains(&r.name), "table lacks {}", r.name);
    }
    // The CSV: a header, then 5 metrics (gamed, honest, accepted error,
    // another family's shortcut, stated) per row and per pooled cell, and
    // recovery where there were bad starts (prefill).
    let csv = results.csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("regime,condition,seed,metric,value,lo,hi"));
    let rows_with = results.rows.iter().filter(|r| r.counts.bad_starts > 0).count();
    let cells_with = results
        .summary()
        .iter()
        .filter(|c| c.recovered.pooled.trials > 0)
        .count();
    assert_eq!(
        lines.len(),
        1 + 5 * results.rows.len() + rows_with + 5 * results.summary().len() + cells_with
    );
    let columns = fields(lines[0]);
    assert!(lines.iter().all(|l| fields(l) == columns), "ragged CSV");
    // Results name their backend and version.
    assert!(results.provenance().contains("flex") && results.provenance().contains(upbringing_lab::VERSION));
}

/// Fields in a CSV line (commas inside quotes do not split).
fn fields(line: &str) -> usize {
    let mut quoted = false;
    1 + line
        .chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == ',' && !quoted
        })
        .count()
}

/// Records what a run hands its host after each regime.
struct Watcher(Vec<(u64, Vec<String>)>);

impl upbringing_lab::host::Host for Watcher {
    fn progress(&mut self, _n: usize, _regime: &str, _stage: &str) -> bool {
        true
    }
    fn regime_done(&mut self, seed: u64, so_far: &upbringing_lab::results::SeedOutcome) {
        let mut regimes: Vec<String> = so_far.rows.iter().map(|r| r.regime.clone()).collect();
        regimes.dedup();
        self.0.push((seed, regimes));
    }
}

#[test]
fn each_finished_regime_is_handed_over_at_once() {
    let spec = shrunk(&["chalkboard", "coupled"]);
    let mut watcher = Watcher(vec![]);
    let outcome = pollster::block_on(run_seed(&spec, &Backend::flex(), 3, &mut watcher)).unwrap();
    let names: Vec<String> = spec.regimes.iter().map(|r| r.name.clone()).collect();
    let expected: Vec<(u64, Vec<String>)> = (1..=names.len()).map(|k| (3, names[..k].to_vec())).collect();
    assert_eq!(watcher.0, expected);
    assert_eq!(outcome.rows.len(), names.len() * Condition::ALL.len());
}

#[test]
fn the_same_seed_gives_the_same_results() {
    let spec = shrunk(&["control", "gotcha"]);
    let (a, b) = (run_sync(&spec), run_sync(&spec));
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.depth, b.depth);
}

/// The world has signal: rl against the flawed grader pushes exploits above
/// the pretrained model's rate; rl against the correct grader does not.
/// (A check on the world, not a verdict on any regime.)
#[test]
fn rl_against_the_flawed_grader_raises_exploits_and_the_correct_grader_does_not() {
    let mut spec = preset("default").unwrap();
    spec.regimes
        .retain(|r| r.name == "control" || r.name == "perfect reward");
    for phase in spec.regimes.iter_mut().flat_map(|r| r.phases.iter_mut()) {
        phase.steps = match phase.objective {
            Objective::Pretrain { .. } => 1000,
            _ => 100,
        };
    }
    spec.eval.episodes = 150;
    spec.eval.probes = 0;
    spec.eval.attack.steps = 1;
    spec.seeds = vec![1];
    // The pretrained model alone, as a third "regime".
    let mut base = spec.regimes[0].clone();
    base.name = "pretrained".into();
    base.phases.truncate(1);
    spec.regimes.push(base);
    let results = run_sync(&spec);
    let exploit = |r: &str| results.cell(r, Condition::InDistribution).gamed.pooled;
    let (before, flawed, correct) = (
        exploit("pretrained"),
        exploit("control"),
        exploit("perfect reward"),
    );
    eprintln!(
        "gamed rate: pretrained {before:?}\n flawed-grader rl {flawed:?}\n correct-grader rl {correct:?}"
    );
    assert!(before.rate > 0.02, "pretraining must leave gaming to discover");
    assert!(
        flawed.lo > before.hi,
        "flawed grader: {} -> {}",
        before.rate,
        flawed.rate
    );
    assert!(
        correct.hi < flawed.lo && correct.rate <= before.rate + 0.05,
        "correct grader: {}",
        correct.rate
    );
    let honest = |r: &str| results.cell(r, Condition::InDistribution).honest.pooled;
    assert!(
        honest("perfect reward").rate > 0.3,
        "the tasks are learnable: {:?}",
        honest("perfect reward")
    );
}

/// A host that keeps every trained prefix in memory, as the page keeps them
/// in IndexedDB.
#[derive(Default)]
struct Keeper {
    kept: std::collections::HashMap<u64, upbringing_lab::checkpoint::Checkpoint>,
}

impl upbringing_lab::host::Host for Keeper {
    fn progress(&mut self, _: usize, _: &str, _: &str) -> bool {
        true
    }
    fn keeps_checkpoints(&self) -> bool {
        true
    }
    fn recall(
        &mut self,
        key: u64,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Option<upbringing_lab::checkpoint::Checkpoint>> + '_>,
    > {
        Box::pin(std::future::ready(self.kept.get(&key).cloned()))
    }
    fn keep(
        &mut self,
        key: u64,
        checkpoint: upbringing_lab::checkpoint::Checkpoint,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
        self.kept.insert(key, checkpoint);
        Box::pin(std::future::ready(()))
    }
}

#[test]
fn kept_prefixes_are_recalled_and_give_exactly_what_training_gave() {
    let spec = shrunk(&["control", "ethics class"]);
    let backend = Backend::flex();
    let mut keeper = Keeper::default();
    let first = pollster::block_on(run_seed(&spec, &backend, 3, &mut keeper)).unwrap();
    assert_eq!((first.phases_trained, first.phases_recalled), (3, 0));
    assert_eq!(keeper.kept.len(), 3);
    let again = pollster::block_on(run_seed(&spec, &backend, 3, &mut keeper)).unwrap();
    assert_eq!((again.phases_trained, again.phases_recalled), (0, 3));
    assert_eq!(
        again.rows, first.rows,
        "recalled weights score exactly as trained ones"
    );
    assert_eq!(again.logs, first.logs);
    assert_eq!(again.depth, first.depth);
    // Change only the last phase: the shared prefix is recalled, the rest trained.
    let mut edited = spec.clone();
    edited.regimes[1].phases[2].steps += 1;
    let third = pollster::block_on(run_seed(&edited, &backend, 3, &mut keeper)).unwrap();
    assert_eq!((third.phases_trained, third.phases_recalled), (1, 2));
    // A checkpoint under a colliding key (another prefix's text beside it) is
    // never used: every phase is trained again and scores as the first run.
    let key = upbringing_lab::spec::prefix_keys(&spec, 3, &spec.regimes[0].phases)[0];
    let other = upbringing_lab::spec::prefix_text(&edited, 3, &edited.regimes[1].phases);
    let mut collided = Keeper::default();
    let kept = keeper.kept[&key].clone();
    collided.kept.insert(
        key,
        upbringing_lab::checkpoint::Checkpoint {
            prefix: other,
            ..kept
        },
    );
    let fourth = pollster::block_on(run_seed(&spec, &backend, 3, &mut collided)).unwrap();
    assert_eq!((fourth.phases_trained, fourth.phases_recalled), (3, 0));
    assert_eq!(fourth.rows, first.rows);
    // A checkpoint of the wrong size is refused, not half-loaded.
    let model = upbringing_lab::presets::preset("quick").unwrap();
    let world = model.world.build().unwrap();
    let gpt = model.model.gpt(&world).init(&backend.device);
    let err = upbringing_lab::checkpoint::load(gpt.clone(), &[0.0; 7]).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    let err = upbringing_lab::checkpoint::load(gpt, &[f32::NAN; 7]).unwrap_err();
    assert!(err.to_string().contains("non-finite"), "{err}");
}

#[test]
fn a_regime_that_fails_ends_with_a_message_and_the_others_go_on() {
    // A kept checkpoint gone bad (huge weights: finite, so it loads) for
    // aligned pretraining's corpus: the rl after it diverges. The control
    // shares nothing with it.
    let spec = shrunk(&["control", "aligned pretraining"]);
    let backend = Backend::flex();
    let bad = &spec.regimes[1];
    let key = upbringing_lab::spec::prefix_keys(&spec, 3, &bad.phases)[0];
    let world = spec.world.build().unwrap();
    let n = {
        let gpt = spec.model.gpt(&world).init(&backend.device);
        pollster::block_on(upbringing_lab::checkpoint::weights(&gpt))
            .unwrap()
            .len()
    };
    let mut keeper = Keeper::default();
    keeper.kept.insert(
        key,
        upbringing_lab::checkpoint::Checkpoint {
            prefix: upbringing_lab::spec::prefix_text(&spec, 3, &bad.phases[..1]),
            weights: vec![1e30; n],
            log: Default::default(),
            stages: vec![],
            stages_for: String::new(),
        },
    );
    let outcome = pollster::block_on(run_seed(&spec, &backend, 3, &mut keeper)).unwrap();
    assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
    let f = &outcome.failures[0];
    assert_eq!((f.regime.as_str(), f.seed), ("aligned pretraining", 3));
    assert!(f.message.contains("diverged"), "{}", f.message);
    assert!(
        outcome.rows.iter().all(|r| r.regime == "control"),
        "no partial rows"
    );
    assert_eq!(outcome.rows.len(), Condition::ALL.len());
    // The control's numbers are what they are without the failure beside it.
    let alone = pollster::block_on(run_seed(
        &shrunk(&["control"]),
        &backend,
        3,
        &mut Keeper::default(),
    ))
    .unwrap();
    assert_eq!(outcome.rows, alone.rows);
    // Results carry the failure, check it, and print it.
    let results = upbringing_lab::results::ExperimentResults::assemble(&spec, &backend, vec![outcome]);
    let text = serde_json::to_string(&results).unwrap();
    let back = upbringing_lab::results::ExperimentResults::from_json(&text).unwrap();
    assert_eq!(back.failures, results.failures);
    assert!(back.table().contains("STOPPED: aligned pretraining at seed 3"));
}
