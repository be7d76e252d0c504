//! One run at a time across every Upbringing on a page (several embeds in a
//! blog post): a run holds a Web Lock until it ends, and a second run waits
//! for it. Where the browser has no Web Locks or refuses them (a third-party
//! frame whose storage it blocks), runs are not coordinated.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// Resolves, once the lock is granted, to a function that releases it.
export function acquire_run_lock(name) {
  return new Promise((granted) => {
    const alone = () => granted(() => {});
    try {
      if (!globalThis.navigator?.locks) return alone();
      navigator.locks.request(name, () => new Promise((release) => granted(release))).catch(alone);
    } catch {
      alone();
    }
  });
}
"#)]
extern "C" {
    async fn acquire_run_lock(name: &str) -> JsValue;
}

/// Held while a run trains; dropping it lets the next run start.
pub struct RunLock(js_sys::Function);

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

/// Wait until no other Upbringing on this origin is training.
pub async fn acquire() -> RunLock {
    let release = acquire_run_lock("upbringing-run").await;
    RunLock(
        release
            .dyn_into()
            .unwrap_or_else(|_| js_sys::Function::new_no_args("")),
    )
}
