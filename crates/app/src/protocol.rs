//! Messages between the page and the training worker. Serde types, so the
//! same shapes can be logged, stored or replayed.

use serde::{Deserialize, Serialize};
use upbringing_lab::BackendKind;
use upbringing_lab::demo::{DemoConfig, DemoSample};
use upbringing_lab::parity::ParityReport;

/// Which device the page asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU when the browser has it, else the CPU fallback.
    Auto,
    /// The CPU fallback (burn flex in wasm), even where WebGPU exists.
    Cpu,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Bring up a device; answered by `Report::Ready`.
    Init(BackendChoice),
    Train(DemoConfig),
    Cancel,
    /// Run the same weights and data on flex and on the active device.
    CheckParity,
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
    Cancelled,
    /// The answer to `CheckParity` (an error here does not end a run).
    Parity(Result<ParityReport, String>),
    /// Anything that ended the run: bad settings, divergence, a lost device, a panic.
    Failed(String),
}
