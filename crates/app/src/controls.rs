//! What a link (or an exercise) lets the visitor change: controls hidden or
//! fixed, as TensorFlow Playground's `_hide` flags do, checked against the
//! experiment the link started from. One predicate (`Rules::allows`) guards
//! edits, imported files and hand-edited links alike.

use std::collections::HashMap;

use upbringing_lab::exercise::{self, Exercise, Part};
use upbringing_lab::fields::{PhaseField, SpecField};
use upbringing_lab::spec::{ExperimentSpec, RegimeSpec};

/// Something on the page a link can hide (`hide=`) or fix (`lock=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// The experiment picker.
    Presets,
    /// The "edit as JSON" box.
    Json,
    /// Opening a results file.
    Import,
    /// A part of the experiment itself.
    Part(Part),
}

impl Control {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "presets" => Ok(Self::Presets),
            "json" => Ok(Self::Json),
            "import" => Ok(Self::Import),
            other => Part::parse(other)
                .map(Self::Part)
                .map_err(|e| format!("{e}, presets, json or import")),
        }
    }
}

/// Items a `lock=`/`hide=` list is read for: more than any experiment has
/// parts to name (a hand-made link of 200k items would otherwise cost
/// quadratic time and a notice each).
const MAX_ITEMS: usize = 256;
/// Notices about items not understood; the rest are counted in one line.
const MAX_NOTICES: usize = 5;
/// Characters an item may have: the longest control a link can name
/// (`r32.p32.sft-recovery`) has 20. A longer one is refused without being
/// quoted, so one hand-made item of a megabyte is not a megabyte of notice.
const MAX_ITEM_CHARS: usize = 64;

/// `a,b,c` into controls, with a message for each one not understood (the
/// first few, then a count).
pub fn parse_list(text: &str) -> (Vec<Control>, Vec<String>) {
    let mut out = vec![];
    let mut problems = vec![];
    // Counted as they come, never collected: a list of 200k items costs
    // one pass and no memory beyond the first MAX_ITEMS.
    let mut items = 0;
    for item in text.split(',').filter(|s| !s.trim().is_empty()) {
        items += 1;
        if items > MAX_ITEMS {
            continue;
        }
        let chars = item.trim().chars().count();
        if chars > MAX_ITEM_CHARS {
            problems.push(format!(
                "an item of {chars} characters is not a control (the longest has {MAX_ITEM_CHARS})"
            ));
            continue;
        }
        match Control::parse(item) {
            Ok(c) if !out.contains(&c) => out.push(c),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    if problems.len() > MAX_NOTICES {
        let more = problems.len() - MAX_NOTICES;
        problems.truncate(MAX_NOTICES);
        problems.push(format!("{more} more items not understood"));
    }
    if items > MAX_ITEMS {
        problems.push(format!("only the first {MAX_ITEMS} of {items} items are read"));
    }
    (out, problems)
}

/// The page's rules for this visit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    /// What fixed parts are compared against (the link's experiment as it
    /// arrived, or the exercise's start).
    pub start: Option<ExperimentSpec>,
    pub fixed: Vec<Control>,
    pub hidden: Vec<Control>,
    pub exercise: Option<Exercise>,
}

impl Rules {
    /// An exercise's rules, plus whatever its link fixes or hides besides.
    /// The picker is hidden: an exercise is its own experiment.
    pub fn exercise(ex: Exercise, lock: Vec<Control>, hide: Vec<Control>) -> Self {
        let mut fixed: Vec<Control> = ex.fixed.iter().map(|&p| Control::Part(p)).collect();
        fixed.extend(lock);
        let mut hidden = vec![Control::Presets];
        hidden.extend(hide);
        Self {
            start: Some(ex.start.clone()),
            fixed,
            hidden,
            exercise: Some(ex),
        }
    }

    /// Rules from a plain link's `lock=` and `hide=`, against `start`.
    pub fn link(start: &ExperimentSpec, lock: Vec<Control>, hide: Vec<Control>) -> Self {
        if lock.is_empty() && hide.is_empty() {
            return Self::default();
        }
        Self {
            start: Some(start.clone()),
            fixed: lock,
            hidden: hide,
            exercise: None,
        }
    }

    pub fn any(&self) -> bool {
        self.start.is_some()
    }

    /// Fixed or hidden (what cannot be seen cannot be changed either).
    fn fixes(&self, c: Control) -> bool {
        self.fixed.contains(&c) || self.hidden.contains(&c)
    }

    pub fn hides(&self, c: Control) -> bool {
        self.hidden.contains(&c)
    }

    /// May the experiment become `spec`? If not, the first thing it changes
    /// that these rules fix.
    pub fn allows(&self, spec: &ExperimentSpec) -> Result<(), String> {
        let Some(start) = &self.start else { return Ok(()) };
        let parts: Vec<Part> = self.parts(|_| true).collect();
        exercise::check_fixed(&parts, start, spec)
    }

    /// Is an experiment-wide setting fixed (shown read-only)?
    pub fn fixes_setting(&self, f: SpecField) -> bool {
        self.parts(|c| self.fixes(c)).any(|p| p.covers_setting(f))
    }

    pub fn hides_setting(&self, f: SpecField) -> bool {
        self.parts(|c| self.hides(c)).any(|p| p.covers_setting(f))
    }

    pub fn fixes_field(&self, r: usize, p: usize, f: PhaseField) -> bool {
        self.parts(|c| self.fixes(c)).any(|x| x.covers_field(r, p, f))
    }

    pub fn hides_field(&self, r: usize, p: usize, f: PhaseField) -> bool {
        self.parts(|c| self.hides(c)).any(|x| x.covers_field(r, p, f))
    }

    /// A whole regime hidden (its row still shows in the results).
    pub fn hides_regime(&self, r: usize) -> bool {
        self.hides(Control::Part(Part::Regime(r)))
    }

    /// What the rules fix, sorted by the regime it lies in, to judge many
    /// candidates that each differ from an allowed spec in a few regimes
    /// (`Playground::card_actions`); `None` where nothing is fixed.
    pub fn by_regime(&self) -> Option<ByRegime<'_>> {
        let start = self.start.as_ref()?;
        let mut at: HashMap<usize, Vec<Part>> = HashMap::new();
        let mut names_fixed = false;
        for part in self.parts(|_| true) {
            let (r, inside) = match part {
                Part::Regimes => {
                    names_fixed = true;
                    continue;
                }
                Part::Seeds | Part::World | Part::Eval | Part::Model => continue,
                Part::Regime(r) => (r, Part::Regime(0)),
                Part::Phase(r, p) => (r, Part::Phase(0, p)),
                Part::Field(r, p, f) => (r, Part::Field(0, p, f)),
                Part::Unshown(r, p) => (r, Part::Unshown(0, p)),
            };
            at.entry(r).or_default().push(inside);
        }
        let frame = ExperimentSpec {
            regimes: vec![],
            ..start.clone()
        };
        Some(ByRegime {
            start,
            frame,
            at,
            names_fixed,
        })
    }

    /// The experiment parts among the fixed and hidden controls that `keep` takes.
    fn parts(&self, keep: impl Fn(Control) -> bool) -> impl Iterator<Item = Part> {
        let mut all: Vec<Control> = self.fixed.clone();
        all.extend(self.hidden.iter().copied());
        all.into_iter().filter(move |&c| keep(c)).filter_map(|c| match c {
            Control::Part(p) => Some(p),
            _ => None,
        })
    }
}

/// The fixed parts that lie inside one regime, by regime, each checked by
/// the engine's `check_fixed` on that regime alone (the others are not
/// copied, so a check costs the same however many regimes there are).
pub struct ByRegime<'a> {
    start: &'a ExperimentSpec,
    /// The start without its regimes: what a one-regime spec is built on.
    frame: ExperimentSpec,
    /// Parts inside regime `r`, renumbered as if it were the only one.
    at: HashMap<usize, Vec<Part>>,
    /// Which regimes there are (their number, names and order) is fixed.
    pub names_fixed: bool,
}

impl ByRegime<'_> {
    /// Would regime `r` becoming `regime` (`None`: no regime there any
    /// more) keep every fixed part inside it as it started?
    pub fn keeps(&self, r: usize, regime: Option<&RegimeSpec>) -> bool {
        let Some(parts) = self.at.get(&r) else {
            return true;
        };
        let alone = |x: Option<&RegimeSpec>| ExperimentSpec {
            regimes: x.into_iter().cloned().collect(),
            ..self.frame.clone()
        };
        exercise::check_fixed(parts, &alone(self.start.regimes.get(r)), &alone(regime)).is_ok()
    }

    /// The regimes with a fixed part inside, in no particular order.
    pub fn regimes(&self) -> impl Iterator<Item = usize> + '_ {
        self.at.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_list_is_read_in_bounded_time_with_few_notices() {
        let huge = vec!["seeds"; 200_000].join(",") + ",nope,nada";
        let start = std::time::Instant::now();
        let (controls, problems) = parse_list(&huge);
        assert!(start.elapsed().as_secs_f64() < 1.0);
        assert_eq!(controls.len(), 1);
        assert!(problems.len() <= MAX_NOTICES + 2, "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("first 256 of 200002")),
            "{problems:?}"
        );
        let junk = vec!["x"; 50].join(",");
        let (_, problems) = parse_list(&junk);
        assert_eq!(problems.len(), MAX_NOTICES + 1);
        assert!(problems[MAX_NOTICES].contains("45 more"), "{problems:?}");
        // Both counts survive when there are many items and many bad ones.
        let (_, problems) = parse_list(&vec!["x"; 1000].join(","));
        assert_eq!(problems.len(), MAX_NOTICES + 2, "{problems:?}");
        assert!(
            problems[MAX_NOTICES].contains("251 more items not understood"),
            "{problems:?}"
        );
        assert!(
            problems[MAX_NOTICES + 1].contains("first 256 of 1000"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_huge_single_item_is_refused_without_being_quoted() {
        let item = "r1.p1.".to_string() + &"x".repeat(1 << 20);
        let (controls, problems) = parse_list(&format!("seeds,{item},json"));
        assert_eq!(controls, [Control::Part(Part::Seeds), Control::Json]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].len() < 100, "{}", problems[0]);
        assert!(problems[0].contains("1048582 characters"), "{}", problems[0]);
    }

    #[test]
    fn lists_parse_with_a_message_per_bad_item() {
        let (c, p) = parse_list("presets,r2.p3.steps,,bogus,json,presets");
        assert_eq!(
            c,
            [
                Control::Presets,
                Control::Part(Part::Field(1, 2, PhaseField::Steps)),
                Control::Json
            ]
        );
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("bogus"), "{p:?}");
    }

    #[test]
    fn a_plain_link_fixes_what_it_names_against_its_own_experiment() {
        let start = upbringing_lab::presets::preset("inoculated").unwrap();
        let (lock, _) = parse_list("seeds,r2.p2.allowed");
        let (hide, _) = parse_list("world");
        let rules = Rules::link(&start, lock, hide);
        assert!(rules.allows(&start).is_ok());
        let mut s = start.clone();
        PhaseField::Inoculated
            .set(&mut s.regimes[1].phases[1], "0.5")
            .unwrap();
        assert!(rules.allows(&s).unwrap_err().contains("allowed"));
        let mut s = start.clone();
        SpecField::Lengths.set(&mut s, "2-4").unwrap();
        assert!(
            rules.allows(&s).unwrap_err().contains("world"),
            "hidden is fixed too"
        );
        let mut s = start.clone();
        PhaseField::Steps.set(&mut s.regimes[1].phases[1], "10").unwrap();
        assert!(rules.allows(&s).is_ok(), "what is not named stays free");
        assert!(
            rules.fixes_field(1, 1, PhaseField::Inoculated) && !rules.fixes_field(1, 1, PhaseField::Steps)
        );
        assert!(rules.hides_setting(SpecField::Lengths) && rules.fixes_setting(SpecField::Seeds));
        assert!(!Rules::link(&start, vec![], vec![]).any());
    }
}
