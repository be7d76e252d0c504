// IndexedDB for the page's kept results (page/store.rs) and the worker's kept
// checkpoints (keep.rs), with one bounded budget over both.
// A module file, not inline JS: inline snippets are numbered per binary, and
// the page's and the worker's would overwrite each other in dist/snippets.
//
// A ledger (its own database, shared by the page and its worker) records what
// each kept entry weighs and when it was last used. After every write the
// least recently used entries go until the total fits the budget (100 MB
// unless the visitor sets another); a write the browser refuses for lack of
// space (QuotaExceededError) evicts every other entry and tries once more,
// then carries on without keeping. Nothing here throws: a refusal (private
// mode, a full disk) is logged and reads as "nothing kept".

// Every database and store the app keeps entries in ("clear stored data" empties them all).
const KNOWN = [['upbringing', 'results'], ['upbringing-checkpoints', 'checkpoints']];
const LEDGER = 'upbringing-storage';
const DEFAULT_QUOTA = 100 * 1024 * 1024;

const opened = new Map();
// Databases are created at version 1 with their stores; a new ledger first
// counts what an older page kept without one (`counted` below).
function open(db, stores) {
  if (!opened.has(db)) {
    opened.set(db, new Promise((resolve, reject) => {
      const req = indexedDB.open(db, 1);
      req.onupgradeneeded = () => {
        for (const s of stores) req.result.createObjectStore(s);
      };
      req.onsuccess = () => {
        const conn = req.result;
        // Let "clear" or a newer page's upgrade close us instead of blocking.
        conn.onversionchange = () => { conn.close(); opened.delete(db); };
        resolve(db === LEDGER ? counted(conn) : conn);
      };
      req.onerror = () => { opened.delete(db); reject(req.error); };
    }));
  }
  return opened.get(db);
}
// A request's result once its transaction has committed, not at its success
// event: code awaiting it resumes inside that event's task, and a worker then
// computes for seconds before its next yield while the transaction stays open,
// stalling every other worker's write to the same store.
function done(req) {
  return new Promise((resolve, reject) => {
    const tx = req.transaction;
    tx.addEventListener('complete', () => resolve(req.result ?? null));
    tx.addEventListener('error', () => reject(req.error ?? tx.error));
    tx.addEventListener('abort', () => reject(tx.error ?? req.error));
  });
}
function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
const ledgerKey = (db, store, key) => JSON.stringify([db, store, key]);
const ledger = () => open(LEDGER, ['entries', 'settings']);

// What an entry weighs: its text, or its typed arrays and text fields.
function weight(value) {
  if (typeof value === 'string') return 2 * value.length;
  let bytes = 0;
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      if (ArrayBuffer.isView(v)) bytes += v.byteLength;
      else if (typeof v === 'string') bytes += 2 * v.length;
    }
  }
  return bytes;
}

// Until a ledger has counted what is already kept (an older page's entries),
// record those as least recently used, so they count against the budget too.
// Entries the ledger already has are left as they are; a scan cut short (a
// closed tab) runs again next time, as the flag is written last.
async function counted(conn) {
  try {
    if (await done(conn.transaction('settings').objectStore('settings').get('counted'))) return conn;
  } catch {
    return conn;
  }
  for (const [db, store] of KNOWN) {
    try {
      const source = await open(db, [store]);
      const entries = [];
      await new Promise((resolve, reject) => {
        const req = source.transaction(store).objectStore(store).openCursor();
        req.onsuccess = () => {
          const c = req.result;
          if (!c) return resolve();
          entries.push({ db, store, key: String(c.key), bytes: weight(c.value), used: 0 });
          c.continue();
        };
        req.onerror = () => reject(req.error);
      });
      const tx = conn.transaction('entries', 'readwrite');
      const ledgerEntries = tx.objectStore('entries');
      for (const e of entries) {
        const k = ledgerKey(e.db, e.store, e.key);
        ledgerEntries.get(k).onsuccess = (ev) => {
          if (ev.target.result === undefined) ledgerEntries.put(e, k);
        };
      }
      await finished(tx);
    } catch (e) {
      console.warn(`upbringing: could not count what ${db} keeps`, e);
    }
  }
  try {
    const tx = conn.transaction('settings', 'readwrite');
    tx.objectStore('settings').put(true, 'counted');
    await finished(tx);
  } catch (e) {
    console.warn('upbringing: could not mark the storage ledger counted', e);
  }
  return conn;
}

async function quota() {
  try {
    const q = await done((await ledger()).transaction('settings').objectStore('settings').get('quota'));
    return Number.isFinite(q) && q >= 0 ? q : DEFAULT_QUOTA;
  } catch {
    return DEFAULT_QUOTA;
  }
}

async function entries() {
  return (await done((await ledger()).transaction('entries').objectStore('entries').getAll())) ?? [];
}

async function remove(e) {
  try {
    await done((await open(e.db, [e.store])).transaction(e.store, 'readwrite').objectStore(e.store).delete(e.key));
  } finally {
    await done((await ledger()).transaction('entries', 'readwrite').objectStore('entries').delete(ledgerKey(e.db, e.store, e.key)));
  }
}

// Delete least recently used entries (never `keep`) until at most `limit` bytes remain.
async function evict(limit, keep) {
  const all = await entries();
  let total = all.reduce((s, e) => s + e.bytes, 0);
  all.sort((a, b) => a.used - b.used);
  for (const e of all) {
    if (total <= limit) break;
    if (ledgerKey(e.db, e.store, e.key) === keep) continue;
    await remove(e);
    total -= e.bytes;
  }
  return total;
}

async function record(db, store, key, bytes) {
  const tx = (await ledger()).transaction('entries', 'readwrite');
  tx.objectStore('entries').put({ db, store, key, bytes, used: Date.now() }, ledgerKey(db, store, key));
  await finished(tx);
}

export async function idb_get(db, store, key) {
  let value;
  try {
    value = await done((await open(db, [store])).transaction(store).objectStore(store).get(key));
  } catch (e) {
    console.warn(`upbringing: could not read from ${db}`, e);
    return null;
  }
  if (value !== null) {
    // Used now: the last to be evicted. Best effort: a ledger that fails
    // costs the order of eviction, never the value.
    try {
      const tx = (await ledger()).transaction('entries', 'readwrite');
      const entries = tx.objectStore('entries');
      const k = ledgerKey(db, store, key);
      entries.get(k).onsuccess = (ev) => {
        const e = ev.target.result ?? { db, store, key, bytes: weight(value) };
        entries.put({ ...e, used: Date.now() }, k);
      };
      // Committed before the caller goes on (see `done`).
      await finished(tx);
    } catch (e) {
      console.warn('upbringing: could not update the storage ledger', e);
    }
  }
  return value;
}

// Keep `value` under `key`; returns "" when kept, else why not (for the page to say).
export async function idb_put(db, store, key, value) {
  const bytes = weight(value);
  const k = ledgerKey(db, store, key);
  const limit = await quota();
  if (bytes > limit) return `it needs ${mb(bytes)} and this browser keeps at most ${mb(limit)}`;
  // In the ledger first, as used now: eviction elsewhere (the page or the
  // worker) then never picks the value being written.
  try {
    await record(db, store, key, bytes);
  } catch (e) {
    console.warn('upbringing: could not update the storage ledger', e);
  }
  // Kept only once the transaction commits: browsers check quota there,
  // not when the request is made (some also throw at once).
  const put = async () => {
    const tx = (await open(db, [store])).transaction(store, 'readwrite');
    tx.objectStore(store).put(value, key);
    await finished(tx);
  };
  const full = (e) => e?.name === 'QuotaExceededError';
  let why = '';
  try {
    await put();
  } catch (e) {
    if (full(e)) {
      // The browser's own limit (disk, origin quota): make room, try once more.
      try {
        await evict(0, k);
        await put();
      } catch (again) {
        why = full(again) ? "this browser's storage is full" : `this browser refused to store it (${again?.name ?? again})`;
      }
    } else {
      why = `this browser refused to store it (${e?.name ?? e})`;
    }
  }
  try {
    if (why) {
      console.warn(`upbringing: could not keep in ${db}: ${why}`);
      await done((await ledger()).transaction('entries', 'readwrite').objectStore('entries').delete(k));
    } else {
      await evict(limit, k);
    }
  } catch (e) {
    console.warn('upbringing: could not update the storage ledger', e);
  }
  return why;
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

// What is kept, in all: { bytes, entries, quota }.
export async function idb_usage() {
  try {
    const all = await entries();
    return { bytes: all.reduce((s, e) => s + e.bytes, 0), entries: all.length, quota: await quota() };
  } catch (e) {
    console.warn('upbringing: could not read the storage ledger', e);
    return { bytes: 0, entries: 0, quota: DEFAULT_QUOTA };
  }
}

// Set the budget (bytes) and evict down to it.
export async function idb_set_quota(bytes) {
  try {
    const tx = (await ledger()).transaction('settings', 'readwrite');
    tx.objectStore('settings').put(bytes, 'quota');
    await finished(tx);
    await evict(bytes, null);
  } catch (e) {
    console.warn('upbringing: could not set the storage budget', e);
  }
}

// Empty every store the app keeps entries in, and the ledger (the budget stays).
export async function idb_clear() {
  for (const [db, store] of KNOWN) {
    try {
      await done((await open(db, [store])).transaction(store, 'readwrite').objectStore(store).clear());
    } catch (e) {
      console.warn(`upbringing: could not clear ${db}`, e);
    }
  }
  try {
    await done((await ledger()).transaction('entries', 'readwrite').objectStore('entries').clear());
  } catch (e) {
    console.warn('upbringing: could not clear the storage ledger', e);
  }
}
