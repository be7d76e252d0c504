//! Results trained in this browser, kept in IndexedDB keyed by the hash of
//! the spec that produced them, so a refresh or a second visit shows them
//! again. Storage is best effort under one budget with the worker's
//! checkpoints (`idb`): a browser that refuses it (private mode, a full disk)
//! only loses the convenience, and the page says so.

use upbringing_app::idb;

const DB: &str = "upbringing";
const STORE: &str = "results";

/// The stored results (JSON text) for `key`, if any.
pub async fn load(key: &str) -> Option<String> {
    idb::get(DB, STORE, key).await?.as_string()
}

/// Keep `json` under `key`; `Err` says why it was not kept.
pub async fn save(key: &str, json: &str) -> Result<(), String> {
    idb::put(DB, STORE, key, json.into()).await
}
