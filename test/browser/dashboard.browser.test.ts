// The dashboard in a real Chromium against a real daemon: runs view, run view, live layers and logs,
// auto-scroll, reconnect without gaps or repeats, inert markup, 100,000 lines, the token prompt.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../src/types.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  browserFixture,
  dashboardReady,
  fixture,
  openPage,
  screenshotPath,
  startDaemon,
  type DebugHooks,
  type TestDaemon,
  type TestPage,
} from './harness.js';

const haveChromium = fs.existsSync(CHROMIUM);
const requireBrowser = process.env.REQUIRE_BROWSER === '1';
if (!haveChromium && !requireBrowser) {
  console.warn('SKIPPED: browser tests need /usr/bin/chromium (apt-get install -y chromium)');
}

const MODULES = {
  demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '250'] },
  quick: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--fast'] },
  hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '100'], killGrace: '2s' },
  slow: { command: 'node', args: [fixture('slow-lines.mjs')] },
  flood: { command: 'node', args: [fixture('flood.mjs')] },
  markup: { command: 'node', args: [browserFixture('markup.mjs')] },
};

const WAIT = { timeout: 15_000 };
const debugOf = (page: Page) => page.evaluateHandle(() => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug);
const seqsOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView?.seqs() ?? []);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.runIf(!haveChromium && requireBrowser)('browser tests (REQUIRE_BROWSER=1)', () => {
  it('need Chromium', () => {
    throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: apt-get install -y chromium`);
  });
});

describe.skipIf(!haveChromium)('dashboard in Chromium', () => {
  let browser: Browser;
  let d: TestDaemon | undefined;
  let tp: TestPage | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const errors = tp?.errors ?? [];
    await tp?.context.close();
    tp = undefined;
    await d?.close();
    d = undefined;
    expect(errors).toEqual([]);
  });

  /** Open the dashboard at `route` on the current daemon. */
  const open = async (route: string, viewport?: { width: number; height: number }) => {
    tp = await openPage(browser, viewport);
    await tp.page.goto(d!.url + route);
    return tp.page;
  };

  it('runs view: Start and the API add rows live, status updates live, Cancel, filters, row opens the run', async () => {
    d = await startDaemon({ modules: MODULES });
    const page = await open('/');
    await dashboardReady(page);
    await page.waitForSelector('#start-module option[value="demo"]', { state: 'attached', ...WAIT });
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // Start with the form: the row appears running, then turns failed (the demo ends partial, exit 1).
    await page.selectOption('#start-module', 'demo');
    await page.click('#start-run');
    const demoRow = page.locator('tr.run-row').first();
    await demoRow.waitFor(WAIT);
    const demoId = (await demoRow.getAttribute('data-run-id'))!;
    expect(demoId).toMatch(/^run_\d{8}_\d{6}_demo_[0-9a-z]{6}$/);
    await page.waitForSelector(`tr[data-run-id="${demoId}"][data-status="running"]`, WAIT);
    await expect(page.locator(`tr[data-run-id="${demoId}"] .pill`).textContent()).resolves.toBe('running');

    // A run started elsewhere (the API) shows up through the runs topic, no reload.
    const hang = await d.startRun('hang');
    const hangRow = page.locator(`tr[data-run-id="${hang.run_id}"]`);
    await page.waitForSelector(`tr[data-run-id="${hang.run_id}"][data-status="running"]`, WAIT);
    // Rows are newest first.
    await expect(page.locator('tr.run-row').first().getAttribute('data-run-id')).resolves.toBe(hang.run_id);
    // Cancel from its row.
    await hangRow.getByTestId('cancel-run').click();
    await page.waitForSelector(`tr[data-run-id="${hang.run_id}"][data-status="cancelled"]`, WAIT);

    // One more left running, for the screenshot; the demo finishes meanwhile.
    const running = await d.startRun('hang');
    await page.waitForSelector(`tr[data-run-id="${running.run_id}"][data-status="running"]`, WAIT);
    await page.waitForSelector(`tr[data-run-id="${demoId}"][data-status="failed"]`, { timeout: 20_000 });
    const demoCells = page.locator(`tr[data-run-id="${demoId}"]`);
    const finished = await d.api<RunInfo>('GET', `/api/runs/${demoId}`);
    await expect(demoCells.locator('.col-lines').textContent()).resolves.toBe(String(finished.total_lines));
    await expect(demoCells.locator('.col-errors').textContent()).resolves.toBe(String(finished.counts.ERROR + finished.counts.CRITICAL));
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    // The duration of a running row ticks.
    const durationCell = page.locator(`tr[data-run-id="${running.run_id}"] .col-duration`);
    const firstDuration = await durationCell.textContent();
    await page.waitForFunction(
      ([id, before]) => document.querySelector(`tr[data-run-id="${id}"] .col-duration`)?.textContent !== before,
      [running.run_id, firstDuration],
      WAIT,
    );
    await page.screenshot({ path: screenshotPath('runs-view.png') });

    // Filters: by status, then by module.
    await page.selectOption('#filter-status', 'cancelled');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('tr.run-row')];
      return rows.length === 1 && rows[0].dataset.status === 'cancelled';
    }, null, WAIT);
    await expect(page.locator('tr.run-row').first().getAttribute('data-run-id')).resolves.toBe(hang.run_id);
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-module', 'demo');
    await page.waitForFunction(() => document.querySelectorAll('tr.run-row').length === 1, null, WAIT);
    await expect(page.locator('tr.run-row').first().getAttribute('data-run-id')).resolves.toBe(demoId);
    expect(new URL(page.url()).search).toBe('?module=demo');
    await page.selectOption('#filter-module', '');
    await page.waitForFunction(() => document.querySelectorAll('tr.run-row').length === 3, null, WAIT);

    // A narrow window: no sideways scrolling, the table turns into cards.
    await page.setViewportSize({ width: 400, height: 800 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(400);
    await expect(page.locator('.runs-table thead').isVisible()).resolves.toBe(false);
    await page.screenshot({ path: screenshotPath('runs-view-narrow.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // A row opens its run (pushState), Back returns.
    await demoCells.locator('.col-module').click();
    await page.waitForURL(`**/runs/${demoId}`, WAIT);
    await expect(page.getByTestId('run-id').textContent()).resolves.toBe(demoId);
    await page.goBack();
    await page.waitForSelector(`tr[data-run-id="${demoId}"]`, WAIT);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it('run view: records stream in live, layer buttons go running → complete/error/skipped, header follows', async () => {
    d = await startDaemon({ modules: MODULES });
    const run = await d.startRun('demo');
    const page = await open(`/runs/${run.run_id}`);
    await page.waitForSelector('.log-row[data-seq]', WAIT);
    await expect(page.getByTestId('run-id').textContent()).resolves.toBe(run.run_id);
    // Lines arrive while the run is still running.
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'running', null, WAIT);
    const rowsWhileRunning = await page.locator('.log-row').count();
    expect(rowsWhileRunning).toBeGreaterThan(0);

    await page.waitForSelector('[data-testid="run-status"][data-status="failed"]', { timeout: 20_000 });
    const layers = page.locator('.layer-strip [data-layer]');
    await expect(layers.evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.layer, (el as HTMLElement).dataset.status]))).resolves.toEqual([
      ['1', 'complete'],
      ['2', 'complete'],
      ['3', 'error'],
      ['4', 'skipped'],
      ['5', 'complete'],
    ]);
    // The later layers were seen moving live (the first ones may have finished before the page opened).
    const history = await page.evaluate(() => (window as unknown as { __layerHistory: Record<string, string[]> }).__layerHistory);
    expect(history['3']).toEqual(['running', 'error']);
    expect(history['4']).toEqual(['running', 'skipped']);
    expect(history['5']).toEqual(['running', 'complete']);

    // Every record, once, in order; the header shows the end.
    const finished = await d.api<RunInfo>('GET', `/api/runs/${run.run_id}`);
    await page.waitForFunction((n) => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView?.seqs().length === n, finished.total_lines, WAIT);
    expect(await seqsOf(page)).toEqual(range(1, finished.total_lines));
    await expect(page.locator('[data-fact="exit-code"] dd').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-fact="finished"] dd').textContent()).resolves.not.toBe('—');
    await expect(page.locator('[data-fact="errors"] dd').textContent()).resolves.toBe(String(finished.counts.ERROR + finished.counts.CRITICAL));
    // Rows show time, level, stream and message.
    const errorRow = page.locator('.log-row[data-level="ERROR"][data-stream="stderr"]').first();
    await expect(errorRow.locator('.lr-time').textContent()).resolves.toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
    await expect(errorRow.locator('.lr-msg').textContent()).resolves.toContain('geocoder request failed');

    // A layer button shows its error and metadata.
    await page.click('[data-layer="3"]');
    await expect(page.getByTestId('layer-detail').textContent()).resolves.toContain('geocoder timed out after 3 retries');
    await expect(page.locator('.layer-meta').textContent()).resolves.toContain('"enriched": 41');

    // A JSON record expands to its fields.
    const jsonRow = page.locator('.log-row.is-json').first();
    await jsonRow.locator('.lr-toggle').click();
    await expect(jsonRow.locator('.lr-details').textContent()).resolves.toMatch(/"event": "\w+"/);

    // The download link gives the whole log.
    const href = await page.getByTestId('download').getAttribute('href');
    expect(href).toBe(`/api/runs/${run.run_id}/logs/download`);
    const text = await page.evaluate(async (url) => (await fetch(url)).text(), href!);
    expect(text.trim().split('\n')).toHaveLength(finished.total_lines);

    await page.screenshot({ path: screenshotPath('run-view.png') });

    // Filters: minimum level, then text.
    await page.selectOption('#log-level', 'ERROR');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.log-row')] as HTMLElement[];
      return rows.length > 0 && rows.every((r) => r.dataset.level === 'ERROR' || r.dataset.level === 'CRITICAL');
    }, null, WAIT);
    await page.selectOption('#log-level', 'DEBUG');
    await page.fill('#log-filter', 'GEOCODER');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.log-row .lr-msg')];
      return rows.length >= 3 && rows.every((m) => /geocoder/i.test(m.textContent ?? ''));
    }, null, WAIT);

    // A narrow window: the layer strip wraps, nothing scrolls sideways.
    await page.fill('#log-filter', '');
    await page.waitForFunction(() => !document.querySelector('[data-testid="log-status"]')?.textContent?.includes('shown'), null, WAIT);
    await page.setViewportSize({ width: 400, height: 800 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(400);
    const tops = await layers.evaluateAll((els) => new Set(els.map((el) => (el as HTMLElement).offsetTop)).size);
    expect(tops).toBeGreaterThan(1);
    await page.screenshot({ path: screenshotPath('run-view-narrow.png'), fullPage: true });
  });

  it('pushed runs: the runner column and fact, records and layers arriving live as a runner pushes them', async () => {
    d = await startDaemon({ modules: MODULES, runners: { 'scraper-01': { apiKey: 'k1' } } });
    const run = await d.push<RunInfo>('k1', '/api/runs', { external: true, name: 'nightly-scrape' });
    const push = (logs: unknown[]) => d!.push('k1', `/api/runs/${run.run_id}/logs`, { logs });
    await push([{ level: 'info', message: 'Job started', timestamp: '2026-11-23T12:00:00Z' }]);

    // The runs list grows a Runner column for it; local runs leave it empty.
    await d.startRun('demo', ['--fast']);
    const page = await open('/');
    await dashboardReady(page);
    const row = page.locator(`tr[data-run-id="${run.run_id}"]`);
    await row.waitFor(WAIT);
    await expect(page.locator('th.col-runner').isVisible()).resolves.toBe(true);
    await expect(row.locator('.col-runner').textContent()).resolves.toBe('scraper-01');
    await expect(row.locator('.col-module').textContent()).resolves.toContain('nightly-scrape');

    // Its run view: the Runner fact, then what the runner pushes arrives live.
    await row.locator('.col-module').click();
    await page.waitForURL(`**/runs/${run.run_id}`, WAIT);
    await expect(page.locator('[data-fact="runner"] dd').textContent()).resolves.toBe('scraper-01');
    await page.waitForSelector('.log-row[data-seq="1"][data-stream="push"]', WAIT);
    await push([
      { event: 'layer_start', layer: 1, layer_name: 'fetch' },
      { level: 'WARNING', message: 'No SKUs on page 3' },
    ]);
    await page.waitForSelector('.layer-strip [data-layer="1"][data-status="running"]', WAIT);
    await page.waitForSelector('.log-row[data-seq="3"][data-level="WARNING"]', WAIT);
    await expect(page.locator('.log-row[data-seq="3"] .lr-msg').textContent()).resolves.toBe('No SKUs on page 3');
    await push([{ event: 'layer_complete', layer: 1, layer_name: 'fetch', duration_ms: 4500 }]);
    await page.waitForSelector('.layer-strip [data-layer="1"][data-status="complete"]', WAIT);
    await d.push('k1', `/api/runs/${run.run_id}/finish`, { status: 'succeeded', exit_code: 0 });
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', WAIT);
    expect(await seqsOf(page)).toEqual(range(1, 4));
  });

  it('auto-scroll pauses when the user scrolls up, stays put while lines arrive, resumes at the bottom', async () => {
    d = await startDaemon({ modules: MODULES });
    const run = await d.startRun('slow', ['--lines', '600', '--rate', '150']);
    const page = await open(`/runs/${run.run_id}`);
    const autoscroll = page.getByTestId('autoscroll');
    await page.waitForFunction(() => ((window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView?.bufferSize() ?? 0) >= 80, null, WAIT);
    await expect(autoscroll.isChecked()).resolves.toBe(true);
    const viewer = page.getByTestId('log-viewer');
    const atBottom = () => viewer.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2);
    // Following: the newest line is in view.
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="log-viewer"]')!;
      return el.scrollHeight > el.clientHeight * 1.5;
    }, null, WAIT);
    await expect(atBottom()).resolves.toBe(true);

    // Scroll up with the wheel: auto-scroll switches off.
    await viewer.hover();
    await page.mouse.wheel(0, -300);
    await page.waitForFunction(() => !(document.getElementById('autoscroll') as HTMLInputElement).checked, null, WAIT);
    // the button is drawn on the next animation frame (the checkbox changes at once)
    await page.getByTestId('jump-latest').waitFor({ state: 'visible', ...WAIT });
    // New lines do not move the view.
    const top = await viewer.evaluate((el) => el.scrollTop);
    const size = await page.evaluate(() => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView!.bufferSize());
    await page.waitForFunction((n) => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView!.bufferSize() >= n + 30, size, WAIT);
    await expect(viewer.evaluate((el) => el.scrollTop)).resolves.toBe(top);
    await expect(atBottom()).resolves.toBe(false);

    // Scrolling to the bottom turns it back on, and it follows again.
    await viewer.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await page.waitForFunction(() => (document.getElementById('autoscroll') as HTMLInputElement).checked, null, WAIT);
    const sizeNow = await page.evaluate(() => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView!.bufferSize());
    await page.waitForFunction((n) => (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView!.bufferSize() >= n + 20, sizeNow, WAIT);
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="log-viewer"]')!;
      return el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
    }, null, WAIT);

    // The checkbox itself: off, then on again (back to the bottom).
    await autoscroll.uncheck();
    await viewer.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(autoscroll.isChecked()).resolves.toBe(false);
    await autoscroll.check();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="log-viewer"]')!;
      return el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
    }, null, WAIT);
    await expect(autoscroll.isChecked()).resolves.toBe(true);
  });

  it('reconnects after the socket drops (server side, then client side) and holds every seq exactly once', async () => {
    d = await startDaemon({ modules: MODULES });
    const lines = 500;
    const run = await d.startRun('slow', ['--lines', String(lines), '--rate', '125']);
    const page = await open(`/runs/${run.run_id}`);
    const debug = await debugOf(page);
    const heldAtLeast = (n: number) =>
      page.waitForFunction(
        ([dbg, min]) => {
          const seqs = (dbg as DebugHooks).runView?.seqs() ?? [];
          return seqs.length > 0 && seqs[seqs.length - 1] >= (min as number);
        },
        [debug, n] as const,
        WAIT,
      );
    await heldAtLeast(60);

    // The daemon's side of the connection goes away mid-run.
    expect(d.dropServerSockets()).toBeGreaterThan(0);
    await page.waitForFunction((dbg) => (dbg as DebugHooks).socketStats().opens >= 2 && (dbg as DebugHooks).socketState() === 'open', debug, WAIT);
    const afterFirst = Math.max(...(await seqsOf(page)));
    await heldAtLeast(afterFirst + 40);

    // The page's side closes (the test hook), still mid-run.
    await page.evaluate((dbg) => (dbg as DebugHooks).dropSocket(), debug);
    await page.waitForFunction((dbg) => (dbg as DebugHooks).socketStats().opens >= 3, debug, WAIT);
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', { timeout: 20_000 });
    await heldAtLeast(lines);

    // Page in whatever the first tail did not include, then check 1..N exactly once.
    while (await page.locator('#load-older').isVisible()) {
      await page.click('#load-older');
      await page.waitForFunction(() => !(document.getElementById('load-older') as HTMLButtonElement).disabled, null, WAIT);
    }
    expect(await seqsOf(page)).toEqual(range(1, lines));
    // What the DOM shows is unique too: walk the whole list and collect the rendered seqs.
    const seen = await page.getByTestId('log-viewer').evaluate(async (el) => {
      const seqs: number[] = [];
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const autoscroll = document.getElementById('autoscroll') as HTMLInputElement;
      if (autoscroll.checked) autoscroll.click(); // stop following so the walk is not pulled to the bottom
      for (let top = 0; top <= el.scrollHeight; top += el.clientHeight - 60) {
        el.scrollTop = top;
        await frame();
        const rect = el.getBoundingClientRect();
        for (const row of el.querySelectorAll<HTMLElement>('.log-row')) {
          const r = row.getBoundingClientRect();
          if (r.top >= rect.top && r.bottom <= rect.bottom) seqs.push(Number(row.dataset.seq));
        }
      }
      return seqs;
    });
    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual(range(1, lines));
  });

  it('shows markup in log lines, layer names, errors, metadata and args as text and runs none of it', async () => {
    d = await startDaemon({ modules: MODULES });
    const run = await d.startRun('markup', ['<svg onload="window.__xss=8">']);
    const page = await open(`/runs/${run.run_id}`);
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', WAIT);
    await page.waitForFunction(() => document.querySelectorAll('.log-row').length >= 7, null, WAIT);

    const messages = await page.locator('.log-row .lr-msg').allTextContents();
    expect(messages).toContain('<img src=x onerror="window.__xss=1">');
    expect(messages).toContain('INFO: <script>window.__xss=2</script> & &amp; &lt;b&gt;');
    expect(messages).toContain('<iframe src="javascript:window.__xss=7"></iframe>');
    await expect(page.locator('[data-layer="1"] .layer-name').textContent()).resolves.toBe('<b>bold</b><img src=x onerror="window.__xss=3">');
    await expect(page.locator('[data-fact="args"] dd').textContent()).resolves.toBe('<svg onload="window.__xss=8">');
    // Open everything that shows more text: the layer detail and every JSON row.
    await page.click('[data-layer="1"]');
    await expect(page.locator('.layer-error').textContent()).resolves.toBe('<img src=x onerror="window.__xss=6">');
    await expect(page.locator('.layer-meta').textContent()).resolves.toContain('<i>meta</i>');
    for (const toggle of await page.locator('.log-row.is-json .lr-toggle').all()) await toggle.click();
    await expect(page.locator('.lr-details').allTextContents()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('<img src=x onerror=\\"window.__xss=5\\">')]),
    );

    // Nothing was parsed as markup, nothing ran.
    const injected = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      elements: document.querySelectorAll('main img, main script, main iframe, main svg, main b, main i').length,
    }));
    expect(injected).toEqual({ xss: undefined, elements: 0 });

    // The runs view shows the same run text-only too.
    await page.click('a[href="/"]');
    await page.waitForSelector(`tr[data-run-id="${run.run_id}"]`, WAIT);
    await expect(page.evaluate(() => document.querySelectorAll('main img, main svg').length)).resolves.toBe(0);
  });

  it('stays usable with 100,000 lines: few DOM rows, quick scrolling and filtering', async () => {
    d = await startDaemon({ modules: MODULES });
    const lines = 100_000;
    const run = await d.startRun('flood', ['--lines', String(lines)]);
    const page = await open(`/runs/${run.run_id}`);
    await page.waitForSelector('[data-testid="run-status"][data-status="succeeded"]', { timeout: 30_000 });
    await page.waitForFunction(
      (n) => {
        const seqs = (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView?.seqs() ?? [];
        return seqs[seqs.length - 1] === n;
      },
      lines,
      { timeout: 30_000 },
    );
    // The page joined mid-run (the last 100, then live): page the rest in with "Load older".
    while (await page.locator('#load-older').isVisible()) {
      await page.click('#load-older');
      await page.waitForFunction(() => !(document.getElementById('load-older') as HTMLButtonElement).disabled, null, WAIT);
    }
    const held = await page.evaluate(() => {
      const seqs = (window as unknown as { __supervisorDebug: DebugHooks }).__supervisorDebug.runView!.seqs();
      return { size: seqs.length, contiguous: seqs.every((seq, i) => seq === i + 1) };
    });
    expect(held).toEqual({ size: lines, contiguous: true });
    await expect(page.locator('.log-row').count()).resolves.toBeLessThan(150);
    await expect(page.locator('.log-row[data-seq="100000"]').count()).resolves.toBe(1);

    // Jump to the middle: the right rows render within a frame or two.
    const timing = await page.getByTestId('log-viewer').evaluate(async (el) => {
      const autoscroll = document.getElementById('autoscroll') as HTMLInputElement;
      if (autoscroll.checked) autoscroll.click();
      const started = performance.now();
      el.scrollTop = el.scrollHeight / 2;
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const seqs = [...el.querySelectorAll<HTMLElement>('.log-row')].map((r) => Number(r.dataset.seq));
      return { ms: performance.now() - started, min: Math.min(...seqs), max: Math.max(...seqs), rows: seqs.length };
    });
    expect(timing.rows).toBeLessThan(150);
    expect(timing.min).toBeGreaterThan(40_000);
    expect(timing.max).toBeLessThan(60_000);
    expect(timing.ms).toBeLessThan(1000);

    // Filtering 100,000 records client-side answers quickly and keeps the DOM small.
    const filterStarted = Date.now();
    await page.selectOption('#log-level', 'WARNING');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('.log-row')];
      return rows.length > 0 && rows.every((r) => r.dataset.level === 'WARNING');
    }, null, WAIT);
    expect(Date.now() - filterStarted).toBeLessThan(3000);
    await expect(page.locator('.log-row').count()).resolves.toBeLessThan(150);
  });

  it('asks for the token when the daemon has one, then works (API, live socket, reload)', async () => {
    d = await startDaemon({ modules: MODULES, token: 'browser-test-token' });
    const page = await open('/');
    const dialog = page.locator('#auth-dialog');
    await dialog.waitFor(WAIT);
    await page.fill('#token-input', 'wrong-token');
    await page.click('#token-submit');
    // The refusal arrives after the daemon answers: wait for it, not just for the (empty) alert.
    await page.locator('.auth-error', { hasText: 'refused' }).waitFor(WAIT);
    // The submit button is re-enabled once the answer is handled; a second submit before that is ignored.
    await page.waitForSelector('#token-submit:not([disabled])', WAIT);
    await page.fill('#token-input', 'browser-test-token');
    await page.click('#token-submit');
    await dialog.waitFor({ state: 'detached', ...WAIT });

    await page.waitForSelector('#start-module option[value="quick"]', { state: 'attached', ...WAIT });
    await page.waitForSelector('#conn[data-state="open"]', WAIT);
    await page.selectOption('#start-module', 'quick');
    await page.click('#start-run');
    // The row's final status comes over the WebSocket, which only the session cookie can authorize.
    await page.waitForSelector('tr.run-row[data-status="failed"]', WAIT);
    expect(await page.evaluate(() => sessionStorage.getItem('pipeline-supervisor.token'))).toBe('browser-test-token');

    // A reload goes straight in (cookie and saved token), and the run view streams.
    const runId = (await page.locator('tr.run-row').first().getAttribute('data-run-id'))!;
    await page.goto(`${d.url}/runs/${runId}`);
    await page.waitForSelector('.log-row[data-seq]', WAIT);
    await expect(page.locator('#auth-dialog').count()).resolves.toBe(0);
    await page.waitForSelector('#conn[data-state="open"]', WAIT);
  });

  it('log buffer (in the page): dedupes by seq, reports gaps, pages older records in, caps memory', async () => {
    d = await startDaemon({ modules: MODULES });
    const page = await open('/');
    await dashboardReady(page);
    // A string, so the test runner's transform leaves the dynamic import alone.
    const result = await page.evaluate(`(async () => {
      const { createLogBuffer } = await import('/assets/log-buffer.js');
      const rec = (seq, level = 'INFO') => ({ seq, level, message: 'line ' + seq, stream: 'stdout', timestamp: '' });
      const b = createLogBuffer({ cap: 100, hardCap: 150 });
      const first = b.add([rec(11), rec(12), rec(13)]);
      const repeat = b.add([rec(12), rec(13), rec(14)]);
      const gap = b.add([rec(18)]);
      const fill = b.add([rec(16), rec(15), rec(17)]);
      const older = b.add([rec(5), rec(6), rec(7), rec(8), rec(9), rec(10)]);
      const seqs = b.view().map((r) => r.seq);
      b.setFilter({ level: 'WARNING', text: '' });
      b.add([rec(19, 'WARNING'), rec(20, 'ERROR'), rec(21)]);
      const filtered = b.view().map((r) => r.seq);
      b.setFilter({ level: 'DEBUG', text: 'line 2' });
      const text = b.view().map((r) => r.seq);
      b.setFilter({});
      const many = [];
      for (let s = 22; s <= 300; s++) many.push(rec(s));
      b.add(many);
      return {
        first: first.added,
        repeat: repeat.added,
        gap: gap.gaps,
        fill: [fill.added, fill.gaps],
        older: older.added,
        seqs,
        filtered,
        text,
        size: b.size,
        firstSeq: b.firstSeq(),
        lastSeq: b.lastSeq(),
      };
    })()`);
    expect(result).toEqual({
      first: 3,
      repeat: 1,
      gap: [[15, 17]],
      fill: [3, []],
      older: 6,
      seqs: range(5, 18),
      filtered: [19, 20],
      text: [20, 21],
      size: 100,
      firstSeq: 201,
      lastSeq: 300,
    });
  });
});

describe('dashboard files', () => {
  const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

  it('never hand data to an HTML parser', () => {
    const assets = path.join(publicDir, 'assets');
    const sinks = /\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|srcdoc|createContextualFragment|DOMParser/;
    const offenders = fs
      .readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => sinks.test(fs.readFileSync(path.join(assets, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('index.html loads the app as a module and the stylesheet, with no inline script', () => {
    const html = fs.readFileSync(path.join(publicDir, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" src="\/assets\/app\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/app\.css">/);
    expect(html.match(/<script\b[^>]*>[^<]+<\/script>/g)).toBeNull();
  });
});
