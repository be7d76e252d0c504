//! The playground's state: which experiment is chosen, its run, and its
//! results (precomputed or from this browser), plus the heatmap derived from
//! them. Plain Rust, tested without a browser; the view only reads it.

use std::rc::Rc;

use upbringing_lab::eval::Condition;
use upbringing_lab::exercise::Verdict;
use upbringing_lab::experiment::Progress;
use upbringing_lab::presets;
use upbringing_lab::results::{Cell, ExperimentResults};
use upbringing_lab::spec::ExperimentSpec;

use crate::controls::Rules;
use crate::curves::LiveLog;
use crate::edit::{self, Edit};
use crate::protocol::{Report, Request};

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

    /// How the design and its results fare against the exercise, if this
    /// is one. Goals are judged only on results of this very design.
    pub fn verdict(&self) -> Option<Verdict> {
        let ex = self.rules.exercise.as_ref()?;
        let results = self
            .results
            .as_ref()
            .map(|(r, _)| &**r)
            .filter(|r| r.spec == self.spec);
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
        self.pool.extend(found.into_iter().map(Rc::new));
        // A fixed order, whichever file arrived first: a design two files
        // cover is always answered from the same one.
        self.pool.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        if self.results.is_none() {
            self.answer_from_pool();
        }
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

    pub fn start(&mut self) -> Option<Request> {
        if self.running() {
            return None;
        }
        self.status = RunStatus::Running(None);
        self.edit_error = None;
        self.live.clear();
        Some(Request::Run(self.run_spec().to_json()))
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

/// Regimes of `results`, each with a cell per condition, for `metric`.
pub fn heatmap(results: &ExperimentResults, metric: Metric) -> Vec<(String, Vec<HeatCell>)> {
    results
        .regimes()
        .into_iter()
        .map(|r| {
            let cells = Condition::ALL.map(|c| heat_cell(results, &results.cell(r, c), metric));
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
/// results have a control. Unadjusted: a hover is one look, not a claim.
fn versus_control(
    results: &ExperimentResults,
    cell: &Cell,
    metric: upbringing_lab::results::Metric,
) -> String {
    if cell.regime == BASELINE || !results.regimes().contains(&BASELINE) {
        return String::new();
    }
    let a = results.per_seed(&cell.regime, cell.condition, metric);
    let b = results.per_seed(BASELINE, cell.condition, metric);
    let diffs: Vec<f64> = a
        .iter()
        .filter_map(|(seed, x)| b.iter().find(|(s, _)| s == seed).map(|(_, y)| x - y))
        .collect();
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

fn heat_cell(results: &ExperimentResults, cell: &Cell, metric: Metric) -> HeatCell {
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
                    versus_control(results, cell, counted)
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
    let rates: Vec<(&str, f64, f64)> = results
        .regimes()
        .into_iter()
        .map(|r| {
            let e = results.cell(r, Condition::HeldOutNewTrick).gamed;
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
        // Changing how a regime trains drops numbers that no longer answer it.
        assert!(p.edit(&Edit::SetPhase(0, 1, PhaseField::Steps, "10".into())));
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
        let mut results = fake(&presets::preset("inoculated").unwrap());
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
        assert!(matches!(p.start(), Some(Request::Run(_))));
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
