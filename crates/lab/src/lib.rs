//! Upbringing's engine: a tiny GPT, the three objectives every training
//! regime is built from (next-token loss, policy gradient, the optimiser
//! loop), sampling, worlds, regimes as phase pipelines, the evaluation
//! suite, and benchmarks. It knows nothing of the web or the
//! terminal; `cli` and `app` are thin front ends over it.

pub mod analysis;
pub mod backend;
pub mod bench;
pub mod checkpoint;
pub mod demo;
pub mod error;
pub mod eval;
pub mod exercise;
pub mod experiment;
pub mod fields;
pub mod fuzz;
pub mod host;
pub mod loss;
pub mod model;
pub mod parity;
pub mod phase;
pub mod plan;
pub mod policy;
pub mod presets;
pub mod results;
pub mod rng;
pub mod sample;
pub mod schedule;
pub mod shard;
pub mod spec;
pub mod stats;
pub mod sweep;
pub mod tasks;
pub mod train;
pub mod world;

pub use backend::{Backend, BackendKind};
pub use error::{LabError, Result};
pub use model::{Gpt, GptConfig};

/// The engine's version, stamped on every result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A hash of the engine's source, the patched burn-flex and the locked
/// dependencies (`build.rs`): what keys kept checkpoints and stored results,
/// so a build that trains differently never reuses them.
pub const ENGINE_BUILD: &str = env!("UPBRINGING_ENGINE_BUILD");
