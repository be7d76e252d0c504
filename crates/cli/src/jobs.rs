//! `run --jobs N`: the plan's units (`lab::plan`: one regime at one seed)
//! trained in parallel, each in its own process, handed out by the same
//! schedule as the page's workers. Processes share trained prefixes through
//! a folder of checkpoints: a unit starts once the prefix it shares with an
//! earlier one is trained, and recalls it instead of training it twice.
//!
//! Processes, not threads: two seeds on two threads of one process ran no
//! faster than one after the other (burn serialises work across threads of
//! a process), while processes scale with the cores. A unit's result depends
//! only on the spec, the regime and the seed, so how it was scheduled never
//! shows (`plan::merge` lays the units out as one process would).

use std::future::Future;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use upbringing_lab::checkpoint::Checkpoint;
use upbringing_lab::host::{Host, Progress};
use upbringing_lab::plan::{self, Schedule};
use upbringing_lab::results::{SeedOutcome, Unit};
use upbringing_lab::spec::ExperimentSpec;

use crate::progress::Bar;

/// Prefix of a child's progress lines on stderr: `units \t regime \t stage`.
const PROGRESS: &str = "@progress ";
/// Prefix of a child's line saying a prefix is trained and in the folder.
const TRAINED: &str = "@trained ";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What a child process says, as the parent hears it.
enum Event {
    Progress { n: usize, regime: String, stage: String },
    Trained(u64),
    Ended(Result<SeedOutcome, String>),
}

/// Run every unit of `spec` on up to `jobs` processes at once; one outcome
/// per seed, as one process would lay them out. `shared`: a folder of
/// checkpoints to recall from and add to (a sweep's points share their
/// prefixes through it); otherwise one for this run alone.
pub fn run_units(
    spec: &ExperimentSpec,
    backend: &str,
    jobs: usize,
    shared: Option<&Path>,
    bar: &mut Bar,
) -> Result<Vec<SeedOutcome>, Box<dyn std::error::Error>> {
    let dir = scratch("run")?;
    let checkpoints = match shared {
        Some(folder) => folder.to_path_buf(),
        None => dir.join("checkpoints"),
    };
    std::fs::create_dir_all(&checkpoints)?;
    let result = schedule(spec, backend, jobs, &dir, &checkpoints, bar);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A new folder under the temporary folder that only this user can enter,
/// under a name nobody could have guessed and taken first: on a shared
/// machine another user could otherwise create it beforehand (a sticky
/// /tmp keeps us from removing theirs) and plant symlinks that turn our
/// writes against our own files, or outcomes that forge results. Creating
/// it is atomic and fails if the name exists, so we only ever use a
/// folder we made.
pub fn scratch(what: &str) -> std::io::Result<PathBuf> {
    use std::hash::{BuildHasher, Hasher};
    use std::os::unix::fs::DirBuilderExt;
    let mut last = None;
    for attempt in 0u32..16 {
        // std's per-process random keys, the clock and the attempt: unguessable enough
        // for a name, and a clash only costs another attempt.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(attempt);
        let dir = std::env::temp_dir().join(format!(
            "upbringing-{}-{what}-{:016x}",
            std::process::id(),
            h.finish()
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("every attempt clashed"))
}

/// The binary to start children from: the image this process runs, even
/// after the file it was started from is rebuilt or removed (a sweep of
/// hours outlives builds; children of a newer binary would train with
/// another engine, and a removed one cannot start at all). On Linux the
/// kernel's link to the running image; elsewhere the path it started from.
fn running_binary() -> std::io::Result<PathBuf> {
    if cfg!(target_os = "linux") {
        Ok(PathBuf::from("/proc/self/exe"))
    } else {
        std::env::current_exe()
    }
}

/// Does a child's outcome hold only its own unit (every row, stage, depth
/// row, log and failure at its seed; every row and failure of its regime)?
/// A file in the folder that says otherwise was not written by that child.
fn belongs_to(outcome: &SeedOutcome, unit: &Unit) -> Result<(), String> {
    let mut seeds = outcome
        .rows
        .iter()
        .map(|r| r.seed)
        .chain(outcome.stages.iter().map(|r| r.seed))
        .chain(outcome.depth.iter().map(|r| r.seed))
        .chain(outcome.logs.iter().map(|r| r.seed))
        .chain(outcome.failures.iter().map(|f| f.seed));
    let mut regimes = outcome
        .rows
        .iter()
        .map(|r| r.regime.as_str())
        .chain(outcome.failures.iter().map(|f| f.regime.as_str()));
    if let Some(seed) = seeds.find(|&s| s != unit.seed) {
        return Err(format!(
            "its outcome holds seed {seed}, not the unit's {}",
            unit.seed
        ));
    }
    if let Some(regime) = regimes.find(|&r| r != unit.regime) {
        return Err(format!(
            "its outcome holds regime {regime:?}, not the unit's {:?}",
            unit.regime
        ));
    }
    if outcome.rows.is_empty() && outcome.failures.is_empty() {
        return Err("its outcome holds neither rows nor a failure".into());
    }
    Ok(())
}

fn schedule(
    spec: &ExperimentSpec,
    backend: &str,
    jobs: usize,
    dir: &Path,
    checkpoints: &Path,
    bar: &mut Bar,
) -> Result<Vec<SeedOutcome>, Box<dyn std::error::Error>> {
    let exe = running_binary()?;
    let mut schedule = Schedule::new(plan::plan(spec));
    let total: usize = schedule.plan().iter().map(|p| p.cost).sum();
    let mut pieces: Vec<Option<SeedOutcome>> = vec![None; schedule.plan().len()];
    let (tx, rx) = mpsc::channel::<(usize, Event)>();
    let mut free: Vec<usize> = (0..jobs.max(1)).rev().collect();
    let mut slot_of = vec![usize::MAX; schedule.plan().len()];
    let (mut running, mut done) = (0usize, 0usize);
    let mut failed: Option<String> = None;
    loop {
        // Hand out what is ready, unless a unit failed (then only wait).
        while failed.is_none()
            && let Some(&slot) = free.last()
            && let Some(u) = schedule.next(slot)
        {
            free.pop();
            slot_of[u] = slot;
            running += 1;
            let unit = schedule.plan()[u].unit.clone();
            let unit_path = dir.join(format!("unit-{u}.json"));
            std::fs::write(&unit_path, plan::unit_spec(spec, &unit).to_json())?;
            let (tx, exe, backend, checkpoints) = (
                tx.clone(),
                exe.clone(),
                backend.to_string(),
                checkpoints.to_path_buf(),
            );
            let out = dir.join(format!("unit-{u}.out.json"));
            std::thread::spawn(move || {
                let ended = one_unit(&exe, &unit_path, &unit, &backend, &checkpoints, &out, &mut |e| {
                    let _ = tx.send((u, e));
                });
                let _ = tx.send((u, Event::Ended(ended.map_err(|e| e.to_string()))));
            });
        }
        if running == 0 {
            break;
        }
        let (u, event) = rx.recv().expect("a unit's thread always ends with Ended");
        match event {
            Event::Progress { n, regime, stage } => {
                done += n;
                bar.show(&Progress {
                    done: done.min(total),
                    total,
                    seed: schedule.plan()[u].unit.seed,
                    regime,
                    stage,
                });
            }
            Event::Trained(key) => schedule.trained(key),
            Event::Ended(result) => {
                running -= 1;
                free.push(slot_of[u]);
                match result {
                    Ok(outcome) => {
                        schedule.done(u);
                        pieces[u] = Some(outcome);
                    }
                    Err(e) => {
                        let unit = &schedule.plan()[u].unit;
                        failed.get_or_insert(format!("{} at seed {}: {e}", unit.regime, unit.seed));
                    }
                }
            }
        }
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    let pieces: Vec<(Unit, &SeedOutcome)> = schedule
        .plan()
        .iter()
        .zip(&pieces)
        .map(|(p, o)| (p.unit.clone(), o.as_ref().expect("every unit ran")))
        .collect();
    Ok(plan::merge(spec, &pieces))
}

fn one_unit(
    exe: &Path,
    spec: &Path,
    unit: &Unit,
    backend: &str,
    checkpoints: &Path,
    out: &Path,
    on_event: &mut dyn FnMut(Event),
) -> Result<SeedOutcome, Error> {
    let mut child = Command::new(exe)
        .arg("seed")
        .arg("--spec")
        .arg(spec)
        .args(["--seed", &unit.seed.to_string(), "--backend", backend, "--out"])
        .arg(out)
        .arg("--checkpoints")
        .arg(checkpoints)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut other = String::new();
    for line in std::io::BufReader::new(child.stderr.take().expect("piped")).lines() {
        let line = line?;
        if let Some(parts) = line
            .strip_prefix(PROGRESS)
            .map(|l| l.splitn(3, '\t').collect::<Vec<_>>())
            .filter(|p| p.len() == 3)
        {
            on_event(Event::Progress {
                n: parts[0].parse().unwrap_or(0),
                regime: parts[1].into(),
                stage: parts[2].into(),
            });
        } else if let Some(key) = line
            .strip_prefix(TRAINED)
            .and_then(|k| u64::from_str_radix(k, 16).ok())
        {
            on_event(Event::Trained(key));
        } else {
            other.push_str(&line);
            other.push('\n');
        }
    }
    if !child.wait()?.success() {
        return Err(other.trim().to_string().into());
    }
    let outcome: SeedOutcome = serde_json::from_str(&std::fs::read_to_string(out)?)?;
    belongs_to(&outcome, unit).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(outcome)
}

/// A child process as the engine's `Host`: progress on stderr for the
/// parent, trained prefixes kept in the shared folder (and announced).
pub struct ChildHost {
    pub checkpoints: Option<PathBuf>,
}

impl ChildHost {
    fn path(&self, key: u64) -> Option<PathBuf> {
        Some(self.checkpoints.as_ref()?.join(format!("{key:016x}.ckpt")))
    }
}

impl Host for ChildHost {
    fn progress(&mut self, n: usize, regime: &str, stage: &str) -> bool {
        eprintln!("{PROGRESS}{n}\t{regime}\t{stage}");
        true
    }

    fn keeps_checkpoints(&self) -> bool {
        self.checkpoints.is_some()
    }

    fn recall(&mut self, key: u64) -> Pin<Box<dyn Future<Output = Option<Checkpoint>> + '_>> {
        let kept = self
            .path(key)
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| Checkpoint::from_bytes(&b, key).ok());
        Box::pin(std::future::ready(kept))
    }

    fn keep(&mut self, key: u64, checkpoint: Checkpoint) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        if let Some(path) = self.path(key) {
            // Written aside, then renamed: another process never reads half a file.
            let aside = path.with_extension(format!("{}.part", std::process::id()));
            let kept = std::fs::write(&aside, checkpoint.to_bytes(key))
                .and_then(|()| std::fs::rename(&aside, &path));
            if let Err(e) = kept {
                eprintln!("a trained prefix was not kept ({e}); units sharing it train it again");
            }
            // Announced either way: a unit waiting for it trains it itself if it is not there.
            eprintln!("{TRAINED}{key:016x}");
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use upbringing_lab::eval::Counts;
    use upbringing_lab::results::{Failure, Row};

    #[test]
    fn scratch_folders_are_private_and_never_one_planted_before() {
        // What another user could have made in advance under the old,
        // predictable name: it must not be the folder we get.
        let planted = std::env::temp_dir().join(format!("upbringing-{}-test", std::process::id()));
        std::fs::create_dir_all(&planted).unwrap();
        std::fs::write(planted.join("unit-0.out.json"), "{}").unwrap();
        let (a, b) = (scratch("test").unwrap(), scratch("test").unwrap());
        assert_ne!(a, planted);
        assert_ne!(a, b, "each call makes a folder of its own");
        for dir in [&a, &b] {
            assert_eq!(
                std::fs::read_dir(dir).unwrap().count(),
                0,
                "{} is new",
                dir.display()
            );
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{} is ours alone", dir.display());
            std::fs::remove_dir(dir).unwrap();
        }
        std::fs::remove_dir_all(&planted).unwrap();
    }

    #[test]
    fn an_outcome_must_hold_its_own_unit() {
        let unit = Unit {
            regime: "control".into(),
            seed: 3,
        };
        let row = |regime: &str, seed| Row {
            regime: regime.into(),
            seed,
            condition: upbringing_lab::eval::Condition::InDistribution,
            counts: Counts::default(),
            transcripts: vec![],
        };
        let outcome = |rows| SeedOutcome {
            rows,
            stages: vec![],
            depth: vec![],
            logs: vec![],
            phases_trained: 1,
            phases_recalled: 0,
            failures: vec![],
        };
        assert_eq!(belongs_to(&outcome(vec![row("control", 3)]), &unit), Ok(()));
        assert!(
            belongs_to(&outcome(vec![row("control", 4)]), &unit)
                .unwrap_err()
                .contains("seed 4")
        );
        assert!(
            belongs_to(&outcome(vec![row("ethics class", 3)]), &unit)
                .unwrap_err()
                .contains("ethics class")
        );
        assert!(
            belongs_to(&outcome(vec![]), &unit).is_err(),
            "an empty outcome is no outcome"
        );
        let failed = SeedOutcome {
            failures: vec![Failure {
                regime: "control".into(),
                seed: 3,
                message: "diverged".into(),
            }],
            ..outcome(vec![])
        };
        assert_eq!(belongs_to(&failed, &unit), Ok(()));
    }
}
