//! Messages between the page and the training worker. Serde types, so the
//! same shapes can be logged, stored or replayed.

use gloo_worker::{Codec, HandlerId, Worker, WorkerScope};
use serde::{Deserialize, Serialize};
use upbringing_lab::BackendKind;
use upbringing_lab::demo::{DemoConfig, DemoSample};
use upbringing_lab::host::Progress;
use upbringing_lab::results::PhaseLog;
use wasm_bindgen::{JsCast, JsValue};

/// Which device the page asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// Whichever trains faster here, measured at start: WebGPU when the
    /// browser has it and it wins (a software adapter usually loses), else
    /// the CPU fallback.
    Auto,
    /// WebGPU whenever the browser has it, measured or not (`?backend=webgpu`).
    Gpu,
    /// The CPU fallback (burn flex in wasm), even where WebGPU exists.
    Cpu,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Bring up a device; answered by `Report::Ready`. With the absolute
    /// URL of the folder holding `precomputed/` (the worker runs from a
    /// blob URL, against which relative paths resolve to nothing).
    Init(BackendChoice, String),
    Train(DemoConfig),
    /// Train and evaluate every regime of an experiment (its spec as JSON
    /// text: a string crosses to the worker far faster than a deep object).
    Run(String),
    Cancel,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// The GPU adapter's name, or the CPU backend's.
    pub label: String,
    /// Why the page is on the CPU when it asked for `Auto`.
    pub fallback_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Report {
    Ready(BackendInfo),
    Progress {
        steps_done: usize,
        total: usize,
        /// Losses of the steps since the previous report, in order.
        losses: Vec<f32>,
        steps_per_s: f64,
        /// Milliseconds from `Train` until the first step's loss was read.
        ms_to_first_step: f64,
    },
    Finished {
        samples: Vec<DemoSample>,
        accuracy: f32,
        seconds: f64,
    },
    /// Experiment progress (units of work, the regime and stage at work).
    RunProgress(Progress),
    /// A phase's log grew (live curves): the whole log so far.
    RunCurve {
        seed: u64,
        regime: String,
        phase: String,
        log: PhaseLog,
    },
    /// Results so far (after each seed, then complete), as JSON text: a
    /// string crosses to the page far faster than a deep JS object.
    RunResults {
        results_json: String,
        complete: bool,
        /// Trained phases taken from checkpoints kept in this browser.
        recalled: usize,
    },
    /// A prefix was trained, and kept in this browser if it allowed: other
    /// workers may recall it now (its key as 16 hex digits: a JavaScript
    /// number cannot carry 64 bits).
    Trained(String),
    /// A prefix was recalled from the checkpoints kept in this browser, or
    /// shipped with the page.
    Recalled(String),
    /// Something the visitor should know that does not stop the run (the
    /// shipped prefixes are of another engine build).
    Notice(String),
    Cancelled,
    /// The worker's wasm memory in bytes, sent as a run ends (wasm memory
    /// only grows: flat over many runs means nothing leaks).
    Memory(f64),
    /// Anything that ended the run: bad settings, divergence, a lost device, a panic.
    Failed(String),
}

/// This wasm instance's linear memory, in bytes (it grows, never shrinks):
/// the page and the worker each report their own.
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| f64::from(m.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length()))
        .unwrap_or(f64::NAN)
}

/// Messages travel as plain JS objects (readable in devtools).
pub struct JsCodec;

impl Codec for JsCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        serde_wasm_bindgen::to_value(&input).expect("worker messages are plain serde data")
    }
    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        serde_wasm_bindgen::from_value(input).expect("both ends share protocol.rs")
    }
}

/// The page's handle type for the training worker: the same messages as
/// `worker::TrainerWorker`, none of its code, so the page's binary never
/// references the engine's training paths. (burn still reaches the page's
/// wasm through wgpu's `#[wasm_bindgen]` exports: splitting the page into a
/// crate without `lab`'s burn dependency is what would drop it.)
pub struct TrainerPort;

impl Worker for TrainerPort {
    type Message = ();
    type Input = Request;
    type Output = Report;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        unreachable!("the training worker is worker::TrainerWorker, registered in bin/worker.rs")
    }
    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}
    fn received(&mut self, _scope: &WorkerScope<Self>, _msg: Request, _id: HandlerId) {}
}

/// A prefix key as it crosses to the page (`Report::Trained`).
pub fn key_text(key: u64) -> String {
    format!("{key:016x}")
}
