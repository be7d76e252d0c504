//! Hostile input, generated: valid results files and specs, mutated at random
//! (extreme numbers, wrong types, missing or repeated parts), go through the
//! engine's front doors (`ExperimentResults::from_json`, `ExperimentSpec::
//! from_json`) and then through every view the page and the CLI derive from
//! what was accepted. Nothing may panic, and every refusal must say what was
//! wrong. Deterministic (a fixed seed), bounded, and the counts are printed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;
use upbringing_lab::analysis;
use upbringing_lab::exercise;
use upbringing_lab::experiment::units_per_seed;
use upbringing_lab::presets;
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::rng::Rng;
use upbringing_lab::spec::{ExperimentSpec, prefix_keys};

/// Cases per front door: enough to reach every field many times, few enough
/// to finish in seconds in the test command.
const RESULTS_CASES: usize = 3000;
const SPEC_CASES: usize = 30_000;

/// Every path (object keys and array indices) in `v`, depth first.
fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                paths(x, at, out);
                at.pop();
            }
        }
        // Long arrays (rows, transcripts, logs): a few elements stand for all.
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(3) {
                at.push(i.to_string());
                paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).expect("a path from `paths`"),
        Value::Array(a) => &mut a[k.parse::<usize>().expect("an index")],
        _ => unreachable!("paths only descend into containers"),
    })
}

/// One random mutation of `v`, described.
fn mutate(v: &mut Value, rng: &mut Rng) -> String {
    let mut all = vec![];
    paths(v, &mut vec![], &mut all);
    let path = &all[rng.below(all.len())];
    let target = node(v, path).clone();
    let replacement: Value = match rng.below(14) {
        0 => u64::MAX.into(),
        1 => (1u64 << 63).into(),
        2 => (-1).into(),
        3 => 1e308.into(),
        4 => 0.into(),
        5 => (1u64 << 53).into(),
        6 => Value::Null,
        7 => "".into(),
        8 => "=HYPERLINK(\"x\")".repeat(100).into(),
        9 => Value::Array(vec![]),
        10 => Value::Object(Default::default()),
        11 => true.into(),
        // Repeat a container's first element, or drop one of its keys.
        12 => match target {
            Value::Array(mut a) if !a.is_empty() => {
                a.push(a[0].clone());
                Value::Array(a)
            }
            Value::Object(mut m) if !m.is_empty() => {
                let key = m.keys().nth(rng.below(m.len())).cloned().expect("non-empty");
                m.remove(&key);
                Value::Object(m)
            }
            other => other,
        },
        _ => match target {
            Value::Number(n) => (-n.as_f64().unwrap_or(0.0) * 1e6).into(),
            other => other,
        },
    };
    let what = format!("{} <- {}", path.join("."), short(&replacement));
    *node(v, path) = replacement;
    what
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(60).collect()
}

/// Every view of accepted results, as the page and the CLI derive them.
fn views(r: &ExperimentResults) {
    let _ = r.table();
    let _ = analysis::report_markdown(r, true);
    let _ = r.csv();
    for name in r.regimes() {
        let _ = r.mean_depth(name);
        for &seed in &r.spec.seeds {
            let _ = r.regime_logs(name, seed);
        }
    }
    let _ = ExperimentResults::answer(&[r], &r.spec);
    for e in exercise::all() {
        let _ = e.verdict(&r.spec, Some(r));
    }
}

fn read(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `cases` mutations of the `bases`, each through `door` (true: accepted,
/// false: refused; it asserts what each outcome must satisfy). A panic is
/// reported with the mutations that caused it. Returns (accepted, refused).
fn fuzz(cases: usize, seed: u64, bases: &[Value], door: impl Fn(&str) -> bool) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        let mut v = bases[rng.below(bases.len())].clone();
        let what: Vec<String> = (0..1 + rng.below(3)).map(|_| mutate(&mut v, &mut rng)).collect();
        let text = v.to_string();
        match catch_unwind(AssertUnwindSafe(|| door(&text))) {
            Ok(true) => accepted += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("case {case} panicked: {what:?}"),
        }
    }
    (accepted, refused)
}

#[test]
fn mutated_results_files_are_refused_with_a_reason_or_survive_every_view() {
    let base: Value = serde_json::from_str(&read("web/precomputed/quick.json")).unwrap();
    let (accepted, refused) = fuzz(
        RESULTS_CASES,
        12,
        &[base],
        |text| match ExperimentResults::from_json(text) {
            Ok(r) => {
                views(&r);
                true
            }
            Err(e) => {
                assert!(e.to_string().len() > 20, "a refusal says what was wrong: {e}");
                false
            }
        },
    );
    println!(
        "results files: {RESULTS_CASES} mutated, {accepted} accepted (every view ran), {refused} refused"
    );
    assert!(refused > 0 && accepted > 0, "the mutations reach both outcomes");
}

#[test]
fn mutated_specs_are_refused_with_a_reason_or_plan_a_bounded_run() {
    let bases: Vec<Value> = ["default", "quick", "ethics-class"]
        .iter()
        .map(|p| serde_json::from_str(&presets::preset(p).unwrap().to_json()).unwrap())
        .collect();
    let (accepted, refused) = fuzz(SPEC_CASES, 13, &bases, |text| {
        match ExperimentSpec::from_json(text) {
            Ok(spec) => {
                spec.validate().expect("from_json validates");
                for &seed in &spec.seeds {
                    let _ = units_per_seed(&spec, seed);
                    for r in &spec.regimes {
                        assert_eq!(prefix_keys(&spec, seed, &r.phases).len(), r.phases.len());
                    }
                }
                let _ = spec.to_json();
                true
            }
            Err(e) => {
                assert!(e.to_string().len() > 10, "a refusal says what was wrong: {e}");
                false
            }
        }
    });
    println!("specs: {SPEC_CASES} mutated, {accepted} accepted, {refused} refused");
    assert!(refused > 0 && accepted > 0, "the mutations reach both outcomes");
}
