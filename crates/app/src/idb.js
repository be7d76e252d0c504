// IndexedDB, best effort, for the page's kept results (page/store.rs) and
// the worker's kept checkpoints (keep.rs): one object store per database.
// A module file, not inline JS: inline snippets are numbered per binary, and
// the page's and the worker's would overwrite each other in dist/snippets.
// Never throws: a refusal (private mode, quota) is logged and reads as "nothing kept".
const opened = new Map();
function open(db, store) {
  if (!opened.has(db)) {
    opened.set(db, new Promise((resolve, reject) => {
      const req = indexedDB.open(db, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(store);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { opened.delete(db); reject(req.error); };
    }));
  }
  return opened.get(db);
}
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result ?? null);
    req.onerror = () => reject(req.error);
  });
}
export async function idb_get(db, store, key) {
  try {
    return await done((await open(db, store)).transaction(store).objectStore(store).get(key));
  } catch (e) {
    console.warn(`upbringing: could not read from ${db}`, e);
    return null;
  }
}
export async function idb_put(db, store, key, value) {
  try {
    await done((await open(db, store)).transaction(store, 'readwrite').objectStore(store).put(value, key));
  } catch (e) {
    console.warn(`upbringing: could not keep in ${db}`, e);
  }
}
