//! Every shipped exercise is solvable: its solution meets its goals on the
//! precomputed native results the page ships (at least 3 seeds), and its
//! unsolved start does not.

use upbringing_lab::exercise;
use upbringing_lab::results::ExperimentResults;

fn precomputed(name: &str) -> ExperimentResults {
    let path = format!("{}/../../web/precomputed/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    ExperimentResults::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn each_exercise_is_met_by_its_solution_and_not_by_its_start() {
    for e in exercise::all() {
        let sources: Vec<ExperimentResults> = e.sources.iter().map(|s| precomputed(s)).collect();
        let sources: Vec<&ExperimentResults> = sources.iter().collect();
        for (what, spec, should) in [("start", &e.start, false), ("solution", &e.solution, true)] {
            let results = ExperimentResults::answer(&sources, spec)
                .unwrap_or_else(|| panic!("{}: the {what} is not in the precomputed results", e.slug));
            assert!(results.spec.seeds.len() >= 3);
            assert!(
                results.backend.contains("flex"),
                "native results: {}",
                results.backend
            );
            let v = e.verdict(spec, Some(&results));
            let lines: Vec<&str> = v.goals.iter().map(|g| g.text.as_str()).collect();
            println!("{} {what}: {lines:#?}", e.slug);
            assert_eq!(v.met(), should, "{} {what}: {lines:#?}", e.slug);
        }
    }
}
