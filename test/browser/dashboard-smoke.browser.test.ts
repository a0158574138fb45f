// The dashboard in real Chromium against a real daemon and real runs: live list, live logs, layers, safety.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupDaemons, fixture, ROOT, startTestDaemon, tempDir, type TestDaemon } from '../integration/helpers/daemon-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available) {
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`browser tests need ${CHROMIUM} (apt-get install -y chromium) and REQUIRE_BROWSER=1 is set`);
  console.warn(`SKIPPED: browser tests need ${CHROMIUM} (apt-get install -y chromium)`);
}

const ARTIFACTS = path.join(ROOT, 'test/artifacts');

describe.skipIf(!available)('dashboard (smoke)', () => {
  let browser: Browser;
  let page: Page;
  let daemon: TestDaemon;

  beforeAll(async () => {
    const dir = tempDir();
    const xss = path.join(dir, 'xss.mjs');
    fs.writeFileSync(
      xss,
      [
        "const out = (s) => process.stdout.write(s + '\\n');",
        'out(JSON.stringify({ event: "layer_start", layer: 1, layer_name: "<b>bold</b>" }));',
        'out(\'INFO: <img src=x onerror="window.__xss=1">\');',
        'out(JSON.stringify({ event: "layer_complete", layer: 1, duration_ms: 5 }));',
      ].join('\n'),
    );
    daemon = await startTestDaemon({
      modules: {
        demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '150'] },
        xss: { command: 'node', args: [xss] },
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanupDaemons();
  });

  it('shows a run appear while it runs, with live records and layer states', async () => {
    await page.goto(daemon.url + '/');
    const run = await daemon.startRun('demo');
    const row = page.locator(`tr.run-row[data-run-id="${run.run_id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('running');
    await page.screenshot({ path: path.join(ARTIFACTS, 'smoke-runs-view.png') });

    await page.goto(`${daemon.url}/runs/${run.run_id}`);
    await page.locator('.log-row').first().waitFor({ timeout: 10_000 });
    // layer 1 goes to complete while we watch; layer 3 ends in error, 4 skipped
    await page.locator('[data-layer="3"][data-status="error"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-layer="4"][data-status="skipped"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-layer="5"][data-status="complete"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('[data-testid="run-status"]').textContent(), { timeout: 10_000 }).toContain('failed');
    const finished = await daemon.finished(run.run_id);
    const seqs = await page.locator('.log-row').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)));
    expect(seqs.length).toBeGreaterThan(0);
    expect(Math.max(...seqs)).toBe(finished.total_lines);
    await page.screenshot({ path: path.join(ARTIFACTS, 'smoke-run-view.png') });
  });

  it('shows markup in log lines and layer names as text, running nothing', async () => {
    const run = await daemon.startRun('xss');
    await daemon.finished(run.run_id);
    await page.goto(`${daemon.url}/runs/${run.run_id}`);
    await page.getByText('<img src=x onerror="window.__xss=1">', { exact: false }).first().waitFor({ timeout: 10_000 });
    await page.getByText('<b>bold</b>', { exact: false }).first().waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('.log-row img, .layer-strip b').count()).toBe(0);
  });
});
