//! Hears when the training worker dies without a word (see `worker_errors.js`),
//! so the run ends with the reason instead of "running" forever.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/page/worker_errors.js")]
extern "C" {
    fn watch_worker_errors(on_error: &js_sys::Function);
}

/// Call `on_error` with the message of every uncaught error in a worker this
/// page creates from now on (the worker is terminated first).
pub fn watch(on_error: impl Fn(String) + 'static) {
    let callback = Closure::<dyn Fn(String)>::new(on_error);
    watch_worker_errors(callback.as_ref().unchecked_ref());
    // Lives as long as the page: workers may die at any time.
    callback.forget();
}
