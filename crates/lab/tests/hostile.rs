//! Hostile input, generated: valid results files and specs, mutated at random
//! (extreme numbers, wrong types, missing or repeated parts), go through the
//! engine's front doors (`ExperimentResults::from_json`, `ExperimentSpec::
//! from_json`) and then through every view the page and the CLI derive from
//! what was accepted. Nothing may panic, and every refusal must say what was
//! wrong. Deterministic (a fixed seed), bounded, and the counts are printed.

use serde_json::Value;
use upbringing_lab::analysis;
use upbringing_lab::exercise;
use upbringing_lab::experiment::units_per_seed;
use upbringing_lab::fuzz::fuzz;
use upbringing_lab::presets;
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::spec::{ExperimentSpec, prefix_keys};

/// Cases per front door: enough to reach every field many times, few enough
/// to finish in seconds in the test command.
const RESULTS_CASES: usize = 3000;
const SPEC_CASES: usize = 30_000;

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
    let bases: Vec<Value> = ["default", "quick", "ethics-class", "rivals"]
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

/// A crafted file built to stall a reader: the shipped default results with
/// 100,800 copies of one failure on a seed without rows (the reader once
/// compared every failure with every row, 10 s in `report`),
/// and a file padded past the size cap. Each is refused at once, saying why.
#[test]
fn crafted_files_made_to_stall_a_reader_are_refused_at_once() {
    let mut file: Value = serde_json::from_str(&read("web/precomputed/default.json")).unwrap();
    file["spec"]["seeds"]
        .as_array_mut()
        .unwrap()
        .push(Value::from(10));
    let failure = serde_json::json!({ "regime": "control", "seed": 10, "message": "diverged" });
    file["failures"] = Value::Array(vec![failure; 100_800]);
    let text = file.to_string();
    let t = std::time::Instant::now();
    let refused = ExperimentResults::from_json(&text).unwrap_err().to_string();
    println!(
        "{:.1} MB of repeated failures refused in {:.2} s: {refused}",
        text.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    assert!(refused.contains("appears twice"), "{refused}");
    // Past the cap: refused unread, whatever it holds.
    let mut padded = read("web/precomputed/default.json");
    padded.push_str(&" ".repeat(upbringing_lab::results::MAX_RESULTS_BYTES));
    let refused = ExperimentResults::from_json(&padded).unwrap_err().to_string();
    assert!(refused.contains("MAX_RESULTS_BYTES"), "{refused}");
}
