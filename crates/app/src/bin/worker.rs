//! Entry point of the training Web Worker (built by trunk, `data-type="worker"`).

#[cfg(target_family = "wasm")]
fn main() {
    use gloo_worker::Registrable;
    upbringing_app::worker::TrainerWorker::registrar()
        .encoding::<upbringing_app::worker::JsCodec>()
        .register();
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    eprintln!("the worker runs in a browser: build the page with `trunk build`");
}
