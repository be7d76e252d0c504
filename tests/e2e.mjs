// End to end: serve the built page (dist/), open it in Debian's headless
// Chromium, train a shortened run on WebGPU (SwiftShader) and again on the
// forced CPU fallback, and check what the page shows. Also: a hand-edited
// link, main-thread long tasks. (WebGPU-vs-flex numerics are checked natively
// over Vulkan in crates/lab/tests/wgpu_vulkan.rs; in the browser that check
// hung, see the closing note of issue 2.)
// Writes tests/artifacts/{e2e.json,page.png}.
import { chromium } from 'playwright-core';
import { serveDist } from './serve-dist.mjs';
import { checkpointFile, fnv1a, pretrainingLink, readKept } from './prefix-files.mjs';
import { raceStorage } from './storage-races.mjs';
import { readFile, mkdir, writeFile, readdir, stat, rm, cp, mkdtemp, rename } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { gzipSync, deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const artifacts = join(root, 'tests', 'artifacts');
// SwiftShader runs WebGPU on the CPU at ~0.2 steps/s, so the WebGPU run is short.
const STEPS = { webgpu: 20, cpu: 80 };
const TIMEOUT_MS = 8 * 60_000;

// The shipped trained prefixes can be withheld, as from a page without them,
// or served with a byte changed, as a damaged or stale file would be.
let serveShipped = true;
let alterShipped = false;
const { server, base } = await serveDist(
  dist,
  (path) => !serveShipped && path.includes('/precomputed/prefixes/'),
  (path, body) => {
    if (!alterShipped || !path.endsWith('.bin')) return body;
    const changed = Buffer.from(body);
    changed[changed.length - 1] ^= 1; // the last weight's lowest bit
    return changed;
  },
);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
    // playwright gives every launch a fresh, empty profile (no --user-data-dir needed).
    '--disable-sync', '--disable-quic', '--no-first-run'],
});

const results = { base, steps: STEPS, runs: {} };
let failed = false;
async function check(name, fn) {
  // E2E_ONLY=regex runs only the matching checks (while working on one).
  if (process.env.E2E_ONLY && !new RegExp(process.env.E2E_ONLY).test(name)) return;
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}\n     ${e.message.split('\n').join('\n     ')}`);
  }
}

/// The page writes its link after it redraws, so an assert right after an
/// action can run first: wait for the link instead (CI failed at random on
/// `assert.match(page.url(), ...)` straight after `selectOption`).
async function linkMatches(page, re, message = 'the link') {
  await page
    .waitForFunction((src) => new RegExp(src).test(location.href), re.source, { timeout: 10_000 })
    .catch(() => assert.fail(`${message}: ${page.url()} never matched ${re}`));
}

async function openPage(query) {
  const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
  const errors = [];
  const notFound = [];
  page.on('response', (r) => { if (r.status() === 404) notFound.push(new URL(r.url()).pathname); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker: ${m.text()}`); }));
  // Record main-thread long tasks from the first byte on.
  await page.addInitScript(() => {
    window.__longTasks = []; // PerformanceEntry objects: startTime, duration
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longTasks.push(e)))
      .observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(base + query);
  await page.waitForSelector('#backend[data-kind]:not([data-kind=""])', { timeout: TIMEOUT_MS });
  return { page, errors, notFound, msToDevice: Date.now() - t0 };
}

async function train(page) {
  // Let the load's last long tasks be reported, then split load from run at the click.
  await page.waitForTimeout(500);
  const clickAt = await page.evaluate(() => performance.now());
  const t0 = Date.now();
  await page.click('#train');
  await page.waitForSelector('#status[data-phase="done"], #status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  const status = await page.textContent('#status');
  const phase = await page.getAttribute('#status', 'data-phase');
  assert.equal(phase, 'done', `run ended: ${status}`);
  const loss = await page.$('#loss');
  return {
    seconds: (Date.now() - t0) / 1000,
    firstLoss: Number(await loss.getAttribute('data-first-loss')),
    lastLoss: Number(await loss.getAttribute('data-last-loss')),
    msToFirstStep: Number(await loss.getAttribute('data-ms-first-step')),
    speed: await page.textContent('#speed'),
    samples: await page.$$eval('#samples tr.ok, #samples tr.wrong', (r) => r.length),
    backend: await page.textContent('#backend'),
    // Main-thread tasks over 50 ms while training (the page must stay responsive).
    ...(await page.evaluate((at) => {
      const [load, run] = [window.__longTasks.filter((e) => e.startTime < at), window.__longTasks.filter((e) => e.startTime >= at)];
      const max = (l) => Math.max(0, ...l.map((e) => Math.round(e.duration)));
      return { loadLongTaskMs: max(load), runLongTaskMs: max(run), runLongTasks: run.map((e) => [Math.round(e.startTime - at), Math.round(e.duration)]) };
    }, clickAt)),
  };
}

for (const [mode, query, kind, drop] of [
  ['webgpu', `?steps=${STEPS.webgpu}&backend=webgpu`, 'wgpu', 0.85],
  ['cpu', `?steps=${STEPS.cpu}&backend=cpu`, 'flex', 0.6],
]) {
  await check(`${mode}: trains and the loss falls`, async () => {
    const { page, errors, notFound, msToDevice } = await openPage(query);
    assert.equal(await page.getAttribute('#backend', 'data-kind'), kind, await page.textContent('#backend'));
    const run = await train(page);
    run.msToDevice = msToDevice;
    results.runs[mode] = run;
    console.log('     ' + JSON.stringify(run));
    assert.ok(run.lastLoss < drop * run.firstLoss, `loss ${run.firstLoss} -> ${run.lastLoss}`);
    // "No frozen tab". On this 2-core machine the worker (and, for WebGPU,
    // SwiftShader's GPU process) saturate both cores, so page tasks are
    // descheduled at times; a training loop on the page's thread would block
    // it for whole chunks and the final evaluation (well over this bound).
    assert.ok(run.runLongTaskMs < 500, `main thread blocked ${run.runLongTaskMs} ms during training`);
    assert.ok(run.samples > 0, 'samples shown');
    if (kind === 'flex') assert.match(run.backend, /CPU fallback/);
    else assert.doesNotMatch(run.backend, /CPU/);
    if (mode === 'webgpu') {
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'page.png'), fullPage: true });
    }
    // A browser asks for /favicon.ico on its own; any other missing file is a bug.
    assert.deepEqual(notFound.filter((p) => p !== '/favicon.ico'), [], 'missing files');
    const missing = /^Failed to load resource: the server responded with a status of 404/;
    assert.deepEqual(errors.filter((e) => !missing.test(e)), [], 'console errors');
    await page.close();
  });
}

await check('a hand-edited link keeps defaults and says why', async () => {
  const { page } = await openPage('?steps=-4&backend=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&seed=zz');
  const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent));
  assert.equal(notices.length, 3, JSON.stringify(notices));
  assert.ok(notices.some((n) => n.includes('<img')), 'the bad value is shown as text');
  assert.equal(await page.$('img'), null, 'nothing from the link became markup');
  assert.match(await page.textContent('#demo-line'), /300 steps/);
  await page.close();
});

await check('backend: by default both are timed and the faster trains (here the CPU fallback beats SwiftShader), and the page says why', async () => {
  const { page } = await openPage('');
  const text = await page.textContent('#backend');
  results.runs.autoBackend = { backend: text };
  console.log('     ' + JSON.stringify(results.runs.autoBackend));
  assert.equal(await page.getAttribute('#backend', 'data-kind'), 'flex', text);
  assert.match(text, /measured faster here: [\d.]+ steps\/s against [\d.]+ on WebGPU \(.*swiftshader/i);
  await page.close();
});

await check('playground: precomputed results show at once, labelled', async () => {
  const { page, errors } = await openPage('');
  await page.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  const cells = await page.$$eval('#heatmap td.heat', (c) => c.map((x) => Number(x.dataset.value)));
  const regimes = await page.$$eval('#heatmap th.regime', (r) => r.length);
  // The flagship: 20 regimes where capability rl builds the capability.
  assert.equal(regimes, 20, `${regimes} regimes`);
  assert.equal(cells.length, regimes * 9);
  assert.ok(cells.every((v) => v >= 0 && v <= 1), 'rates in [0, 1]');
  assert.match(await page.textContent('#provenance'), /precomputed.*seeds \[50, 51, 52, 53, 54, 55, 56, 57, 58, 59\].*flex.*upbringing/);
  // The flagship was graded by format 4's rule, and the page says so.
  assert.match(await page.textContent('#gaming-rule[data-format="4"]'), /near miss/);
  assert.ok((await page.getAttribute('#heatmap td.heat', 'title')).includes('95% CI'), 'intervals on hover');
  // Other regimes' cells give the paired difference from the control on hover.
  // (Row 1 is the header; then pretrained only, the control, the debate's regimes.)
  assert.equal(await page.$eval('#heatmap tr:nth-child(4) th.regime', (t) => t.textContent), 'chalkboard');
  assert.match(await page.getAttribute('#heatmap tr:nth-child(4) td.heat', 'title'), /vs control: [+-]?\d+ points \(95% CI .* paired over 10 seeds/);
  assert.deepEqual(await page.$$eval('button.metric[data-metric]', (b) => b.map((x) => x.dataset.metric)), ['gamed', 'honest', 'accepted_error', 'gap']);
  // Every phase's model is scored: one row per regime and phase, read off the results.
  assert.ok(await page.$$eval('#stages tr', (r) => r.length) > regimes, 'after-each-phase rows');
  // Export: the CSV download is the tidy table.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = await readFile(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /^regime,condition,seed,metric,value,lo,hi/);
  assert.ok(csv.split('\n').length > 1000, `${csv.split('\n').length} CSV lines`);
  await page.click('button.metric[data-metric="gap"]');
  await page.waitForSelector('#heatmap[data-metric="gap"]', { timeout: 10_000 });
  // Choosing a preset puts it in the link; the link restores it.
  await page.selectOption('#preset', 'inoculated');
  await linkMatches(page, /preset=inoculated/);
  // The view redraws asynchronously: wait for it, then check.
  await page.waitForFunction(() => document.querySelectorAll('#heatmap th.regime').length === 2, null, { timeout: 10_000 })
    .catch(() => {});
  assert.deepEqual(await page.$$eval('#heatmap th.regime', (r) => r.map((x) => x.textContent)), ['control', 'inoculated'],
    'control and inoculated, read off the flagship');
  const again = await browser.newPage();
  await again.goto(page.url());
  await again.waitForSelector('#preset');
  assert.equal(await again.$eval('#preset', (s) => s.value), 'inoculated');
  await again.close();
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('playground: cells open transcripts; curves draw; edits refuse bad values and travel in the link', async () => {
  const { page, errors } = await openPage('');
  await page.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  const regimes = await page.$$eval('#heatmap th.regime', (r) => r.map((x) => x.textContent));
  // A cell opens sample episodes from those models, graded.
  await page.click('#heatmap tr:nth-child(2) td.heat[data-condition="in_distribution"] button');
  await page.waitForSelector('#transcripts table.transcripts tr.honest, #transcripts table.transcripts tr.gamed, #transcripts table.transcripts tr.accepted, #transcripts table.transcripts tr.wrong');
  const verdicts = await page.$$eval('#transcripts tr td.verdict', (t) => t.map((x) => x.textContent));
  assert.ok(verdicts.length >= 5, `${verdicts.length} transcripts`);
  assert.ok(verdicts.every((v) => /solved|gamed|mistake|neither|abandoned/.test(v)), JSON.stringify(verdicts));
  // Training curves, read off the precomputed logs: the rl episodes' gaming
  // for every regime with rl (all but the pretrained-only baseline), the
  // loss for every regime.
  assert.equal(await page.$$eval('#curve-chart polyline.series', (l) => l.length), regimes.filter((r) => r !== 'pretrained only').length);
  await page.click('button.metric[data-series="loss"]');
  await page
    .waitForFunction((n) => document.querySelectorAll('#curve-chart polyline.series').length === n, regimes.length, { timeout: 10_000 })
    .catch(() => assert.fail('one loss curve per regime'));
  await page.hover('#curve-chart', { position: { x: 300, y: 100 } });
  assert.match(await page.textContent('#curve-readout'), /step \d+/);
  // Edits: a refused one says why and changes nothing; an accepted one goes in the link.
  await page.click('#design summary');
  await page.click('.regime-card[data-regime="control"] button.phase');
  await page.fill('.phase-editor input[data-field="steps"]', '0');
  await page.press('.phase-editor input[data-field="steps"]', 'Enter');
  await page.waitForSelector('#edit-error');
  assert.match(await page.textContent('#edit-error'), /steps must be in/);
  assert.doesNotMatch(page.url(), /spec=/);
  await page.click(`.regime-card[data-regime="${regimes[1]}"] button.remove-regime`);
  await page.waitForFunction((n) => document.querySelectorAll('#heatmap th.regime').length === n, regimes.length - 1);
  await linkMatches(page, /spec=1\./);
  assert.equal(await page.$('#edit-error'), null, 'an accepted edit clears the message');
  // The link restores the edited experiment exactly, numbers included.
  const again = await browser.newPage();
  await again.goto(page.url());
  await again.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  assert.deepEqual(await again.$$eval('#heatmap th.regime', (r) => r.map((x) => x.textContent)), regimes.filter((_, i) => i !== 1));
  assert.equal(await again.$$eval('.notice', (n) => n.length), 0);
  await again.close();
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('playground: a results file opens, and a tampered one is refused with the reason', async () => {
  const { page, errors } = await openPage('');
  const quick = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'quick.json'), 'utf8'));
  const tampered = structuredClone(quick);
  tampered.rows[0].counts.gamed = tampered.rows[0].counts.episodes + 1;
  await page.setInputFiles('#import', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tampered)) });
  await page.waitForSelector('#import-error');
  assert.match(await page.textContent('#import-error'), /do not add up/);
  // Made to stall a reader: one failure repeated 100,800 times on a seed
  // without rows (the page once compared every failure with every row).
  const stalling = structuredClone(quick);
  stalling.spec.seeds.push(1);
  stalling.failures = Array(100_800).fill({ regime: 'control', seed: 1, message: 'diverged' });
  const stallingText = JSON.stringify(stalling);
  let t0 = Date.now();
  await page.setInputFiles('#import', { name: 'stall.json', mimeType: 'application/json', buffer: Buffer.from(stallingText) });
  await page.waitForFunction(() => /appears twice/.test(document.querySelector('#import-error')?.textContent ?? ''), null, { timeout: 30_000 });
  results.runs.craftedResultsFile = { mb: +(stallingText.length / 1e6).toFixed(1), refusedMs: Date.now() - t0 };
  // Past the size cap: refused before a byte is read.
  const huge = join(artifacts, 'huge-results.json');
  await mkdir(artifacts, { recursive: true });
  await writeFile(huge, Buffer.alloc(65_000_001, 0x20));
  t0 = Date.now();
  await page.setInputFiles('#import', huge);
  await page.waitForFunction(() => /refused unread/.test(document.querySelector('#import-error')?.textContent ?? ''), null, { timeout: 30_000 });
  results.runs.craftedResultsFile.oversizedRefusedMs = Date.now() - t0;
  await rm(huge);
  console.log('     ' + JSON.stringify(results.runs.craftedResultsFile));
  await page.setInputFiles('#import', { name: 'quick.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(quick)) });
  await page.waitForFunction(() => /opened from a results file/.test(document.querySelector('#provenance')?.textContent ?? ''));
  assert.equal(await page.$('#import-error'), null);
  assert.equal(await page.$$eval('#heatmap th.regime', (r) => r.length), quick.spec.regimes.length);
  await linkMatches(page, /spec=1\./, 'the opened experiment is in the link');
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('playground: a damaged spec link says why and shows the preset', async () => {
  const { page } = await openPage('?spec=1.%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E');
  const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent));
  assert.equal(notices.length, 1, JSON.stringify(notices));
  assert.match(notices[0], /damaged.*showing the preset/);
  assert.equal(await page.$('img'), null, 'nothing from the link became markup');
  await page.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  assert.ok((await page.$$eval('#heatmap th.regime', (r) => r.length)) >= 10);
  await page.close();
});

await check('playground: a hostile preset link shows the default and says why', async () => {
  const { page } = await openPage('?preset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&smoke=maybe');
  const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent));
  assert.equal(notices.length, 2, JSON.stringify(notices));
  assert.ok(notices.some((n) => n.includes('<img') && n.includes('default')));
  assert.equal(await page.$('img'), null, 'nothing from the link became markup');
  assert.equal(await page.$eval('#preset', (s) => s.value), 'default');
  await page.close();
});

await check('sweeps: a link opens a shipped sweep drawn with its bands and tested claims; a bad name is refused', async () => {
  const { page, errors } = await openPage('?sweep=side-phase-length');
  await page.waitForSelector('#sweep[data-values]', { timeout: 60_000 });
  const shown = await page.$eval('#sweep', (s) => ({
    values: Number(s.dataset.values),
    lines: s.querySelectorAll('g.sweep-line').length,
    bands: [...s.querySelectorAll('polygon.band')].filter((b) => b.getAttribute('points').split(' ').length >= 4).length,
    dots: s.querySelectorAll('g.sweep-line circle').length,
    claims: s.querySelectorAll('#sweep-claims tbody tr').length,
    verdicts: [...s.querySelectorAll('#sweep-claims td.verdict')].map((t) => t.textContent),
  }));
  assert.equal(shown.values, 6, JSON.stringify(shown));
  assert.equal(shown.lines, 2, 'side phase and coupled');
  assert.equal(shown.bands, 2, 'each line has its 95% band');
  assert.equal(shown.dots, 12, 'a point per value per regime');
  assert.equal(shown.claims, 12, 'the plan: 6 values x 2 conditions');
  assert.ok(shown.verdicts.every((v) => ['confirmed', 'refuted', 'inconclusive'].includes(v)), JSON.stringify(shown));
  // Another measure redraws; closing the sweep takes it out of the link.
  const before = await page.$eval('#sweep-chart', (c) => c.innerHTML);
  await page.click('#sweep .controls button:nth-child(3)');
  await page
    .waitForFunction((b) => document.querySelector('#sweep-chart').innerHTML !== b, before, { timeout: 10_000 })
    .catch(() => assert.fail('honest success draws other lines'));
  await page.click('button[data-sweep="side-phase-length"]');
  await page.waitForFunction(() => !document.querySelector('#sweep') && !location.search.includes('sweep='));
  assert.deepEqual(errors, []);
  await page.close();
  // Every other shipped sweep opens from its link too, a point per value.
  for (const [name, values, regimes] of [['checked-share', 5, 2], ['aligned-corpus-share', 5, 2], ['model-width', 4, 4], ['model-depth', 4, 4]]) {
    const other = await openPage(`?sweep=${name}`);
    await other.page.waitForSelector('#sweep[data-values]', { timeout: 60_000 });
    const got = await other.page.$eval('#sweep', (s) => [Number(s.dataset.values), s.querySelectorAll('g.sweep-line').length]);
    assert.deepEqual(got, [values, regimes], name);
    assert.deepEqual(other.errors, [], name);
    await other.page.close();
  }
  const bad = await openPage('?sweep=%3Cimg%20src%3Dx%3E');
  const notices = await bad.page.$$eval('.notice', (n) => n.map((x) => x.textContent));
  assert.ok(notices.some((n) => n.includes('no such shipped sweep')), JSON.stringify(notices));
  assert.equal(await bad.page.$('#sweep'), null);
  assert.equal(await bad.page.$('img'), null, 'nothing from the link became markup');
  await bad.page.close();
});

await check('capability world, rivals, pretraining world: their shipped results are fetched when the preset is chosen, and show at once', async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await page.waitForSelector('#heatmap td.heat', { timeout: 60_000 });
  const before = await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.includes('capability-world')).length);
  assert.equal(before, 0, 'not fetched until asked for');
  await page.selectOption('#preset', 'capability-world');
  await page.waitForFunction(() => [...document.querySelectorAll('#heatmap th.regime')].some((t) => t.textContent.includes('pretrained only')), null, { timeout: 60_000 });
  assert.equal(await page.$$eval('#heatmap td.heat', (c) => c.length), 7 * 9, '7 regimes x 9 conditions, no run');
  // The rivals' shipped results likewise (9 regimes, two of them baselines).
  await page.selectOption('#preset', 'rivals');
  await page.waitForFunction(() => [...document.querySelectorAll('#heatmap th.regime')].some((t) => t.textContent.includes('refusal documents')), null, { timeout: 60_000 });
  assert.equal(await page.$$eval('#heatmap td.heat', (c) => c.length), 9 * 9, '9 regimes x 9 conditions, no run');
  // The first experiment's, in the world where pretraining builds the
  // capability (14 regimes, graded by format 3's rule).
  await page.selectOption('#preset', 'pretraining-world');
  await page.waitForFunction(() => document.querySelectorAll('#heatmap td.heat').length === 14 * 9, null, { timeout: 60_000 })
    .catch(() => assert.fail('14 regimes x 9 conditions, no run'));
  assert.match(await page.textContent('#gaming-rule[data-format="3"]'), /nearer the family's canonical shortcut/);
  assert.match(await page.textContent('#provenance'), /seeds \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\]/);
  assert.deepEqual(errors, []);
  await page.close();
});

await check('design: one button pads every regime to equal steps, and the shipped results stop answering', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=ethics-class');
  await page.waitForSelector('#heatmap td.heat', { timeout: 60_000 });
  await page.click('#design summary');
  await page
    .waitForSelector('#equal-steps:not([disabled])', { timeout: 10_000 })
    .catch(() => assert.fail('control trains 40 steps fewer than the ethics class'));
  await page.click('#equal-steps');
  await page.waitForFunction(() => [...document.querySelectorAll('.regime-card .phases button')].some((b) => b.textContent.includes('neutral padding')));
  assert.equal(await page.isDisabled('#equal-steps'), true, 'nothing left to pad');
  assert.equal(await page.$$eval('#heatmap td.heat', (c) => c.length), 0, 'the padded control has no shipped results');
  await linkMatches(page, /spec=/, 'the link carries the padded design');
  assert.deepEqual(errors, []);
  await page.close();
});

await check('playground: every regime trains and is scored in the browser (CPU fallback, short check)', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=quick&smoke=1');
  await page.waitForTimeout(500);
  const clickAt = await page.evaluate(() => performance.now());
  const t0 = Date.now();
  await page.click('#run');
  // Curves follow the run live, before any seed's results exist.
  await page.waitForFunction(() => /live, seed/.test(document.querySelector('#curves h3')?.textContent ?? ''), null, { timeout: TIMEOUT_MS });
  // Each regime's numbers show as soon as it is scored, before the run ends.
  await page.waitForFunction(() => /trained in this browser so far/.test(document.querySelector('#provenance')?.textContent ?? ''), null, { timeout: TIMEOUT_MS });
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  const status = await page.textContent('#run-status');
  assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', status);
  const seconds = (Date.now() - t0) / 1000;
  const cells = await page.$$eval('#heatmap td.heat', (c) => c.map((x) => Number(x.dataset.value)));
  assert.equal(cells.length, 14 * 9);
  assert.ok(cells.every((v) => v >= 0 && v <= 1), 'rates in [0, 1]');
  assert.match(await page.textContent('#provenance'), /trained in this browser.*CPU/);
  assert.match(await page.textContent('#gaming-rule[data-format="4"]'), /unless it is a near miss of the honest answer/);
  assert.equal(await page.$$eval('#curve-chart polyline.series', (l) => l.length), 14, 'a curve per regime');
  const cellsShown = await page.$$eval('#heatmap td.heat', (c) => c.map((x) => x.dataset.value));
  const runLongTaskMs = await page.evaluate((at) => Math.max(0, ...window.__longTasks.filter((e) => e.startTime >= at).map((e) => Math.round(e.duration))), clickAt);
  results.runs.playgroundCpuSmoke = { seconds, runLongTaskMs };
  console.log('     ' + JSON.stringify(results.runs.playgroundCpuSmoke));
  // The bar: no main-thread task over 200 ms during a run. (Before
  // static constructors ran once per instance, every redraw took ~0.5 s.)
  assert.ok(runLongTaskMs < 200, `main thread blocked ${runLongTaskMs} ms`);
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });
  // A refresh keeps what this browser trained (IndexedDB), numbers and all.
  await page.reload();
  await page.waitForFunction(() => /trained in this browser earlier/.test(document.querySelector('#provenance')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.deepEqual(await page.$$eval('#heatmap td.heat', (c) => c.map((x) => x.dataset.value)), cellsShown);
  // Change one regime's last phase and run again: every other trained phase
  // comes back from the checkpoints this browser kept.
  await page.click('#design summary');
  await page.click('.regime-card[data-regime="ethics class"] button.phase:nth-of-type(3)');
  await page.fill('.phase-editor input[data-field="learning rate"]', '0.002');
  await page.press('.phase-editor input[data-field="learning rate"]', 'Enter');
  const t1 = Date.now();
  await page.click('#run');
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  const again = await page.textContent('#run-status');
  const reused = Number((again.match(/(\d+) trained phases reused/) ?? [])[1]);
  results.runs.playgroundCpuSmokeEdited = { seconds: (Date.now() - t1) / 1000, reused };
  console.log('     ' + JSON.stringify(results.runs.playgroundCpuSmokeEdited));
  // The quick preset has 19 distinct trained prefixes; the edit replaces
  // one, and the other 18 come back.
  assert.equal(reused, 18, again);
  // Kept results are the backend's that trained them: on WebGPU the CPU's do
  // not stand in (looked up once the device is up), and on the CPU they do.
  const link = page.url();
  await page.goto(link.replace('backend=cpu', 'backend=webgpu'));
  await page.waitForSelector('#backend[data-kind="wgpu"]', { timeout: 120_000 });
  await page.waitForTimeout(3000);
  assert.doesNotMatch(await page.$eval('#provenance', (p) => p.textContent).catch(() => ''), /trained in this browser earlier/);
  await page.goto(link);
  await page.waitForFunction(() => /trained in this browser earlier/.test(document.querySelector('#provenance')?.textContent ?? ''), null, { timeout: 30_000 })
    .catch(() => assert.fail('the CPU fallback finds its own kept results again'));
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

// Type a storage budget (MB), once the pool's workers are up: in one full
// run, a budget typed while the page was still starting never showed (both
// checks that set one; not reproduced alone, cause not pinned down).
async function setQuota(page, mb) {
  await page.waitForFunction(() => { const b = document.querySelector('#backend'); return b.dataset.workersReady === b.dataset.workers; }, null, { timeout: 60_000 });
  await page.fill('#storage-quota', String(mb));
  await page.press('#storage-quota', 'Enter');
  await page.waitForFunction((bytes) => document.querySelector('#storage').dataset.quota === String(bytes), mb * 1048576, { timeout: 30_000 });
}

const storage = async (page) => page.$eval('#storage', (e) => ({ bytes: Number(e.dataset.bytes), entries: Number(e.dataset.entries), quota: Number(e.dataset.quota) }));
async function runQuickSmoke(page) {
  await page.click('#run');
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', await page.textContent('#run-status'));
}

await check('storage: kept data stays within the budget, clears on request, and a full disk loses nothing on screen', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=quick&smoke=1');
  await page.waitForSelector('#storage');
  const before = await storage(page);
  assert.equal(before.quota, 100 * 1048576, 'the default budget is 100 MB');
  assert.equal(before.entries, 0, 'a fresh browser keeps nothing');
  // A budget of 1 MB: fewer trained phases fit than the run trains.
  await setQuota(page, 1);
  await runQuickSmoke(page);
  await page.waitForFunction(() => Number(document.querySelector('#storage').dataset.entries) > 0);
  const bounded = await storage(page);
  assert.ok(bounded.bytes <= bounded.quota, `kept ${bounded.bytes} bytes over a budget of ${bounded.quota}`);
  // 19 trained prefixes and the results: the budget made some go.
  assert.ok(bounded.entries < 20, `${bounded.entries} entries kept`);
  results.runs.storageBounded = bounded;
  await page.click('#clear-storage');
  await page.waitForFunction(() => document.querySelector('#storage').dataset.entries === '0');
  assert.equal((await storage(page)).bytes, 0);
  assert.deepEqual(errors, [], 'console errors');
  await page.close();

  // The browser refuses to store results (QuotaExceededError, a full disk):
  // the run still ends, its results stay on screen, and the page says so.
  const full = await openPage('?backend=cpu&preset=quick&smoke=1');
  await full.page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value, key) {
      if (this.name === 'results') throw new DOMException('the disk is full', 'QuotaExceededError');
      return put.call(this, value, key);
    };
  });
  await runQuickSmoke(full.page);
  await full.page.waitForSelector('#not-kept');
  assert.match(await full.page.textContent('#not-kept'), /storage is full/);
  assert.equal(await full.page.$$eval('#heatmap td.heat', (c) => c.length), 14 * 9, 'the results stay on screen');
  assert.deepEqual(full.errors, [], 'console errors');
  await full.page.close();
});

// Each pool worker computes for seconds between yields. A read that resolved
// at its success event left its transaction open through the caller's next
// computation, and another worker's write to the store waited for it
// (seconds per kept phase; the pool ran at 1.5-1.6x instead of 1.8x).
await check('storage: a read leaves no transaction open while its caller computes, so another worker writes at once', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=quick&smoke=1');
  const ms = await page.evaluate(async () => {
    const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('/src/idb.js'));
    const idb = await import(url);
    await idb.idb_put('upbringing-checkpoints', 'checkpoints', 'e2e-busy', { weights: new Float32Array(1000) });
    // The other worker opens its connections first, as a pool's have.
    const source = `import { idb_get, idb_put } from ${JSON.stringify(url)};
      await idb_get('upbringing-checkpoints', 'checkpoints', 'e2e-none');
      onmessage = async () => { const t = performance.now();
        await idb_put('upbringing-checkpoints', 'checkpoints', 'e2e-other', { weights: new Float32Array(1000) });
        postMessage(performance.now() - t); };
      postMessage('ready');`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    await new Promise((resolve) => { worker.onmessage = resolve; });
    const wrote = new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
    // The read's caller then computes for 3 s without yielding, and the other worker writes meanwhile.
    const read = idb.idb_get('upbringing-checkpoints', 'checkpoints', 'e2e-busy').then(() => {
      const t = performance.now();
      worker.postMessage('go');
      while (performance.now() - t < 3000) { /* a training step's worth of work */ }
    });
    const [took] = await Promise.all([wrote, read]);
    worker.terminate();
    await idb.idb_clear();
    return took;
  });
  results.runs.storageWriteBesideBusyReader = { ms };
  assert.ok(ms < 1500, `the other worker's write waited ${ms.toFixed(0)} ms for a busy reader`);
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('storage: two tabs and their workers racing leave the ledger and the stores in agreement, and kept results are never evicted', async () => {
  const { page } = await openPage('?backend=cpu&preset=quick&smoke=1');
  await page.waitForSelector('#storage');
  const idbUrl = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('/src/idb.js')));
  await page.close();
  // One browser profile for both tabs, as a visitor's two tabs share one.
  const context = await browser.newContext();
  try {
    const { kept, inventory, errors } = await raceStorage(context, `${base}?backend=cpu&preset=quick&smoke=1`, idbUrl);
    results.runs.storageRaces = { kept: kept.length, held: Object.fromEntries(Object.entries(inventory).map(([db, v]) => [db, v.values.length])) };
    console.log('     ' + JSON.stringify(results.runs.storageRaces));
    assert.deepEqual(errors, []);
    for (const [db, { values, ledger }] of Object.entries(inventory)) {
      assert.deepEqual(ledger, values, `${db}: the ledger and the store disagree`);
    }
    assert.ok(kept.length >= 10, `${kept.length} results kept: the budget left no room to test`);
    const lost = kept.filter((k) => !inventory.upbringing.values.includes(k));
    assert.deepEqual(lost, [], 'kept results were evicted');
  } finally {
    await context.close();
  }
});

await check('memory: ten runs back to back keep the page\'s and the worker\'s wasm memory flat', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=quick&smoke=1');
  await page.waitForSelector('#storage');
  // Keep nothing, so every run trains every phase again.
  await setQuota(page, 0);
  const memory = [];
  for (let run = 0; run < 10; run++) {
    // The worker reports its memory just before the run's last results.
    await runQuickSmoke(page);
    memory.push(await page.$eval('footer', (f) => ({ page: Number(f.dataset.pageMemory), worker: Number(f.dataset.workerMemory) })));
    assert.ok(memory[run].worker > 0, `run ${run + 1}: the worker reported its memory`);
  }
  results.runs.memoryOverTenRuns = memory;
  console.log('     ' + JSON.stringify(memory.map((m) => [m.page / 1048576, m.worker / 1048576].map((x) => Math.round(x * 10) / 10))));
  // Wasm memory only grows; after the first two runs have warmed every
  // allocator size class, the last eight must not grow it more than 2 MB.
  for (const who of ['page', 'worker']) {
    const growth = memory[9][who] - memory[1][who];
    assert.ok(growth <= 2 * 1048576, `${who} wasm memory grew ${growth} bytes from run 2 to run 10`);
  }
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('a training worker that dies mid-run (a wasm trap, out of memory) gives its unit to a fresh one, and the run ends complete', async () => {
  const { page, errors } = await openPage('?backend=cpu&preset=quick&smoke=1');
  await page.click('#run');
  await page.waitForSelector('#run-status[data-phase="running"]', { timeout: TIMEOUT_MS });
  await page.waitForFunction(() => /seed/.test(document.querySelector('#run-status')?.textContent ?? ''), null, { timeout: TIMEOUT_MS });
  // An uncaught error in a worker, as a trap leaves it: the browser tells
  // only the Worker object, which gloo-worker's bridge does not expose.
  await page.workers()[0].evaluate(() => setTimeout(() => { throw new Error('simulated: out of memory'); }, 0));
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  const status = await page.textContent('#run-status');
  assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', status);
  assert.equal(await page.$$eval('#heatmap td.heat', (c) => c.length), 14 * 9, 'every regime scored');
  assert.equal(await page.$$eval('#failures li', (c) => c.length), 0, 'no regime failed');
  await runQuickSmoke(page);
  assert.deepEqual(errors.filter((e) => !/simulated: out of memory/.test(e)), [], 'console errors besides the simulated one');
  await page.close();
});

// The results this browser kept for its last run (IndexedDB), as the page stored them.
const keptResults = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('upbringing');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction('results').objectStore('results').getAll();
    get.onsuccess = () => resolve(get.result.map((json) => JSON.parse(json)));
    get.onerror = () => reject(get.error);
  };
}));

await check('pool: the full quick preset on one worker per core gives one worker\'s counts, faster', async () => {
  const run = async (query) => {
    const { page, errors } = await openPage(query);
    // The pool's workers start (and compile their wasm) while the visitor reads.
    await page.waitForFunction(() => { const b = document.querySelector('#backend'); return b.dataset.workersReady === b.dataset.workers; }, null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.click('#run');
    await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: 2 * TIMEOUT_MS });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', await page.textContent('#run-status'));
    await page.waitForFunction(() => document.querySelector('#storage')?.dataset.entries > 0, null, { timeout: 30_000 });
    const [kept] = await keptResults(page);
    const workers = Number(await page.getAttribute('#backend', 'data-workers'));
    assert.deepEqual(errors, [], 'console errors');
    await page.close();
    return { seconds, workers, kept };
  };
  const probe = await browser.newPage();
  const cores = await probe.evaluate(() => navigator.hardwareConcurrency);
  await probe.close();
  const pool = await run('?backend=cpu&preset=quick');
  const one = await run('?backend=cpu&preset=quick&workers=1');
  results.runs.pool = { cores, workers: pool.workers, poolSeconds: pool.seconds, oneWorkerSeconds: one.seconds, speedup: one.seconds / pool.seconds };
  console.log('     ' + JSON.stringify(results.runs.pool));
  assert.equal(one.workers, 1);
  assert.equal(pool.workers, Math.min(cores, 16));
  // A link asking for 16 workers starts no more than the machine's own
  // size until someone clicks Run (issue 25, finding 9).
  {
    const page = await browser.newPage();
    await page.goto(base + '?backend=cpu&preset=quick&workers=16');
    await page.waitForFunction(() => {
      const b = document.querySelector('#backend[data-kind="flex"]');
      return b && b.dataset.workers === b.dataset.workersReady;
    }, null, { timeout: 120_000 });
    const started = Number(await page.getAttribute('#backend', 'data-workers'));
    assert.ok(started <= Math.min(cores, 16), `${started} workers started at load`);
    await page.close();
  }
  for (const part of ['rows', 'stages', 'depth', 'logs']) {
    assert.deepEqual(pool.kept[part], one.kept[part], `${part} differ between the pool and one worker`);
  }
  assert.equal(pool.kept.rows.length, 14 * 9);
  // The bar is 1.7× on 2 cores; measured 1.75–1.78× here (README),
  // but the machine's load moves it. Asserted: the pool is not serialised (a
  // broken schedule or a pool of one runs at 1.0×); the times go to
  // tests/artifacts/e2e.json.
  if (cores >= 2) assert.ok(one.seconds / pool.seconds >= 1.25, `the pool was ${(one.seconds / pool.seconds).toFixed(2)}× faster`);
});

const fixture = async (name) => JSON.parse(await readFile(join(root, 'tests', 'fixtures', name), 'utf8'));

await check('exercise: the link hides and fixes what it says; free settings change and the goal is checked', async () => {
  const { page, errors } = await openPage('?exercise=words-or-deeds&hide=json');
  await page.waitForSelector('#exercise #question');
  assert.match(await page.textContent('#exercise h2'), /Words or deeds/);
  assert.equal(await page.$('#preset'), null, 'an exercise hides the experiment picker');
  assert.equal(await page.$('#toggle-json'), null, 'hide=json hides the JSON box');
  await page.waitForSelector('#verdict[data-met="false"]', { timeout: 30_000 });
  assert.match(await page.textContent('#exercise'), /missed by \d+ points/);
  // The reference regime is fixed whole; the student's keeps its length.
  assert.ok(await page.$eval('.regime-card[data-regime="control"] button.remove-regime', (b) => b.disabled));
  assert.ok(await page.$eval('.regime-card[data-regime="yours"] .regime-name', (b) => b.disabled), 'names are fixed');
  await page.click('.regime-card[data-regime="yours"] button.phase:nth-of-type(3)');
  await page
    .waitForSelector('.phase-editor input[data-field="steps"]:disabled', { timeout: 10_000 })
    .catch(() => assert.fail('steps fixed'));
  const free = '.phase-editor input[data-field="honest answers (weight)"]';
  assert.ok(!(await page.$eval(free, (i) => i.disabled)), 'what the class trains on is free');
  await page.fill(free, '1');
  await page.press(free, 'Enter');
  await page.waitForFunction(() => /no results for this design yet/i.test(document.querySelector('#verdict')?.textContent ?? ''));
  const stated = page.locator('.phase-editor label.field', { hasText: "I don't game" }).locator('input');
  await stated.fill('0');
  await stated.press('Enter');
  // That design is the ethics class, which the shipped results cover.
  await page.waitForSelector('#verdict[data-met="true"]', { timeout: 10_000 });
  assert.match(await page.textContent('#verdict'), /Goal met \(read off the precomputed results\)/);
  await linkMatches(page, /exercise=words-or-deeds/);
  await linkMatches(page, /spec=1\./, 'the attempt travels in the link');
  assert.doesNotMatch(page.url(), /preset=/);
  // Reopening the link restores the attempt, met.
  const again = await browser.newPage();
  await again.goto(page.url());
  await again.waitForSelector('#verdict[data-met="true"]', { timeout: 30_000 });
  await again.close();
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('exercise: a hand-edited link that changes a fixed value is refused', async () => {
  const spec = (await fixture('words-or-deeds-start.json')).spec;
  spec.regimes[1].phases[2].steps = 400; // the class's length is fixed
  const link = '1.' + deflateRawSync(Buffer.from(JSON.stringify(spec))).toString('base64url');
  const { page } = await openPage(`?exercise=words-or-deeds&spec=${link}`);
  const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent));
  assert.equal(notices.length, 1, JSON.stringify(notices));
  assert.match(notices[0], /changes something the exercise fixes .*steps.*showing the exercise as it starts/);
  await page.click('.regime-card[data-regime="yours"] button.phase:nth-of-type(3)');
  await page.waitForFunction(() => document.querySelector('.phase-editor input[data-field="steps"]')?.value === '40', null, { timeout: 10_000 });
  await page.close();
});

await check('exercise: an opened results file is shown, but its goals are not judged (a file can be edited)', async () => {
  const { page } = await openPage('?exercise=words-or-deeds');
  await page.waitForSelector('#exercise');
  for (const file of ['words-or-deeds-solution.json', 'words-or-deeds-start.json']) {
    const buffer = Buffer.from(JSON.stringify(await fixture(file)));
    await page.setInputFiles('#import', { name: file, mimeType: 'application/json', buffer });
    await page.waitForSelector('#verdict[data-met="unknown"][data-why="imported"]', { timeout: 10_000 });
    assert.match(await page.textContent('#verdict'), /Imported: goals not judged/);
    assert.match(await page.textContent('#verdict'), /upbringing exercise words-or-deeds --check/);
  }
  // A results file for another experiment is refused: it changes what the exercise fixes.
  const other = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'quick.json'), 'utf8'));
  await page.setInputFiles('#import', { name: 'quick.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(other)) });
  await page.waitForSelector('#import-error');
  assert.match(await page.textContent('#import-error'), /fixed here/);
  await page.close();
});

await check('newcomers: exercises listed, glossary, "what am I looking at"; a phone-width page does not scroll sideways', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
  await page.goto(base);
  await page.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  assert.equal(await page.$$eval('#exercises li a', (a) => a.length), 6);
  assert.ok((await page.$$eval('#glossary dt', (d) => d.length)) >= 8);
  for (const id of ['heatmap', 'curves', 'design']) assert.ok(await page.$(`#explain-${id}`), id);
  await page.click('#design summary');
  await page.click('.regime-card[data-regime="control"] button.phase');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    `no horizontal scrolling at 390 px: ${await page.evaluate(() => document.documentElement.scrollWidth)}`);
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'phone.png'), fullPage: true });
  await page.close();
});

await check('embed: compact, a result at once without any run, no sideways scroll; the page gives the code', async () => {
  const page = await browser.newPage({ viewport: { width: 700, height: 500 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // When did the first result appear (no training: precomputed numbers)?
  await page.addInitScript(() => {
    new MutationObserver((_, o) => {
      if (document.querySelector('#heatmap td.heat')) { window.__firstResultMs = performance.now(); o.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(base + '?embed=1&preset=coupled');
  await page.waitForSelector('#heatmap td.heat', { timeout: 30_000 });
  const msToFirstResult = Math.round(await page.evaluate(() => window.__firstResultMs));
  results.runs.embed = { msToFirstResult };
  console.log('     ' + JSON.stringify(results.runs.embed));
  assert.deepEqual(await page.$$eval('#heatmap th.regime', (r) => r.map((x) => x.textContent)), ['control', 'coupled']);
  // The headline reads the new trick, which nothing games in the flagship's
  // world: it names the least and the most, whichever they are.
  assert.match(await page.textContent('#takeaway'), /never trained after pretraining, .* (control|coupled) gamed the grader least \(\d+% ± \d+%\) and (control|coupled) most/);
  assert.equal(await page.textContent('#run'), 'Run it live');
  assert.equal(await page.$('#design'), null, 'no designer in an embed');
  assert.equal(await page.$('#demo-line'), null, 'no warm-up demo in an embed');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  assert.doesNotMatch(await page.getAttribute('#full-page', 'href'), /embed=/);
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'an embed takes no focus');
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, 'embed.png') });
  // The full page writes the iframe snippet for this experiment.
  const full = await browser.newPage();
  await full.goto(base + '?preset=coupled');
  await full.click('#copy-embed');
  const code = await full.inputValue('#embed-code');
  assert.match(code, /^<iframe src="http:[^"]*preset=coupled[^"]*embed=1" title="Upbringing: coupled" width="100%" height="\d+" loading="lazy" sandbox="allow-scripts allow-same-origin [^"]*" allow="clipboard-write"/);
  await full.close();
  assert.deepEqual(errors, []);
  await page.close();
});

await check('keyboard: Tab alone reaches Run, and Enter on a heatmap cell opens its episodes', async () => {
  const { page } = await openPage('?preset=coupled');
  await page.waitForSelector('#heatmap td.heat');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'run');
  }
  assert.ok(reached, 'Run is within the first 12 Tab stops');
  await page.focus('#heatmap td.heat[data-condition="held_out_new_trick"] button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#transcripts tr td.verdict');
  await page.close();
});

// The iframe the full page writes for `query` ("Copy embed code").
async function embedCode(query) {
  const full = await browser.newPage();
  await full.goto(base + query);
  await full.click('#copy-embed');
  const code = await full.inputValue('#embed-code');
  await full.close();
  return code;
}

await check('embed: the page\'s own embed code, pasted twice, trains in turns (one run at a time)', async () => {
  const code = await embedCode('?backend=cpu&preset=quick&smoke=1');
  // The code pasted twice into a page of the same site.
  const page = await browser.newPage({ viewport: { width: 800, height: 1200 } });
  await page.goto(base + 'a-blog-post');
  await page.setContent(code.replace('<iframe ', '<iframe id="a" ') + code.replace('<iframe ', '<iframe id="b" '));
  const frames = await Promise.all(['#a', '#b'].map(async (id) => (await page.$(id)).contentFrame()));
  for (const f of frames) await f.waitForSelector('#backend[data-kind="flex"]', { timeout: TIMEOUT_MS });
  await frames[0].click('#run');
  await frames[0].waitForSelector('#run-status[data-phase="running"]');
  await frames[1].click('#run');
  await frames[1].waitForSelector('#run-status[data-phase="waiting"]', { timeout: 5_000 });
  assert.equal(await frames[0].getAttribute('#run-status', 'data-phase'), 'running', 'the first is still the one training');
  for (const f of frames) await f.waitForSelector('#run-status[data-phase="done"]', { timeout: TIMEOUT_MS });
  await page.close();
});

await check('embed: on another site (a third-party frame whose storage the browser refuses), the embed still trains', async () => {
  const code = await embedCode('?backend=cpu&preset=quick&smoke=1');
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base.replace('127.0.0.1', 'localhost') + 'a-blog-post'); // another origin
  await page.setContent(code.replace('<iframe ', '<iframe id="a" '));
  const frame = await (await page.$('#a')).contentFrame();
  await frame.waitForSelector('#backend[data-kind="flex"]', { timeout: TIMEOUT_MS });
  await frame.click('#run');
  await frame.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  assert.equal(await frame.getAttribute('#run-status', 'data-phase'), 'done', await frame.textContent('#run-status'));
  assert.equal(await frame.$$eval('#heatmap td.heat', (c) => c.length), 14 * 9);
  assert.deepEqual(errors, [], 'page errors');
  await page.close();
});

// The quick preset cut to `regimes` regimes, a few steps and episodes, as a
// spec link (the page's own format: deflated JSON, base64url).
async function webgpuCheckLink(regimes) {
  const spec = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'quick.json'), 'utf8')).spec;
  spec.name = 'webgpu check';
  spec.model = { ...spec.model, d_model: 32, n_layers: 1 };
  spec.regimes = spec.regimes.slice(0, regimes);
  for (const r of spec.regimes) {
    r.phases = r.phases.map((p) => ({ ...p, steps: 2, batch_size: 4 }));
    for (const p of r.phases) if (p.objective?.group_size) p.objective.group_size = 2;
  }
  spec.eval = { ...spec.eval, episodes: 4, probes: 2, attack: { ...spec.eval.attack, steps: 1, batch_size: 4 } };
  spec.seeds = [0];
  return '1.' + deflateRawSync(Buffer.from(JSON.stringify(spec))).toString('base64url');
}

await check('playground: a shortened experiment trains and is scored on WebGPU (SwiftShader)', async () => {
  // SwiftShader runs WebGPU on the CPU at well under a step a second, so the
  // experiment is cut to one regime, a few steps and episodes, and goes in by
  // link (the page's own format: deflated JSON, base64url).
  const { page, errors } = await openPage(`?spec=${await webgpuCheckLink(1)}&backend=webgpu`);
  assert.equal(await page.getAttribute('#backend', 'data-kind'), 'wgpu');
  assert.equal(await page.$$eval('.notice', (n) => n.length), 0, 'the link is accepted');
  const t0 = Date.now();
  await page.click('#run');
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', await page.textContent('#run-status'));
  results.runs.playgroundWebgpu = { seconds: (Date.now() - t0) / 1000 };
  console.log('     ' + JSON.stringify(results.runs.playgroundWebgpu));
  const cells = await page.$$eval('#heatmap td.heat', (c) => c.map((x) => Number(x.dataset.value)));
  assert.equal(cells.length, 9);
  assert.ok(cells.every((v) => v >= 0 && v <= 1), JSON.stringify(cells));
  assert.match(await page.textContent('#provenance'), /trained in this browser.*webgpu check.*(swiftshader|webgpu|wgpu)/i);
  assert.deepEqual(errors, [], 'console errors');
  await page.close();
});

await check('lost GPU: a device destroyed mid-run ends the run with a message, and finished regimes stay', async () => {
  const { page, errors } = await openPage(`?spec=${await webgpuCheckLink(2)}&backend=webgpu`);
  assert.equal(await page.getAttribute('#backend', 'data-kind'), 'wgpu');
  await page.click('#run');
  // The first regime is scored; then the worker's next GPU command destroys
  // the device, as a driver reset or a reclaimed tab would.
  await page.waitForFunction(() => /so far/.test(document.querySelector('#provenance')?.textContent ?? ''), null, { timeout: TIMEOUT_MS });
  const shown = await page.$$eval('#heatmap td.heat', (c) => c.length);
  assert.ok(shown >= 9, `${shown} cells before the loss`);
  assert.equal(page.workers().length, 1, 'one training worker');
  await page.workers()[0].evaluate(() => {
    const encoder = GPUDevice.prototype.createCommandEncoder;
    GPUDevice.prototype.createCommandEncoder = function (...args) {
      GPUDevice.prototype.createCommandEncoder = encoder;
      this.destroy();
      return encoder.apply(this, args);
    };
  });
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
  const status = await page.textContent('#run-status');
  results.runs.lostDevice = { status };
  console.log('     ' + JSON.stringify(results.runs.lostDevice));
  assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'failed', status);
  assert.match(status, /GPU|device/i);
  assert.ok(await page.$$eval('#heatmap td.heat', (c) => c.length) >= shown, 'the finished regime stays on screen');
  assert.deepEqual(errors.filter((e) => !/device|GPU|destroy|lost|panicked/i.test(e)), [], 'console errors besides the loss');
  await page.close();
});

await check('shipped prefixes: a new design of an exercise (5 seeds) starts from the shipped pretraining and finishes in the page', async () => {
  const design = async () => {
    const { page, errors } = await openPage('?backend=cpu&exercise=fraction-or-coupling');
    await page.waitForSelector('#exercise #question');
    // A side phase at another learning rate: in no shipped results. (An
    // exercise opens with the designer open.)
    await page.click('.regime-card[data-regime="yours"] button.phase:nth-of-type(3)');
    await page.fill('.phase-editor input[data-field="learning rate"]', '0.002');
    await page.press('.phase-editor input[data-field="learning rate"]', 'Enter');
    await page.waitForFunction(() => /no results for this design yet/i.test(document.querySelector('#verdict')?.textContent ?? ''));
    const t0 = Date.now();
    await page.click('#run');
    await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: 4 * TIMEOUT_MS });
    const status = await page.textContent('#run-status');
    assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', status);
    const notices = await page.$$eval('.notice', (n) => n.map((x) => x.textContent));
    assert.ok(!notices.some((n) => /shipped/.test(n)), `the shipped prefixes were refused: ${notices.join('; ')} (after changing the engine, run node tests/make-prefixes.mjs)`);
    const reused = Number((status.match(/(\d+) trained phases reused/) ?? [0, 0])[1]);
    await page.waitForSelector('#verdict[data-met]', { timeout: 30_000 });
    const cells = await page.$$eval('#heatmap td.heat', (c) => c.map((x) => x.dataset.value));
    assert.deepEqual(errors, [], 'console errors');
    await page.close();
    return { seconds: (Date.now() - t0) / 1000, reused, cells };
  };
  const after = await design();
  results.runs.newDesignShipped = { seconds: after.seconds, reused: after.reused };
  // The 5 seeds' pretraining comes from the shipped files.
  assert.equal(after.reused, 5, 'the shipped pretraining of 5 seeds was used');
  if (process.env.E2E_PREFIXES_BEFORE) {
    // The same design without them (slow: the figures in README.md).
    serveShipped = false;
    const before = await design().finally(() => { serveShipped = true; });
    results.runs.newDesignTrainedHere = { seconds: before.seconds, reused: before.reused };
    assert.equal(before.reused, 0);
    assert.deepEqual(after.cells, before.cells, 'the shipped prefixes give the numbers training them here gives');
  }
  console.log('     ' + JSON.stringify([results.runs.newDesignShipped, results.runs.newDesignTrainedHere]));
});

await check('shipped prefixes: a damaged file is refused, and the prefix trained here instead equals the shipped file byte for byte', async () => {
  const dir = join(root, 'web', 'precomputed', 'prefixes');
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const spec = JSON.parse(await readFile(join(root, 'web', 'precomputed', 'default.json'), 'utf8')).spec;
  alterShipped = true;
  try {
    const { page, errors } = await openPage(`?backend=cpu&spec=${pretrainingLink(spec, [spec.seeds[0]])}`);
    await page.waitForSelector('#backend[data-kind="flex"]', { timeout: 120_000 });
    await page.click('#run');
    await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
    const status = await page.textContent('#run-status');
    assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', status);
    // The damaged file was not used: the pretraining was trained here.
    assert.doesNotMatch(status, /[1-9]\d* trained phases? reused/, status);
    const kept = (await readKept(page)).map(checkpointFile).filter((k) => manifest.prefixes.includes(k.key));
    assert.equal(kept.length, 1, 'the first seed\'s pretraining trained and kept');
    const shipped = await readFile(join(dir, `${kept[0].key}.bin`));
    assert.equal(fnv1a(shipped), manifest.hashes[kept[0].key], 'the shipped file has its manifest hash');
    assert.ok(kept[0].file.equals(shipped), 'the prefix trained in this page equals the shipped file byte for byte');
    assert.deepEqual(errors, [], 'console errors');
    await page.close();
  } finally {
    alterShipped = false;
  }
});

await check('deploys: a tab opened before a deploy keeps working after it (scripts/keep-versions)', async () => {
  // Two deploys of this build, the second under another version's name (as
  // the next commit's would be), each kept by the script the Pages workflow runs.
  const tmp = await mkdtemp(join(tmpdir(), 'upbringing-deploys-'));
  const keep = (site) => execFileSync(join(root, 'scripts', 'keep-versions'), [join(tmp, 'store'), site]);
  let site;
  let bare;
  try {
    const [before, after] = [join(tmp, 'before'), join(tmp, 'after')];
    await cp(dist, before, { recursive: true });
    const oldIndex = await readFile(join(before, 'index.html'), 'utf8');
    const old = oldIndex.match(/name="upbringing-assets" content="v\/([0-9a-f]+)\/"/)[1];
    keep(before);
    const next = old.replace(/./g, (c) => (c === 'f' ? 'e' : 'f'));
    await cp(dist, after, { recursive: true });
    await rename(join(after, 'v', old), join(after, 'v', next));
    await writeFile(join(after, 'index.html'), oldIndex.replace(`v/${old}/`, `v/${next}/`));
    // Deployed as is, the next version leaves the old tab's worker behind.
    bare = await serveDist(after);
    assert.equal((await fetch(`${bare.base}v/${old}/worker.js`)).status, 404);
    keep(after);
    // The old tab: its page came before the deploy, everything it fetches after.
    const served = new Set();
    site = await serveDist(after, () => false, (path, body) => {
      served.add(path);
      return path === '/index.html' ? Buffer.from(oldIndex) : body;
    });
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${site.base}?backend=cpu&spec=${await webgpuCheckLink(1)}`);
    await page.waitForSelector('#backend[data-kind="flex"]', { timeout: 120_000 });
    await page.click('#run');
    await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: TIMEOUT_MS });
    assert.equal(await page.getAttribute('#run-status', 'data-phase'), 'done', await page.textContent('#run-status'));
    for (const file of ['worker.js', 'worker_bg.wasm', 'precomputed/default.json']) {
      assert.ok(served.has(`/v/${old}/${file}`), `the old tab's ${file} came from its own version`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    bare?.server.close();
    site?.server.close();
    await rm(tmp, { recursive: true, force: true });
  }
});

// Sizes of what a visitor downloads.
const sizes = {};
for (const f of await readdir(dist, { recursive: true })) {
  if (!/\.(wasm|js)$/.test(f) || f.includes('snippets')) continue;
  const buf = await readFile(join(dist, f));
  sizes[f.replace(/^v\/[0-9a-f]+\//, 'v/<hash>/')] = { raw: (await stat(join(dist, f))).size, gzip: gzipSync(buf, { level: 9 }).length };
}
results.sizes = sizes;
await mkdir(artifacts, { recursive: true });
await writeFile(join(artifacts, 'e2e.json'), JSON.stringify(results, null, 2));
console.log(JSON.stringify(sizes));
await browser.close();
server.close();
process.exit(failed ? 1 : 0);
