//! `run --jobs N` (the plan's units in N processes sharing trained prefixes
//! through a folder) writes the counts, stages, depth and curves of a run in
//! one process.

use std::process::Command;

use upbringing_lab::presets::{preset, smoke};
use upbringing_lab::results::ExperimentResults;

fn run(spec: &std::path::Path, jobs: usize, out: &std::path::Path) -> ExperimentResults {
    let status = Command::new(env!("CARGO_BIN_EXE_upbringing"))
        .args(["run", "--spec"])
        .arg(spec)
        .args(["--jobs", &jobs.to_string(), "--threads", "1", "--out"])
        .arg(out)
        .status()
        .expect("the CLI runs");
    assert!(status.success(), "run --jobs {jobs} failed");
    ExperimentResults::from_json(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn units_in_processes_sharing_prefixes_equal_one_process() {
    let dir = std::env::temp_dir().join(format!("upbringing-jobs-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = smoke(preset("quick").unwrap());
    // Shared prefixes (pretrain, capability rl), one regime with its own
    // pretraining, two seeds.
    spec.regimes
        .retain(|r| ["control", "ethics class", "coupled", "aligned pretraining"].contains(&r.name.as_str()));
    spec.seeds = vec![4, 7];
    let path = dir.join("spec.json");
    std::fs::write(&path, spec.to_json()).unwrap();
    let one = run(&path, 1, &dir.join("one.json"));
    let three = run(&path, 3, &dir.join("three.json"));
    assert_eq!(one.rows, three.rows);
    assert_eq!(one.stages, three.stages);
    assert_eq!(one.depth, three.depth);
    assert_eq!(one.logs, three.logs);
    assert!(three.failures.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
