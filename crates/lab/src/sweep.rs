//! One setting swept over values, for dose-response curves: a spec with a
//! `sweep` stands for one experiment per value, each the spec with that
//! setting (and any settings linked to it) set, and no sweep. Settings are named as the page names them
//! (`fields`): a phase's `r2.p3.steps` (regime and phase counted from 1, as
//! in `lock=`), an experiment-wide `episodes` or `lengths`, or the model's
//! `model.d_model`, `model.n_heads`, `model.n_layers`.
//!
//! Every point runs through the same engine as any experiment; a sweep's
//! results file holds each point's results beside the sweep that made them.

use serde::{Deserialize, Serialize};

use crate::error::{LabError, Result};
use crate::eval::Condition;
use crate::fields::{PhaseField, SpecField};
use crate::results::{ExperimentResults, FORMAT, Metric, OLDEST_READABLE, quote};
use crate::spec::ExperimentSpec;
use crate::stats::Rate;

/// Where a swept value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setting {
    /// A phase setting of one regime (both 0-based here).
    Phase {
        regime: usize,
        phase: usize,
        field: PhaseField,
    },
    Spec(SpecField),
    Model(ModelSetting),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModelSetting {
    DModel,
    NHeads,
    NLayers,
}

// Reading a setting's name lives here, not in `spec` beside `Sweep`: it
// needs `fields`, which needs `spec`.
fn parse(name: &str) -> std::result::Result<Setting, String> {
    let name = name.trim();
    let unknown = || {
        format!(
            "sweep: unknown setting {name:?} (a phase's `r2.p3.steps`, one of {}, or model.d_model, \
             model.n_heads, model.n_layers)",
            SpecField::ALL.map(|f| f.key()).join(", ")
        )
    };
    if let Some(model) = name.strip_prefix("model.") {
        return Ok(Setting::Model(match model {
            "d_model" => ModelSetting::DModel,
            "n_heads" => ModelSetting::NHeads,
            "n_layers" => ModelSetting::NLayers,
            _ => return Err(unknown()),
        }));
    }
    if let Some(f) = SpecField::ALL.into_iter().find(|f| f.key() == name) {
        return Ok(Setting::Spec(f));
    }
    let mut parts = name.split('.');
    let index = |part: Option<&str>, letter: char| {
        part.and_then(|p| p.strip_prefix(letter))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n >= 1)
            .map(|n| n - 1)
    };
    match (
        index(parts.next(), 'r'),
        index(parts.next(), 'p'),
        parts.next(),
        parts.next(),
    ) {
        (Some(regime), Some(phase), Some(key), None) => match PhaseField::from_key(key) {
            Some(field) => Ok(Setting::Phase { regime, phase, field }),
            None => Err(unknown()),
        },
        _ => Err(unknown()),
    }
}

fn apply(spec: &mut ExperimentSpec, setting: Setting, value: &str) -> std::result::Result<(), String> {
    match setting {
        Setting::Phase { regime, phase, field } => {
            let regimes = spec.regimes.len();
            let r = spec.regimes.get_mut(regime).ok_or_else(|| {
                format!(
                    "sweep: there is no regime {} (the spec has {regimes})",
                    regime + 1
                )
            })?;
            let phases = r.phases.len();
            let name = r.name.clone();
            let p = r
                .phases
                .get_mut(phase)
                .ok_or_else(|| format!("sweep: {name:?} has no phase {} (it has {phases})", phase + 1))?;
            field.set(p, value).map_err(|e| format!("sweep: {e}"))
        }
        Setting::Spec(field) => field.set(spec, value).map_err(|e| format!("sweep: {e}")),
        Setting::Model(m) => {
            let n = value
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("sweep: {value:?} is not a whole number"))?;
            match m {
                ModelSetting::DModel => spec.model.d_model = n,
                ModelSetting::NHeads => spec.model.n_heads = n,
                ModelSetting::NLayers => spec.model.n_layers = n,
            }
            Ok(())
        }
    }
}

/// Each value with its experiment: `spec` without its sweep, the setting
/// set to the value, validated. A spec without a sweep is one point, named "".
pub fn points(spec: &ExperimentSpec) -> Result<Vec<(String, ExperimentSpec)>> {
    let base = ExperimentSpec {
        sweep: None,
        ..spec.clone()
    };
    let Some(sweep) = &spec.sweep else {
        base.validate()?;
        return Ok(vec![(String::new(), base)]);
    };
    sweep.check_shape().map_err(LabError::Spec)?;
    let setting = parse(&sweep.setting).map_err(LabError::Spec)?;
    let linked = sweep
        .linked
        .iter()
        .map(|l| parse(&l.setting))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(LabError::Spec)?;
    // Two names for one setting (`r1.p3.steps`, `r01.p3.steps`): the later
    // value would silently win over the one the point is labelled by.
    for (i, s) in linked.iter().enumerate() {
        if *s == setting || linked[..i].contains(s) {
            return Err(LabError::Spec(format!(
                "sweep: the setting {:?} is swept twice",
                sweep.linked[i].setting
            )));
        }
    }
    sweep
        .values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let mut point = base.clone();
            apply(&mut point, setting, value).map_err(LabError::Spec)?;
            for (l, &s) in sweep.linked.iter().zip(&linked) {
                apply(&mut point, s, &l.values[i])
                    .map_err(|e| LabError::Spec(format!("{e} (linked {} = {})", l.setting, l.values[i])))?;
            }
            point
                .validate()
                .map_err(|e| LabError::Spec(format!("sweep: at {} = {value}: {e}", sweep.setting)))?;
            Ok((value.trim().to_string(), point))
        })
        .collect()
}

/// A sweep's results: each value's results, as one run of its experiment
/// would write them, beside the spec (with its sweep) that made them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepResults {
    /// The results format of every point ([`FORMAT`]).
    pub format: u32,
    pub spec: ExperimentSpec,
    pub points: Vec<SweepPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepPoint {
    pub value: String,
    pub results: ExperimentResults,
}

impl SweepResults {
    /// `results[i]` answers the sweep's value `i`.
    pub fn new(spec: &ExperimentSpec, results: Vec<ExperimentResults>) -> Result<Self> {
        let points = points(spec)?;
        if points.len() != results.len() {
            return Err(LabError::Invalid(format!(
                "a sweep of {} values got {} results",
                points.len(),
                results.len()
            )));
        }
        Ok(Self {
            format: FORMAT,
            spec: spec.clone(),
            points: points
                .into_iter()
                .zip(results)
                .map(|((value, _), results)| SweepPoint { value, results })
                .collect(),
        })
    }

    /// A sweep results file, checked: no larger than one results file may be
    /// ([`crate::results::MAX_RESULTS_BYTES`]), a format this engine reads, every point's results
    /// checked as any results file, and each the results of its value's
    /// experiment (so a file cannot pair numbers with the wrong setting).
    pub fn from_json(text: &str) -> Result<Self> {
        // The whole file under the one cap, not only each point's results.
        ExperimentResults::check_size(text.len() as u64)?;
        let file: Self = serde_json::from_str(text)
            .map_err(|e| LabError::Invalid(format!("not a sweep results file: {e}")))?;
        if !(OLDEST_READABLE..=FORMAT).contains(&file.format) {
            return Err(LabError::Invalid(format!(
                "sweep results format {} is not one this engine reads ({OLDEST_READABLE} to {FORMAT}); run its \
                 spec again",
                file.format
            )));
        }
        let expected = points(&file.spec)?;
        if expected.len() != file.points.len() {
            return Err(LabError::Invalid(format!(
                "the sweep has {} values but the file {} results",
                expected.len(),
                file.points.len()
            )));
        }
        for ((value, spec), point) in expected.iter().zip(&file.points) {
            let text = serde_json::to_string(&point.results).expect("results serialise");
            let results = ExperimentResults::from_json(&text)
                .map_err(|e| LabError::Invalid(format!("sweep value {value}: {e}")))?;
            // Compared as read back from JSON, as the file's own specs were:
            // a fraction such as 20/220 need not parse back to the same bits.
            let spec: ExperimentSpec =
                serde_json::from_str(&serde_json::to_string(spec).expect("specs serialise"))
                    .expect("a spec reads back");
            if point.value != *value || results.spec != spec {
                return Err(LabError::Invalid(format!(
                    "the results given for {} = {value} are not that experiment's",
                    file.spec.sweep.as_ref().map_or("", |s| s.setting.as_str())
                )));
            }
        }
        Ok(file)
    }

    /// Every point's tidy CSV, one table, with the swept value first.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.points.iter().enumerate() {
            for (j, line) in p.results.csv().lines().enumerate() {
                match (i, j) {
                    (0, 0) => out.push_str(&format!("sweep_value,{line}\n")),
                    (_, 0) => {}
                    _ => out.push_str(&format!("{},{line}\n", quote(&p.value))),
                }
            }
        }
        out
    }

    /// The measures a sweep is read by: gaming in distribution and on the
    /// held-out new trick, and honest success in distribution.
    pub const MEASURES: [(Metric, Condition); 3] = [
        (Metric::Gamed, Condition::InDistribution),
        (Metric::Gamed, Condition::HeldOutNewTrick),
        (Metric::Honest, Condition::InDistribution),
    ];

    /// Every regime of any value, in order of first appearance.
    pub fn regimes(&self) -> Vec<&str> {
        let mut regimes: Vec<&str> = vec![];
        for p in &self.points {
            for r in p.results.regimes() {
                if !regimes.contains(&r) {
                    regimes.push(r);
                }
            }
        }
        regimes
    }

    /// `regime`'s `metric` in `condition` at each value, pooled over seeds
    /// with its 95% Wilson interval (no trials where the value lacks it).
    pub fn curve(&self, regime: &str, metric: Metric, condition: Condition) -> Vec<Rate> {
        self.points
            .iter()
            .map(|p| p.results.cell(regime, condition).metric(metric).pooled)
            .collect()
    }

    /// Per regime, the rows of the dose-response table: value, each of
    /// [`Self::MEASURES`] (pooled over seeds, with its interval), seeds.
    fn dose_response(&self) -> Vec<(&str, Vec<[String; 5]>)> {
        let show = |r: Rate| {
            if r.trials == 0 {
                "–".to_string()
            } else {
                format!(
                    "{:.0}% [{:.0}, {:.0}]",
                    100.0 * r.rate,
                    100.0 * r.lo,
                    100.0 * r.hi
                )
            }
        };
        self.regimes()
            .into_iter()
            .map(|regime| {
                let [a, b, c] = Self::MEASURES.map(|(m, cond)| self.curve(regime, m, cond));
                let rows = self
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        [
                            p.value.clone(),
                            show(a[i]),
                            show(b[i]),
                            show(c[i]),
                            p.results.spec.seeds.len().to_string(),
                        ]
                    })
                    .collect();
                (regime, rows)
            })
            .collect()
    }

    const HEADS: [&'static str; 4] = ["gamed, in-dist", "gamed, new trick", "honest, in-dist", "seeds"];

    fn setting(&self) -> &str {
        self.spec.sweep.as_ref().map_or("value", |s| s.setting.as_str())
    }

    /// The dose-response table, as text: per regime, one row per value.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let line = |cells: [&str; 5]| {
            format!(
                "{:>16}  {:>18}  {:>18}  {:>18}  {:>5}\n",
                cells[0], cells[1], cells[2], cells[3], cells[4]
            )
        };
        for (regime, rows) in self.dose_response() {
            out.push_str(&format!("\n{regime}\n"));
            let [a, b, c, d] = Self::HEADS;
            out.push_str(&line([self.setting(), a, b, c, d]));
            for row in &rows {
                out.push_str(&line(row.each_ref().map(String::as_str)));
            }
        }
        out
    }

    /// The dose-response table as Markdown (what RESULTS.md quotes): rates
    /// in % pooled over seeds [Wilson 95%].
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for (regime, rows) in self.dose_response() {
            let [a, b, c, d] = Self::HEADS;
            out.push_str(&format!(
                "\n**{regime}** (% pooled over seeds [Wilson 95%]):\n\n| {} | {a} | {b} | {c} | {d} |\n\
                 |---|---|---|---|---|\n",
                self.setting()
            ));
            for row in &rows {
                out.push_str(&format!("| {} |\n", row.join(" | ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::{preset, smoke};
    use crate::spec::{Linked, MAX_SWEEP_VALUES, Sweep};

    #[test]
    fn a_sweep_file_past_the_cap_is_refused_unread() {
        // Whitespace is valid JSON around a document: only the size check can refuse it.
        let huge = format!("{}{{}}", " ".repeat(crate::results::MAX_RESULTS_BYTES));
        let err = SweepResults::from_json(&huge).unwrap_err().to_string();
        assert!(err.contains("refused unread"), "{err}");
    }

    fn swept(setting: &str, values: &[&str]) -> ExperimentSpec {
        ExperimentSpec {
            sweep: Some(Sweep {
                setting: setting.into(),
                values: values.iter().map(|v| v.to_string()).collect(),
                linked: vec![],
            }),
            ..preset("quick").unwrap()
        }
    }

    #[test]
    fn each_value_sets_its_setting_and_nothing_else() {
        let spec = swept("r2.p3.steps", &["20", "80", "320"]);
        spec.validate().unwrap();
        let expanded = points(&spec).unwrap();
        assert_eq!(expanded.len(), 3);
        let base = ExperimentSpec {
            sweep: None,
            ..spec.clone()
        };
        for ((value, point), steps) in expanded.iter().zip([20, 80, 320]) {
            assert_eq!(value, &steps.to_string());
            assert_eq!(point.sweep, None);
            assert_eq!(point.regimes[1].phases[2].steps, steps);
            let mut back = point.clone();
            back.regimes[1].phases[2].steps = base.regimes[1].phases[2].steps;
            assert_eq!(back, base, "only the swept setting differs");
        }
        let model = points(&swept("model.d_model", &["32", "64", "128", "256"])).unwrap();
        assert_eq!(
            model.iter().map(|(_, s)| s.model.d_model).collect::<Vec<_>>(),
            [32, 64, 128, 256]
        );
        let episodes = points(&swept("episodes", &["40"])).unwrap();
        assert_eq!(episodes[0].1.eval.episodes, 40);
    }

    #[test]
    fn linked_settings_take_their_value_at_each_point() {
        let mut spec = swept("r7.p3.steps", &["20", "80"]);
        spec.sweep.as_mut().unwrap().linked = vec![
            Linked {
                setting: "r8.p2.steps".into(),
                values: vec!["220".into(), "280".into()],
            },
            Linked {
                setting: "r8.p2.caught".into(),
                values: vec!["1/11".into(), "2/7".into()],
            },
        ];
        spec.validate().unwrap();
        let expanded = points(&spec).unwrap();
        let coupled = |s: &ExperimentSpec| match &s.regimes[7].phases[1].objective {
            crate::spec::Objective::Rl(rl) => (s.regimes[7].phases[1].steps, rl.checked_share),
            _ => panic!("coupled's second phase is rl"),
        };
        assert_eq!(expanded[0].1.regimes[6].phases[2].steps, 20);
        assert_eq!(coupled(&expanded[0].1), (220, 1.0 / 11.0));
        assert_eq!(expanded[1].1.regimes[6].phases[2].steps, 80);
        assert_eq!(coupled(&expanded[1].1), (280, 2.0 / 7.0));

        let why = |linked: Vec<Linked>| {
            let mut s = swept("r7.p3.steps", &["20", "80"]);
            s.sweep.as_mut().unwrap().linked = linked;
            points(&s).unwrap_err().to_string()
        };
        let l = |setting: &str, values: &[&str]| Linked {
            setting: setting.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        assert!(why(vec![l("r8.p2.steps", &["220"])]).contains("one for each"));
        assert!(why(vec![l("r7.p3.steps", &["1", "2"])]).contains("swept twice"));
        assert!(why(vec![l("r07.p3.steps", &["1", "2"])]).contains("swept twice"));
        assert!(why(vec![l("r8.p2.colour", &["1", "2"])]).contains("unknown setting"));
        assert!(why(vec![l("r8.p2.caught", &["1/2", "x"])]).contains("linked r8.p2.caught = x"));
    }

    #[test]
    fn a_bad_sweep_is_refused_with_the_reason() {
        let why = |spec: ExperimentSpec| points(&spec).unwrap_err().to_string();
        assert!(why(swept("r2.p9.steps", &["10"])).contains("has no phase 9"));
        assert!(why(swept("r99.p1.steps", &["10"])).contains("no regime 99"));
        assert!(why(swept("r2.p3.colour", &["10"])).contains("unknown setting"));
        assert!(why(swept("model.d_model", &["30"])).contains("at model.d_model = 30"));
        assert!(why(swept("r2.p3.steps", &["ten"])).contains("not a whole number"));
        assert!(why(swept("r2.p3.steps", &["10", "10"])).contains("twice"));
        let many: Vec<String> = (1..=MAX_SWEEP_VALUES + 1).map(|n| n.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let err = swept("r2.p3.steps", &many).validate().unwrap_err().to_string();
        assert!(err.contains("MAX_SWEEP_VALUES"), "{err}");
    }

    #[test]
    fn a_spec_without_a_sweep_is_one_point_and_serialises_as_before() {
        let spec = preset("quick").unwrap();
        assert_eq!(points(&spec).unwrap(), vec![(String::new(), spec.clone())]);
        assert!(
            !serde_json::to_string(&spec).unwrap().contains("sweep"),
            "keys and links unchanged"
        );
    }

    #[test]
    fn sweep_results_round_trip_are_checked_and_tabled() {
        let spec = ExperimentSpec {
            seeds: vec![0],
            ..smoke(swept("r1.p1.steps", &["2", "3"]))
        };
        let spec = ExperimentSpec {
            regimes: spec.regimes[..1].to_vec(),
            ..spec
        };
        let backend = crate::Backend::flex();
        let results: Vec<ExperimentResults> = points(&spec)
            .unwrap()
            .iter()
            .map(|(_, point)| {
                pollster::block_on(crate::experiment::run(point, &backend, &mut |_| true)).unwrap()
            })
            .collect();
        let file = SweepResults::new(&spec, results).unwrap();
        let text = serde_json::to_string(&file).unwrap();
        assert_eq!(SweepResults::from_json(&text).unwrap(), file);
        let table = file.table();
        assert!(
            table.contains("r1.p1.steps") && table.contains("gamed, new trick"),
            "{table}"
        );
        assert_eq!(
            table
                .lines()
                .filter(|l| l.trim_start().starts_with(['2', '3']))
                .count(),
            2,
            "{table}"
        );
        let csv = file.csv();
        let rows = file
            .points
            .iter()
            .map(|p| p.results.csv().lines().count() - 1)
            .sum::<usize>();
        assert_eq!(csv.lines().count(), 1 + rows, "one header, every point's rows");
        assert!(csv.starts_with("sweep_value,") && csv.lines().skip(1).all(|l| l.starts_with(['2', '3'])));
        // Numbers moved to another value's slot are refused.
        let mut swapped = file.clone();
        swapped.points.swap(0, 1);
        let err = SweepResults::from_json(&serde_json::to_string(&swapped).unwrap()).unwrap_err();
        assert!(err.to_string().contains("not that experiment's"), "{err}");
    }
}
