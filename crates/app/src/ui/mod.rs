//! The playground's view components (yew). Each reads plain state from
//! `playground`, `curves` or the engine's results and reports what the user
//! did through callbacks; none holds experiment state of its own.

pub mod curves;
pub mod editor;
pub mod exercise;
pub mod explain;
pub mod sweep;
pub mod transcripts;

/// The `value` of an input, select or textarea behind an event or node
/// (read through JS so one helper serves every kind of control).
pub fn control_value(target: &wasm_bindgen::JsValue) -> String {
    js_sys::Reflect::get(target, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
