//! Trained prefixes kept in this browser (IndexedDB), so a later run that
//! shares them (a refresh, an edit to a regime's last phase, a second visit)
//! skips training them again. Keyed by engine version, backend and the
//! prefix key (world, model, seed, phases): a checkpoint trained on WebGPU
//! is never reused on the CPU fallback, whose numbers differ in detail.
//! Best effort under the storage budget (`idb`): a refusal only costs the time.

use upbringing_lab::checkpoint::Checkpoint;
use upbringing_lab::{BackendKind, ENGINE_BUILD, VERSION};
use wasm_bindgen::{JsCast, JsValue};

use crate::idb;

const DB: &str = "upbringing-checkpoints";
const STORE: &str = "checkpoints";

fn key(kind: BackendKind, prefix: u64) -> String {
    // The engine build, not only the version: a deploy that changes training
    // must not pick up weights an older build kept.
    format!("{VERSION}+{ENGINE_BUILD}/{}/{prefix:016x}", kind.name())
}

/// The checkpoint kept for this prefix, if any (an unreadable one is none).
pub async fn recall(kind: BackendKind, prefix: u64) -> Option<Checkpoint> {
    let value = idb::get(DB, STORE, &key(kind, prefix)).await?;
    let get = |k: &str| js_sys::Reflect::get(&value, &k.into()).ok();
    let weights: js_sys::Float32Array = get("weights")?.dyn_into().ok()?;
    let log = serde_json::from_str(&get("log")?.as_string()?).ok()?;
    // Absent in entries kept before checkpoints carried their scores: scored again.
    let stages = get("stages")
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let stages_for = get("stages_for").and_then(|s| s.as_string()).unwrap_or_default();
    Some(Checkpoint {
        // Absent in entries kept before checkpoints named their prefix: those are trained again.
        prefix: get("prefix")?.as_string()?,
        weights: weights.to_vec(),
        log,
        stages,
        stages_for,
    })
}

pub async fn keep(kind: BackendKind, prefix: u64, checkpoint: Checkpoint) {
    let log = serde_json::to_string(&checkpoint.log).expect("logs serialise");
    let stages = serde_json::to_string(&checkpoint.stages).expect("counts serialise");
    let value = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&value, &k.into(), v);
    if set("prefix", &checkpoint.prefix.into()).is_ok()
        && set("weights", &js_sys::Float32Array::from(&checkpoint.weights[..])).is_ok()
        && set("log", &log.into()).is_ok()
        && set("stages", &stages.into()).is_ok()
        && set("stages_for", &checkpoint.stages_for.clone().into()).is_ok()
        && let Err(why) = idb::put(DB, STORE, &key(kind, prefix), value.into()).await
    {
        web_sys::console::warn_1(&format!("upbringing: a trained prefix was not kept: {why}").into());
    }
}
