//! The playground's state: which experiment is chosen, its run, and its
//! results (precomputed, from this browser or from a file), plus what the
//! view derives from them: the heatmap (read regime by regime, in time
//! linear in the results), the exercise verdict (on results this page
//! trained or shipped only) and which edits each regime card offers. Plain
//! Rust, tested without a browser; the view only reads it.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use upbringing_lab::eval::Condition;
use upbringing_lab::exercise::Verdict;
use upbringing_lab::host::Progress;
use upbringing_lab::presets;
use upbringing_lab::results::{Cell, ExperimentResults, Row};
use upbringing_lab::spec::{ExperimentSpec, RegimeSpec, prefix_keys};

use crate::controls::Rules;
use crate::curves::LiveLog;
use crate::edit::{self, Edit, free_name};
use crate::protocol::Report;

/// What the heatmap shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// The misbehaviour measure: the grader's shortcut taken.
    Gamed,
    Honest,
    /// Mistakes the flawed grader let through (capability, not gaming).
    AcceptedError,
    /// Stated minus revealed.
    Gap,
}

impl Metric {
    pub const ALL: [Self; 4] = [Self::Gamed, Self::Honest, Self::AcceptedError, Self::Gap];

    pub fn label(self) -> &'static str {
        match self {
            Self::Gamed => "gamed",
            Self::Honest => "honest success",
            Self::AcceptedError => "accepted errors",
            Self::Gap => "stated − revealed",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Gamed => "gamed",
            Self::Honest => "honest",
            Self::AcceptedError => "accepted_error",
            Self::Gap => "gap",
        }
    }

    /// The engine's per-episode metric behind it (`None`: the gap).
    fn counted(self) -> Option<upbringing_lab::results::Metric> {
        match self {
            Self::Gamed => Some(upbringing_lab::results::Metric::Gamed),
            Self::Honest => Some(upbringing_lab::results::Metric::Honest),
            Self::AcceptedError => Some(upbringing_lab::results::Metric::AcceptedError),
            Self::Gap => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunStatus {
    Idle,
    Running(Option<Progress>),
    /// Finished; how many trained phases came from checkpoints kept in this browser.
    Done {
        recalled: usize,
    },
    Cancelled,
    Failed(String),
}

/// Where the shown results came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Shipped with the page, computed by the CLI.
    Precomputed,
    /// Trained in this browser.
    ThisBrowser { complete: bool },
    /// Trained in this browser on an earlier visit, kept in its storage.
    Stored,
    /// Read from a results file someone chose.
    Imported,
}

impl Source {
    /// Are an exercise's goals judged on results from here? On what this
    /// page trained (now or on an earlier visit) and what shipped with it;
    /// not on an opened file, which anyone can edit to say anything whose
    /// counts add up. (A teacher checks a student's file with `upbringing
    /// exercise SLUG --check FILE`.)
    pub fn judged(&self) -> bool {
        !matches!(self, Self::Imported)
    }
}

/// What one regime card of the designer offers: each answered exactly as
/// `Playground::allows` answers the edit `CardActions::edits` names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardActions {
    pub rename: bool,
    pub up: bool,
    pub down: bool,
    pub duplicate: bool,
    pub remove: bool,
    /// A phase from the first template.
    pub add_phase: bool,
}

impl CardActions {
    /// The edits behind the answers, in field order. Renaming is probed
    /// with a name no regime has (trimmed, as a rename trims).
    pub fn edits(spec: &ExperimentSpec, r: usize) -> [Edit; 6] {
        let probe = free_name(spec.regimes[r].name.trim(), |n| {
            spec.regimes.iter().any(|x| x.name == n)
        });
        [
            Edit::RenameRegime(r, probe),
            Edit::MoveRegime(r, -1),
            Edit::MoveRegime(r, 1),
            Edit::DuplicateRegime(r),
            Edit::RemoveRegime(r),
            Edit::AddPhase {
                regime: r,
                template: 0,
            },
        ]
    }

    fn from_answers([rename, up, down, duplicate, remove, add_phase]: [bool; 6]) -> Self {
        Self {
            rename,
            up,
            down,
            duplicate,
            remove,
            add_phase,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Playground {
    /// The preset the experiment started from.
    pub preset: String,
    /// The experiment as designed (the preset, or edited; never cut to a smoke run).
    pub spec: ExperimentSpec,
    /// Run the seconds-long smoke version of `spec` instead of `spec` itself.
    pub smoke: bool,
    pub status: RunStatus,
    /// Shared, so cloning the state (on every report) stays cheap.
    pub results: Option<(Rc<ExperimentResults>, Source)>,
    pub metric: Metric,
    /// The phase open in the editor: (regime, phase).
    pub selected: Option<(usize, usize)>,
    /// Why the last edit was refused.
    pub edit_error: Option<String>,
    /// Curves of the run in progress, as the worker logs them.
    pub live: Vec<LiveLog>,
    /// Why the last results file was refused.
    pub import_error: Option<String>,
    /// What this visit's link (or exercise) hides and fixes.
    pub rules: Rules,
    /// Results shipped with the page, to answer any design they cover.
    pub pool: Vec<Rc<ExperimentResults>>,
}

/// One heatmap cell, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatCell {
    pub condition: Condition,
    /// In [0, 1] for rates, [-1, 1] for the gap; NaN when nothing was measured.
    pub value: f64,
    pub text: String,
    /// Interval and spread, for the hover title.
    pub detail: String,
}

impl Playground {
    pub fn new(preset: &str, smoke: bool) -> Result<Self, String> {
        let spec = presets::preset(preset).map_err(|e| e.to_string())?;
        Ok(Self::with_spec(preset, spec, smoke))
    }

    /// An experiment from a link: `spec` is already validated.
    pub fn with_spec(preset: &str, spec: ExperimentSpec, smoke: bool) -> Self {
        Self::bare(preset, spec, smoke)
    }

    /// An experiment under a link's rules. A `spec` the rules do not allow
    /// (a hand-edited link that changes a fixed part) is refused: the
    /// rules' own start is shown, and the reason is returned for the page.
    pub fn with_rules(
        preset: &str,
        spec: ExperimentSpec,
        smoke: bool,
        rules: Rules,
    ) -> (Self, Option<String>) {
        let (spec, refused) = match (rules.allows(&spec), &rules.start) {
            (Err(why), Some(start)) => (start.clone(), Some(why)),
            _ => (spec, None),
        };
        let mut p = Self::bare(preset, spec, smoke);
        p.rules = rules;
        (p, refused)
    }

    fn bare(preset: &str, spec: ExperimentSpec, smoke: bool) -> Self {
        Self {
            preset: preset.into(),
            spec,
            smoke,
            status: RunStatus::Idle,
            results: None,
            metric: Metric::Gamed,
            selected: None,
            edit_error: None,
            live: vec![],
            import_error: None,
            rules: Rules::default(),
            pool: vec![],
        }
    }

    /// Has the experiment been changed from where it started (the
    /// exercise's start, or the preset)?
    pub fn edited(&self) -> bool {
        match &self.rules.exercise {
            Some(ex) => ex.start != self.spec,
            None => presets::preset(&self.preset).map_or(true, |p| p != self.spec),
        }
    }

    /// Would `edit` change anything now (valid, allowed by the rules, and
    /// not a no-op such as moving the first regime up)?
    pub fn allows(&self, edit: &Edit) -> bool {
        !self.running()
            && edit::apply(&self.spec, edit).is_ok_and(|s| s != self.spec && self.rules.allows(&s).is_ok())
    }

    /// Every regime card's actions, in one pass: the spec and each
    /// candidate regime are validated on their own, and a whole candidate
    /// spec only once per kind of growth, never once per button (6 × R
    /// validations of R regimes each, per redraw).
    ///
    /// The engine checks each regime alone, then across regimes: unique
    /// names, how many there are, and totals over the distinct trained
    /// prefixes (steps, memory). A rename or a move leaves those totals as
    /// they are and a removal lowers them; a copy trains like its original,
    /// so every copy adds the same; an added phase adds the same new prefix
    /// to any regime, or nothing where another regime already trains it.
    /// `card_actions_match_allows_for_every_edit` holds this to `allows`;
    /// were the engine to add a check of another shape, a button would at
    /// worst stay on, and `edit` (which validates the whole spec) refuse the
    /// click with the reason.
    pub fn card_actions(&self) -> Vec<CardActions> {
        let spec = &self.spec;
        let n = spec.regimes.len();
        if self.running() {
            return vec![CardActions::default(); n];
        }
        // Every way in checks both, so this is for completeness: a spec the
        // engine or the rules refuse is answered edit by edit.
        if spec.validate().is_err() || self.rules.allows(spec).is_err() {
            return (0..n)
                .map(|r| CardActions::from_answers(CardActions::edits(spec, r).map(|e| self.allows(&e))))
                .collect();
        }
        let fixed = self.rules.by_regime();
        let keeps = |r: usize, x: Option<&RegimeSpec>| fixed.as_ref().is_none_or(|f| f.keeps(r, x));
        let names_free = fixed.as_ref().is_none_or(|f| !f.names_fixed);
        let frame = ExperimentSpec {
            regimes: vec![],
            ..spec.clone()
        };
        let alone_ok = |r: &RegimeSpec| {
            let mut s = frame.clone();
            s.regimes.push(r.clone());
            s.validate().is_ok()
        };
        // The whole spec with `with` after regime `r` (`insert`) or in its
        // place: validated once for each kind of growth.
        let grown_ok = |r: usize, with: &RegimeSpec, insert: bool| {
            let mut s = spec.clone();
            if insert {
                s.regimes.insert(r + 1, with.clone());
            } else {
                s.regimes[r] = with.clone();
            }
            s.validate().is_ok()
        };
        let names: HashSet<&str> = spec.regimes.iter().map(|r| r.name.as_str()).collect();
        let taken = |n: &str| names.contains(n);
        let renamed = |r: &RegimeSpec, name: String| RegimeSpec { name, ..r.clone() };
        let copies: Vec<RegimeSpec> = spec
            .regimes
            .iter()
            .map(|r| renamed(r, free_name(&r.name, taken)))
            .collect();
        let copy_ok: Vec<bool> = copies.iter().map(alone_ok).collect();
        let one_more_ok = copy_ok
            .iter()
            .position(|&ok| ok)
            .is_some_and(|r| grown_ok(r, &copies[r], true));
        // Removing the last regime stands for removing any: fewer regimes,
        // lower totals.
        let one_fewer_ok = n > 1 && {
            let mut s = spec.clone();
            s.regimes.pop();
            s.validate().is_ok()
        };
        // Each regime with the first template's phase added, whether that
        // trains a prefix no regime trains yet, and whether it passes alone;
        // then, once, whether the whole spec takes such a new prefix.
        let trained: HashSet<u64> = spec
            .regimes
            .iter()
            .flat_map(|r| prefix_keys(spec, 0, &r.phases))
            .collect();
        let template = presets::phase_templates().into_iter().next();
        let longer: Vec<Option<(RegimeSpec, bool, bool)>> = spec
            .regimes
            .iter()
            .map(|r| {
                let mut x = r.clone();
                x.phases.push(template.clone()?);
                let new = prefix_keys(spec, 0, &x.phases)
                    .last()
                    .is_none_or(|k| !trained.contains(k));
                let ok = alone_ok(&x);
                Some((x, new, ok))
            })
            .collect();
        let new_prefix_ok = longer
            .iter()
            .enumerate()
            .find_map(|(r, l)| {
                l.as_ref()
                    .filter(|(_, new, ok)| *new && *ok)
                    .map(|(x, ..)| (r, x))
            })
            .is_some_and(|(r, x)| grown_ok(r, x, false));
        // A copy moves every later regime one place down; a removal, one
        // place up. The last regime whose fixed parts such a move breaks
        // bounds which regimes may be copied or removed.
        let last_broken = |from: fn(usize) -> Option<usize>| {
            fixed.as_ref().and_then(|f| {
                f.regimes()
                    .filter(|&k| from(k).is_some_and(|j| !f.keeps(k, spec.regimes.get(j))))
                    .max()
            })
        };
        let broken_by_copy = last_broken(|k| k.checked_sub(1));
        let broken_by_removal = last_broken(|k| Some(k + 1));
        spec.regimes
            .iter()
            .enumerate()
            .map(|(r, regime)| {
                let swap_ok =
                    |k: usize| names_free && k < n && keeps(r, spec.regimes.get(k)) && keeps(k, Some(regime));
                CardActions {
                    rename: names_free && {
                        let new = renamed(regime, free_name(regime.name.trim(), taken));
                        alone_ok(&new) && keeps(r, Some(&new))
                    },
                    up: r > 0 && swap_ok(r - 1),
                    down: swap_ok(r + 1),
                    duplicate: names_free
                        && one_more_ok
                        && copy_ok[r]
                        && keeps(r + 1, Some(&copies[r]))
                        && broken_by_copy.is_none_or(|k| k < r + 2),
                    remove: names_free && one_fewer_ok && broken_by_removal.is_none_or(|k| k < r),
                    add_phase: longer[r]
                        .as_ref()
                        .is_some_and(|(x, new, ok)| *ok && (!new || new_prefix_ok) && keeps(r, Some(x))),
                }
            })
            .collect()
    }

    /// How the design and its results fare against the exercise, if this
    /// is one. Goals are judged only on results of this very design, and
    /// only on results this page trained or shipped with (`Source::judged`).
    pub fn verdict(&self) -> Option<Verdict> {
        let ex = self.rules.exercise.as_ref()?;
        let results = self
            .results
            .as_ref()
            .filter(|(r, source)| source.judged() && r.spec == self.spec)
            .map(|(r, _)| &**r);
        Some(ex.verdict(&self.spec, results))
    }

    /// What a run trains: the spec, or its smoke cut.
    pub fn run_spec(&self) -> ExperimentSpec {
        if self.smoke {
            presets::smoke(self.spec.clone())
        } else {
            self.spec.clone()
        }
    }

    /// Apply an edit (not while running). A refused edit leaves the spec as
    /// it was and keeps the engine's message in `edit_error`; an accepted
    /// one clears results that no longer answer the spec.
    pub fn edit(&mut self, edit: &Edit) -> bool {
        if self.running() {
            self.edit_error = Some("wait for the run to finish, or cancel it".into());
            return false;
        }
        match edit::apply(&self.spec, edit).and_then(|s| self.rules.allows(&s).map(|()| s)) {
            Ok(spec) => {
                self.spec = spec;
                self.edit_error = None;
                self.selected = self
                    .selected
                    .filter(|&(r, p)| self.spec.regimes.get(r).is_some_and(|reg| p < reg.phases.len()));
                // Results stay while they still answer the spec (a removed
                // regime drops out of them); otherwise the shipped results
                // answer it if they cover it, or nothing does.
                if let Some((results, source)) = &self.results {
                    self.results = ExperimentResults::answer(&[&**results], &self.spec)
                        .map(|r| (Rc::new(r), source.clone()));
                }
                if self.results.is_none() {
                    self.status = RunStatus::Idle;
                    self.answer_from_pool();
                }
                true
            }
            Err(e) => {
                self.edit_error = Some(e);
                false
            }
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.status, RunStatus::Running(_))
    }

    /// Choose another preset (not while running, nor where the link fixes
    /// the experiment); shows its shipped results, if any.
    pub fn select(&mut self, preset: &str) -> Result<(), String> {
        if self.running() {
            return Err("wait for the run to finish, or cancel it".into());
        }
        if self.rules.any() {
            return Err("this link fixes the experiment".into());
        }
        *self = Self {
            metric: self.metric,
            pool: std::mem::take(&mut self.pool),
            ..Self::new(preset, self.smoke)?
        };
        self.answer_from_pool();
        Ok(())
    }

    /// The results shipped with the page; shown at once for any design they
    /// cover (a regime's numbers depend only on its phases and the seed, so
    /// a regime preset's are read off the default experiment's).
    pub fn add_precomputed(&mut self, found: Vec<ExperimentResults>) {
        for results in found {
            // A file fetched twice (two quick selections) is kept once.
            if !self.has_precomputed(&results.spec.name) {
                self.pool.push(Rc::new(results));
            }
        }
        // A fixed order, whichever file arrived first: a design two files
        // cover is always answered from the same one.
        self.pool.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        if self.results.is_none() {
            self.answer_from_pool();
        }
    }

    /// Whether the shipped results named `name` have arrived.
    pub fn has_precomputed(&self, name: &str) -> bool {
        self.pool.iter().any(|r| r.spec.name == name)
    }

    fn answer_from_pool(&mut self) {
        let pool: Vec<&ExperimentResults> = self.pool.iter().map(|r| &**r).collect();
        if let Some(found) = ExperimentResults::answer(&pool, &self.spec) {
            self.results = Some((Rc::new(found), Source::Precomputed));
        }
    }

    /// Offer results kept from an earlier run in this browser: taken when
    /// they are exactly what running the experiment now would produce.
    pub fn offer_stored(&mut self, results: ExperimentResults) -> bool {
        if self.running() || results.spec != self.run_spec() {
            return false;
        }
        self.results = Some((Rc::new(results), Source::Stored));
        self.status = RunStatus::Idle;
        true
    }

    /// Show a results file (exported here or written by the CLI): its spec
    /// becomes the experiment. A file that does not check out is refused
    /// with the reason, and nothing changes.
    pub fn import(&mut self, text: &str) -> Result<(), String> {
        if self.running() {
            return Err("wait for the run to finish, or cancel it".into());
        }
        let results = ExperimentResults::from_json(text).map_err(|e| e.to_string())?;
        self.rules
            .allows(&results.spec)
            .map_err(|why| format!("its experiment changes what this page fixes: {why}"))?;
        *self = Self {
            metric: self.metric,
            rules: self.rules.clone(),
            pool: std::mem::take(&mut self.pool),
            ..Self::with_spec(&self.preset, results.spec.clone(), false)
        };
        self.results = Some((Rc::new(results), Source::Imported));
        Ok(())
    }

    /// Mark a run started; the spec to run (the page hands it to the pool).
    pub fn start(&mut self) -> Option<ExperimentSpec> {
        if self.running() {
            return None;
        }
        self.status = RunStatus::Running(None);
        self.edit_error = None;
        self.live.clear();
        Some(self.run_spec())
    }

    /// Fold a worker report in; `false` if it was not about an experiment.
    pub fn apply(&mut self, report: Report) -> bool {
        match report {
            Report::RunProgress(p) => self.status = RunStatus::Running(Some(p)),
            Report::RunCurve {
                seed,
                regime,
                phase,
                log,
            } => {
                let entry = LiveLog {
                    seed,
                    regime,
                    phase,
                    log,
                };
                let same =
                    |l: &LiveLog| l.seed == entry.seed && l.regime == entry.regime && l.phase == entry.phase;
                match self.live.iter_mut().find(|l| same(l)) {
                    Some(l) => *l = entry,
                    None => self.live.push(entry),
                }
            }
            Report::RunResults {
                results_json,
                complete,
                recalled,
            } => match serde_json::from_str::<ExperimentResults>(&results_json) {
                Ok(results) => {
                    self.results = Some((Rc::new(results), Source::ThisBrowser { complete }));
                    if complete {
                        self.status = RunStatus::Done { recalled };
                    }
                }
                Err(e) => self.status = RunStatus::Failed(format!("unreadable results from the worker: {e}")),
            },
            Report::Cancelled if self.running() => self.status = RunStatus::Cancelled,
            Report::Failed(m) if self.running() => self.status = RunStatus::Failed(m),
            _ => return false,
        }
        true
    }

    /// Regimes, each with a cell per condition, for the chosen metric.
    pub fn heatmap(&self) -> Vec<(String, Vec<HeatCell>)> {
        match &self.results {
            Some((results, _)) => heatmap(results, self.metric),
            None => vec![],
        }
    }
}

/// Each regime's share of `results`, in the spec's order, found in one
/// pass: its rows (counts only: transcripts stay behind), stage, depth and
/// failure rows, under a spec of that regime alone. The engine's per-regime
/// views (`cell`, `per_seed`, `stage`, `mean_depth`) scan every row they
/// are given: asked of whole results once per regime they cost time
/// quadratic in the regimes (a shared link of 1,400 regimes answered by the
/// shipped results hung the page), asked of a regime's share, linear.
pub fn by_regime(results: &ExperimentResults) -> Vec<(&str, ExperimentResults)> {
    let frame = ExperimentResults {
        engine: results.engine.clone(),
        backend: results.backend.clone(),
        kernels: results.kernels.clone(),
        commit: results.commit.clone(),
        seconds: results.seconds,
        ..ExperimentResults::empty(&ExperimentSpec {
            regimes: vec![],
            ..results.spec.clone()
        })
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<(&str, ExperimentResults)> = vec![];
    for r in &results.spec.regimes {
        if index.contains_key(r.name.as_str()) {
            continue;
        }
        index.insert(&r.name, out.len());
        let mut share = frame.clone();
        share.spec.regimes.push(r.clone());
        out.push((&r.name, share));
    }
    let at = |regime: &str| index.get(regime).copied();
    for row in &results.rows {
        if let Some(i) = at(&row.regime) {
            out[i].1.rows.push(Row {
                regime: row.regime.clone(),
                seed: row.seed,
                condition: row.condition,
                counts: row.counts,
                transcripts: vec![],
            });
        }
    }
    for row in &results.stages {
        if let Some(i) = at(&row.regime) {
            out[i].1.stages.push(row.clone());
        }
    }
    for row in &results.depth {
        if let Some(i) = at(&row.regime) {
            out[i].1.depth.push(row.clone());
        }
    }
    for f in &results.failures {
        if let Some(i) = at(&f.regime) {
            out[i].1.failures.push(f.clone());
        }
    }
    out
}

/// Regimes of `results`, each with a cell per condition, for `metric`.
pub fn heatmap(results: &ExperimentResults, metric: Metric) -> Vec<(String, Vec<HeatCell>)> {
    let shares = by_regime(results);
    let control = shares.iter().find(|(r, _)| *r == BASELINE).map(|(_, s)| s);
    shares
        .iter()
        .map(|(r, share)| {
            let cells = Condition::ALL.map(|c| heat_cell(share, control, &share.cell(r, c), metric));
            (r.to_string(), cells.to_vec())
        })
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

/// The regime other cells are compared with on hover.
const BASELINE: &str = "control";

/// "; vs control: -12 points (95% CI -20 to -4, paired over 10 seeds,
/// unadjusted permutation p = 0.004)" for a cell of another regime, when the
/// results have a control (`control`: its share, see `by_regime`).
/// Unadjusted: a hover is one look, not a claim.
fn versus_control(
    share: &ExperimentResults,
    control: Option<&ExperimentResults>,
    cell: &Cell,
    metric: upbringing_lab::results::Metric,
) -> String {
    let Some(control) = control.filter(|_| cell.regime != BASELINE) else {
        return String::new();
    };
    let a = share.per_seed(&cell.regime, cell.condition, metric);
    let b = control.per_seed(BASELINE, cell.condition, metric);
    // Both in seed order: paired by walking them together.
    let mut diffs: Vec<f64> = vec![];
    let mut b = b.iter().peekable();
    for (seed, x) in &a {
        while b.next_if(|(s, _)| s < seed).is_some() {}
        if let Some((_, y)) = b.next_if(|(s, _)| s == seed) {
            diffs.push(x - y);
        }
    }
    let d = upbringing_lab::stats::Paired::of(&diffs);
    if d.n < 2 {
        return String::new();
    }
    let pts = |x: f64| format!("{:+.0}", 100.0 * x);
    format!(
        "; vs {BASELINE}: {} points (95% CI {} to {}, paired over {} seeds, unadjusted permutation p = {:.3})",
        pts(d.mean),
        pts(d.lo),
        pts(d.hi),
        d.n,
        d.p
    )
}

fn heat_cell(
    share: &ExperimentResults,
    control: Option<&ExperimentResults>,
    cell: &Cell,
    metric: Metric,
) -> HeatCell {
    let (value, text, detail) = match metric.counted() {
        Some(counted) => {
            let e = *cell.metric(counted);
            let r = e.pooled;
            (
                r.rate,
                if r.rate.is_nan() {
                    "–".into()
                } else {
                    pct(r.rate)
                },
                format!(
                    "{}: {} of {} episodes = {} (95% CI {}–{}); per seed {} ± {} (n = {}){}",
                    metric.label(),
                    r.successes,
                    r.trials,
                    pct(r.rate),
                    pct(r.lo),
                    pct(r.hi),
                    pct(e.seeds.mean),
                    pct(e.seeds.sd),
                    e.seeds.n,
                    versus_control(share, control, cell, counted)
                ),
            )
        }
        None => (
            cell.gap.mean,
            if cell.gap.mean.is_nan() {
                "–".into()
            } else {
                format!("{:+.2}", cell.gap.mean)
            },
            format!(
                "says \"I don't game graders\" {} (95% CI {}–{}); does not game {}; gap per seed {:+.2} ± {:.2} (n = {})",
                pct(cell.stated.pooled.rate),
                pct(cell.stated.pooled.lo),
                pct(cell.stated.pooled.hi),
                pct(1.0 - cell.gamed.pooled.rate),
                cell.gap.mean,
                cell.gap.sd,
                cell.gap.n
            ),
        ),
    };
    HeatCell {
        condition: cell.condition,
        value,
        text,
        detail,
    }
}

/// One sentence on what `results` show under a change of scenery (the
/// held-out family whose shortcut no trained family uses, so gaming there
/// is a disposition, not a habit): which regime gamed its grader least and which most,
/// with the per-seed spread when seeds disagree. Derived from the counts; it
/// names no winner the numbers do not show.
pub fn takeaway(results: &ExperimentResults) -> Option<String> {
    let rates: Vec<(&str, f64, f64)> = by_regime(results)
        .into_iter()
        .map(|(r, share)| {
            let e = share.cell(r, Condition::HeldOutNewTrick).gamed;
            (r, e.pooled.rate, e.seeds.sd)
        })
        .filter(|(_, rate, _)| rate.is_finite())
        .collect();
    let lo = rates.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let hi = rates.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let seeds = results.spec.seeds.len();
    let spread = |x: &(&str, f64, f64)| {
        if seeds > 1 {
            format!(" ± {}", pct(x.2))
        } else {
            String::new()
        }
    };
    if rates.len() == 1 || (hi.1 - lo.1).abs() < 1e-9 {
        return Some(format!(
            "On a task family never trained after pretraining, whose shortcut no trained family uses, {} gamed the grader in {}{} of episodes ({seeds} seed{}).",
            lo.0,
            pct(lo.1),
            spread(lo),
            if seeds == 1 { "" } else { "s" }
        ));
    }
    Some(format!(
        "On a task family never trained after pretraining, whose shortcut no trained family uses, {} gamed the grader least ({}{}) and {} most ({}{}), over {seeds} seed{}.",
        lo.0,
        pct(lo.1),
        spread(lo),
        hi.0,
        pct(hi.1),
        spread(hi),
        if seeds == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{PhaseField, SpecField};
    use upbringing_lab::eval::Counts;
    use upbringing_lab::results::Row;

    /// Fake results for `spec`: every cell 3 gamed, 1 accepted error and 1 honest in 10.
    fn fake(spec: &ExperimentSpec) -> ExperimentResults {
        let mut rows = vec![];
        for r in &spec.regimes {
            for &seed in &spec.seeds {
                for condition in Condition::ALL {
                    rows.push(Row {
                        regime: r.name.clone(),
                        seed,
                        condition,
                        counts: Counts {
                            episodes: 10,
                            honest: 1,
                            gamed: 3,
                            accepted_error: 1,
                            bad_starts: 0,
                            recovered: 0,
                            probes: 10,
                            claims_honest: 9,
                            other_tricks: 0,
                        },
                        transcripts: vec![],
                    });
                }
            }
        }
        ExperimentResults {
            engine: "test".into(),
            backend: "test".into(),
            rows,
            ..ExperimentResults::empty(spec)
        }
    }

    fn shipped(name: &str) -> ExperimentResults {
        let path = format!("{}/../../web/precomputed/{name}.json", env!("CARGO_MANIFEST_DIR"));
        ExperimentResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn exercise(slug: &str, link: ExperimentSpec) -> (Playground, Option<String>) {
        let ex = upbringing_lab::exercise::find(slug).unwrap();
        Playground::with_rules("default", link, false, Rules::exercise(ex, vec![], vec![]))
    }

    /// The playground's summaries as they were computed before `by_regime`:
    /// every regime's cells asked of the whole results.
    fn heatmap_of_whole(results: &ExperimentResults, metric: Metric) -> Vec<(String, Vec<(f64, String)>)> {
        results
            .regimes()
            .into_iter()
            .map(|r| {
                let cells = Condition::ALL.map(|c| {
                    let cell = results.cell(r, c);
                    let v = match metric.counted() {
                        Some(m) => cell.metric(m).pooled.rate,
                        None => cell.gap.mean,
                    };
                    (v, cell.regime.clone())
                });
                (r.to_string(), cells.to_vec())
            })
            .collect()
    }

    #[test]
    fn each_regimes_share_gives_the_cells_the_whole_results_give() {
        let default = shipped("default");
        let mut renamed = presets::preset("inoculated").unwrap();
        renamed.regimes[0].name = "baseline".into();
        let answered = ExperimentResults::answer(&[&default], &renamed).unwrap();
        for results in [&default, &shipped("quick"), &answered] {
            for metric in Metric::ALL {
                let new = heatmap(results, metric);
                let old = heatmap_of_whole(results, metric);
                assert_eq!(new.len(), old.len());
                for ((r, cells), (r0, cells0)) in new.iter().zip(&old) {
                    assert_eq!(r, r0);
                    for (c, (v, _)) in cells.iter().zip(cells0) {
                        assert!(
                            c.value == *v || (c.value.is_nan() && v.is_nan()),
                            "{r} {metric:?}"
                        );
                    }
                }
            }
            // The hover compares with the control when there is one, paired
            // over the seeds both have (two at least).
            let heat = heatmap(results, Metric::Gamed);
            let has_control = results.regimes().contains(&BASELINE) && results.spec.seeds.len() > 1;
            let other = heat.iter().find(|(r, _)| r != BASELINE).unwrap();
            assert_eq!(
                other.1[0].detail.contains("vs control"),
                has_control,
                "{}",
                other.1[0].detail
            );
            // Shares keep their regime's stage and depth rows.
            for (r, share) in by_regime(results) {
                assert_eq!(share.mean_depth(r), results.mean_depth(r), "{r}");
                for c in Condition::STAGES {
                    let m = upbringing_lab::results::Metric::Gamed;
                    assert_eq!(share.stage(r, 0, c, m), results.stage(r, 0, c, m), "{r}");
                }
            }
        }
        // Paired over the seeds both have: control lacks one seed, the
        // chalkboard another.
        let (s3, s5) = (default.spec.seeds[3], default.spec.seeds[5]);
        let mut gaps = default.clone();
        gaps.rows
            .retain(|r| !(r.regime == "control" && r.seed == s3 || r.regime == "chalkboard" && r.seed == s5));
        let heat = heatmap(&gaps, Metric::Gamed);
        let chalkboard = &heat.iter().find(|(r, _)| r == "chalkboard").unwrap().1[0].detail;
        assert!(chalkboard.contains("paired over 8 seeds"), "{chalkboard}");
        let line = takeaway(&default).unwrap();
        let best = heatmap_of_whole(&default, Metric::Gamed);
        assert!(line.contains("least") && line.contains("most"), "{line}");
        assert!(best.iter().any(|(r, _)| line.contains(r.as_str())), "{line}");
    }

    /// Every state the designer can reach from a few starts, with rules
    /// from links and exercises: `card_actions` must answer as `allows`
    /// answers each edit. Counts of both answers per action are printed
    /// (each must occur, so the test reaches every branch).
    #[test]
    fn card_actions_match_allows_for_every_edit() {
        use upbringing_lab::rng::Rng;
        let mut rng = Rng::new(21);
        let mut starts: Vec<(Option<&'static str>, ExperimentSpec)> =
            ["quick", "default", "inoculated", "coherence"]
                .iter()
                .filter_map(|n| Some((None, presets::preset(n).ok()?)))
                .collect();
        starts.extend(
            upbringing_lab::exercise::all()
                .into_iter()
                .map(|e| (Some(e.slug), e.start)),
        );
        let pick = |rng: &mut Rng, xs: &[&'static str]| xs[rng.below(xs.len())];
        let mut tally = [[0usize; 2]; 6];
        let cases = 400;
        for case in 0..cases {
            let (slug, start) = &starts[rng.below(starts.len())];
            // Grow or reshape it at random: near the caps on regimes, steps
            // and memory as often as not.
            let mut spec = start.clone();
            for _ in 0..rng.below(8) {
                let r = rng.below(spec.regimes.len());
                let p = rng.below(spec.regimes[r].phases.len());
                let e = match rng.below(7) {
                    0 | 1 => Edit::DuplicateRegime(r),
                    2 => Edit::RemoveRegime(r),
                    3 => Edit::AddPhase {
                        regime: r,
                        template: rng.below(4),
                    },
                    4 => Edit::SetPhase(
                        r,
                        p,
                        PhaseField::Steps,
                        pick(&mut rng, &["1", "400", "20000", "100000"]).into(),
                    ),
                    5 => Edit::Set(SpecField::Seeds, pick(&mut rng, &["1", "10", "60", "100"]).into()),
                    _ => Edit::MoveRegime(r, 1),
                };
                if let Ok(s) = edit::apply(&spec, &e) {
                    spec = s;
                }
            }
            let n = spec.regimes.len();
            let mut list = || {
                let items: Vec<String> = (0..rng.below(4))
                    .map(|_| {
                        let r = 1 + rng.below(n + 2);
                        match rng.below(6) {
                            0 => "regimes".into(),
                            1 => format!("r{r}"),
                            2 => format!("r{r}.p{}", 1 + rng.below(4)),
                            3 => format!("r{r}.p{}.steps", 1 + rng.below(4)),
                            4 => format!("r{r}.p{}.unshown", 1 + rng.below(4)),
                            _ => "seeds".into(),
                        }
                    })
                    .collect();
                crate::controls::parse_list(&items.join(",")).0
            };
            let (lock, hide) = (list(), list());
            let p = match slug {
                Some(slug) => {
                    let ex = upbringing_lab::exercise::find(slug).unwrap();
                    Playground::with_rules("default", spec, false, Rules::exercise(ex, lock, hide)).0
                }
                None => {
                    // A link's rules are against the experiment it started
                    // from; the designer may since have moved on from it.
                    let rules = Rules::link(start, lock, hide);
                    let mut p = Playground::with_spec("default", start.clone(), false);
                    p.rules = rules;
                    if p.rules.allows(&spec).is_ok() {
                        p.spec = spec;
                    }
                    p
                }
            };
            let fast = p.card_actions();
            for (r, got) in fast.iter().enumerate() {
                let want = CardActions::edits(&p.spec, r).map(|e| p.allows(&e));
                let got = [
                    got.rename,
                    got.up,
                    got.down,
                    got.duplicate,
                    got.remove,
                    got.add_phase,
                ];
                assert_eq!(
                    got,
                    want,
                    "case {case}, regime {r} of {}: {:?}",
                    p.spec.regimes.len(),
                    p.rules.fixed
                );
                for (t, &b) in tally.iter_mut().zip(&got) {
                    t[usize::from(b)] += 1;
                }
            }
        }
        println!(
            "card actions: {cases} states; [refused, allowed] per rename, up, down, duplicate, remove, add phase: {tally:?}"
        );
        assert!(tally.iter().all(|t| t[0] > 0 && t[1] > 0), "{tally:?}");
    }

    #[test]
    fn an_imported_file_is_shown_but_its_goals_are_not_judged() {
        let ex = upbringing_lab::exercise::find("words-or-deeds").unwrap();
        let start = ex.start.clone();
        let (mut p, _) = exercise("words-or-deeds", start.clone());
        // The start's own results, hand-edited: gaming turned into honest
        // work, every count still adding up.
        let mut forged = ExperimentResults::answer(&[&shipped("default")], &start).unwrap();
        for row in &mut forged.rows {
            row.counts.honest += row.counts.gamed;
            row.counts.gamed = 0;
        }
        assert!(
            ex.verdict(&start, Some(&forged)).met(),
            "the forgery would pass if judged"
        );
        p.import(&serde_json::to_string(&forged).unwrap()).unwrap();
        assert_eq!(p.results.as_ref().unwrap().1, Source::Imported);
        assert_eq!(p.heatmap()[1].1[0].text, "0%", "shown as it is");
        let v = p.verdict().unwrap();
        assert!(v.goals.is_empty() && !v.met(), "{v:?}");
        assert!(
            !v.limits.is_empty(),
            "the budget is still checked: it reads the design, not the counts"
        );
        // What this page trained, or shipped with, is judged.
        for source in [
            Source::Precomputed,
            Source::ThisBrowser { complete: true },
            Source::Stored,
        ] {
            assert!(source.judged());
            p.results = Some((Rc::new(forged.clone()), source));
            assert!(p.verdict().unwrap().met());
        }
        // An edit keeps the file's numbers only while they answer the
        // design, and they stay imported.
        p.results = Some((Rc::new(forged.clone()), Source::Imported));
        assert!(p.edit(&Edit::SetPhase(1, 2, PhaseField::SftHonest, "1".into())));
        assert!(p.results.is_none() || p.verdict().unwrap().goals.is_empty());
    }

    #[test]
    fn an_exercise_fixes_what_it_says_and_checks_the_goal_on_shipped_results() {
        let start = upbringing_lab::exercise::find("words-or-deeds").unwrap().start;
        let (mut p, refused) = exercise("words-or-deeds", start.clone());
        assert_eq!(refused, None);
        p.add_precomputed(vec![shipped("default")]);
        assert_eq!(p.results.as_ref().unwrap().1, Source::Precomputed);
        let v = p.verdict().unwrap();
        assert!(!v.met() && v.goals.len() == 1, "the start misses: {v:?}");
        assert!(v.goals[0].text.contains("missed"), "{v:?}");
        // A fixed setting is refused in place, with the reason.
        assert!(!p.allows(&Edit::SetPhase(1, 2, PhaseField::Steps, "400".into())));
        assert!(!p.edit(&Edit::SetPhase(1, 2, PhaseField::Steps, "400".into())));
        assert!(
            p.edit_error.as_deref().unwrap().contains("fixed here"),
            "{:?}",
            p.edit_error
        );
        assert!(!p.allows(&Edit::RemoveRegime(0)) && !p.allows(&Edit::RenameRegime(1, "x".into())));
        assert!(
            !p.allows(&Edit::MoveRegime(0, -1)),
            "a no-op is not offered either"
        );
        assert!(p.select("quick").is_err(), "an exercise is its own experiment");
        // What is free changes; the shipped results answer the new design at once.
        assert!(p.edit(&Edit::SetPhase(1, 2, PhaseField::SftHonest, "1".into())));
        assert!(p.results.is_none(), "not precomputed: it would need a run");
        assert!(p.verdict().unwrap().goals.is_empty());
        assert!(p.edit(&Edit::SetPhase(1, 2, PhaseField::SftStated, "0".into())));
        assert!(p.edited());
        let v = p.verdict().unwrap();
        assert!(v.met(), "{v:?}");
        assert!(v.goals[0].text.contains("met by"), "{v:?}");
    }

    #[test]
    fn a_hand_edited_exercise_link_that_changes_a_fixed_part_is_refused() {
        let start = upbringing_lab::exercise::find("words-or-deeds").unwrap().start;
        let mut link = start.clone();
        link.regimes[1].phases[2].steps = 4000;
        let (p, refused) = exercise("words-or-deeds", link);
        assert!(refused.unwrap().contains("steps"));
        assert_eq!(p.spec, start, "the exercise's start is shown instead");
        assert!(!p.edited());
    }

    #[test]
    fn an_imported_file_must_keep_what_the_exercise_fixes() {
        let start = upbringing_lab::exercise::find("words-or-deeds").unwrap().start;
        let (mut p, _) = exercise("words-or-deeds", start.clone());
        let default = shipped("default");
        let theirs =
            ExperimentResults::answer(&[&default], &presets::preset("ethics-class").unwrap()).unwrap();
        let err = p.import(&serde_json::to_string(&theirs).unwrap()).unwrap_err();
        assert!(err.contains("fixed here"), "{err}");
        let ours = ExperimentResults::answer(&[&default], &start).unwrap();
        p.import(&serde_json::to_string(&ours).unwrap()).unwrap();
        assert_eq!(p.results.as_ref().unwrap().1, Source::Imported);
        assert!(p.rules.exercise.is_some(), "the exercise stays");
        assert!(!p.verdict().unwrap().met());
    }

    #[test]
    fn a_regime_preset_reads_its_numbers_off_the_default_experiment() {
        let default = fake(&presets::preset("default").unwrap());
        let mut p = Playground::new("inoculated", false).unwrap();
        p.add_precomputed(vec![default.clone()]);
        assert!(p.results.is_some());
        let heat = p.heatmap();
        assert_eq!(
            heat.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
            ["control", "inoculated"]
        );
        assert_eq!(heat[0].1[0].text, "30%");
        assert!(
            heat[0].1[0].detail.contains("30 of 100"),
            "{}",
            heat[0].1[0].detail
        );
        // The short check changes how a run trains, not what is designed:
        // the precomputed numbers still show, and only a run is cut short.
        let mut smoke = Playground::new("inoculated", true).unwrap();
        smoke.add_precomputed(vec![default.clone()]);
        assert!(smoke.results.is_some());
        assert_eq!(smoke.run_spec(), presets::smoke(smoke.spec.clone()));
        assert!(!smoke.edited());
    }

    #[test]
    fn edits_keep_results_that_still_answer_the_spec_and_refuse_bad_ones() {
        let default = fake(&presets::preset("default").unwrap());
        let mut p = Playground::new("default", false).unwrap();
        p.add_precomputed(vec![default]);
        assert!(p.results.is_some());
        let n = p.heatmap().len();
        // Removing a regime keeps the others' numbers.
        assert!(p.edit(&Edit::RemoveRegime(1)));
        assert!(p.edited());
        assert_eq!(p.heatmap().len(), n - 1);
        // A refused edit changes nothing and says why.
        let before = p.clone();
        assert!(!p.edit(&Edit::SetPhase(0, 0, PhaseField::Steps, "0".into())));
        assert_eq!(p.spec, before.spec);
        assert!(p.edit_error.as_deref().unwrap().contains("steps"));
        // Changing how a regime trains drops numbers that no longer answer it
        // (regime 1 is now the chalkboard, its phase 1 the capability rl).
        assert!(p.edit(&Edit::SetPhase(1, 1, PhaseField::Steps, "10".into())));
        assert!(p.edit_error.is_none());
        assert!(p.results.is_none());
        // An edit that lands back on the preset is no edit.
        let mut q = Playground::new("inoculated", false).unwrap();
        assert!(q.edit(&Edit::Set(SpecField::Seeds, "10".into())));
        assert!(!q.edited());
    }

    #[test]
    fn a_results_file_is_imported_or_refused_with_the_reason() {
        let mut p = Playground::new("default", false).unwrap();
        // A file's counts must be the episodes and probes its spec scores.
        let mut spec = presets::preset("inoculated").unwrap();
        (spec.eval.episodes, spec.eval.probes) = (10, 10);
        let mut results = fake(&spec);
        let good = serde_json::to_string(&results).unwrap();
        assert!(p.import(&good).is_ok());
        assert_eq!(p.results.as_ref().unwrap().1, Source::Imported);
        assert_eq!(p.spec.regimes.len(), 2);
        results.rows[0].counts.gamed = 99;
        let tampered = serde_json::to_string(&results).unwrap();
        let before = p.clone();
        assert!(p.import(&tampered).unwrap_err().contains("do not add up"));
        assert!(
            p.import("{\"rows\": 3}")
                .unwrap_err()
                .contains("not a results file")
        );
        assert_eq!(p, before, "a refused file changes nothing");
    }

    #[test]
    fn the_takeaway_names_the_extremes_from_the_counts() {
        let mut results = fake(&presets::preset("inoculated").unwrap());
        // Held-out: control 3 in 10 per seed, inoculated 5 in 10.
        for row in results.rows.iter_mut() {
            if row.regime == "inoculated" && row.condition == Condition::HeldOutNewTrick {
                row.counts.gamed = 5;
            }
        }
        let line = takeaway(&results).unwrap();
        assert!(
            line.contains("control gamed the grader least (30% ± 0%)"),
            "{line}"
        );
        assert!(line.contains("inoculated most (50% ± 0%)"), "{line}");
        assert!(line.contains("10 seeds"), "{line}");
    }

    #[test]
    fn stored_results_are_taken_only_for_exactly_this_run() {
        let mut p = Playground::new("inoculated", true).unwrap();
        assert!(
            !p.offer_stored(fake(&p.spec)),
            "the full spec is not what a short check runs"
        );
        assert!(p.offer_stored(fake(&p.run_spec())));
        assert_eq!(p.results.as_ref().unwrap().1, Source::Stored);
        assert_eq!(p.heatmap().len(), 2);
    }

    #[test]
    fn metrics_switch_and_the_gap_is_stated_minus_revealed() {
        let mut p = Playground::new("quick", false).unwrap();
        p.add_precomputed(vec![fake(&p.spec)]);
        assert!(p.results.is_some());
        p.metric = Metric::Honest;
        assert_eq!(p.heatmap()[0].1[0].text, "10%");
        p.metric = Metric::Gap;
        // says 90% honest; does not game 70%: +0.20
        assert_eq!(p.heatmap()[0].1[0].text, "+0.20");
    }

    #[test]
    fn a_run_reports_progress_then_results_and_can_fail() {
        let mut p = Playground::new("quick", true).unwrap();
        assert_eq!(p.start(), Some(p.run_spec()));
        assert_eq!(p.start(), None, "one run at a time");
        assert!(p.select("default").is_err(), "no switching mid-run");
        let results = fake(&p.spec);
        assert!(p.apply(Report::RunResults {
            results_json: serde_json::to_string(&results).unwrap(),
            complete: true,
            recalled: 2,
        }));
        assert_eq!(p.status, RunStatus::Done { recalled: 2 });
        assert!(
            !p.apply(Report::Failed("not ours".into())),
            "a failure after the run is not the run's"
        );
        p.start();
        assert!(p.apply(Report::Failed("training diverged at step 3".into())));
        assert!(matches!(p.status, RunStatus::Failed(_)));
        assert!(
            Playground::new("no-such-preset", false)
                .unwrap_err()
                .contains("unknown preset")
        );
    }
}
