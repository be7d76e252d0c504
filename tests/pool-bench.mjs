// The page's pool against one worker, as measured for README.md: serves
// dist/, opens each query (comma-separated in QS; default: the full `quick`
// preset on the pool, then with workers=1), waits until the pool's workers
// are ready, runs, and prints the wall time and the page's main-thread time
// (CDP). A benchmark, not a test: run it on a quiet machine.
//   QS='?backend=cpu&preset=quick,?backend=cpu&preset=quick&workers=1' node tests/pool-bench.mjs
import { chromium } from 'playwright-core';
import { serveDist } from './serve-dist.mjs';
const dist = new URL('../dist', import.meta.url).pathname;
const { server, base } = await serveDist(dist);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
for (const q of (process.env.QS ?? '?backend=cpu&preset=quick,?backend=cpu&preset=quick&workers=1').split(',')) {
  const page = await browser.newPage();
  await page.goto(base + q);
  await page.waitForSelector('#backend[data-kind]:not([data-kind=""])');
  await page.waitForFunction(() => { const b = document.querySelector('#backend'); return b.dataset.workersReady === b.dataset.workers; }, null, { timeout: 60_000 });
  await page.waitForTimeout(Number(process.env.SETTLE ?? 0));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const m0 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const t0 = Date.now();
  await page.click('#run');
  await page.waitForSelector('#run-status[data-phase="done"], #run-status[data-phase="failed"]', { timeout: 900000 });
  const m1 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  console.log(q, 'seconds', (Date.now() - t0) / 1000, 'main-thread task s', (m1.TaskDuration - m0.TaskDuration).toFixed(2), 'script s', (m1.ScriptDuration - m0.ScriptDuration).toFixed(2), await page.textContent('#run-status'));
  await page.close();
}
await browser.close(); server.close();
