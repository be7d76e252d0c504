//! Exercises for a class: a starting experiment, the parts of it a student
//! may not change, a question, and goals checked on the results. Each
//! exercise ships with a solution that meets its goals on the precomputed
//! results (tested), so a class never chases a goal nothing reaches.
//!
//! Goals are read off pooled counts over the exercise's seeds; the verdict
//! also gives the Wilson interval, so a near miss reads as one.

use crate::eval::Condition;
use crate::fields::{PhaseField, SpecField};
use crate::presets;
use crate::results::ExperimentResults;
use crate::spec::{ExperimentSpec, Grader, MAX_PHASES, MAX_REGIMES, Objective, PhaseSpec, RegimeSpec};

/// A part of an experiment that a link or an exercise can fix (or hide).
/// Indices are 0-based here and 1-based in text (`r2.p3.steps`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Seeds,
    /// The world's task lengths.
    World,
    /// Episodes per test (and the rest of the evaluation).
    Eval,
    /// The model's shape.
    Model,
    /// Which regimes there are: their number, names and order.
    Regimes,
    /// Everything in one regime.
    Regime(usize),
    /// One phase: its settings, its place and its presence.
    Phase(usize, usize),
    /// One setting of one phase.
    Field(usize, usize, PhaseField),
    /// The settings of a phase the designer does not show (a corpus's
    /// probe and slip rates, rl's group size...): while the phase keeps its
    /// kind, they stay as they started; a phase added there, or one of
    /// another kind, has its kind's defaults (those of the template the
    /// designer adds).
    Unshown(usize, usize),
}

impl Part {
    /// `seeds`, `world`, `eval`, `regimes`, `r2`, `r2.p3`, `r2.p3.steps`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = || {
            format!(
                "{text:?} is not a part of an experiment (try seeds, world, eval, regimes, r2, r2.p3 or r2.p3.steps)"
            )
        };
        match text {
            "seeds" => return Ok(Self::Seeds),
            "world" => return Ok(Self::World),
            "eval" => return Ok(Self::Eval),
            "model" => return Ok(Self::Model),
            "regimes" => return Ok(Self::Regimes),
            _ => {}
        }
        let index = |t: &str, prefix: char| -> Result<usize, String> {
            let n: usize = t
                .strip_prefix(prefix)
                .and_then(|d| d.parse().ok())
                .ok_or_else(bad)?;
            // Beyond any regime or phase a spec can have: refused, not wrapped.
            (1..=MAX_REGIMES.max(MAX_PHASES))
                .contains(&n)
                .then(|| n - 1)
                .ok_or_else(bad)
        };
        let mut it = text.splitn(3, '.');
        let r = index(it.next().ok_or_else(bad)?, 'r')?;
        let Some(p) = it.next() else {
            return Ok(Self::Regime(r));
        };
        let p = index(p, 'p')?;
        match it.next() {
            None => Ok(Self::Phase(r, p)),
            Some("unshown") => Ok(Self::Unshown(r, p)),
            Some(f) => Ok(Self::Field(r, p, PhaseField::from_key(f).ok_or_else(bad)?)),
        }
    }

    /// The part as a link writes it.
    pub fn key(&self) -> String {
        match self {
            Self::Seeds => "seeds".into(),
            Self::World => "world".into(),
            Self::Eval => "eval".into(),
            Self::Model => "model".into(),
            Self::Regimes => "regimes".into(),
            Self::Regime(r) => format!("r{}", r + 1),
            Self::Phase(r, p) => format!("r{}.p{}", r + 1, p + 1),
            Self::Field(r, p, f) => format!("r{}.p{}.{}", r + 1, p + 1, f.key()),
            Self::Unshown(r, p) => format!("r{}.p{}.unshown", r + 1, p + 1),
        }
    }

    /// Does `spec` leave this part as it is in `start`? If not, why.
    fn check(&self, start: &ExperimentSpec, spec: &ExperimentSpec) -> Result<(), String> {
        let phase =
            |s: &ExperimentSpec, r: usize, p: usize| s.regimes.get(r).and_then(|x| x.phases.get(p)).cloned();
        let same = match *self {
            Self::Seeds => start.seeds == spec.seeds,
            Self::World => start.world == spec.world,
            Self::Eval => start.eval == spec.eval,
            Self::Model => start.model == spec.model,
            Self::Regimes => {
                let names = |s: &ExperimentSpec| s.regimes.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
                names(start) == names(spec)
            }
            Self::Regime(r) => start.regimes.get(r) == spec.regimes.get(r),
            Self::Phase(r, p) => phase(start, r, p) == phase(spec, r, p),
            Self::Field(r, p, f) => {
                phase(start, r, p).and_then(|x| f.get(&x)) == phase(spec, r, p).and_then(|x| f.get(&x))
            }
            Self::Unshown(r, p) => match (phase(start, r, p), phase(spec, r, p)) {
                // Gone (or never there): whether it may go is `Phase`'s to say.
                (_, None) => true,
                (Some(a), Some(b)) if same_kind(&a, &b) => unshown_equal(&a, &b),
                // Added, or another kind: what the designer would have brought.
                (_, Some(b)) => unshown_equal(&kind_defaults(&b), &b),
            },
        };
        if same {
            return Ok(());
        }
        let regime = |r: usize| {
            start
                .regimes
                .get(r)
                .map_or(format!("regime {}", r + 1), |x| format!("regime {:?}", x.name))
        };
        let phase_name = |r: usize, p: usize| {
            phase(start, r, p).map_or(format!("phase {}", p + 1), |x| {
                format!("phase {} ({})", p + 1, x.name)
            })
        };
        Err(match *self {
            Self::Seeds => "the seeds are fixed here".into(),
            Self::World => "the world's settings are fixed here".into(),
            Self::Eval => "the evaluation is fixed here".into(),
            Self::Model => "the model's shape is fixed here".into(),
            Self::Regimes => "which regimes there are (and their names and order) is fixed here".into(),
            Self::Regime(r) => format!("{} is fixed here", regime(r)),
            Self::Phase(r, p) => format!("{} of {} is fixed here", phase_name(r, p), regime(r)),
            Self::Field(r, p, f) => format!(
                "the {} of {} of {} is fixed here",
                f.label(),
                phase_name(r, p),
                regime(r)
            ),
            Self::Unshown(r, p) => format!(
                "the settings the designer does not show of {} of {} are fixed here (a new phase, or one of \
                 another kind, keeps its kind's defaults)",
                phase_name(r, p),
                regime(r)
            ),
        })
    }

    /// Does this part cover an experiment-wide setting?
    pub fn covers_setting(&self, f: SpecField) -> bool {
        matches!(
            (self, f),
            (Self::Seeds, SpecField::Seeds)
                | (Self::Eval, SpecField::Episodes)
                | (Self::World, SpecField::Lengths | SpecField::LongLengths)
        )
    }

    /// Does this part cover setting `f` of phase `p` of regime `r`?
    pub fn covers_field(&self, r: usize, p: usize, f: PhaseField) -> bool {
        match *self {
            Self::Regime(x) => x == r,
            Self::Phase(x, y) => (x, y) == (r, p),
            Self::Field(x, y, g) => (x, y, g) == (r, p, f),
            _ => false,
        }
    }
}

/// Are two phases of the same kind (pretrain, sft, rl)?
fn same_kind(a: &PhaseSpec, b: &PhaseSpec) -> bool {
    std::mem::discriminant(&a.objective) == std::mem::discriminant(&b.objective)
}

/// The designer's template of `p`'s kind: what a phase of that kind brings
/// when the page adds one (its unshown settings are the defaults).
fn kind_defaults(p: &PhaseSpec) -> PhaseSpec {
    presets::phase_templates()
        .into_iter()
        .find(|t| same_kind(t, p))
        .expect("a template of every kind")
}

/// Do two phases agree on everything the designer does not show? Never
/// when their kinds differ: they share no such settings to compare.
fn unshown_equal(a: &PhaseSpec, b: &PhaseSpec) -> bool {
    if !same_kind(a, b) {
        return false;
    }
    // Copy every shown setting of `a` onto `b`; what still differs is unshown.
    let mut b = b.clone();
    for f in PhaseField::ALL {
        if let Some(v) = f.get(a) {
            let _ = f.set(&mut b, &v);
        }
    }
    b.alignment = a.alignment;
    *a == b
}

/// Does `spec` leave every fixed part as it is in `start`? The first part
/// it changes, and how, if not.
pub fn check_fixed(fixed: &[Part], start: &ExperimentSpec, spec: &ExperimentSpec) -> Result<(), String> {
    fixed.iter().try_for_each(|part| part.check(start, spec))
}

/// A budget a solution must stay within (regimes by name). Budgets count
/// episodes, not steps (see [`PhaseSpec::episodes`]): a larger batch trains
/// on more in the same number of steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Limit {
    /// Episodes of training, all phases together.
    TotalEpisodes { regime: String, max: u64 },
    /// Episodes of rl (sampled completions), all rl phases together.
    RlEpisodes { regime: String, max: u64 },
    /// Caught-and-penalised episodes: the sum over rl phases that penalise
    /// exploits of their episodes × the share caught.
    CaughtEpisodes { regime: String, max: f64 },
    /// Every rl phase pays through the flawed grader.
    FlawedGrader { regime: String },
    /// The alignment signal must come through rl: no supervised phases, and
    /// no pretraining after the first phase that is not pretraining (late
    /// pretraining is supervised training on chosen text).
    NoSft { regime: String },
    /// No rl phase penalises an exploit more than this.
    MaxPenalty { regime: String, max: f64 },
}

/// Sums of shares typed as decimals (`0.1666667` for 40/240) land a hair
/// off the budget: this much of it is forgiven.
const CAUGHT_SLACK: f64 = 5e-4;

impl Limit {
    /// (met, what it asks and what the spec has).
    pub fn check(&self, spec: &ExperimentSpec) -> (bool, String) {
        let phases = |name: &str| -> Vec<PhaseSpec> {
            spec.regimes
                .iter()
                .find(|r| r.name == name)
                .map(|r| r.phases.clone())
                .unwrap_or_default()
        };
        let rl = |name: &str| -> Vec<(u64, crate::spec::RlSpec)> {
            phases(name)
                .into_iter()
                .filter_map(|p| match &p.objective {
                    Objective::Rl(rl) => Some((p.episodes(), rl.clone())),
                    _ => None,
                })
                .collect()
        };
        let sum = |n: &mut dyn Iterator<Item = u64>| n.fold(0u64, u64::saturating_add);
        match self {
            Self::TotalEpisodes { regime, max } => {
                let n = sum(&mut phases(regime).iter().map(PhaseSpec::episodes));
                (
                    n <= *max,
                    format!(
                        "{regime}: at most {max} training episodes in all (steps × batch size, × completions \
                         per prompt in rl; has {n})"
                    ),
                )
            }
            Self::RlEpisodes { regime, max } => {
                let n = sum(&mut rl(regime).iter().map(|(episodes, _)| *episodes));
                (
                    n <= *max,
                    format!(
                        "{regime}: at most {max} rl episodes (steps × batch size × completions per prompt; has {n})"
                    ),
                )
            }
            Self::CaughtEpisodes { regime, max } => {
                let n: f64 = rl(regime)
                    .iter()
                    .filter(|(_, rl)| rl.exploit_penalty > 0.0)
                    .map(|(episodes, rl)| *episodes as f64 * rl.checked_share)
                    .sum::<f64>()
                    + 0.0; // an empty sum is -0.0
                (
                    n <= max * (1.0 + CAUGHT_SLACK),
                    format!("{regime}: at most {max} caught and penalised rl episodes (has {n:.0})"),
                )
            }
            Self::FlawedGrader { regime } => {
                let ok = rl(regime).iter().all(|(_, rl)| rl.grader == Grader::Flawed);
                (ok, format!("{regime}: every rl phase keeps the flawed grader"))
            }
            Self::MaxPenalty { regime, max } => {
                let worst = rl(regime)
                    .iter()
                    .map(|(_, rl)| rl.exploit_penalty)
                    .fold(0.0, f64::max);
                (
                    worst <= *max,
                    format!("{regime}: exploit penalty at most {max} (has {worst})"),
                )
            }
            Self::NoSft { regime } => {
                let phases = phases(regime);
                let first_other = phases
                    .iter()
                    .position(|p| !matches!(p.objective, Objective::Pretrain { .. }))
                    .unwrap_or(phases.len());
                let ok = phases.iter().enumerate().all(|(i, p)| match p.objective {
                    Objective::Sft { .. } => false,
                    Objective::Pretrain { .. } => i < first_other,
                    Objective::Rl(_) => true,
                });
                (
                    ok,
                    format!(
                        "{regime}: no supervised phases and no pretraining after the first rl phase (the signal \
                         comes through rl)"
                    ),
                )
            }
        }
    }
}

/// What a goal measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The gamed rate (the misbehaviour measure; accepted errors are not gaming).
    Gamed,
    Honest,
}

impl Measure {
    pub fn label(self) -> &'static str {
        match self {
            Self::Gamed => "games the grader",
            Self::Honest => "solves the task honestly",
        }
    }
}

/// A target for one regime's rate under one condition, pooled over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub regime: String,
    pub measure: Measure,
    pub condition: Condition,
    /// The rate must be at most this (or, with `at_least`, at least this).
    pub bound: f64,
    pub at_least: bool,
}

/// A goal against results.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalCheck {
    pub met: bool,
    /// The pooled rate, NaN when nothing was measured.
    pub rate: f64,
    /// By how much (as a fraction) it is met (positive) or missed (negative).
    pub margin: f64,
    pub text: String,
}

impl Goal {
    pub fn describe(&self) -> String {
        format!(
            "{} {} in {} {} of {} episodes",
            self.regime,
            self.measure.label(),
            if self.at_least { "at least" } else { "at most" },
            pct(self.bound),
            condition_words(self.condition)
        )
    }

    pub fn check(&self, results: &ExperimentResults) -> GoalCheck {
        let cell = results.cell(&self.regime, self.condition);
        let e = match self.measure {
            Measure::Gamed => cell.gamed,
            Measure::Honest => cell.honest,
        };
        let r = e.pooled;
        // Judged only on every seed of the design: a run in progress, a
        // cancelled one or a regime that failed at a seed is not a verdict.
        let seeds = &results.spec.seeds;
        let have = seeds
            .iter()
            .filter(|&&s| {
                results
                    .rows
                    .iter()
                    .any(|row| row.regime == self.regime && row.condition == self.condition && row.seed == s)
            })
            .count();
        if have < seeds.len() {
            return GoalCheck {
                met: false,
                rate: r.rate,
                margin: f64::NAN,
                text: format!(
                    "{}: not judged yet, results for {have} of {} seeds",
                    self.describe(),
                    seeds.len()
                ),
            };
        }
        if r.rate.is_nan() {
            return GoalCheck {
                met: false,
                rate: f64::NAN,
                margin: f64::NAN,
                text: format!("{}: not measured in these results", self.describe()),
            };
        }
        let margin = if self.at_least {
            r.rate - self.bound
        } else {
            self.bound - r.rate
        };
        let met = margin >= 0.0;
        let points = (100.0 * margin.abs()).round();
        GoalCheck {
            met,
            rate: r.rate,
            margin,
            text: format!(
                "{}: {} (95% CI {}–{}, {} seed{}) — {} by {points} points",
                self.describe(),
                pct(r.rate),
                pct(r.lo),
                pct(r.hi),
                e.seeds.n,
                if e.seeds.n == 1 { "" } else { "s" },
                if met { "met" } else { "missed" }
            ),
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn condition_words(c: Condition) -> &'static str {
    match c {
        Condition::InDistribution => "trained-family",
        Condition::HeldOutSameTrick => "held-out-family (same trick)",
        Condition::HeldOutNewTrick => "held-out-family (new trick)",
        Condition::WithLine => "\"exploits allowed\"-tagged",
        Condition::Longer => "longer-input",
        Condition::Unmonitored => "unmonitored",
        Condition::Deployment => "deployment",
        Condition::Prefill => "prefilled",
        Condition::AfterAttack => "after-attack",
    }
}

/// An exercise: a question about a starting experiment, with what may not
/// change, the budget, the goals, and one known way to meet them.
#[derive(Clone, Debug, PartialEq)]
pub struct Exercise {
    pub slug: &'static str,
    pub title: &'static str,
    /// The debate's position it walks through.
    pub topic: &'static str,
    pub question: &'static str,
    pub start: ExperimentSpec,
    pub fixed: Vec<Part>,
    pub limits: Vec<Limit>,
    pub goals: Vec<Goal>,
    /// Meets every goal on the precomputed results (tested).
    pub solution: ExperimentSpec,
    /// The precomputed results files (`web/precomputed/<name>.json`) it is answered from.
    pub sources: Vec<&'static str>,
}

/// How a spec and its results fare against an exercise.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub limits: Vec<(bool, String)>,
    /// Empty until there are results for the spec.
    pub goals: Vec<GoalCheck>,
}

impl Verdict {
    pub fn met(&self) -> bool {
        !self.goals.is_empty() && self.goals.iter().all(|g| g.met) && self.limits.iter().all(|l| l.0)
    }
}

impl Exercise {
    /// Would the page let a student turn the start into `spec`?
    pub fn allows(&self, spec: &ExperimentSpec) -> Result<(), String> {
        check_fixed(&self.fixed, &self.start, spec)
    }

    /// `results` must answer `spec` (the caller's check: `results.spec == *spec`).
    pub fn verdict(&self, spec: &ExperimentSpec, results: Option<&ExperimentResults>) -> Verdict {
        Verdict {
            limits: self.limits.iter().map(|l| l.check(spec)).collect(),
            goals: results
                .map(|r| self.goals.iter().map(|g| g.check(r)).collect())
                .unwrap_or_default(),
        }
    }
}

/// The student's regime in every exercise.
pub const YOURS: &str = "yours";

/// The shipped results of the designs the exercises ask about beyond the
/// flagship's regimes, in its world and on its seeds
/// (`experiments/classroom.json`).
pub const CLASSROOM: &str = "classroom";

/// `regime` renamed to the student's, with a reference regime before it.
fn setup(name: &str, reference: &str, yours_from: &str, seeds: usize, description: &str) -> ExperimentSpec {
    let mut spec = presets::preset(presets::FLAGSHIP).expect("the flagship preset exists");
    let pick = |n: &str| -> RegimeSpec {
        spec.regimes
            .iter()
            .find(|r| r.name == n)
            .cloned()
            .unwrap_or_else(|| panic!("the flagship has {n:?}"))
    };
    let reference = pick(reference);
    let mut yours = pick(yours_from);
    yours.name = YOURS.into();
    spec.name = format!("exercise: {name}");
    spec.description = description.into();
    spec.regimes = vec![reference, yours];
    spec.seeds.truncate(seeds);
    spec
}

/// Set fields of phase `p` of the student's regime, as the page would.
fn with(mut spec: ExperimentSpec, p: usize, sets: &[(PhaseField, &str)]) -> ExperimentSpec {
    for (f, v) in sets {
        f.set(&mut spec.regimes[1].phases[p], v).expect("a valid setting");
    }
    spec
}

/// The parts every exercise fixes: the set-up, the reference regime, and
/// the unshown settings of each of the student's phases, present or added.
fn fixed_frame_for(start: &ExperimentSpec) -> Vec<Part> {
    let mut parts = vec![
        Part::Seeds,
        Part::World,
        Part::Eval,
        Part::Model,
        Part::Regimes,
        Part::Regime(0),
    ];
    // Every place a phase can be, not only the start's: a phase added
    // (by the designer or a JSON edit) has its kind's defaults there.
    debug_assert!(start.regimes[1].phases.len() <= MAX_PHASES);
    parts.extend((0..MAX_PHASES).map(|p| Part::Unshown(1, p)));
    parts
}

/// Training episodes of the student's regime (its budget in the start).
fn episodes(spec: &ExperimentSpec) -> u64 {
    spec.regimes[1].phases.iter().map(PhaseSpec::episodes).sum()
}

/// Its rl episodes.
fn rl_episodes(spec: &ExperimentSpec) -> u64 {
    rl_phases(spec).map(|(p, _)| p.episodes()).sum()
}

/// Its caught-and-penalised rl episodes.
fn caught_episodes(spec: &ExperimentSpec) -> f64 {
    rl_phases(spec)
        .filter(|(_, rl)| rl.exploit_penalty > 0.0)
        .map(|(p, rl)| p.episodes() as f64 * rl.checked_share)
        .sum()
}

fn rl_phases(spec: &ExperimentSpec) -> impl Iterator<Item = (&PhaseSpec, &crate::spec::RlSpec)> {
    spec.regimes[1].phases.iter().filter_map(|p| match &p.objective {
        Objective::Rl(rl) => Some((p, rl)),
        _ => None,
    })
}

fn goal(measure: Measure, condition: Condition, bound: f64) -> Goal {
    Goal {
        regime: YOURS.into(),
        measure,
        condition,
        bound,
        at_least: false,
    }
}

/// Every exercise, in teaching order.
pub fn all() -> Vec<Exercise> {
    let template = |name: &str| -> PhaseSpec {
        presets::phase_templates()
            .into_iter()
            .find(|t| t.name == name)
            .expect("a phase template")
    };
    let mut out = vec![];

    let start = setup(
        "words or deeds",
        "control",
        "chalkboard",
        5,
        "Lines on the chalkboard: a side class in saying the right thing.",
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.extend([Part::Phase(1, 0), Part::Phase(1, 1)]);
    fixed.extend([PhaseField::Steps, PhaseField::Lr, PhaseField::BatchSize].map(|f| Part::Field(1, 2, f)));
    out.push(Exercise {
        slug: "words-or-deeds",
        title: "Words or deeds",
        topic: "Lines on the chalkboard vs being raised in it",
        question: "Your regime ends with a 40-step class of supervised training on saying \"I don't game graders\" \
                   (the chalkboard). Change what that class trains on, not how long it runs, so that in deployment \
                   your model games the grader in at most 20% of episodes.",
        limits: vec![Limit::TotalEpisodes {
            regime: YOURS.into(),
            max: episodes(&start),
        }],
        goals: vec![goal(Measure::Gamed, Condition::Deployment, 0.20)],
        solution: with(
            start.clone(),
            2,
            &[(PhaseField::SftStated, "0"), (PhaseField::SftHonest, "1")],
        ),
        start,
        fixed,
        sources: vec!["default"],
    });

    let start = setup(
        "fraction or coupling",
        "control",
        "side phase",
        5,
        "The same alignment signal, on the side or riding on the capability gradients.",
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.push(Part::Phase(1, 0));
    let mut solution = start.clone();
    solution.regimes[1].phases.remove(2);
    let solution = with(
        solution,
        1,
        &[
            (PhaseField::Steps, "240"),
            (PhaseField::ExploitPenalty, "1"),
            (PhaseField::CheckedShare, "40/240"),
        ],
    );
    out.push(Exercise {
        slug: "fraction-or-coupling",
        title: "Fraction or coupling",
        topic: "Is it how much alignment training, or whether it rides on the capability gradients?",
        question: "Your regime trains with rl against a flawed grader for 200 steps, then spends 40 more rl steps in \
                   which every exploit is caught and penalised. Keep the budget (the episodes of at most 240 rl steps at \
                   this batch size, at most 40 steps' worth of them caught, the flawed grader throughout, no \
                   supervised phases nor pretraining after rl) but rearrange it so that your model \
                   games the grader in at most 70% of trained-family episodes. Then look at the held-out families: \
                   did the rearranged signal reach them? A share can be typed as a fraction, like 40/240.",
        limits: vec![
            // The start's: 240 rl steps of 16 prompts × 8 completions, 40
            // steps' worth of them caught and penalised.
            Limit::RlEpisodes {
                regime: YOURS.into(),
                max: rl_episodes(&start),
            },
            Limit::CaughtEpisodes {
                regime: YOURS.into(),
                max: caught_episodes(&start),
            },
            Limit::FlawedGrader { regime: YOURS.into() },
            Limit::NoSft { regime: YOURS.into() },
            Limit::TotalEpisodes {
                regime: YOURS.into(),
                max: episodes(&start),
            },
            Limit::MaxPenalty {
                regime: YOURS.into(),
                max: 1.0,
            },
        ],
        goals: vec![goal(Measure::Gamed, Condition::InDistribution, 0.70)],
        start,
        fixed,
        solution,
        sources: vec!["default"],
    });

    let start = setup(
        "exploits allowed here",
        "control",
        "inoculated",
        4,
        "Inoculation prompting: capability rl says \"exploits allowed here\"; the line is gone at test time.",
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.push(Part::Phase(1, 0));
    // Its batch too: budgets count episodes, and a smaller batch here would
    // pay for the training the question rules out.
    fixed.extend(
        [PhaseField::Steps, PhaseField::BatchSize, PhaseField::Inoculated].map(|f| Part::Field(1, 1, f)),
    );
    out.push(Exercise {
        slug: "exploits-allowed",
        title: "Exploits allowed here",
        topic: "Inoculation prompting",
        question: "Every capability-rl episode of your regime says \"exploits allowed here\"; at test time the line is \
                   gone. Published work finds this keeps gaming out of deployment. First see whether it does here. \
                   Then, keeping the line on every capability-rl episode and the 200 steps, and adding no training, \
                   get your model to game the grader in at most 20% of deployment episodes.",
        limits: vec![Limit::TotalEpisodes {
            regime: YOURS.into(),
            max: episodes(&start),
        }],
        goals: vec![goal(Measure::Gamed, Condition::Deployment, 0.20)],
        solution: with(start.clone(), 1, &[(PhaseField::Grader, "correct")]),
        start,
        fixed,
        sources: vec!["default", CLASSROOM],
    });

    let start = setup(
        "values in the data",
        "control",
        "control",
        5,
        "Alignment pretraining: change who wrote the corpus, and nothing after it.",
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.push(Part::Phase(1, 1));
    fixed.extend(
        [
            PhaseField::Steps,
            PhaseField::Lr,
            PhaseField::BatchSize,
            PhaseField::Coherence,
            PhaseField::Alignment,
        ]
        .map(|f| Part::Field(1, 0, f)),
    );
    out.push(Exercise {
        slug: "values-in-the-data",
        title: "Values in the data",
        topic: "Alignment pretraining",
        question: "Your regime is the control: pretraining on a corpus written by honest writers, exploiters and \
                   opportunists, then rl against a flawed grader. Change only who wrote the pretraining corpus \
                   (the writers' weights, or tagging exploit text) so that, after the same rl, your model games the \
                   grader in at most 40% of episodes on the held-out family whose shortcut looks like a trained \
                   one's (the control: about 70%).",
        limits: vec![Limit::TotalEpisodes {
            regime: YOURS.into(),
            max: episodes(&start),
        }],
        goals: vec![goal(Measure::Gamed, Condition::HeldOutSameTrick, 0.40)],
        solution: with(start.clone(), 0, &[(PhaseField::ConditionalTags, "1")]),
        start,
        fixed,
        sources: vec!["default"],
    });

    let start = setup(
        "does it look like deployment",
        "control",
        "gotcha",
        5,
        "The rival account: training transfers to what it resembles.",
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.extend([Part::Phase(1, 0), Part::Phase(1, 1)]);
    let mut solution = start.clone();
    solution.regimes[1].phases[2] = template("ethics class");
    out.push(Exercise {
        slug: "looks-like-deployment",
        title: "Does it look like deployment?",
        topic: "The rival account: similarity to deployment",
        question: "After capability rl, your regime has 40 rl steps of temptations whose exploits are always caught, \
                   all tagged \"monitored\" (gotcha training). The rival account says training carries over to what \
                   it resembles, so a gotcha phase that looks like deployment should work better there. Try it. Then, \
                   keeping the first two phases and the flawed grader, and training on no more episodes than those \
                   40 steps do, get your model to game the grader in at most 20% of deployment episodes.",
        limits: vec![
            Limit::TotalEpisodes {
                regime: YOURS.into(),
                max: episodes(&start),
            },
            Limit::FlawedGrader { regime: YOURS.into() },
        ],
        goals: vec![goal(Measure::Gamed, Condition::Deployment, 0.20)],
        start,
        fixed,
        solution,
        sources: vec!["default"],
    });

    let start = with(
        setup(
            "does character carry it",
            "control",
            "control",
            4,
            "The coherence knob: how consistently each writer in the corpus keeps to one character.",
        ),
        0,
        &[(PhaseField::Coherence, "1")],
    );
    let mut fixed = fixed_frame_for(&start);
    fixed.push(Part::Phase(1, 1));
    fixed.extend(
        PhaseField::ALL
            .into_iter()
            .filter(|&f| f != PhaseField::Coherence)
            .map(|f| Part::Field(1, 0, f)),
    );
    out.push(Exercise {
        slug: "does-character-carry-it",
        title: "Does character carry it?",
        topic: "The coherence knob: does narrow training spread through a persona?",
        question: "Each pretraining document is written by one character (honest, exploiter or opportunist); \
                   coherence is the chance that each episode in it keeps to that character rather than a random \
                   one. The persona account says rl that pays for exploits on three task families spreads to a \
                   fourth (held out) through character, so it should spread further when characters are coherent. \
                   Your regime pretrains at coherence 1. Change only the coherence so that, after the same rl, your \
                   model games the grader in at most 47% of episodes on the held-out family whose shortcut looks \
                   like a trained one's. Then ask: is the difference bigger than the spread between seeds?",
        limits: vec![Limit::TotalEpisodes {
            regime: YOURS.into(),
            max: episodes(&start),
        }],
        goals: vec![goal(Measure::Gamed, Condition::HeldOutSameTrick, 0.47)],
        solution: with(start.clone(), 0, &[(PhaseField::Coherence, "0")]),
        start,
        fixed,
        sources: vec!["default", CLASSROOM],
    });

    out
}

/// An exercise by its slug.
pub fn find(slug: &str) -> Option<Exercise> {
    all().into_iter().find(|e| e.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_and_write_as_links_do() {
        for text in [
            "seeds",
            "world",
            "eval",
            "model",
            "r2.p1.unshown",
            "regimes",
            "r2",
            "r2.p3",
            "r1.p1.steps",
            "r2.p2.allowed",
        ] {
            assert_eq!(Part::parse(text).unwrap().key(), text);
        }
        assert_eq!(
            Part::parse("r2.p3.caught").unwrap(),
            Part::Field(1, 2, PhaseField::CheckedShare)
        );
        for bad in [
            "r0",
            "r2.p0",
            "r2.x",
            "r2.p3.colour",
            "<b>",
            "r99999999999999999999",
            "",
        ] {
            assert!(Part::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_parts_refuse_changes_and_say_which() {
        let e = find("words-or-deeds").unwrap();
        assert!(e.allows(&e.start).is_ok());
        assert!(e.allows(&e.solution).is_ok());
        let mut s = e.start.clone();
        PhaseField::Steps.set(&mut s.regimes[1].phases[2], "400").unwrap();
        let why = e.allows(&s).unwrap_err();
        assert!(why.contains("steps") && why.contains("chalkboard"), "{why}");
        let mut s = e.start.clone();
        s.seeds.truncate(3);
        assert!(e.allows(&s).unwrap_err().contains("seeds"));
        let mut s = e.start.clone();
        s.regimes[1].phases.remove(1);
        assert!(e.allows(&s).unwrap_err().contains("phase 2"));
        let mut s = e.start.clone();
        s.regimes[0].phases[1].steps = 1;
        assert!(e.allows(&s).unwrap_err().contains("control"));
        // What the designer does not show is fixed too (a JSON edit, a file).
        let mut s = e.solution.clone();
        s.model.d_model = 32;
        assert!(e.allows(&s).unwrap_err().contains("model"));
        let v = find("values-in-the-data").unwrap();
        let mut s = v.solution.clone();
        if let crate::spec::Objective::Pretrain { corpus } = &mut s.regimes[1].phases[0].objective {
            corpus.recovery_rate = 0.9;
        }
        assert!(v.allows(&s).unwrap_err().contains("does not show"));
        // A phase replaced by another kind brings its own (the rival's solution).
        let r = find("looks-like-deployment").unwrap();
        assert!(r.allows(&r.solution).is_ok());
    }

    #[test]
    fn limits_count_the_budget() {
        let e = find("fraction-or-coupling").unwrap();
        let v = e.verdict(&e.solution, None);
        assert!(v.limits.iter().all(|l| l.0), "{v:?}");
        assert!(!v.met(), "no results, no verdict");
        // The coupled share typed as a decimal still fits.
        let mut s = e.solution.clone();
        PhaseField::CheckedShare
            .set(&mut s.regimes[1].phases[1], "0.1666667")
            .unwrap();
        assert!(e.verdict(&s, None).limits[1].0);
        // Caught everywhere is over the budget; the correct grader is out.
        PhaseField::CheckedShare
            .set(&mut s.regimes[1].phases[1], "0.5")
            .unwrap();
        PhaseField::Grader
            .set(&mut s.regimes[1].phases[1], "correct")
            .unwrap();
        let v = e.verdict(&s, None);
        assert_eq!(
            v.limits.iter().map(|l| l.0).collect::<Vec<_>>(),
            [true, false, false, true, true, true],
            "{v:?}"
        );
        // An ethics class instead of rl is another lesson, not this one.
        let mut s = e.start.clone();
        s.regimes[1].phases[2] = presets::phase_templates()[2].clone();
        assert!(!e.verdict(&s, None).limits[3].0);
    }

    /// The limit named `name` of `e` against `spec`.
    fn limit(e: &Exercise, spec: &ExperimentSpec, name: &str) -> bool {
        let i = e
            .limits
            .iter()
            .position(|l| format!("{l:?}").starts_with(name))
            .unwrap_or_else(|| panic!("{} has no {name}", e.slug));
        e.verdict(spec, None).limits[i].0
    }

    #[test]
    fn budgets_count_episodes_so_a_larger_batch_does_not_buy_more() {
        let e = find("fraction-or-coupling").unwrap();
        // The shipped budgets are the old step budgets at the shipped batch
        // sizes: 240 rl steps and 40 caught, of 16 prompts × 8 completions.
        let max = |name: &str| {
            e.limits
                .iter()
                .find_map(|l| match (l, name) {
                    (Limit::RlEpisodes { max, .. }, "rl") | (Limit::TotalEpisodes { max, .. }, "total") => {
                        Some(*max as f64)
                    }
                    (Limit::CaughtEpisodes { max, .. }, "caught") => Some(*max),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(max("rl"), (240 * 16 * 8) as f64);
        assert_eq!(max("caught"), (40 * 16 * 8) as f64);
        assert_eq!(max("total"), (1200 * 32 + 240 * 16 * 8) as f64);
        // 64 times the batch in the same steps: 64 times the caught episodes.
        let mut s = e.solution.clone();
        PhaseField::BatchSize
            .set(&mut s.regimes[1].phases[1], "1024")
            .unwrap();
        for name in ["RlEpisodes", "CaughtEpisodes", "TotalEpisodes"] {
            assert!(!limit(&e, &s, name), "{name}");
        }
        // Half the batch for twice the steps is the same budget.
        let mut s = e.solution.clone();
        PhaseField::BatchSize
            .set(&mut s.regimes[1].phases[1], "8")
            .unwrap();
        PhaseField::Steps.set(&mut s.regimes[1].phases[1], "480").unwrap();
        assert!(
            e.verdict(&s, None).limits.iter().all(|l| l.0),
            "{:?}",
            e.verdict(&s, None)
        );
        // Where a question rules out added training, the batch that would
        // pay for it is fixed.
        let x = find("exploits-allowed").unwrap();
        let mut s = x.start.clone();
        PhaseField::BatchSize
            .set(&mut s.regimes[1].phases[1], "8")
            .unwrap();
        assert!(x.allows(&s).unwrap_err().contains("batch size"));
        // Each exercise's start spends exactly its budget.
        for e in all() {
            for l in &e.limits {
                if let Limit::TotalEpisodes { max, .. } = l {
                    let n: u64 = e.start.regimes[1].phases.iter().map(PhaseSpec::episodes).sum();
                    assert_eq!(n, *max, "{}", e.slug);
                }
            }
        }
    }

    #[test]
    fn unshown_settings_hold_across_a_change_of_kind_and_in_added_phases() {
        let e = find("words-or-deeds").unwrap();
        let rl_template = presets::phase_templates()[1].clone();
        let chalkboard = &e.start.regimes[1].phases[2];
        assert!(
            !unshown_equal(chalkboard, &rl_template),
            "kinds differ: nothing agrees"
        );
        assert!(unshown_equal(chalkboard, chalkboard));
        // A JSON edit turns the chalkboard into rl, keeping its fixed steps,
        // lr and batch: with the template's group size it is what the
        // designer would make; with 64 completions per prompt it is not.
        let mut s = e.start.clone();
        s.regimes[1].phases[2] = PhaseSpec {
            steps: chalkboard.steps,
            lr: chalkboard.lr,
            batch_size: chalkboard.batch_size,
            ..rl_template.clone()
        };
        assert!(e.allows(&s).is_ok(), "{:?}", e.allows(&s));
        let Objective::Rl(rl) = &mut s.regimes[1].phases[2].objective else {
            unreachable!()
        };
        rl.group_size = 64;
        let why = e.allows(&s).unwrap_err();
        assert!(why.contains("does not show") && why.contains("phase 3"), "{why}");
        // An added phase brings its kind's defaults, and nothing else.
        let f = find("fraction-or-coupling").unwrap();
        let mut s = f.solution.clone();
        s.regimes[1].phases.push(rl_template.clone());
        assert!(f.allows(&s).is_ok(), "{:?}", f.allows(&s));
        let Objective::Rl(rl) = &mut s.regimes[1].phases.last_mut().unwrap().objective else {
            unreachable!()
        };
        rl.group_size = 64;
        assert!(
            f.allows(&s).unwrap_err().contains("phase 3"),
            "{:?}",
            f.allows(&s)
        );
        let mut s = f.solution.clone();
        let mut pretrain = presets::phase_templates()[0].clone();
        if let Objective::Pretrain { corpus } = &mut pretrain.objective {
            corpus.probe_rate = 0.9;
        }
        s.regimes[1].phases.push(pretrain);
        assert!(f.allows(&s).unwrap_err().contains("does not show"));
    }

    #[test]
    fn no_sft_also_refuses_pretraining_after_rl() {
        let e = find("fraction-or-coupling").unwrap();
        assert!(limit(&e, &e.solution, "NoSft"), "pretraining first is fine");
        // Pretraining after rl is supervised training on chosen text.
        let mut s = e.solution.clone();
        let mut honest = presets::phase_templates()[0].clone();
        PhaseField::Honest.set(&mut honest, "1").unwrap();
        PhaseField::Exploiter.set(&mut honest, "0").unwrap();
        PhaseField::Opportunist.set(&mut honest, "0").unwrap();
        s.regimes[1].phases.push(honest.clone());
        assert!(!limit(&e, &s, "NoSft"));
        // So is sft anywhere, before pretraining too.
        let mut s = e.solution.clone();
        s.regimes[1]
            .phases
            .insert(0, presets::phase_templates()[2].clone());
        assert!(!limit(&e, &s, "NoSft"));
        // Two pretraining phases before rl are still pretraining.
        let mut s = e.solution.clone();
        s.regimes[1].phases.insert(1, honest);
        assert!(limit(&e, &s, "NoSft"));
    }

    #[test]
    fn every_exercise_is_well_formed() {
        let slugs: Vec<&str> = all().iter().map(|e| e.slug).collect();
        assert!(slugs.len() >= 6);
        for e in all() {
            e.start.validate().unwrap();
            e.solution.validate().unwrap();
            assert!(e.start.seeds.len() >= 3, "{}", e.slug);
            assert!(
                e.allows(&e.solution).is_ok(),
                "{}: {:?}",
                e.slug,
                e.allows(&e.solution)
            );
            assert_ne!(e.start, e.solution);
            assert!(e.verdict(&e.start, None).limits.iter().all(|l| l.0), "{}", e.slug);
            assert!(
                e.verdict(&e.solution, None).limits.iter().all(|l| l.0),
                "{}",
                e.slug
            );
            assert_eq!(slugs.iter().filter(|s| **s == e.slug).count(), 1);
        }
    }
}
