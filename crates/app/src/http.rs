//! A GET from the page or a worker alike: `fetch` is looked up on the
//! global object, which is the window in the page and the worker scope in a
//! worker (web-sys gives the two distinct types with one method each).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The response to `url`, if the request went through and answered 2xx.
pub async fn get(url: &str) -> Option<web_sys::Response> {
    let global = js_sys::global();
    let fetch: js_sys::Function = js_sys::Reflect::get(&global, &"fetch".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = fetch.call1(&global, &url.into()).ok()?.dyn_into().ok()?;
    let response: web_sys::Response = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    response.ok().then_some(response)
}
