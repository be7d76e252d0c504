//! IndexedDB, best effort (see `idb.js`): what the page and its worker keep
//! between visits. Each caller names its own database and store.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/idb.js")]
extern "C" {
    #[wasm_bindgen(js_name = idb_get)]
    async fn get_raw(db: &str, store: &str, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = idb_put)]
    async fn put_raw(db: &str, store: &str, key: &str, value: JsValue);
}

/// The value kept under `key`, or `None` (nothing kept, or storage refused).
pub async fn get(db: &str, store: &str, key: &str) -> Option<JsValue> {
    let v = get_raw(db, store, key).await;
    (!v.is_null() && !v.is_undefined()).then_some(v)
}

/// Keep `value` (anything structured clone takes) under `key`.
pub async fn put(db: &str, store: &str, key: &str, value: JsValue) {
    put_raw(db, store, key, value).await;
}
