//! Results trained in this browser, kept in IndexedDB keyed by the hash of
//! the spec that produced them, so a refresh or a second visit shows them
//! again. Storage is best effort: a browser that refuses it (private mode,
//! quota) only loses the convenience, and says so in the console.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const DB = 'upbringing', STORE = 'results';
function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result ?? null);
    req.onerror = () => reject(req.error);
  });
}
// Never throws: a refusal is logged and reads as "nothing stored".
export async function idb_get(key) {
  try {
    const db = await open();
    return await done(db.transaction(STORE).objectStore(STORE).get(key));
  } catch (e) {
    console.warn('upbringing: could not read stored results', e);
    return null;
  }
}
export async function idb_put(key, value) {
  try {
    const db = await open();
    await done(db.transaction(STORE, 'readwrite').objectStore(STORE).put(value, key));
  } catch (e) {
    console.warn('upbringing: could not store results', e);
  }
}
"#)]
extern "C" {
    async fn idb_get(key: &str) -> JsValue;
    async fn idb_put(key: &str, value: &str);
}

/// The stored results (JSON text) for `key`, if any.
pub async fn load(key: &str) -> Option<String> {
    idb_get(key).await.as_string()
}

/// Keep `json` under `key` (best effort).
pub async fn save(key: &str, json: &str) {
    idb_put(key, json).await;
}
