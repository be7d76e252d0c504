//! Training curves per regime: loss over all its phases, and the honest and
//! gamed rates of the episodes its rl phases sampled. Read from finished
//! results (mean over seeds) or from a run's live logs (the seed in
//! training). Plain data; the view draws it.

use std::collections::HashMap;

use upbringing_lab::phase::LOG_EVERY;
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::results::PhaseLog;
use upbringing_lab::spec::{ExperimentSpec, PhaseSpec, prefix_keys};

/// Which curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    Loss,
    /// rl phases: share of sampled episodes solved correctly.
    Honest,
    /// rl phases: share of sampled episodes that gamed the flawed grader.
    Gamed,
}

impl Series {
    pub const ALL: [Self; 3] = [Self::Loss, Self::Honest, Self::Gamed];

    pub fn label(self) -> &'static str {
        match self {
            Self::Loss => "training loss",
            Self::Honest => "honest episodes in rl",
            Self::Gamed => "gamed episodes in rl",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Loss => "loss",
            Self::Honest => "honest",
            Self::Gamed => "gamed",
        }
    }

    fn of(self, log: &PhaseLog) -> &[f32] {
        match self {
            Self::Loss => &log.loss,
            Self::Honest => &log.honest,
            Self::Gamed => &log.gamed,
        }
    }
}

/// One regime's curve: (step within the regime, value) points, and where
/// each phase starts (for labels).
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub regime: String,
    pub points: Vec<(usize, f32)>,
    pub phases: Vec<(usize, String)>,
}

/// A point of a phase's log stands for the block of steps that ends here.
fn block_end(start: usize, steps: usize, block: usize) -> usize {
    start + ((block + 1) * LOG_EVERY).min(steps)
}

fn curve(regime: &str, phases: &[(&PhaseSpec, Vec<&PhaseLog>)], series: Series) -> Curve {
    let mut out = Curve {
        regime: regime.into(),
        points: vec![],
        phases: vec![],
    };
    let mut start = 0;
    for (phase, logs) in phases {
        out.phases.push((start, phase.name.clone()));
        // Mean over the logs (seeds) that have this block.
        let blocks = logs.iter().map(|l| series.of(l).len()).min().unwrap_or(0);
        for b in 0..blocks {
            let mean = logs.iter().map(|l| series.of(l)[b]).sum::<f32>() / logs.len() as f32;
            out.points.push((block_end(start, phase.steps, b), mean));
        }
        start += phase.steps;
    }
    out
}

/// Each regime's phases by what trained them: `keys[r][i]` is the engine's
/// prefix key of regime `r`'s phases up to `i` (names aside), so two regimes
/// share a key exactly where they share a trained prefix. Any one seed's
/// keys tell prefixes apart as well as another's.
fn prefix_keys_of(spec: &ExperimentSpec) -> Vec<Vec<u64>> {
    spec.regimes
        .iter()
        .map(|r| prefix_keys(spec, 0, &r.phases))
        .collect()
}

/// Every phase's log for one seed, where it was trained: each regime's
/// phases are matched to the first regime (in the spec's order) that kept
/// a log of the same training, through a table of prefix keys built once
/// (the engine's `regime_logs`, asked once per regime and seed, scans every
/// regime and every log each time: cubic in the regimes, minutes for a
/// shared link of 1,400). `kept(r)` is regime `r`'s own logs at this seed,
/// each with the phase it is for.
fn logs_by_training<'a>(
    keys: &[Vec<u64>],
    kept: impl Fn(usize) -> Vec<(usize, &'a PhaseLog)>,
) -> Vec<Vec<Option<&'a PhaseLog>>> {
    let mut trained: HashMap<u64, &PhaseLog> = HashMap::new();
    for (r, regime_keys) in keys.iter().enumerate() {
        for (i, log) in kept(r) {
            trained.entry(regime_keys[i]).or_insert(log);
        }
    }
    keys.iter()
        .map(|k| k.iter().map(|key| trained.get(key).copied()).collect())
        .collect()
}

/// Every regime's curve, averaged over the seeds of `results`.
pub fn from_results(results: &ExperimentResults, series: Series) -> Vec<Curve> {
    let spec = &results.spec;
    let keys = prefix_keys_of(spec);
    // Each (regime, seed)'s log rows, in order: its last phases, as the
    // engine keeps them (a shared prefix is logged by the regime that
    // trained it first).
    let mut rows: HashMap<(&str, u64), Vec<&PhaseLog>> = HashMap::new();
    for l in &results.logs {
        rows.entry((&l.regime, l.seed)).or_default().push(&l.log);
    }
    let per_seed: Vec<Vec<Vec<Option<&PhaseLog>>>> = spec
        .seeds
        .iter()
        .map(|&seed| {
            logs_by_training(&keys, |r| {
                let regime = &spec.regimes[r];
                let logs = rows
                    .get(&(regime.name.as_str(), seed))
                    .map_or(&[][..], |v| &v[..]);
                let Some(first) = regime.phases.len().checked_sub(logs.len()) else {
                    return vec![];
                };
                logs.iter()
                    .enumerate()
                    .map(|(j, log)| (first + j, *log))
                    .collect()
            })
        })
        .collect();
    spec.regimes
        .iter()
        .enumerate()
        .map(|(r, regime)| {
            let phases: Vec<(&PhaseSpec, Vec<&PhaseLog>)> = regime
                .phases
                .iter()
                .enumerate()
                .map(|(i, p)| (p, per_seed.iter().filter_map(|logs| logs[r][i]).collect()))
                .collect();
            curve(&regime.name, &phases, series)
        })
        .collect()
}

/// A phase's log as a run reports it, point by point.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveLog {
    pub seed: u64,
    pub regime: String,
    pub phase: String,
    pub log: PhaseLog,
}

/// Every regime's curve so far at `seed`, from live logs. A phase shared
/// with an earlier regime is reported once, under that regime's name: it is
/// found there by its prefix key, as the engine's reuse finds it.
pub fn from_live(spec: &ExperimentSpec, live: &[LiveLog], seed: u64, series: Series) -> Vec<Curve> {
    let keys = prefix_keys_of(spec);
    let mut reported: HashMap<(&str, &str), &PhaseLog> = HashMap::new();
    for l in live.iter().filter(|l| l.seed == seed) {
        reported.entry((&l.regime, &l.phase)).or_insert(&l.log);
    }
    let logs = logs_by_training(&keys, |r| {
        let regime = &spec.regimes[r];
        regime
            .phases
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, *reported.get(&(regime.name.as_str(), p.name.as_str()))?)))
            .collect()
    });
    spec.regimes
        .iter()
        .enumerate()
        .map(|(r, regime)| {
            let phases: Vec<(&PhaseSpec, Vec<&PhaseLog>)> = regime
                .phases
                .iter()
                .zip(&logs[r])
                .map(|(p, log)| (p, log.iter().copied().collect()))
                .collect();
            curve(&regime.name, &phases, series)
        })
        .collect()
}

/// The largest value among `curves` (for the y axis), at least `floor`.
pub fn top(curves: &[Curve], floor: f32) -> f32 {
    curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(floor, f32::max)
}

/// The last step any curve reaches.
pub fn last_step(curves: &[Curve]) -> usize {
    curves
        .iter()
        .filter_map(|c| c.points.last().map(|p| p.0))
        .max()
        .unwrap_or(0)
}

/// The value of `curve` at the last point at or before `step`.
pub fn value_at(curve: &Curve, step: usize) -> Option<f32> {
    curve
        .points
        .iter()
        .take_while(|p| p.0 <= step)
        .last()
        .map(|p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use upbringing_lab::presets;

    fn log(n: usize, v: f32, rl: bool) -> PhaseLog {
        PhaseLog {
            loss: vec![v; n],
            honest: if rl { vec![0.5; n] } else { vec![] },
            gamed: if rl { vec![v / 10.0; n] } else { vec![] },
            accepted_error: if rl { vec![0.0; n] } else { vec![] },
        }
    }

    /// Curves as they were read before the table of prefix keys: each
    /// regime's logs asked of the engine's `regime_logs`, seed by seed.
    fn from_results_by_scanning(results: &ExperimentResults, series: Series) -> Vec<Curve> {
        results
            .spec
            .regimes
            .iter()
            .map(|r| {
                let per_seed: Vec<_> = results
                    .spec
                    .seeds
                    .iter()
                    .map(|&s| results.regime_logs(&r.name, s))
                    .collect();
                let phases: Vec<(&PhaseSpec, Vec<&PhaseLog>)> = r
                    .phases
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p, per_seed.iter().filter_map(|logs| logs.get(i)?.1).collect()))
                    .collect();
                curve(&r.name, &phases, series)
            })
            .collect()
    }

    fn shipped(name: &str) -> ExperimentResults {
        let path = format!("{}/../../web/precomputed/{name}.json", env!("CARGO_MANIFEST_DIR"));
        ExperimentResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn curves_match_the_engines_regime_logs() {
        let default = shipped("default");
        // Renamed, reordered and repeated regimes answered by the shipped
        // results: their logs are found under the regimes that kept them.
        let mut mixed = presets::preset("default").unwrap();
        mixed.regimes.reverse();
        mixed.regimes.truncate(6);
        let copy = spec_regime_renamed(&mixed, 2, "again");
        mixed.regimes.push(copy);
        let answered = ExperimentResults::answer(&[&default], &mixed).unwrap();
        let mut some = 0;
        for results in [&default, &shipped("quick"), &answered] {
            for series in Series::ALL {
                let curves = from_results(results, series);
                assert_eq!(curves, from_results_by_scanning(results, series), "{series:?}");
                some += curves.iter().filter(|c| !c.points.is_empty()).count();
            }
        }
        assert!(some > 20, "the comparison saw curves: {some}");
    }

    fn spec_regime_renamed(spec: &ExperimentSpec, r: usize, name: &str) -> upbringing_lab::spec::RegimeSpec {
        let mut x = spec.regimes[r].clone();
        x.name = name.into();
        x
    }

    #[test]
    fn live_curves_match_a_scan_of_every_regime() {
        let spec = presets::preset("default").unwrap();
        // A run part-way: every phase of the first regimes at seed 0, a few at seed 1.
        let mut live = vec![];
        for (k, r) in spec.regimes.iter().enumerate().take(9) {
            for (i, p) in r.phases.iter().enumerate() {
                live.push(LiveLog {
                    seed: (k % 3 == 2) as u64,
                    regime: r.name.clone(),
                    phase: p.name.clone(),
                    log: log(2 + i, 1.0 + k as f32, i > 0),
                });
            }
        }
        for seed in [0, 1, 2] {
            let scanned: Vec<Curve> = spec
                .regimes
                .iter()
                .map(|r| {
                    let phases: Vec<(&PhaseSpec, Vec<&PhaseLog>)> = r
                        .phases
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let log = spec.regimes.iter().find_map(|q| {
                                let shared = q.phases.len() > i
                                    && upbringing_lab::spec::same_training(&q.phases[..=i], &r.phases[..=i]);
                                if !shared {
                                    return None;
                                }
                                live.iter()
                                    .find(|l| {
                                        l.seed == seed && l.regime == q.name && l.phase == q.phases[i].name
                                    })
                                    .map(|l| &l.log)
                            });
                            (p, log.into_iter().collect())
                        })
                        .collect();
                    curve(&r.name, &phases, Series::Loss)
                })
                .collect();
            assert_eq!(
                from_live(&spec, &live, seed, Series::Loss),
                scanned,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn live_curves_find_shared_phases_under_the_regime_that_trained_them() {
        let spec = presets::preset("inoculated").unwrap(); // control, inoculated
        let [pre, rl] = [&spec.regimes[0].phases[0], &spec.regimes[0].phases[1]];
        let live = vec![
            LiveLog {
                seed: 0,
                regime: "control".into(),
                phase: pre.name.clone(),
                log: log(pre.steps.div_ceil(LOG_EVERY), 2.0, false),
            },
            LiveLog {
                seed: 0,
                regime: "control".into(),
                phase: rl.name.clone(),
                log: log(3, 1.0, true),
            },
        ];
        let curves = from_live(&spec, &live, 0, Series::Loss);
        // The inoculated regime shares the pretraining, not the rl.
        assert_eq!(curves[1].points.len(), pre.steps.div_ceil(LOG_EVERY));
        assert_eq!(curves[0].points.len(), pre.steps.div_ceil(LOG_EVERY) + 3);
        // Steps run on across phases; a point ends its block.
        assert_eq!(curves[0].points[0], (LOG_EVERY, 2.0));
        assert_eq!(curves[0].points.last().unwrap().0, pre.steps + 3 * LOG_EVERY);
        assert_eq!(curves[0].phases[1], (pre.steps, rl.name.clone()));
        let exploit = from_live(&spec, &live, 0, Series::Gamed);
        assert_eq!(exploit[0].points.len(), 3, "only rl phases sample episodes");
        assert_eq!(value_at(&exploit[0], pre.steps + 2 * LOG_EVERY), Some(0.1));
        assert_eq!(value_at(&exploit[0], 0), None);
        assert!(
            from_live(&spec, &live, 1, Series::Loss)[0].points.is_empty(),
            "other seed"
        );
        assert_eq!(top(&curves, 0.0), 2.0);
    }
}
