// The storage budget under concurrent use: two tabs, each a page and a module
// worker, put, read and evict kept results and checkpoints at random (seeded),
// one of them with writes the browser refuses for lack of space now and then,
// and the budget changing under them. Afterwards the ledger and the stores
// must agree entry for entry, and every run's results that were kept must
// still be there (the budget never deletes results). Used by tests/e2e.mjs on
// the built page's idb.js; `idbUrl` is that module's address.

// One actor's work, run inside a page or a worker: `ops` random operations.
const actor = async (idbUrl, seed, ops, refuseSome) => {
  const idb = await import(idbUrl);
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  if (refuseSome) {
    // A full disk now and then, for checkpoints (a quota error evicts).
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value, key) {
      if (this.name === 'checkpoints' && rand() < 0.15) throw new DOMException('the disk is full', 'QuotaExceededError');
      return put.call(this, value, key);
    };
  }
  const kept = [];
  for (let i = 0; i < ops; i++) {
    const r = rand();
    if (r < 0.4) {
      const key = `c${Math.floor(rand() * 8)}`;
      await idb.idb_put('upbringing-checkpoints', 'checkpoints', key, { weights: new Float32Array(2000 + Math.floor(rand() * 30000)) });
    } else if (r < 0.6) {
      const key = `r-${seed}-${i}`;
      const why = await idb.idb_put('upbringing', 'results', key, 'x'.repeat(1000 + Math.floor(rand() * 20000)));
      if (why === '') kept.push(key);
    } else if (r < 0.9) {
      await idb.idb_get('upbringing-checkpoints', 'checkpoints', `c${Math.floor(rand() * 8)}`);
    } else {
      await idb.idb_set_quota(300_000 + Math.floor(rand() * 1_500_000));
    }
    // Interleave: sometimes yield, sometimes compute without yielding.
    if (rand() < 0.5) await new Promise((res) => setTimeout(res, 0));
    else { const t = performance.now(); while (performance.now() - t < 2) { /* busy */ } }
  }
  return kept;
};

// In a page: run an actor there and one in a module worker, together.
const pageAndWorker = async ([idbUrl, seed, ops, actorSource]) => {
  const source = `const actor = ${actorSource};
    onmessage = async (e) => {
      try { postMessage({ kept: await actor(...e.data) }); } catch (err) { postMessage({ error: String(err) }); }
    };`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
  // A worker that fails (to load, or in its work) fails the check, never hangs it.
  const inWorker = new Promise((res, rej) => {
    worker.onmessage = (e) => (e.data.error ? rej(new Error(`worker: ${e.data.error}`)) : res(e.data.kept));
    worker.onerror = (e) => rej(new Error(`worker: ${e.message}`));
  });
  worker.postMessage([idbUrl, seed + 1, ops, true]);
  const actorHere = (0, eval)(`(${actorSource})`);
  const [a, b] = await Promise.all([actorHere(idbUrl, seed, ops, false), inWorker]);
  worker.terminate();
  return [...a, ...b];
};

// What is in the stores and in the ledger, by database: the ledger is each
// database's `ledger` store, or (before it) the one ledger database.
const inventory = async () => {
  const all = (db, store) => new Promise((resolve, reject) => {
    const req = indexedDB.open(db);
    req.onsuccess = () => {
      const conn = req.result;
      if (!conn.objectStoreNames.contains(store)) { conn.close(); return resolve(null); }
      const keys = conn.transaction(store).objectStore(store).getAllKeys();
      keys.onsuccess = () => { conn.close(); resolve(keys.result.map(String)); };
      keys.onerror = () => reject(keys.error);
    };
    req.onerror = () => reject(req.error);
  });
  const out = {};
  const oldLedger = await all('upbringing-storage', 'entries');
  for (const [db, store] of [['upbringing', 'results'], ['upbringing-checkpoints', 'checkpoints']]) {
    const ledger = (await all(db, 'ledger')) ?? (oldLedger ?? [])
      .map((k) => JSON.parse(k)).filter(([d, s]) => d === db && s === store).map(([, , k]) => k);
    out[db] = { values: ((await all(db, store)) ?? []).sort(), ledger: [...ledger].sort() };
  }
  return out;
};

/// Runs the scenario in two tabs opened at `url` and returns
/// { kept, inventory }: the results keys each put reported kept, and what
/// the stores and the ledger hold afterwards.
export async function raceStorage(browser, url, idbUrl, ops = 60) {
  const tabs = await Promise.all([browser.newPage(), browser.newPage()]);
  const errors = [];
  for (const t of tabs) {
    t.on('pageerror', (e) => errors.push(String(e)));
    await t.goto(url);
  }
  const kept = (await Promise.all(tabs.map((t, i) => t.evaluate(pageAndWorker, [idbUrl, 1000 * (i + 1), ops, actor.toString()])))).flat();
  const held = await tabs[0].evaluate(inventory);
  await Promise.all(tabs.map((t) => t.close()));
  return { kept, inventory: held, errors };
}
