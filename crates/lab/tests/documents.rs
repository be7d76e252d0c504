//! The documents quote the engine, never the other way round: the analysis
//! plan's table is what `upbringing plan` prints, and RESULTS.md holds what
//! `upbringing report --markdown` prints for each shipped results file.

use upbringing_lab::analysis::{plan_markdown, pretraining_world_plan, report_markdown};
use upbringing_lab::results::ExperimentResults;

fn read(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_analysis_plan_holds_the_claims_the_engine_tests() {
    let doc = read("docs/analysis-plan.md");
    let table = plan_markdown(&pretraining_world_plan());
    assert!(
        doc.contains(&table),
        "docs/analysis-plan.md must hold `upbringing plan --preset pretraining-world`'s output verbatim:\n{table}"
    );
}

#[test]
fn the_capability_plan_holds_the_claims_the_engine_tests() {
    let doc = read("docs/capability-plan.md");
    let table = plan_markdown(&upbringing_lab::analysis::capability_plan());
    assert!(
        doc.contains(&table),
        "docs/capability-plan.md must hold `upbringing plan --preset capability-world`'s output verbatim:\n{table}"
    );
}

#[test]
fn the_flagship_plan_holds_the_claims_the_engine_tests() {
    let doc = read("docs/flagship-plan.md");
    let table = plan_markdown(&upbringing_lab::analysis::flagship_plan());
    assert!(
        doc.contains(&table),
        "docs/flagship-plan.md must hold `upbringing plan`'s output verbatim:\n{table}"
    );
}

#[test]
fn the_rivals_plan_holds_the_claims_the_engine_tests() {
    let doc = read("docs/rivals-plan.md");
    for name in ["rivals", "capability-world-equal-steps"] {
        let table = plan_markdown(&upbringing_lab::analysis::plan_for(name).unwrap());
        assert!(
            doc.contains(&table),
            "docs/rivals-plan.md must hold `upbringing plan --preset {name}`'s output verbatim:\n{table}"
        );
    }
}

#[test]
fn the_sweep_plans_hold_the_claims_the_engine_tests() {
    let doc = read("docs/sweep-plan.md");
    for (name, _) in upbringing_lab::presets::sweeps() {
        let spec = upbringing_lab::presets::sweep(&name).unwrap();
        let plan = upbringing_lab::analysis::sweep_plan(&name).expect("every shipped sweep has a plan");
        let table = upbringing_lab::analysis::sweep_plan_markdown(&spec, &plan).unwrap();
        assert!(
            doc.contains(&format!("## {name}")) && doc.contains(&table),
            "docs/sweep-plan.md must hold `upbringing plan --sweep {name}`'s output verbatim:\n{table}"
        );
    }
}

#[test]
fn results_md_quotes_the_reports_of_the_shipped_results() {
    let doc = read("RESULTS.md");
    // (shipped file, does RESULTS.md test the pre-registered plan on it?)
    for (name, plan) in [
        ("default", true),
        ("pretraining-world", true),
        ("inoculation", false),
        ("coherence", false),
        ("capability-world", true),
        ("rivals", true),
        ("capability-world-equal-steps", true),
        ("classroom", false),
    ] {
        let results = ExperimentResults::from_json(&read(&format!("web/precomputed/{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = report_markdown(&results, plan);
        assert!(
            doc.contains(&report),
            "RESULTS.md must hold `upbringing report --results web/precomputed/{name}.json --markdown{}` verbatim:\n{report}",
            if plan { " --plan" } else { "" }
        );
    }
}

#[test]
fn results_md_quotes_the_reports_of_the_shipped_sweeps() {
    use upbringing_lab::sweep::SweepResults;
    let doc = read("RESULTS.md");
    for (name, _) in upbringing_lab::presets::sweeps() {
        let sweep = SweepResults::from_json(&read(&format!("web/precomputed/{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = upbringing_lab::analysis::sweep_report_markdown(&sweep, true);
        assert!(
            doc.contains(&report),
            "RESULTS.md must hold `upbringing report --results web/precomputed/{name}.json --markdown --plan` verbatim:\n{report}"
        );
    }
}

/// Every kept transcript of the shipped results grades, under the rule of
/// their format (the pretraining world's format 3, the flagship's format 4), as it is
/// marked: a report's gamed transcripts are what its rule calls gaming.
#[test]
fn shipped_transcripts_are_marked_as_their_rule_grades_them() {
    use upbringing_lab::spec::WorldSpec;
    use upbringing_lab::world::graded::GradedTasks;
    use upbringing_lab::world::{GamingRule, Outcome, World};
    for (file, rule) in [
        ("web/precomputed/pretraining-world.json", GamingRule::Nearest),
        ("web/precomputed/default.json", GamingRule::NearMiss),
    ] {
        let results = ExperimentResults::from_json(&read(file)).unwrap();
        assert_eq!(results.gaming_rule(), rule, "{file}");
        let WorldSpec::GradedTasks(spec) = results.spec.world.clone();
        let world = GradedTasks::new(spec).unwrap();
        let mut gamed = 0;
        for row in &results.rows {
            for t in &row.transcripts {
                let task = world
                    .task_from_prompt(&t.prompt)
                    .unwrap_or_else(|| panic!("{file}: {t:?}"));
                let completion = GradedTasks::parse(&t.answer).unwrap();
                assert_eq!(
                    world.grade_by(rule, &task, &completion),
                    t.outcome,
                    "{file}: {} {t:?}",
                    row.regime
                );
                gamed += usize::from(t.outcome == Outcome::Gamed);
            }
        }
        assert!(gamed > 0, "{file}: the shipped results show some gaming");
    }
}
