// A task queued behind any message already waiting (a Cancel), without a
// timer: a zero timeout sleeps the thread at least 1–4 ms, and with every
// core busy a sleeping worker wakes late. (A file, not inline JS: the page's
// and the worker's inline snippets share numbered names and would collide.)
export function next_task() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(0);
  });
}
