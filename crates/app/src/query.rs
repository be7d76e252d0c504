//! The page's settings from its URL (`?backend=cpu&steps=200&seed=3`).
//! Tolerant: an unknown key is ignored, a bad value keeps its default and
//! yields a message the page shows.

use upbringing_lab::demo::DemoConfig;
use upbringing_lab::spec::{ExperimentSpec, MAX_SEED};

use crate::controls::{self, Control};
use crate::protocol::BackendChoice;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub backend: BackendChoice,
    pub demo: DemoConfig,
    /// The experiment preset shown and run.
    pub preset: String,
    /// Run the seconds-long smoke version of the preset.
    pub smoke: bool,
    /// A whole experiment from the link (`spec=`, see `share`), validated.
    pub spec: Option<ExperimentSpec>,
    /// The compact layout for an article's iframe (`embed=1`).
    pub embed: bool,
    /// A classroom exercise by its slug (`exercise=words-or-deeds`).
    pub exercise: Option<String>,
    /// Controls the link fixes (`lock=seeds,r2.p3.steps`) or hides (`hide=presets,json`).
    pub lock: Vec<Control>,
    pub hide: Vec<Control>,
    /// Training workers for a run (`workers=N`); `None`: one per core (`pool::size`).
    pub workers: Option<usize>,
    /// A shipped sweep shown open (`sweep=side-phase-length`).
    pub sweep: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            backend: BackendChoice::Auto,
            demo: DemoConfig::default(),
            preset: "default".into(),
            smoke: false,
            spec: None,
            embed: false,
            exercise: None,
            lock: vec![],
            hide: vec![],
            workers: None,
            sweep: None,
        }
    }
}

/// Characters of a refused value quoted back in its notice.
const QUOTED_CHARS: usize = 40;
/// Notices at most; the rest are counted in one line (the page reads one
/// value per key it knows, but `parse` takes any list).
const MAX_PROBLEMS: usize = 20;

/// `value` as a notice quotes it: its start, and how long it was if longer.
fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => format!("{:?}… ({} characters)", &value[..at], value.chars().count()),
        None => format!("{value:?}"),
    }
}

/// Parse `pairs` (already URL-decoded) into settings plus readable problems.
pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> (Settings, Vec<String>) {
    let mut s = Settings::default();
    let mut problems = Vec::new();
    for (key, value) in pairs {
        let shown = quoted(value);
        let mut number = |target: &mut usize, max: usize| match value.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => *target = n,
            _ => problems.push(format!(
                "ignored {key}={shown}: expected a whole number from 1 to {max}"
            )),
        };
        match key {
            "backend" => match value {
                "cpu" | "flex" => s.backend = BackendChoice::Cpu,
                "auto" => s.backend = BackendChoice::Auto,
                "gpu" | "webgpu" => s.backend = BackendChoice::Gpu,
                _ => problems.push(format!("ignored backend={shown}: expected cpu, webgpu or auto")),
            },
            "steps" => number(&mut s.demo.steps, 5000),
            "workers" => {
                let mut n = 0;
                number(&mut n, crate::pool::MAX_WORKERS);
                s.workers = (n > 0).then_some(n);
            }
            "batch" => number(&mut s.demo.batch_size, 256),
            "preset" => match upbringing_lab::presets::preset(value) {
                Ok(_) => s.preset = value.into(),
                Err(_) => problems.push(format!(
                    "ignored preset={shown}: no such experiment; showing the default"
                )),
            },
            "sweep" => match upbringing_lab::presets::sweep(value) {
                Ok(_) => s.sweep = Some(value.into()),
                Err(_) => problems.push(format!(
                    "ignored sweep={shown}: no such shipped sweep (known: {})",
                    upbringing_lab::presets::sweeps()
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            "embed" | "smoke" => match value {
                "1" | "true" | "0" | "false" => {
                    let on = matches!(value, "1" | "true");
                    if key == "embed" {
                        s.embed = on
                    } else {
                        s.smoke = on
                    }
                }
                _ => problems.push(format!("ignored {key}={shown}: expected 1 or 0")),
            },
            "exercise" => match upbringing_lab::exercise::find(value) {
                Some(_) => s.exercise = Some(value.into()),
                None => problems.push(format!(
                    "ignored exercise={shown}: no such exercise (see the list on the full page)"
                )),
            },
            "lock" | "hide" => {
                let (controls, bad) = controls::parse_list(value);
                problems.extend(bad.into_iter().map(|b| format!("ignored part of {key}=: {b}")));
                if key == "lock" {
                    s.lock = controls
                } else {
                    s.hide = controls
                }
            }
            "spec" => match crate::share::decode(value) {
                Ok(spec) => s.spec = Some(spec),
                Err(e) => problems.push(format!("{e}; showing the preset instead")),
            },
            // The seed crosses to the worker as a JavaScript number: above
            // 2^53 - 1 it would not survive (and the message would not go).
            "seed" => match value.parse::<u64>() {
                Ok(n) if n <= MAX_SEED => s.demo.seed = n,
                _ => problems.push(format!(
                    "ignored seed={shown}: expected a whole number from 0 to {MAX_SEED}"
                )),
            },
            _ => {}
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("{more} more settings ignored"));
    }
    (s, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_values_are_taken() {
        let (s, p) = parse([("backend", "cpu"), ("steps", "40"), ("seed", "9")]);
        assert!(p.is_empty());
        assert_eq!(s.backend, BackendChoice::Cpu);
        assert_eq!((s.demo.steps, s.demo.seed), (40, 9));
    }

    #[test]
    fn hand_edited_values_keep_defaults_and_say_why() {
        let (s, p) = parse([
            ("steps", "-3"),
            ("backend", "<script>"),
            ("steps", "99999999"),
            ("zzz", "1"),
        ]);
        assert_eq!(s, Settings::default());
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[1].contains("backend"));
    }

    #[test]
    fn a_seed_a_browser_number_cannot_hold_is_refused() {
        let (s, p) = parse([("seed", "9007199254740991")]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.demo.seed, MAX_SEED);
        // One more would make the worker message fail to encode (a panic).
        let (s, p) = parse([("seed", "9007199254740992")]);
        assert_eq!(s.demo.seed, 0);
        assert!(p[0].contains("from 0 to 9007199254740991"), "{p:?}");
    }

    #[test]
    fn long_values_are_quoted_short_and_notices_are_few() {
        let long = "9".repeat(100_000);
        let (_, p) = parse([("steps", long.as_str()), ("backend", &long[..50])]);
        assert!(p.iter().all(|m| m.len() < 120), "{p:?}");
        assert!(p[0].contains("(100000 characters)"), "{p:?}");
        let many = vec![("steps", "x"); 1000];
        let (_, p) = parse(many);
        assert_eq!(p.len(), MAX_PROBLEMS + 1);
        assert!(p[MAX_PROBLEMS].contains("980 more"), "{p:?}");
    }

    #[test]
    fn exercise_lock_and_hide_are_read_or_refused() {
        let (s, p) = parse([
            ("exercise", "words-or-deeds"),
            ("lock", "seeds,r2.p1"),
            ("hide", "json,<script>"),
        ]);
        assert_eq!(s.exercise.as_deref(), Some("words-or-deeds"));
        assert_eq!(s.lock.len(), 2);
        assert_eq!(s.hide, [Control::Json]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("<script>"), "shown as text, never markup: {p:?}");
        let (s, p) = parse([("exercise", "nonsense")]);
        assert_eq!(s.exercise, None);
        assert!(p[0].contains("no such exercise"));
    }

    #[test]
    fn a_shipped_sweep_is_opened_by_name_or_refused() {
        let (s, p) = parse([("sweep", "side-phase-length")]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.sweep.as_deref(), Some("side-phase-length"));
        let (s, p) = parse([("sweep", "../../etc")]);
        assert_eq!(s.sweep, None);
        assert!(
            p[0].contains("no such shipped sweep (known: side-phase-length"),
            "{p:?}"
        );
    }

    #[test]
    fn a_spec_in_the_link_is_restored_exactly_or_refused() {
        let mut spec = upbringing_lab::presets::preset("inoculated").unwrap();
        spec.regimes[1].phases[1].steps = 77;
        let link = crate::share::encode(&spec);
        let (s, p) = parse([("spec", link.as_str())]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.spec, Some(spec));
        let (s, p) = parse([("spec", "1.<img src=x>")]);
        assert_eq!(s.spec, None);
        assert!(p[0].contains("damaged"), "{p:?}");
    }
}
