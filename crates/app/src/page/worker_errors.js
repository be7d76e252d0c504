// A training worker that dies without a word: a wasm trap (out of memory, a
// crash after the panic hook) is an uncaught error in the worker, which the
// browser reports only on the Worker object, and gloo-worker's bridge does
// not expose it. So every Worker this page creates reports its errors here,
// and is terminated (its wasm state is broken; terminating frees its memory).
export function watch_worker_errors(onError) {
  const Native = globalThis.Worker;
  if (Native.upbringingWatched) return;
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('error', (e) => {
        this.terminate();
        onError(e.message || 'an error without a message');
      });
    }
  }
  Watched.upbringingWatched = true;
  globalThis.Worker = Watched;
}
