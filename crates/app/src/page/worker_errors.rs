//! Hears when a training worker dies without a word (see `worker_errors.js`),
//! so its unit runs again (or the run ends with the reason) instead of
//! "running" forever.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/page/worker_errors.js")]
extern "C" {
    fn watch_worker_errors(on_error: &js_sys::Function);
}

/// Call `on_error` with the number (0, 1, … in the order made) and the
/// message of every uncaught error in a worker this page creates from now
/// on (the worker is terminated first).
pub fn watch(on_error: impl Fn(u32, String) + 'static) {
    let callback = Closure::<dyn Fn(u32, String)>::new(on_error);
    watch_worker_errors(callback.as_ref().unchecked_ref());
    // Lives as long as the page: workers may die at any time.
    callback.forget();
}
