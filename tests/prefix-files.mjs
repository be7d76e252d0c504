// Shipped prefixes as files, shared by tests/make-prefixes.mjs (which makes
// them) and tests/e2e.mjs (which retrains one and compares it byte for byte):
// the spec that trains them, how the page keeps a trained prefix in
// IndexedDB, and the file `crates/app/src/shipped.rs` reads
// (`Checkpoint::to_bytes` in crates/lab/src/checkpoint.rs):
// `[u32 LE header length][header JSON: key, prefix, log, stages, stages_for][f32 LE weights]`.
import { deflateRawSync } from 'node:zlib';

/// FNV-1a, 64 bits, as 16 hex digits: `spec::fnv1a`, the content hash
/// `crates/app/src/shipped.rs` checks each file against before use.
export function fnv1a(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/// A page link (`spec=`) that trains the default experiment's pretraining at
/// `seeds` and little else: a prefix's key depends on the world, the model,
/// the seed and its phases only, so these are the keys every design from the
/// default (and every exercise) starts with. The evaluation is cut short: it
/// is not part of the key.
export function pretrainingLink(defaultSpec, seeds) {
  const spec = structuredClone(defaultSpec);
  const control = spec.regimes.find((r) => r.name === 'control');
  spec.name = 'shipped prefixes';
  spec.regimes = [{ ...control, phases: control.phases.slice(0, 1) }];
  spec.seeds = seeds;
  spec.eval = { ...spec.eval, episodes: 4, probes: 2, attack: { ...spec.eval.attack, steps: 1 } };
  return '1.' + deflateRawSync(Buffer.from(JSON.stringify(spec))).toString('base64url');
}

/// Every checkpoint the page kept in this browser's IndexedDB.
export function readKept(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('upbringing-checkpoints');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const store = open.result.transaction('checkpoints').objectStore('checkpoints');
      const [keys, values] = [store.getAllKeys(), store.getAll()];
      values.onsuccess = () => resolve(values.result.map((v, i) => ({
        key: keys.result[i], prefix: v.prefix, log: v.log, stages: v.stages, stages_for: v.stages_for, bytes: Array.from(new Uint8Array(v.weights.buffer)),
      })));
      values.onerror = () => reject(values.error);
    };
  }));
}

/// A kept checkpoint as the shipped file: { engine, backend, key, file }.
export function checkpointFile(k) {
  // The page keys a checkpoint `<VERSION>+<ENGINE_BUILD>/<backend>/<prefix key>`.
  const [engine, backend, key] = k.key.split('/');
  if (!k.stages) throw new Error(`${k.key}: kept without its stage scores (an older page build?)`);
  if (!k.stages_for) throw new Error(`${k.key}: kept without its stage setup (an older page build?)`);
  const header = Buffer.from(JSON.stringify({ key, prefix: k.prefix, log: JSON.parse(k.log), stages: JSON.parse(k.stages), stages_for: k.stages_for }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return { engine, backend, key, file: Buffer.concat([length, header, Buffer.from(k.bytes)]) };
}
