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

/// Run the sweep spec at `spec` in one process; its results and what it
/// said on stderr.
fn run_sweep(spec: &std::path::Path, out: &std::path::Path) -> (upbringing_lab::sweep::SweepResults, String) {
    let ran = Command::new(env!("CARGO_BIN_EXE_upbringing"))
        .args(["run", "--spec"])
        .arg(spec)
        .args(["--jobs", "1", "--threads", "1", "--out"])
        .arg(out)
        .output()
        .expect("the CLI runs");
    let said = String::from_utf8_lossy(&ran.stderr).into_owned();
    assert!(ran.status.success(), "the sweep failed: {said}");
    let text = std::fs::read_to_string(out).unwrap();
    (
        upbringing_lab::sweep::SweepResults::from_json(&text).unwrap(),
        said,
    )
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

/// A sweep's values share one folder of checkpoints (the second value
/// recalls the first's pretraining and capability rl): each value's results
/// equal that value's experiment run alone.
#[test]
fn a_sweep_sharing_prefixes_across_values_equals_each_value_alone() {
    use upbringing_lab::spec::{Linked, Sweep};
    use upbringing_lab::sweep::points;
    let dir = std::env::temp_dir().join(format!("upbringing-sweep-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = smoke(preset("quick").unwrap());
    spec.regimes
        .retain(|r| ["side phase", "coupled"].contains(&r.name.as_str()));
    spec.seeds = vec![3];
    spec.sweep = Some(Sweep {
        setting: "r1.p3.steps".into(),
        values: vec!["2".into(), "5".into()],
        linked: vec![Linked {
            setting: "r2.p2.caught".into(),
            values: vec!["1/4".into(), "1/2".into()],
        }],
    });
    let path = dir.join("sweep.json");
    std::fs::write(&path, spec.to_json()).unwrap();
    let (sweep, said) = run_sweep(&path, &dir.join("sweep-out.json"));
    let second = &said[said.find("sweep 2/2").expect("the second value ran")..];
    assert!(
        second.contains("pretrain (kept from an earlier run)"),
        "the second value recalls the first's pretraining: {second}"
    );
    for ((value, point), got) in points(&spec).unwrap().iter().zip(&sweep.points) {
        let alone_spec = dir.join(format!("point-{value}.json"));
        std::fs::write(&alone_spec, point.to_json()).unwrap();
        let alone = run(&alone_spec, 1, &dir.join(format!("point-{value}-out.json")));
        assert_eq!(got.results.rows, alone.rows, "value {value}");
        assert_eq!(got.results.stages, alone.stages, "value {value}");
        assert_eq!(got.results.logs, alone.logs, "value {value}");
    }
    assert_ne!(
        sweep.points[0].results.logs, sweep.points[1].results.logs,
        "the values train differently"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sweep values that evaluate differently (here the episode count) share
/// trained prefixes but not their after-each-phase scores: each value's
/// stages equal that value's experiment run alone.
#[test]
fn a_sweep_over_evaluation_settings_scores_each_value_afresh() {
    use upbringing_lab::spec::Sweep;
    use upbringing_lab::sweep::points;
    let dir = std::env::temp_dir().join(format!("upbringing-sweep-eval-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = smoke(preset("quick").unwrap());
    spec.regimes.retain(|r| r.name == "control");
    spec.seeds = vec![2];
    spec.sweep = Some(Sweep {
        setting: "episodes".into(),
        values: vec!["16".into(), "30".into()],
        linked: vec![],
    });
    let path = dir.join("sweep.json");
    std::fs::write(&path, spec.to_json()).unwrap();
    let (sweep, _) = run_sweep(&path, &dir.join("sweep-out.json"));
    for ((value, point), got) in points(&spec).unwrap().iter().zip(&sweep.points) {
        let alone_spec = dir.join(format!("point-{value}.json"));
        std::fs::write(&alone_spec, point.to_json()).unwrap();
        let alone = run(&alone_spec, 1, &dir.join(format!("point-{value}-out.json")));
        assert_eq!(got.results.stages, alone.stages, "episodes = {value}");
        assert_eq!(got.results.rows, alone.rows, "episodes = {value}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Children start from the image the parent runs, not from the file it was
/// started from: rebuilding or removing that file while a run goes on (a
/// sweep of hours outlives builds) neither breaks the run nor mixes engines.
#[cfg(target_os = "linux")]
#[test]
fn a_run_survives_its_binary_being_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("upbringing-replaced-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = smoke(preset("quick").unwrap());
    // Units wait for the shared prefix, so most children start after the swap.
    spec.regimes
        .retain(|r| ["control", "ethics class", "coupled"].contains(&r.name.as_str()));
    spec.seeds = vec![4];
    let path = dir.join("spec.json");
    std::fs::write(&path, spec.to_json()).unwrap();
    let exe = dir.join("upbringing");
    std::fs::copy(env!("CARGO_BIN_EXE_upbringing"), &exe).unwrap();
    let child = Command::new(&exe)
        .args(["run", "--spec"])
        .arg(&path)
        .args(["--jobs", "2", "--threads", "1", "--out"])
        .arg(dir.join("out.json"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    // A rebuild: the old file goes, a different program takes its name.
    std::fs::remove_file(&exe).unwrap();
    std::fs::write(&exe, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ran = child.wait_with_output().unwrap();
    assert!(
        ran.status.success(),
        "the run failed after its binary was replaced: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let out = ExperimentResults::from_json(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(out.failures, vec![]);
    assert!(!out.rows.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Results say the commit the binary was built from, not that of whatever
/// repository encloses the directory it runs in (issue 25, finding 9).
#[test]
fn results_carry_the_commit_the_binary_was_built_from() {
    let dir = std::env::temp_dir().join(format!("upbringing-commit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Another repository, with a commit of its own, around the run.
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let other = git(&["init", "-q"])
        .and_then(|_| git(&["commit", "-q", "--allow-empty", "-m", "elsewhere"]))
        .and_then(|_| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_default();
    let mut spec = smoke(preset("quick").unwrap());
    spec.regimes.truncate(1);
    let path = dir.join("spec.json");
    std::fs::write(&path, spec.to_json()).unwrap();
    let out = dir.join("out.json");
    let status = Command::new(env!("CARGO_BIN_EXE_upbringing"))
        .current_dir(&dir)
        .args([
            "run",
            "--spec",
            "spec.json",
            "--jobs",
            "1",
            "--threads",
            "1",
            "--out",
            "out.json",
        ])
        .status()
        .expect("the CLI runs");
    assert!(status.success());
    let results = ExperimentResults::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let built = env!("UPBRINGING_COMMIT");
    assert_eq!(results.commit.as_deref().unwrap_or(""), built);
    if !other.is_empty() {
        assert!(
            !built.starts_with(&other),
            "stamped with the enclosing repository's commit"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
