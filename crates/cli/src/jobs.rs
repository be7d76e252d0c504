//! `run --jobs N`: seeds trained in parallel, each in its own process.
//!
//! Processes, not threads: two seeds on two threads of one process ran no
//! faster than one after the other (burn serialises work across threads of
//! a process), while processes scale with the cores. A seed's result depends
//! only on the spec and the seed, so how it was scheduled never shows.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use upbringing_lab::host::Progress;
use upbringing_lab::results::SeedOutcome;
use upbringing_lab::spec::ExperimentSpec;

use crate::progress::Bar;

/// Prefix of a child's progress lines on stderr: `units \t regime \t stage`.
pub const PROGRESS: &str = "@progress ";

type Error = Box<dyn std::error::Error + Send + Sync>;

pub fn run_seeds(
    spec: &ExperimentSpec,
    backend: &str,
    jobs: usize,
    total: usize,
    bar: &mut Bar,
) -> Result<Vec<SeedOutcome>, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("upbringing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_json())?;
    let exe = std::env::current_exe()?;
    let shared = Mutex::new((0usize, bar));
    let results: Vec<(usize, Result<SeedOutcome, Error>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|job| {
                let (shared, spec_path, exe, dir) = (&shared, &spec_path, &exe, &dir);
                scope.spawn(move || {
                    let mut mine = vec![];
                    for (i, &seed) in spec.seeds.iter().enumerate().skip(job).step_by(jobs) {
                        let out = dir.join(format!("seed-{seed}.json"));
                        let result =
                            one_seed(exe, spec_path, seed, backend, &out, &mut |n, regime, stage| {
                                let mut g = shared.lock().unwrap_or_else(|e| e.into_inner());
                                g.0 += n;
                                let done = g.0;
                                g.1.show(&Progress {
                                    done,
                                    total,
                                    seed,
                                    regime: regime.into(),
                                    stage: stage.into(),
                                });
                            });
                        let failed = result.is_err();
                        mine.push((i, result));
                        if failed {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a job thread panicked"))
            .collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, r)| r.map_err(|e| format!("seed {}: {e}", spec.seeds[i]).into()))
        .collect()
}

fn one_seed(
    exe: &std::path::Path,
    spec: &std::path::Path,
    seed: u64,
    backend: &str,
    out: &std::path::Path,
    on_units: &mut dyn FnMut(usize, &str, &str),
) -> Result<SeedOutcome, Error> {
    let mut child = Command::new(exe)
        .arg("seed")
        .arg("--spec")
        .arg(spec)
        .args(["--seed", &seed.to_string(), "--backend", backend, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut other = String::new();
    for line in std::io::BufReader::new(child.stderr.take().expect("piped")).lines() {
        let line = line?;
        match line
            .strip_prefix(PROGRESS)
            .map(|l| l.splitn(3, '\t').collect::<Vec<_>>())
        {
            Some(parts) if parts.len() == 3 => on_units(parts[0].parse().unwrap_or(0), parts[1], parts[2]),
            _ => {
                other.push_str(&line);
                other.push('\n');
            }
        }
    }
    if !child.wait()?.success() {
        return Err(other.trim().to_string().into());
    }
    Ok(serde_json::from_str(&std::fs::read_to_string(out)?)?)
}
