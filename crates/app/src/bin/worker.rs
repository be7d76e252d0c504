//! Entry point of the training Web Worker (built by trunk, `data-type="worker"`).

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_family = "wasm")]
fn main() {
    use gloo_worker::Registrable;
    // Run static constructors (cubecl's `inventory` registrations) once, here.
    // Without an explicit call wasm-ld links a "command" module and runs them
    // again at the top of *every* export call, i.e. on every message, timer
    // and promise the worker wakes for (see the `inventory` crate's docs).
    // SAFETY: called once, first thing, before anything reads what they register.
    unsafe { __wasm_call_ctors() };
    upbringing_app::worker::TrainerWorker::registrar()
        .encoding::<upbringing_app::worker::JsCodec>()
        .register();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the worker runs in a browser: build the page with `trunk build`");
}
