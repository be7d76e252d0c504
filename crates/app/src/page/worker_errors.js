// A training worker that dies without a word: a wasm trap (out of memory, a
// crash after the panic hook) is an uncaught error in the worker, which the
// browser reports only on the Worker object, and gloo-worker's bridge does
// not expose it. So every Worker this page creates reports its errors here,
// with its number (0, 1, … in the order made), and is terminated (its wasm
// state is broken; terminating frees its memory).
export function watch_worker_errors(onError) {
  const Native = globalThis.Worker;
  if (Native.upbringingWatched) return;
  let made = 0;
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      const id = made++;
      this.addEventListener('error', (e) => {
        this.terminate();
        onError(id, e.message || 'an error without a message');
      });
    }
  }
  Watched.upbringingWatched = true;
  globalThis.Worker = Watched;
}
