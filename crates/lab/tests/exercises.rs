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

/// The other paths docs/exercises.md tells teachers about, as the shipped
/// results have them: (exercise, phase of the student's regime, edits, met?).
#[test]
fn the_paths_the_teachers_notes_describe() {
    use upbringing_lab::fields::PhaseField as F;
    type Path<'a> = (&'a str, usize, &'a [(F, &'a str)], bool);
    let cases: [Path; 4] = [
        // The rival's prediction: the gotcha phase made to look like deployment.
        (
            "looks-like-deployment",
            2,
            &[(F::Monitored, "0"), (F::Deploy, "1")],
            false,
        ),
        // Inoculation kept, half the wrong answers caught and penalised: it
        // misses the 20% goal.
        (
            "exploits-allowed",
            1,
            &[(F::ExploitPenalty, "1"), (F::CheckedShare, "0.5")],
            false,
        ),
        // Coherence halfway: no dose response, it misses.
        ("does-character-carry-it", 0, &[(F::Coherence, "0.5")], false),
        // Honest writers (the aligned pretraining regime) instead of tagged
        // exploit text: it misses.
        (
            "values-in-the-data",
            0,
            &[(F::Honest, "0.8"), (F::Exploiter, "0.1"), (F::Opportunist, "0.1")],
            false,
        ),
    ];
    for (slug, phase, edits, should) in cases {
        let e = exercise::find(slug).unwrap();
        let mut spec = e.start.clone();
        for (f, v) in edits {
            f.set(&mut spec.regimes[1].phases[phase], v).unwrap();
        }
        assert!(e.allows(&spec).is_ok(), "{slug}: {:?}", e.allows(&spec));
        let sources: Vec<ExperimentResults> = e.sources.iter().map(|s| precomputed(s)).collect();
        let sources: Vec<&ExperimentResults> = sources.iter().collect();
        let results = ExperimentResults::answer(&sources, &spec)
            .unwrap_or_else(|| panic!("{slug}: {edits:?} is not precomputed"));
        let v = e.verdict(&spec, Some(&results));
        println!(
            "{slug} {edits:?}: {:?}",
            v.goals.iter().map(|g| &g.text).collect::<Vec<_>>()
        );
        assert_eq!(v.met(), should, "{slug} {edits:?}");
    }
}
