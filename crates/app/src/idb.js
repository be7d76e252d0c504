// IndexedDB for the page's kept results (page/store.rs) and the worker's kept
// checkpoints (keep.rs), with one bounded budget over both.
// A module file, not inline JS: inline snippets are numbered per binary, and
// the page's and the worker's would overwrite each other in dist/snippets.
//
// Each database holds its values and a `ledger` store beside them: what each
// entry weighs and when it was last used, written in the same transaction as
// the value, so the two agree whatever the page, its workers and other tabs
// do in between (an entry and its record are kept, used and deleted
// together). After every write the least recently used checkpoints go until
// the total fits the budget (100 MB unless the visitor sets another). Kept
// results are never deleted to make room: a run's results may exist nowhere
// else, so only the visitor deletes them ("clear stored data"). They count
// against the budget, and an entry that does not fit beside them is not kept
// (the page says so; its results stay on screen). A write the browser
// refuses for lack of space (QuotaExceededError) evicts every checkpoint and
// tries once more, then carries on without keeping. Nothing here throws: a refusal (private mode, a full disk) is
// logged and reads as "nothing kept".

// Every database and store the app keeps entries in ("clear stored data"
// empties them all), and whether the budget may delete their entries.
const KNOWN = [
  { db: 'upbringing', store: 'results', evictable: false },
  { db: 'upbringing-checkpoints', store: 'checkpoints', evictable: true },
];
// Version 2 added each database's `ledger` store (version 1 kept the ledger
// in a database of its own, which could disagree with the stores).
const VERSION = 2;
// The budget; also the version 1 ledger, no longer read.
const SETTINGS = 'upbringing-storage';
const DEFAULT_QUOTA = 100 * 1024 * 1024;

const opened = new Map();
function open(db) {
  if (!opened.has(db)) {
    opened.set(db, new Promise((resolve, reject) => {
      const req = db === SETTINGS ? indexedDB.open(db, 1) : indexedDB.open(db, VERSION);
      req.onupgradeneeded = () => upgrade(db, req.result, req.transaction);
      req.onblocked = () => console.warn(`upbringing: ${db} waits for an older tab of this page to close`);
      req.onsuccess = () => {
        const conn = req.result;
        // Let a newer page's upgrade close us instead of blocking.
        conn.onversionchange = () => { conn.close(); opened.delete(db); };
        resolve(conn);
      };
      req.onerror = () => { opened.delete(db); reject(req.error); };
    }));
  }
  return opened.get(db);
}
// Creates the stores; values an older page kept get ledger records, as least
// recently used, in the same upgrade transaction.
function upgrade(db, conn, tx) {
  if (db === SETTINGS) {
    if (!conn.objectStoreNames.contains('settings')) conn.createObjectStore('settings');
    return;
  }
  const { store } = known(db);
  if (!conn.objectStoreNames.contains(store)) conn.createObjectStore(store);
  if (conn.objectStoreNames.contains('ledger')) return;
  const ledger = conn.createObjectStore('ledger');
  tx.objectStore(store).openCursor().onsuccess = (ev) => {
    const c = ev.target.result;
    if (!c) return;
    ledger.put({ key: String(c.key), bytes: weight(c.value), used: 0 }, String(c.key));
    c.continue();
  };
}
// A database's entry in KNOWN (one of another name: its own store, evictable).
const known = (db) => KNOWN.find((k) => k.db === db) ?? { db, store: db, evictable: true };
// A transaction's outcome: its requests' results once it has committed, not
// at their success events (code awaiting them resumes inside that event's
// task, and a worker then computes for seconds before its next yield while
// the transaction stays open, stalling every other worker's write).
function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    // While a request's error event is dispatched, tx.error is still null.
    tx.onerror = (ev) => reject(ev.target.error ?? tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

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

async function quota() {
  try {
    const tx = (await open(SETTINGS)).transaction('settings');
    const req = tx.objectStore('settings').get('quota');
    await finished(tx);
    return Number.isFinite(req.result) && req.result >= 0 ? req.result : DEFAULT_QUOTA;
  } catch {
    return DEFAULT_QUOTA;
  }
}

// Every ledger record, with its database: [{ db, key, bytes, used, evictable }].
async function entries() {
  const all = [];
  for (const k of KNOWN) {
    const tx = (await open(k.db)).transaction('ledger');
    const req = tx.objectStore('ledger').getAll();
    await finished(tx);
    for (const e of req.result ?? []) all.push({ ...e, db: k.db, evictable: k.evictable });
  }
  return all;
}

// An entry and its record, deleted together, if its record still says it
// was last used at `used` (another tab or worker may have written or read
// it since the caller looked).
async function remove(db, key, used) {
  const { store } = known(db);
  const tx = (await open(db)).transaction([store, 'ledger'], 'readwrite');
  const ledger = tx.objectStore('ledger');
  ledger.get(key).onsuccess = (ev) => {
    if (ev.target.result?.used !== used) return;
    tx.objectStore(store).delete(key);
    ledger.delete(key);
  };
  await finished(tx);
}

// Delete least recently used checkpoints (never `keep`: [db, key]) until at
// most `limit` bytes remain or none is left; returns what remains.
async function evict(limit, keep) {
  const all = await entries();
  let total = all.reduce((s, e) => s + e.bytes, 0);
  const candidates = all.filter((e) => e.evictable && !(keep && e.db === keep[0] && e.key === keep[1]));
  candidates.sort((a, b) => a.used - b.used);
  for (const e of candidates) {
    if (total <= limit) break;
    await remove(e.db, e.key, e.used);
    total -= e.bytes;
  }
  return total;
}

export async function idb_get(db, store, key) {
  try {
    return await getMarkingUsed(db, store, key);
  } catch (e) {
    // Marking it used can fail (a full disk refuses the write); the value
    // need not.
    console.warn(`upbringing: could not mark an entry of ${db} used`, e);
  }
  try {
    const tx = (await open(db)).transaction(store);
    const req = tx.objectStore(store).get(key);
    await finished(tx);
    return req.result ?? null;
  } catch (e) {
    console.warn(`upbringing: could not read from ${db}`, e);
    return null;
  }
}

// Read-write: marking it used now (the last to be evicted) commits with the
// read, and only if the value is there.
async function getMarkingUsed(db, store, key) {
  const tx = (await open(db)).transaction([store, 'ledger'], 'readwrite');
  const req = tx.objectStore(store).get(key);
  req.onsuccess = () => {
    if (req.result === undefined) return;
    const ledger = tx.objectStore('ledger');
    ledger.get(key).onsuccess = (ev) => {
      const e = ev.target.result ?? { key, bytes: weight(req.result) };
      ledger.put({ ...e, used: Date.now() }, key);
    };
  };
  await finished(tx);
  return req.result ?? null;
}

// Keep `value` under `key`; returns "" when kept, else why not (for the page to say).
export async function idb_put(db, store, key, value) {
  const bytes = weight(value);
  const limit = await quota();
  if (bytes > limit) return `it needs ${mb(bytes)} and this browser keeps at most ${mb(limit)}`;
  // Kept results are never evicted: what does not fit beside them is not
  // written (writing first would replace a kept value, then delete it).
  let results = 0;
  try {
    results = (await entries())
      .filter((e) => !e.evictable && !(e.db === db && e.key === key))
      .reduce((sum, e) => sum + e.bytes, 0);
  } catch (e) {
    console.warn('upbringing: could not read the storage ledger', e);
  }
  if (results + bytes > limit) return refuse(db, resultsFill(limit));
  // Kept only once the transaction commits: browsers check quota there,
  // not when the request is made (some also throw at once).
  const used = Date.now();
  const put = async () => {
    const tx = (await open(db)).transaction([store, 'ledger'], 'readwrite');
    tx.objectStore(store).put(value, key);
    tx.objectStore('ledger').put({ key, bytes, used }, key);
    await finished(tx);
  };
  const full = (e) => e?.name === 'QuotaExceededError';
  let why = '';
  try {
    await put();
  } catch (e) {
    if (full(e)) {
      // The browser's own limit (disk, origin quota): make room among the
      // checkpoints, try once more.
      try {
        await evict(0, [db, key]);
        await put();
      } catch (again) {
        why = full(again) ? "this browser's storage is full" : `this browser refused to store it (${again?.name ?? again})`;
      }
    } else {
      why = `this browser refused to store it (${e?.name ?? e})`;
    }
  }
  if (why) return refuse(db, why);
  try {
    // Over the budget once every other checkpoint has gone: results kept
    // meanwhile by another tab or worker. A checkpoint then goes too; a
    // result stays (the budget is overshot until the visitor clears).
    if ((await evict(limit, [db, key])) > limit && known(db).evictable) {
      await remove(db, key, used);
      return refuse(db, resultsFill(limit));
    }
  } catch (e) {
    console.warn('upbringing: could not make room within the budget', e);
  }
  return '';
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
// Why an entry was not kept, said to the console and returned for the page.
function refuse(db, why) {
  console.warn(`upbringing: could not keep in ${db}: ${why}`);
  return why;
}
const resultsFill = (limit) =>
  `the results already kept in this browser take its budget (${mb(limit)}): clear stored data or raise the budget to keep more`;

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

// Set the budget (bytes) and evict checkpoints down to it.
export async function idb_set_quota(bytes) {
  try {
    const tx = (await open(SETTINGS)).transaction('settings', 'readwrite');
    tx.objectStore('settings').put(bytes, 'quota');
    await finished(tx);
    await evict(bytes, null);
  } catch (e) {
    console.warn('upbringing: could not set the storage budget', e);
  }
}

// Empty every store the app keeps entries in, with its ledger (the budget stays).
export async function idb_clear() {
  for (const { db, store } of KNOWN) {
    try {
      const tx = (await open(db)).transaction([store, 'ledger'], 'readwrite');
      tx.objectStore(store).clear();
      tx.objectStore('ledger').clear();
      await finished(tx);
    } catch (e) {
      console.warn(`upbringing: could not clear ${db}`, e);
    }
  }
}
