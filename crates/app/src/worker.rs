//! The training worker: owns the device and the model, runs `lab`'s demo in
//! chunks, and streams `Report`s to the page. In a dedicated Web Worker, so
//! a CPU-bound step never freezes the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};
use std::future::Future;
use std::pin::Pin;

use upbringing_lab::checkpoint::Checkpoint;
use upbringing_lab::demo::{DemoConfig, DemoRun};
use upbringing_lab::experiment;
use upbringing_lab::host::{Host, Progress};
use upbringing_lab::results::ExperimentResults;
use upbringing_lab::results::{PhaseLog, SeedOutcome};
use upbringing_lab::spec::ExperimentSpec;
use upbringing_lab::{Backend, BackendKind, LabError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;

pub use crate::protocol::JsCodec;
use crate::protocol::{BackendChoice, BackendInfo, Report, Request};

#[derive(Default)]
struct Shared {
    backend: RefCell<Option<Backend>>,
    cancel: Cell<bool>,
    busy: Cell<bool>,
}

pub struct TrainerWorker {
    shared: Rc<Shared>,
}

thread_local! {
    /// Where a panic is reported: the page must hear about a crash (a lost
    /// GPU device panics deep in wgpu), not wait forever.
    static REPORT_TO: RefCell<Option<(WorkerScope<TrainerWorker>, HandlerId)>> = const { RefCell::new(None) };
}

impl Worker for TrainerWorker {
    type Message = ();
    type Input = Request;
    type Output = Report;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            REPORT_TO.with(|r| {
                if let Some((scope, id)) = r.borrow().as_ref() {
                    scope.respond(
                        *id,
                        Report::Failed(format!("the training engine stopped: {info}")),
                    );
                }
            });
        }));
        Self {
            shared: Rc::default(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, id: HandlerId) {
        REPORT_TO.with(|r| *r.borrow_mut() = Some((scope.clone(), id)));
        let (shared, scope) = (self.shared.clone(), scope.clone());
        match msg {
            Request::Init(choice, assets) => spawn_local(async move {
                crate::shipped::set_assets(assets);
                let info = init(&shared, choice).await;
                scope.respond(id, Report::Ready(info));
            }),
            Request::Train(config) => {
                if shared.busy.replace(true) {
                    scope.respond(id, Report::Failed("a run is already in progress".into()));
                    return;
                }
                shared.cancel.set(false);
                spawn_local(async move {
                    let report = train(&shared, &scope, id, config).await;
                    shared.busy.set(false);
                    scope.respond(id, report);
                });
            }
            Request::Run(spec_json) => {
                if shared.busy.replace(true) {
                    scope.respond(id, Report::Failed("a run is already in progress".into()));
                    return;
                }
                shared.cancel.set(false);
                spawn_local(async move {
                    let report = match ExperimentSpec::from_json(&spec_json) {
                        Ok(spec) => run_experiment(&shared, &scope, id, spec).await,
                        Err(e) => Report::Failed(e.to_string()),
                    };
                    shared.busy.set(false);
                    scope.respond(id, Report::Memory(crate::protocol::wasm_memory_bytes()));
                    scope.respond(id, report);
                });
            }
            Request::Cancel => self.shared.cancel.set(true),
        }
    }
}

async fn init(shared: &Shared, choice: BackendChoice) -> BackendInfo {
    let (backend, fallback_reason) = match choice {
        BackendChoice::Cpu => (Backend::flex(), None),
        BackendChoice::Gpu | BackendChoice::Auto => match Backend::wgpu().await {
            Ok(mut b) => {
                if let Some(words) = browser_adapter_words().await {
                    b.label = format!("{words} ({})", b.label);
                }
                match choice {
                    BackendChoice::Auto => faster(b).await,
                    _ => (b, None),
                }
            }
            Err(e) => (Backend::flex(), Some(e.to_string())),
        },
    };
    let info = BackendInfo {
        kind: backend.kind,
        label: backend.label.clone(),
        fallback_reason,
    };
    *shared.backend.borrow_mut() = Some(backend);
    info
}

/// Train to the end, streaming progress; the returned report ends the run.
async fn train(
    shared: &Shared,
    scope: &WorkerScope<TrainerWorker>,
    id: HandlerId,
    config: upbringing_lab::demo::DemoConfig,
) -> Report {
    let Some(backend) = shared.backend.borrow().clone() else {
        return Report::Failed("no device yet: the page asks for one first".into());
    };
    let seed = config.seed;
    let total = config.steps;
    let started = now_ms();
    let mut run = match DemoRun::new(config, backend) {
        Ok(run) => run,
        Err(e) => return Report::Failed(e.to_string()),
    };
    let (mut chunk, mut first_at) = (1usize, None);
    while !run.finished() {
        if shared.cancel.get() {
            return Report::Cancelled;
        }
        let t0 = now_ms();
        let stats = match run.advance(chunk).await {
            Ok(stats) => stats,
            Err(e) => return Report::Failed(e.to_string()),
        };
        let now = now_ms();
        // Speed is timed from the end of the first chunk: it excludes start-up
        // (shader compilation on WebGPU), which `ms_to_first_step` reports.
        let (first_ms, first_steps) = *first_at.get_or_insert((now, run.steps_done()));
        // Size chunks to ~150 ms so progress is smooth and Cancel is heard soon.
        chunk = next_chunk(chunk, now - t0, run.backend.kind);
        scope.respond(
            id,
            Report::Progress {
                steps_done: run.steps_done(),
                total,
                losses: stats.iter().map(|s| s.loss).collect(),
                steps_per_s: if now > first_ms {
                    (run.steps_done() - first_steps) as f64 * 1000.0 / (now - first_ms)
                } else {
                    0.0
                },
                ms_to_first_step: first_ms - started,
            },
        );
        yield_now().await;
    }
    match run.evaluate(4, seed.wrapping_add(1)).await {
        Ok((samples, accuracy)) => Report::Finished {
            samples,
            accuracy,
            seconds: (now_ms() - started) / 1000.0,
        },
        Err(e) => Report::Failed(e.to_string()),
    }
}

/// The worker as the engine's `Host`: progress goes to the page, and every
/// ~100 ms of work the worker yields to its event loop so Cancel is heard.
struct WorkerHost<'a> {
    shared: &'a Shared,
    scope: &'a WorkerScope<TrainerWorker>,
    id: HandlerId,
    spec: &'a ExperimentSpec,
    backend: &'a Backend,
    /// Seeds finished so far.
    finished: Vec<SeedOutcome>,
    started: f64,
    done: usize,
    total: usize,
    seed: u64,
    last_yield: f64,
    last_report: f64,
    /// A note about the shipped prefixes was sent (once a run is enough).
    noted: bool,
}

impl Host for WorkerHost<'_> {
    fn progress(&mut self, n: usize, regime: &str, stage: &str) -> bool {
        self.done += n;
        // At most ~5 reports a second: each one redraws part of the page.
        let now = now_ms();
        if now - self.last_report < 200.0 && self.done < self.total {
            return !self.shared.cancel.get();
        }
        self.last_report = now;
        self.scope.respond(
            self.id,
            Report::RunProgress(Progress {
                done: self.done,
                total: self.total,
                seed: self.seed,
                regime: regime.into(),
                stage: stage.into(),
            }),
        );
        !self.shared.cancel.get()
    }

    fn seed_started(&mut self, seed: u64) {
        self.seed = seed;
    }

    fn seed_done(&mut self, outcome: &SeedOutcome) {
        self.finished.push(outcome.clone());
    }

    fn logged(&mut self, regime: &str, phase: &str, log: &PhaseLog) {
        self.scope.respond(
            self.id,
            Report::RunCurve {
                seed: self.seed,
                regime: regime.into(),
                phase: phase.into(),
                log: log.clone(),
            },
        );
    }

    /// Show each regime as soon as it is scored: the results so far, with
    /// the seed in progress cut to its finished regimes.
    fn regime_done(&mut self, _seed: u64, so_far: &SeedOutcome) {
        let mut outcomes = self.finished.clone();
        outcomes.push(so_far.clone());
        let results_json = self.results_json(outcomes);
        self.scope.respond(
            self.id,
            Report::RunResults {
                results_json,
                complete: false,
                recalled: 0,
            },
        );
    }

    fn keeps_checkpoints(&self) -> bool {
        true
    }

    fn recall(&mut self, key: u64) -> Pin<Box<dyn Future<Output = Option<Checkpoint>> + '_>> {
        let kind = self.backend.kind;
        Box::pin(async move {
            let mut kept = crate::keep::recall(kind, key).await;
            if kept.is_none() {
                kept = match crate::shipped::recall(kind, key).await {
                    Ok(shipped) => shipped,
                    Err(note) => {
                        if !self.noted {
                            self.noted = true;
                            self.scope.respond(self.id, Report::Notice(note));
                        }
                        None
                    }
                };
            }
            if kept.is_some() {
                self.scope
                    .respond(self.id, Report::Recalled(crate::protocol::key_text(key)));
            }
            kept
        })
    }

    /// Keep the checkpoint, then tell the page: a worker waiting for this
    /// prefix may start (if the browser refused to keep it, that worker
    /// trains it again, identically).
    fn keep(&mut self, key: u64, checkpoint: Checkpoint) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(async move {
            crate::keep::keep(self.backend.kind, key, checkpoint).await;
            self.scope
                .respond(self.id, Report::Trained(crate::protocol::key_text(key)));
        })
    }

    fn pause(&mut self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        let now = now_ms();
        if now - self.last_yield < 100.0 {
            return Box::pin(std::future::ready(()));
        }
        self.last_yield = now;
        Box::pin(yield_now())
    }
}

impl WorkerHost<'_> {
    fn results_json(&self, outcomes: Vec<SeedOutcome>) -> String {
        let mut results = ExperimentResults::assemble(self.spec, self.backend, outcomes);
        results.seconds = (now_ms() - self.started) / 1000.0;
        serde_json::to_string(&results).expect("results serialise")
    }
}

/// Run every seed of `spec`, sending results after each regime.
async fn run_experiment(
    shared: &Shared,
    scope: &WorkerScope<TrainerWorker>,
    id: HandlerId,
    spec: ExperimentSpec,
) -> Report {
    let Some(backend) = shared.backend.borrow().clone() else {
        return Report::Failed("no device yet: the page asks for one first".into());
    };
    if let Err(e) = spec.validate() {
        return Report::Failed(e.to_string());
    }
    if let Some(sweep) = &spec.sweep {
        return Report::Failed(format!(
            "this experiment sweeps {} over {} values: the page runs single experiments; run it with \
             `upbringing run --spec FILE`",
            sweep.setting,
            sweep.values.len()
        ));
    }
    let started = now_ms();
    let total = spec
        .seeds
        .iter()
        .map(|&s| experiment::units_per_seed(&spec, s))
        .sum();
    let mut host = WorkerHost {
        shared,
        scope,
        id,
        spec: &spec,
        backend: &backend,
        finished: vec![],
        started,
        done: 0,
        total,
        seed: 0,
        last_yield: now_ms(),
        last_report: 0.0,
        noted: false,
    };
    let runs: Vec<(&ExperimentSpec, u64)> = spec.seeds.iter().map(|&s| (&spec, s)).collect();
    match experiment::run_seeds(&runs, &backend, &mut host).await {
        Ok(_) => {}
        Err(LabError::Cancelled) => return Report::Cancelled,
        Err(e) => return Report::Failed(format!("seed {}: {e}", host.seed)),
    }
    if spec.seeds.is_empty() {
        return Report::Failed("the experiment has no seeds".into());
    }
    Report::RunResults {
        results_json: host.results_json(host.finished.clone()),
        complete: true,
        recalled: host.finished.iter().map(|o| o.phases_recalled).sum(),
    }
}

/// "google swiftshader"-style words from the browser's own `GPUAdapterInfo`
/// (wgpu passes on only the often-empty description).
async fn browser_adapter_words() -> Option<String> {
    use js_sys::Reflect;
    let get = |o: &JsValue, k: &str| {
        Reflect::get(o, &JsValue::from_str(k))
            .ok()
            .filter(|v| !v.is_undefined())
    };
    let gpu = get(&get(&js_sys::global(), "navigator")?, "gpu")?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let info = get(&adapter, "info")?;
    let words: Vec<String> = ["vendor", "architecture"]
        .iter()
        .filter_map(|k| get(&info, k)?.as_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn next_chunk(chunk: usize, ms: f64, kind: BackendKind) -> usize {
    let target = match kind {
        BackendKind::Flex => 150.0,
        BackendKind::Wgpu => 250.0, // GPU steps queue cheaply; fewer reads
    };
    let per_step = (ms / chunk as f64).max(0.1);
    ((target / per_step) as usize).clamp(1, 50)
}

/// Longest the GPU's timing may take at start (see `faster`).
const GPU_TIMING_LIMIT_MS: i32 = 60_000;

/// Steps timed on each backend before choosing (after one untimed step,
/// which compiles the GPU's shaders).
const TIMED_STEPS: usize = 2;

/// Seconds per training step of the warm-up demo's model on `backend`, or
/// `None` if it failed (a GPU that cannot train is no choice).
async fn seconds_per_step(backend: &Backend) -> Option<f64> {
    let mut run = DemoRun::new(DemoConfig::default(), backend.clone()).ok()?;
    run.advance(1).await.ok()?;
    let start = now_ms();
    run.advance(TIMED_STEPS).await.ok()?;
    Some((now_ms() - start) / 1000.0 / TIMED_STEPS as f64)
}

/// WebGPU or the CPU fallback, whichever trains faster here. A software
/// WebGPU adapter (SwiftShader, llvmpipe) is often tens of times slower than
/// the CPU fallback; a real GPU may be slower too for a model this small.
/// The warm-up demo's model stands in for every design (the same code
/// paths, a typical size).
async fn faster(gpu: Backend) -> (Backend, Option<String>) {
    let cpu = Backend::flex();
    // SwiftShader takes ~12 s here (shader compiles, then 2 steps); a GPU
    // that has not trained 3 steps in a minute has lost anyway.
    let on_gpu = within(GPU_TIMING_LIMIT_MS, seconds_per_step(&gpu))
        .await
        .flatten();
    let on_cpu = seconds_per_step(&cpu).await;
    match (on_gpu, on_cpu) {
        (Some(g), Some(c)) if c < g => (
            cpu,
            Some(format!(
                "measured faster here: {:.1} steps/s against {:.1} on WebGPU ({}); ?backend=webgpu uses WebGPU anyway",
                1.0 / c,
                1.0 / g,
                gpu.label
            )),
        ),
        (None, Some(_)) => (
            cpu,
            Some(format!(
                "WebGPU ({}) could not train three steps here within {} s; ?backend=webgpu tries anyway",
                gpu.label,
                GPU_TIMING_LIMIT_MS / 1000
            )),
        ),
        _ => (gpu, None),
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/next_task.js")]
extern "C" {
    fn next_task() -> js_sys::Promise;
}

/// Let the worker's event loop run (a `Cancel` may be waiting).
async fn yield_now() {
    let _ = wasm_bindgen_futures::JsFuture::from(next_task()).await;
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// `work`'s output, or `None` if it has not finished within `ms` (it is
/// then dropped: a GPU that never answers must not hold up the page).
async fn within<T>(ms: i32, work: impl Future<Output = T>) -> Option<T> {
    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(sleep_ms(ms));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = work.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(v));
        }
        match timer.as_mut().poll(cx) {
            std::task::Poll::Ready(()) => std::task::Poll::Ready(None),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    })
    .await
}
