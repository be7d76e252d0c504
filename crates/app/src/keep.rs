//! Trained prefixes kept in this browser (IndexedDB), so a later run that
//! shares them (a refresh, an edit to a regime's last phase, a second visit)
//! skips training them again. Keyed by engine version, backend and the
//! prefix key (world, model, seed, phases): a checkpoint trained on WebGPU
//! is never reused on the CPU fallback, whose numbers differ in detail.
//! Best effort, as `page/store.rs`: a refusal only costs the time.

use upbringing_lab::checkpoint::Checkpoint;
use upbringing_lab::{BackendKind, VERSION};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const DB = 'upbringing-checkpoints', STORE = 'checkpoints';
let db = null;
function open() {
  if (db) return Promise.resolve(db);
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => { db = req.result; resolve(db); };
    req.onerror = () => reject(req.error);
  });
}
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result ?? null);
    req.onerror = () => reject(req.error);
  });
}
export async function ckpt_get(key) {
  try {
    return await done((await open()).transaction(STORE).objectStore(STORE).get(key));
  } catch (e) {
    console.warn('upbringing: could not read a kept checkpoint', e);
    return null;
  }
}
export async function ckpt_put(key, weights, log) {
  try {
    await done((await open()).transaction(STORE, 'readwrite').objectStore(STORE).put({ weights, log }, key));
  } catch (e) {
    console.warn('upbringing: could not keep a checkpoint', e);
  }
}
"#)]
extern "C" {
    async fn ckpt_get(key: &str) -> JsValue;
    async fn ckpt_put(key: &str, weights: js_sys::Float32Array, log: &str);
}

fn key(kind: BackendKind, prefix: u64) -> String {
    format!("{VERSION}/{}/{prefix:016x}", kind.name())
}

/// The checkpoint kept for this prefix, if any (an unreadable one is none).
pub async fn recall(kind: BackendKind, prefix: u64) -> Option<Checkpoint> {
    let value = ckpt_get(&key(kind, prefix)).await;
    if value.is_null() || value.is_undefined() {
        return None;
    }
    let get = |k: &str| js_sys::Reflect::get(&value, &k.into()).ok();
    let weights: js_sys::Float32Array = get("weights")?.dyn_into().ok()?;
    let log = serde_json::from_str(&get("log")?.as_string()?).ok()?;
    Some(Checkpoint {
        weights: weights.to_vec(),
        log,
    })
}

pub async fn keep(kind: BackendKind, prefix: u64, checkpoint: Checkpoint) {
    let log = serde_json::to_string(&checkpoint.log).expect("logs serialise");
    let weights = js_sys::Float32Array::from(&checkpoint.weights[..]);
    ckpt_put(&key(kind, prefix), weights, &log).await;
}
