//! The Upbringing page, shared by its two binaries: the page (`main.rs`) and
//! the training worker (`bin/worker.rs`). The engine is `upbringing_lab`.

pub mod chart;
pub mod controls;
pub mod curves;
pub mod edit;
#[cfg(target_family = "wasm")]
pub mod http;
#[cfg(target_family = "wasm")]
pub mod idb;
#[cfg(target_family = "wasm")]
pub mod keep;
pub mod playground;
pub mod pool;
pub mod protocol;
pub mod query;
pub mod share;
pub mod shipped;
pub mod state;
pub mod ui;
#[cfg(target_family = "wasm")]
pub mod worker;
