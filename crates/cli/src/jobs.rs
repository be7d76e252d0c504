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

/// A new empty folder of this process's under the temporary folder.
pub fn scratch(what: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("upbringing-{}-{what}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn schedule(
    spec: &ExperimentSpec,
    backend: &str,
    jobs: usize,
    dir: &Path,
    checkpoints: &Path,
    bar: &mut Bar,
) -> Result<Vec<SeedOutcome>, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
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
    Ok(serde_json::from_str(&std::fs::read_to_string(out)?)?)
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
