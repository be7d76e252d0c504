//! Every results format the page and CLI have written opens today or is
//! refused with the reason and what to do (tests/fixtures/results-format-*.json
//! are shipped files of formats 1 and 2, from the repository's history), and
//! today's files open (format 3, graded by its own gaming rule, and format
//! 4). Changing the format without a migration or a message fails here.

use upbringing_lab::results::{ExperimentResults, FORMAT, OLDEST_READABLE};

fn read(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

#[test]
fn older_formats_are_refused_with_the_reason_and_what_to_do() {
    for (format, file) in [
        (1, "tests/fixtures/results-format-1.json"),
        (2, "tests/fixtures/results-format-2.json"),
    ] {
        let why = ExperimentResults::from_json(&read(file))
            .expect_err("an older format is never read as today's")
            .to_string();
        assert!(
            why.contains(&format!("format {format}")) && why.contains("run its spec again"),
            "{file}: {why}"
        );
        // The spec inside still opens, so "run its spec again" can be done.
        let doc: serde_json::Value = serde_json::from_str(&read(file)).unwrap();
        let spec: upbringing_lab::spec::ExperimentSpec =
            serde_json::from_value(doc["spec"].clone()).unwrap_or_else(|e| panic!("{file}'s spec: {e}"));
        spec.validate()
            .unwrap_or_else(|e| panic!("{file}'s spec no longer validates: {e}"));
    }
}

#[test]
fn todays_files_open() {
    for file in [
        "web/precomputed/default.json",
        "web/precomputed/pretraining-world.json",
        "web/precomputed/quick.json",
        "web/precomputed/inoculation.json",
        "web/precomputed/coherence.json",
        "web/precomputed/classroom.json",
        "tests/fixtures/words-or-deeds-start.json",
        "tests/fixtures/words-or-deeds-solution.json",
    ] {
        let results = ExperimentResults::from_json(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!((OLDEST_READABLE..=FORMAT).contains(&results.format), "{file}");
    }
}

/// The page no longer judges an opened file (it could be edited); the CLI's
/// `upbringing exercise SLUG --check FILE` does, through this same verdict.
#[test]
fn the_prepared_exercise_files_are_judged_met_and_missed() {
    let exercise = upbringing_lab::exercise::find("words-or-deeds").expect("a shipped exercise");
    for (file, met) in [
        ("tests/fixtures/words-or-deeds-solution.json", true),
        ("tests/fixtures/words-or-deeds-start.json", false),
    ] {
        let results = ExperimentResults::from_json(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            exercise.allows(&results.spec).is_ok(),
            "{file} is a design the exercise allows"
        );
        let verdict = exercise.verdict(&results.spec, Some(&results));
        assert_eq!(verdict.met(), met, "{file}: {verdict:?}");
    }
}
