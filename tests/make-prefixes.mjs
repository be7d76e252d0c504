// Make web/precomputed/prefixes/: the default experiment's pretraining at
// the seeds the exercises use, trained by the built page's own worker on the
// CPU fallback (so they are exactly what a visitor's browser would train),
// read out of its IndexedDB and written in the format `crates/app/src/shipped.rs`
// reads (`Checkpoint::to_bytes` in crates/lab/src/checkpoint.rs):
// `[u32 LE header length][header JSON: key, prefix, log, stages, stages_for][f32 LE weights]` per prefix,
// and manifest.json naming the engine build that trained them.
//
// Run after any change to the engine (its build stamp keys them):
//   bash -c 'source scripts/env.sh; build_page' && node tests/make-prefixes.mjs
// then build the page again so dist/ carries them.
import { chromium } from 'playwright-core';
import { serveDist } from './serve-dist.mjs';
import { readFile, mkdir, writeFile, rm } from 'node:fs/promises';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';

/// Seeds whose pretraining ships: the exercises' (the default preset's first five).
const SEEDS = [0, 1, 2, 3, 4];

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const out = join(root, 'web', 'precomputed', 'prefixes');

/// FNV-1a, 64 bits, as 16 hex digits: `spec::fnv1a`, the content hash
/// `crates/app/src/shipped.rs` checks each file against before use.
function fnv1a(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

const { server, base } = await serveDist(dist);

// The default experiment cut to its pretraining: a prefix's key depends on
// the world, the model, the seed and its phases only, so these are the keys
// every design from the default (and every exercise) starts with. The
// evaluation is cut short: it is not part of the key.
const spec = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'default.json'), 'utf8')).spec;
const control = spec.regimes.find((r) => r.name === 'control');
spec.name = 'shipped prefixes';
spec.regimes = [{ ...control, phases: control.phases.slice(0, 1) }];
spec.seeds = SEEDS;
spec.eval = { ...spec.eval, episodes: 4, probes: 2, attack: { ...spec.eval.attack, steps: 1 } };
const link = '1.' + deflateRawSync(Buffer.from(JSON.stringify(spec))).toString('base64url');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${base}?backend=cpu&spec=${link}`);
await page.waitForSelector('#backend[data-kind="flex"]', { timeout: 120_000 });
const t0 = Date.now();
await page.click('#run');
await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: 30 * 60_000 });
if (await page.getAttribute('#run-status', 'data-phase') !== 'done') throw new Error(await page.textContent('#run-status'));
console.log(`trained ${SEEDS.length} pretraining prefixes in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const kept = await page.evaluate(() => new Promise((resolve, reject) => {
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
await browser.close();
server.close();
if (kept.length !== SEEDS.length) throw new Error(`expected ${SEEDS.length} kept prefixes, found ${kept.length}`);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const engines = new Set();
const prefixes = [];
const hashes = {};
let gzipped = 0;
for (const k of kept) {
  // The page keys a checkpoint `<VERSION>+<ENGINE_BUILD>/<backend>/<prefix key>`.
  const [engine, backend, key] = k.key.split('/');
  if (backend !== 'flex') throw new Error(`${k.key}: not trained on the CPU fallback`);
  engines.add(engine);
  if (!k.stages) throw new Error(`${k.key}: kept without its stage scores (an older page build?)`);
  if (!k.stages_for) throw new Error(`${k.key}: kept without its stage setup (an older page build?)`);
  const header = Buffer.from(JSON.stringify({ key, prefix: k.prefix, log: JSON.parse(k.log), stages: JSON.parse(k.stages), stages_for: k.stages_for }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const file = Buffer.concat([length, header, Buffer.from(k.bytes)]);
  await writeFile(join(out, `${key}.bin`), file);
  hashes[key] = fnv1a(file);
  gzipped += gzipSync(file, { level: 9 }).length;
  prefixes.push(key);
}
if (engines.size !== 1) throw new Error(`prefixes of several engine builds: ${[...engines]}`);
prefixes.sort();
const sortedHashes = Object.fromEntries(Object.entries(hashes).sort());
await writeFile(join(out, 'manifest.json'), JSON.stringify({ engine: [...engines][0], backend: 'flex', seeds: SEEDS, prefixes, hashes: sortedHashes }, null, 2) + '\n');
console.log(`wrote ${prefixes.length} prefixes to ${out}: ${(gzipped / 1048576).toFixed(2)} MB gzipped`);
