// Make web/precomputed/prefixes/: the flagship's (default.json's)
// pretraining at the seeds the exercises use (its first five), trained by the built page's own worker on the
// CPU fallback (so they are exactly what a visitor's browser would train),
// read out of its IndexedDB and written in the format `crates/app/src/shipped.rs`
// reads (tests/prefix-files.mjs), with manifest.json naming the engine build
// that trained them and each file's content hash.
//
// Run after any change to the engine (its build stamp keys them):
//   bash -c 'source scripts/env.sh; build_page' && node tests/make-prefixes.mjs
// then build the page again so dist/ carries them.
import { chromium } from 'playwright-core';
import { serveDist } from './serve-dist.mjs';
import { checkpointFile, fnv1a, pretrainingLink, readKept } from './prefix-files.mjs';
import { readFile, mkdir, writeFile, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const out = join(root, 'web', 'precomputed', 'prefixes');

const { server, base } = await serveDist(dist);

const spec = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'default.json'), 'utf8')).spec;
/// Seeds whose pretraining ships: the exercises' (the default preset's first five).
const SEEDS = spec.seeds.slice(0, 5);
const link = pretrainingLink(spec, SEEDS);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${base}?backend=cpu&spec=${link}`);
await page.waitForSelector('#backend[data-kind="flex"]', { timeout: 120_000 });
const t0 = Date.now();
await page.click('#run');
await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: 30 * 60_000 });
if (await page.getAttribute('#run-status', 'data-phase') !== 'done') throw new Error(await page.textContent('#run-status'));
console.log(`trained ${SEEDS.length} pretraining prefixes in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const kept = await readKept(page);
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
  const { engine, backend, key, file } = checkpointFile(k);
  if (backend !== 'flex') throw new Error(`${k.key}: not trained on the CPU fallback`);
  engines.add(engine);
  await writeFile(join(out, `${key}.bin`), file);
  hashes[key] = fnv1a(file);
  gzipped += gzipSync(file, { level: 9 }).length;
  prefixes.push(key);
}
if (engines.size !== 1) throw new Error(`prefixes of several engine builds: ${[...engines]}`);
prefixes.sort();
const sortedHashes = Object.fromEntries(Object.entries(hashes).sort());
await writeFile(join(out, 'manifest.json'), JSON.stringify({ engine: [...engines][0], backend: 'flex', seeds: SEEDS, prefixes, hashes: sortedHashes }, null, 2) + '\n');
console.log(`wrote ${prefixes.length} prefixes to ${out}: ${(gzipped / 1048576).toFixed(2)} MiB gzipped`);
