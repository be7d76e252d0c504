//! A run on a pool of training workers. The engine plans the run as
//! (regime, seed) units (`lab::plan`); the pool hands each to a free worker
//! once the prefix it shares with an earlier unit is trained (workers share
//! trained prefixes through the checkpoints kept in IndexedDB), and folds
//! the units' reports into one run's: one progress bar, results so far,
//! and the final results a single worker would have produced.
//!
//! No wasm here: `main.rs` spawns the workers and carries the messages
//! (`Actions`), and the tests drive a pool with made-up reports.

use std::collections::HashSet;

use upbringing_lab::host::Progress;
use upbringing_lab::plan::{self, Schedule, Status};
use upbringing_lab::results::{ExperimentResults, Failure, SeedOutcome};
use upbringing_lab::spec::ExperimentSpec;

use crate::protocol::{Report, Request};

/// Most workers a page starts, whatever the link or the machine says.
pub const MAX_WORKERS: usize = 16;
/// A worker's own memory before any model: its wasm instance, the engine's
/// code and allocator (measured ~9 MB after a run of `quick`), with room.
const WORKER_BASE_BYTES: u64 = 32 << 20;
/// The share of the machine's memory a page's workers may take.
const MEMORY_SHARE: f64 = 0.25;
/// Least time between the run's progress and live-curve reports to the page:
/// every report redraws, and the page's thread shares the cores with the
/// workers (at 2 workers × 5 reports a second, redraws took a core's share).
const REDRAW_MS: f64 = 250.0;
/// Assumed when the browser does not say (`navigator.deviceMemory` is
/// Chromium-only, and reports at most 8).
const DEFAULT_DEVICE_GB: f64 = 4.0;

/// Workers for a run: one per core by default (the page's own thread is
/// idle while they train), or as the link asks (`workers=N`); never more
/// than the run has units, than memory allows (each holds its own model),
/// or one when training on the GPU unless asked (one device: more workers
/// only queue on it, each compiling its own shaders).
pub fn size(
    asked: Option<usize>,
    cores: usize,
    device_gb: Option<f64>,
    model_bytes: u64,
    units: usize,
    on_gpu: bool,
) -> usize {
    let budget = device_gb
        .filter(|g| g.is_finite() && *g > 0.0)
        .unwrap_or(DEFAULT_DEVICE_GB)
        * MEMORY_SHARE
        * f64::from(1u32 << 30);
    let by_memory = (budget / (WORKER_BASE_BYTES + model_bytes) as f64) as usize;
    let wanted = match (asked, on_gpu) {
        (Some(n), _) => n,
        (None, true) => 1,
        (None, false) => cores,
    };
    wanted.min(MAX_WORKERS).min(by_memory).min(units).max(1)
}

/// What the page must do after the pool has heard something.
#[derive(Debug, Default, PartialEq)]
pub struct Actions {
    /// Requests for workers, by index.
    pub send: Vec<(usize, Request)>,
    /// Reports for the page, as if one worker had sent them.
    pub page: Vec<Report>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// Spawned, no device yet.
    Starting,
    Idle,
    /// Running a unit of the current run (its index in the plan).
    Unit(usize),
    /// Still finishing a unit of a run that ended (cancelled, failed): no
    /// new work until it answers.
    Stale,
    /// Died, and not started again.
    Gone,
}

/// One run in progress.
struct Run {
    spec: ExperimentSpec,
    schedule: Schedule,
    /// Each finished unit's outcome, by plan index.
    pieces: Vec<Option<SeedOutcome>>,
    /// Progress units done within each running unit.
    done: Vec<usize>,
    /// Prefix keys trained in this run, and recalled in it.
    trained: HashSet<String>,
    recalled: HashSet<String>,
    /// From the units' results: every unit runs the same engine and backend.
    engine: String,
    backend: String,
    kernels: Option<String>,
    started_ms: f64,
    /// Progress and live curves not yet shown (the latest of each), and
    /// when the page was last sent them.
    held: Vec<Report>,
    shown_ms: f64,
}

#[derive(Default)]
pub struct Pool {
    slots: Vec<Slot>,
    /// Each worker's wasm memory after its last unit (bytes).
    memory: Vec<f64>,
    run: Option<Run>,
}

impl Pool {
    /// A worker was spawned (or spawned again in place of `index`).
    pub fn spawned(&mut self, index: usize) {
        if index >= self.slots.len() {
            self.slots.resize(index + 1, Slot::Gone);
            self.memory.resize(index + 1, f64::NAN);
        }
        self.slots[index] = Slot::Starting;
    }

    pub fn running(&self) -> bool {
        self.run.is_some()
    }

    /// Workers with a device, busy or not.
    pub fn ready(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Idle | Slot::Unit(_) | Slot::Stale))
            .count()
    }

    /// Start a run of `spec` on the workers there are (the page spawns
    /// more as `size` says; each joins when ready).
    pub fn start(&mut self, spec: ExperimentSpec, now_ms: f64) -> Actions {
        let schedule = Schedule::new(plan::plan(&spec));
        let units = schedule.plan().len();
        self.run = Some(Run {
            spec,
            schedule,
            pieces: vec![None; units],
            done: vec![0; units],
            trained: HashSet::new(),
            recalled: HashSet::new(),
            engine: String::new(),
            backend: String::new(),
            kernels: None,
            started_ms: now_ms,
            held: vec![],
            shown_ms: f64::NEG_INFINITY,
        });
        let mut actions = Actions::default();
        if units == 0 {
            self.run = None;
            actions
                .page
                .push(Report::Failed("the experiment has no seeds".into()));
        }
        self.assign(&mut actions);
        actions
    }

    /// Stop the run: every busy worker is asked to stop.
    pub fn cancel(&mut self) -> Actions {
        let mut actions = Actions::default();
        if self.run.take().is_some() {
            self.end_units(&mut actions);
            actions.page.push(Report::Cancelled);
        }
        actions
    }

    /// Every worker still running a unit is asked to stop and left to finish.
    fn end_units(&mut self, actions: &mut Actions) {
        for (w, slot) in self.slots.iter_mut().enumerate() {
            if let Slot::Unit(_) = slot {
                *slot = Slot::Stale;
                actions.send.push((w, Request::Cancel));
            }
        }
    }

    /// Worker `w` died. `respawned`: the page started a fresh one in its
    /// place. Its unit runs again, once; the second time it fails.
    pub fn died(&mut self, w: usize, why: &str, respawned: bool, now_ms: f64) -> Actions {
        let mut actions = Actions::default();
        let had = self.slots.get(w).copied();
        if w < self.slots.len() {
            self.slots[w] = if respawned { Slot::Starting } else { Slot::Gone };
        }
        if let (Some(Slot::Unit(u)), Some(run)) = (had, self.run.as_mut()) {
            run.done[u] = 0;
            if let Some((_, false)) = run.schedule.lost(w) {
                let unit = &run.schedule.plan()[u].unit;
                run.pieces[u] = Some(SeedOutcome {
                    failures: vec![Failure {
                        regime: unit.regime.clone(),
                        seed: unit.seed,
                        message: format!("its training worker stopped twice ({why})"),
                    }],
                    ..SeedOutcome::default()
                });
                self.unit_ended(&mut actions, now_ms);
            }
        }
        if self.run.is_some() && self.slots.iter().all(|s| *s == Slot::Gone) {
            self.run = None;
            actions.page.push(Report::Failed(format!(
                "every training worker stopped ({why}); reload the page"
            )));
        }
        self.assign(&mut actions);
        actions
    }

    /// A report from worker `w`.
    pub fn report(&mut self, w: usize, report: Report, now_ms: f64) -> Actions {
        let mut actions = Actions::default();
        let Some(slot) = self.slots.get(w).copied() else {
            return actions;
        };
        let terminal = matches!(
            report,
            Report::RunResults { complete: true, .. } | Report::Failed(_) | Report::Cancelled
        );
        match (slot, report) {
            (_, Report::Memory(bytes)) => {
                self.memory[w] = bytes;
                let most = self
                    .memory
                    .iter()
                    .copied()
                    .filter(|m| m.is_finite())
                    .fold(0.0, f64::max);
                actions.page.push(Report::Memory(most));
            }
            (Slot::Starting, Report::Ready(info)) => {
                self.slots[w] = Slot::Idle;
                actions.page.push(Report::Ready(info));
            }
            (Slot::Stale, _) if terminal => self.slots[w] = Slot::Idle,
            (Slot::Stale, _) => {}
            (Slot::Unit(u), report) => self.unit_report(w, u, report, now_ms, &mut actions),
            // The warm-up demo, and anything outside a run, is the page's.
            (_, report) => actions.page.push(report),
        }
        self.assign(&mut actions);
        actions
    }

    fn unit_report(&mut self, w: usize, u: usize, report: Report, now_ms: f64, actions: &mut Actions) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        match report {
            Report::RunProgress(p) => {
                run.done[u] = p.done.min(run.schedule.plan()[u].cost);
                let (done, total) = run.progress();
                run.hold(Report::RunProgress(Progress { done, total, ..p }));
            }
            Report::RunCurve { .. } => run.hold(report),
            Report::Notice(_) => actions.page.push(report),
            Report::Trained(key) => {
                if let Ok(k) = u64::from_str_radix(&key, 16) {
                    run.schedule.trained(k);
                }
                run.trained.insert(key);
            }
            Report::Recalled(key) => {
                run.recalled.insert(key);
            }
            // Each regime as scored: the unit is one regime, so its final
            // results follow at once.
            Report::RunResults { complete: false, .. } => {}
            Report::RunResults {
                results_json,
                complete: true,
                ..
            } => {
                self.slots[w] = Slot::Idle;
                match ExperimentResults::from_json(&results_json) {
                    // One run is on one engine, backend and kind of kernel:
                    // a unit that is not (a worker that fell back to the
                    // CPU, a respawned one on another device) ends the run,
                    // with the reason, rather than joining it under one label.
                    Ok(r)
                        if !run.engine.is_empty()
                            && (&r.engine, &r.backend, &r.kernels)
                                != (&run.engine, &run.backend, &run.kernels) =>
                    {
                        let on = |backend: &str, kernels: &Option<String>| match kernels {
                            Some(k) => format!("{backend} ({k})"),
                            None => backend.to_string(),
                        };
                        let why = format!(
                            "a worker ran part of this run on {} while the rest ran on {}: one run is on one \
                             backend, so it was stopped; run it again (the page keeps what every worker trained)",
                            on(&r.backend, &r.kernels),
                            on(&run.backend, &run.kernels),
                        );
                        self.fail(actions, why);
                    }
                    Ok(r) => {
                        run.engine = r.engine;
                        run.backend = r.backend;
                        run.kernels = r.kernels;
                        run.schedule.done(u);
                        run.pieces[u] = Some(SeedOutcome {
                            rows: r.rows,
                            stages: r.stages,
                            depth: r.depth,
                            logs: r.logs,
                            failures: r.failures,
                            ..SeedOutcome::default()
                        });
                        self.unit_ended(actions, now_ms);
                    }
                    Err(e) => self.fail(actions, format!("unreadable results from a worker: {e}")),
                }
            }
            // A worker stops a unit only when the run cannot go on there
            // (its device is lost, the engine panicked): one worker did, as
            // today, so the run ends, with what finished kept on screen.
            Report::Failed(why) => {
                self.slots[w] = Slot::Idle;
                self.fail(actions, why);
            }
            Report::Cancelled => self.slots[w] = Slot::Idle,
            other => actions.page.push(other),
        }
        if let Some(run) = self.run.as_mut()
            && now_ms - run.shown_ms >= REDRAW_MS
            && !run.held.is_empty()
        {
            run.shown_ms = now_ms;
            actions.page.append(&mut run.held);
        }
    }

    fn fail(&mut self, actions: &mut Actions, why: String) {
        self.run = None;
        self.end_units(actions);
        actions.page.push(Report::Failed(why));
    }

    /// Results so far after a unit ended; the last one completes the run.
    fn unit_ended(&mut self, actions: &mut Actions, now_ms: f64) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        let complete = run.schedule.finished();
        actions.page.push(Report::RunResults {
            results_json: serde_json::to_string(&run.results(now_ms)).expect("results serialise"),
            complete,
            recalled: run.recalled.difference(&run.trained).count(),
        });
        if complete {
            self.run = None;
        }
    }

    /// Every idle, ready worker gets a unit that is ready to run.
    fn assign(&mut self, actions: &mut Actions) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        for (w, slot) in self.slots.iter_mut().enumerate() {
            if *slot != Slot::Idle {
                continue;
            }
            let Some(u) = run.schedule.next(w) else {
                break;
            };
            *slot = Slot::Unit(u);
            let spec = plan::unit_spec(&run.spec, &run.schedule.plan()[u].unit);
            actions.send.push((
                w,
                Request::Run(serde_json::to_string(&spec).expect("specs serialise")),
            ));
        }
    }
}

impl Run {
    /// Keep `report` for the next redraw, in place of the one it replaces.
    fn hold(&mut self, report: Report) {
        let replaces = |old: &Report| match (old, &report) {
            (Report::RunProgress(_), Report::RunProgress(_)) => true,
            (
                Report::RunCurve {
                    seed, regime, phase, ..
                },
                Report::RunCurve {
                    seed: s,
                    regime: r,
                    phase: p,
                    ..
                },
            ) => seed == s && regime == r && phase == p,
            _ => false,
        };
        match self.held.iter_mut().find(|old| replaces(old)) {
            Some(old) => *old = report,
            None => self.held.push(report),
        }
    }

    /// Progress units done and in all, over the whole plan.
    fn progress(&self) -> (usize, usize) {
        let plan = self.schedule.plan();
        let done = (0..plan.len())
            .map(|u| match self.schedule.status(u) {
                Status::Done | Status::Failed => plan[u].cost,
                _ => self.done[u],
            })
            .sum();
        (done, plan.iter().map(|p| p.cost).sum())
    }

    /// The finished units, laid out as one worker would have (`plan::merge`).
    fn results(&self, now_ms: f64) -> ExperimentResults {
        let pieces: Vec<_> = self
            .schedule
            .plan()
            .iter()
            .zip(&self.pieces)
            .filter_map(|(p, o)| Some((p.unit.clone(), o.as_ref()?)))
            .collect();
        let mut out = ExperimentResults {
            engine: self.engine.clone(),
            backend: self.backend.clone(),
            kernels: self.kernels.clone(),
            seconds: (now_ms - self.started_ms) / 1000.0,
            ..ExperimentResults::empty(&self.spec)
        };
        out.add(plan::merge(&self.spec, &pieces));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BackendInfo, key_text};
    use upbringing_lab::BackendKind;
    use upbringing_lab::presets::preset;
    use upbringing_lab::spec::prefix_keys;

    fn ready(pool: &mut Pool, w: usize) -> Actions {
        pool.spawned(w);
        pool.report(
            w,
            Report::Ready(BackendInfo {
                kind: BackendKind::Flex,
                label: "cpu".into(),
                fallback_reason: None,
            }),
            0.0,
        )
    }

    fn spec() -> ExperimentSpec {
        let mut spec = preset("quick").unwrap();
        spec.regimes
            .retain(|r| ["control", "ethics class", "coupled"].contains(&r.name.as_str()));
        spec
    }

    /// The regime a `Run` request asks for.
    fn regime_of(request: &Request) -> String {
        let Request::Run(json) = request else {
            panic!("not a run: {request:?}")
        };
        let spec = ExperimentSpec::from_json(json).unwrap();
        assert_eq!(spec.regimes.len(), 1);
        spec.regimes[0].name.clone()
    }

    /// A unit's final results, as a worker sends them (no rows: the merge
    /// itself is tested in `lab`).
    fn finished(spec: &ExperimentSpec, regime: &str) -> Report {
        let unit = upbringing_lab::results::Unit {
            regime: regime.into(),
            seed: spec.seeds[0],
        };
        let mut r = ExperimentResults::empty(&plan::unit_spec(spec, &unit));
        r.engine = "test".into();
        r.backend = "cpu".into();
        Report::RunResults {
            results_json: serde_json::to_string(&r).unwrap(),
            complete: true,
            recalled: 0,
        }
    }

    #[test]
    fn size_is_one_per_core_within_memory_units_and_the_gpu() {
        assert_eq!(size(None, 8, Some(8.0), 1 << 20, 14, false), 8);
        assert_eq!(size(Some(2), 8, Some(8.0), 1 << 20, 14, false), 2);
        assert_eq!(
            size(None, 8, Some(8.0), 1 << 20, 3, false),
            3,
            "no more than units"
        );
        assert_eq!(size(None, 8, Some(8.0), 1 << 20, 14, true), 1, "one GPU");
        assert_eq!(size(Some(2), 8, Some(8.0), 1 << 20, 14, true), 2, "unless asked");
        // A model near the 1 GiB cap: one worker.
        assert_eq!(size(None, 8, Some(8.0), 1 << 30, 14, false), 1);
        assert_eq!(size(None, 64, None, 0, 100, false), MAX_WORKERS.min(32));
        assert_eq!(size(Some(0), 0, Some(f64::NAN), 0, 0, false), 1, "at least one");
    }

    #[test]
    fn a_unit_on_another_backend_ends_the_run_with_the_reason() {
        let spec = spec();
        let mut pool = Pool::default();
        ready(&mut pool, 0);
        pool.start(spec.clone(), 0.0);
        let keys = prefix_keys(&spec, spec.seeds[0], &spec.regimes[0].phases);
        pool.report(0, Report::Trained(key_text(keys[0])), 1.0);
        ready(&mut pool, 1);
        pool.report(0, Report::Trained(key_text(keys[1])), 2.0);
        pool.report(0, finished(&spec, "control"), 3.0);
        // Worker 1 fell back to another backend: its unit is not joined under one label.
        let Report::RunResults { results_json, .. } = finished(&spec, "coupled") else {
            unreachable!()
        };
        let mut r = ExperimentResults::from_json(&results_json).unwrap();
        r.backend = "WebGPU (wgpu)".into();
        let other = Report::RunResults {
            results_json: serde_json::to_string(&r).unwrap(),
            complete: true,
            recalled: 0,
        };
        let end = pool.report(1, other, 4.0);
        let failed = end.page.iter().find_map(|p| match p {
            Report::Failed(why) => Some(why.clone()),
            _ => None,
        });
        let why = failed.expect("the run ends");
        assert!(
            why.contains("WebGPU (wgpu)") && why.contains("one run is on one backend"),
            "{why}"
        );
        assert!(!pool.running());
    }

    #[test]
    fn units_wait_for_the_shared_prefix_then_run_on_every_worker() {
        let spec = spec();
        let mut pool = Pool::default();
        ready(&mut pool, 0);
        let started = pool.start(spec.clone(), 0.0);
        // One ready worker: control first (the others wait on its prefixes).
        assert_eq!(started.send.len(), 1);
        assert_eq!(regime_of(&started.send[0].1), "control");
        // A second worker joins: nothing is ready until pretraining is trained.
        assert!(ready(&mut pool, 1).send.is_empty());
        let keys = prefix_keys(&spec, spec.seeds[0], &spec.regimes[0].phases);
        // Pretraining trained: the coupled regime (which shares only that) starts.
        let a = pool.report(0, Report::Trained(key_text(keys[0])), 1.0);
        assert_eq!(a.send.len(), 1);
        assert_eq!((a.send[0].0, regime_of(&a.send[0].1)), (1, "coupled".into()));
        // Progress is over the whole plan.
        let p = pool.report(
            1,
            Report::RunProgress(Progress {
                done: 10,
                total: 999,
                seed: 0,
                regime: "coupled".into(),
                stage: "pretrain".into(),
            }),
            2.0,
        );
        let Report::RunProgress(p) = &p.page[0] else {
            panic!()
        };
        let total: usize = plan::plan(&spec).iter().map(|p| p.cost).sum();
        assert_eq!((p.done, p.total), (10, total));
        pool.report(0, Report::Trained(key_text(keys[1])), 3.0);
        // Control ends: ethics class (waiting on its capability rl) goes to worker 0.
        let a = pool.report(0, finished(&spec, "control"), 4.0);
        assert_eq!(regime_of(&a.send[0].1), "ethics class");
        assert!(matches!(a.page[0], Report::RunResults { complete: false, .. }));
        pool.report(1, Report::Recalled(key_text(keys[0])), 5.0);
        pool.report(1, finished(&spec, "coupled"), 6.0);
        let end = pool.report(0, finished(&spec, "ethics class"), 7.0);
        // Prefixes recalled from this run's own training are not "reused from earlier runs".
        assert!(matches!(
            end.page[0],
            Report::RunResults {
                complete: true,
                recalled: 0,
                ..
            }
        ));
        assert!(!pool.running());
    }

    #[test]
    fn progress_and_curves_reach_the_page_at_most_four_times_a_second_latest_first() {
        let spec = spec();
        let mut pool = Pool::default();
        ready(&mut pool, 0);
        pool.start(spec, 0.0);
        let progress = |done| {
            Report::RunProgress(Progress {
                done,
                total: 0,
                seed: 0,
                regime: "control".into(),
                stage: "pretrain".into(),
            })
        };
        let shown = |a: Actions| -> Vec<usize> {
            a.page
                .iter()
                .filter_map(|r| match r {
                    Report::RunProgress(p) => Some(p.done),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(shown(pool.report(0, progress(1), 1000.0)), vec![1]);
        assert!(shown(pool.report(0, progress(2), 1100.0)).is_empty());
        assert!(shown(pool.report(0, progress(3), 1200.0)).is_empty());
        assert_eq!(
            shown(pool.report(0, progress(4), 1250.0)),
            vec![4],
            "the latest only"
        );
    }

    #[test]
    fn a_dead_worker_s_unit_runs_again_once_then_fails_and_the_run_still_ends() {
        let spec = spec();
        let mut pool = Pool::default();
        ready(&mut pool, 0);
        pool.start(spec.clone(), 0.0);
        // Worker 0 dies running control; a fresh one takes it again.
        assert!(pool.died(0, "out of memory", true, 1.0).send.is_empty());
        let again = ready(&mut pool, 0);
        assert_eq!(regime_of(&again.send[0].1), "control");
        // It dies again: control fails, and the regimes waiting on it train their own prefixes.
        let a = pool.died(0, "out of memory", true, 2.0);
        let Report::RunResults { results_json, .. } = &a.page[0] else {
            panic!()
        };
        let r = ExperimentResults::from_json(results_json).unwrap();
        assert_eq!(r.failures.len(), 1);
        assert!(r.failures[0].message.contains("stopped twice"));
        let b = ready(&mut pool, 0);
        assert_eq!(regime_of(&b.send[0].1), "coupled");
        pool.report(0, finished(&spec, "coupled"), 3.0);
        let end = pool.report(0, finished(&spec, "ethics class"), 4.0);
        assert!(matches!(end.page[0], Report::RunResults { complete: true, .. }));
    }

    /// Two ready workers running a run: control's pretraining is trained,
    /// so worker 0 runs control and worker 1 a regime that shares only that.
    fn two_workers_past_pretraining() -> (ExperimentSpec, Pool) {
        let spec = spec();
        let mut pool = Pool::default();
        ready(&mut pool, 0);
        ready(&mut pool, 1);
        pool.start(spec.clone(), 0.0);
        let keys = prefix_keys(&spec, spec.seeds[0], &spec.regimes[0].phases);
        pool.report(0, Report::Trained(key_text(keys[0])), 1.0);
        (spec, pool)
    }

    #[test]
    fn cancel_stops_every_worker_and_a_new_run_waits_for_them() {
        let (spec, mut pool) = two_workers_past_pretraining();
        let c = pool.cancel();
        assert_eq!(c.send, vec![(0, Request::Cancel), (1, Request::Cancel)]);
        assert_eq!(c.page, vec![Report::Cancelled]);
        // A new run: the workers are still stopping, so nothing is sent yet.
        assert!(pool.start(spec.clone(), 2.0).send.is_empty());
        // A late report of the old run is dropped, and frees its worker.
        let next = pool.report(0, finished(&spec, "control"), 3.0);
        assert!(next.page.is_empty());
        assert_eq!(next.send.len(), 1);
        assert_eq!(
            (next.send[0].0, regime_of(&next.send[0].1)),
            (0, "control".into())
        );
        // The other frees too, but the rest wait on control's pretraining.
        assert!(pool.report(1, Report::Cancelled, 3.0).send.is_empty());
    }

    #[test]
    fn a_failed_unit_ends_the_run_and_stops_the_others() {
        let (_, mut pool) = two_workers_past_pretraining();
        let f = pool.report(1, Report::Failed("the GPU device was lost".into()), 2.0);
        assert_eq!(f.send, vec![(0, Request::Cancel)]);
        assert_eq!(f.page, vec![Report::Failed("the GPU device was lost".into())]);
        assert!(!pool.running());
    }
}
