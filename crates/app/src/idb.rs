//! IndexedDB under one budget (see `idb.js`): what the page and its worker
//! keep between visits. Each caller names its own database and store; the
//! least recently used checkpoints go first when the budget is full, and
//! kept results only when the visitor clears them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = idb_get)]
    async fn get_raw(db: &str, store: &str, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = idb_put)]
    async fn put_raw(db: &str, store: &str, key: &str, value: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = idb_usage)]
    async fn usage_raw() -> JsValue;
    #[wasm_bindgen(js_name = idb_set_quota)]
    async fn set_quota_raw(bytes: f64);
    #[wasm_bindgen(js_name = idb_clear)]
    async fn clear_raw();
}

/// The value kept under `key`, or `None` (nothing kept, or storage refused).
/// Marks the entry used now.
pub async fn get(db: &str, store: &str, key: &str) -> Option<JsValue> {
    let v = get_raw(db, store, key).await;
    (!v.is_null() && !v.is_undefined()).then_some(v)
}

/// Keep `value` (anything structured clone takes) under `key`, evicting the
/// least recently used checkpoints beyond the budget. `Err` says why it was
/// not kept (too big for the budget, kept results fill it, the browser's
/// storage full, refused); the caller carries on without it.
pub async fn put(db: &str, store: &str, key: &str, value: JsValue) -> Result<(), String> {
    match put_raw(db, store, key, value).await.as_string() {
        Some(why) if !why.is_empty() => Err(why),
        _ => Ok(()),
    }
}

/// What this browser keeps for the app, in all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub bytes: f64,
    pub entries: u32,
    /// The budget, in bytes.
    pub quota: f64,
}

pub async fn usage() -> Usage {
    let v = usage_raw().await;
    let num = |k: &str| {
        js_sys::Reflect::get(&v, &k.into())
            .ok()
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0)
    };
    Usage {
        bytes: num("bytes"),
        entries: num("entries") as u32,
        quota: num("quota"),
    }
}

/// Set the budget and evict checkpoints down to it.
pub async fn set_quota(bytes: f64) {
    set_quota_raw(bytes).await;
}

/// Empty everything the app keeps (the budget stays).
pub async fn clear() {
    clear_raw().await;
}
