//! Empty on purpose: this crate only carries dependency features (see its
//! Cargo.toml), so every package selection builds burn's stack alike.
