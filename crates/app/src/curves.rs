//! Training curves per regime: loss over all its phases, and the honest and
//! gamed rates of the episodes its rl phases sampled. Read from finished
//! results (mean over seeds) or from a run's live logs (the seed in
//! training). Plain data; the view draws it.

use upbringing_lab::phase::{LOG_EVERY, PhaseLog};
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::spec::{ExperimentSpec, PhaseSpec, same_training};

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

/// Every regime's curve, averaged over the seeds of `results`.
pub fn from_results(results: &ExperimentResults, series: Series) -> Vec<Curve> {
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
/// found there by matching the phases up to it (names aside), as the
/// engine's prefix keys do.
pub fn from_live(spec: &ExperimentSpec, live: &[LiveLog], seed: u64, series: Series) -> Vec<Curve> {
    spec.regimes
        .iter()
        .map(|r| {
            let phases: Vec<(&PhaseSpec, Vec<&PhaseLog>)> = r
                .phases
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let log = spec.regimes.iter().find_map(|q| {
                        let shared = q.phases.len() > i && same_training(&q.phases[..=i], &r.phases[..=i]);
                        if !shared {
                            return None;
                        }
                        live.iter()
                            .find(|l| l.seed == seed && l.regime == q.name && l.phase == q.phases[i].name)
                            .map(|l| &l.log)
                    });
                    (p, log.into_iter().collect())
                })
                .collect();
            curve(&r.name, &phases, series)
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
