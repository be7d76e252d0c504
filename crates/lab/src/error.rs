//! The engine's errors: each says what went wrong and where.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LabError {
    /// Training diverged; `step` is the 0-based optimizer step that produced it.
    #[error("training diverged at step {step}: {what} is {value} (try a lower learning rate)")]
    NonFinite {
        step: usize,
        what: &'static str,
        value: f32,
    },
    #[error(
        "could not read a result back from the {backend}: {detail} (if the GPU was lost, by a driver \
         reset or the browser reclaiming it, run again, or on the CPU fallback)"
    )]
    Read { backend: String, detail: String },
    #[error("no GPU backend: {0}")]
    NoGpu(String),
    #[error("the run was cancelled")]
    Cancelled,
    #[error("invalid experiment spec: {0}")]
    Spec(String),
    #[error("invalid setting: {0}")]
    Invalid(String),
}

pub type Result<T, E = LabError> = std::result::Result<T, E>;
