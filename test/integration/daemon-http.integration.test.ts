// The daemon's HTTP API against real runs: modules, runs, cancel, timeouts, queueing, logs pages, polling,
// download, health, metrics, the dashboard files and the error shape.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { checkSeqs, cleanupDaemons, connectWs, fixture, startTestDaemon, tempDir, waitFor, type TestDaemon } from './helpers/daemon-harness.js';

interface LogsPage {
  run_id: string;
  logs: LogRecord[];
  total_lines: number;
  truncated: boolean;
}

let d: TestDaemon;
let publicDir: string;

beforeAll(async () => {
  publicDir = tempDir('sup-public-');
  fs.mkdirSync(path.join(publicDir, 'assets'));
  fs.writeFileSync(path.join(publicDir, 'index.html'), '<!doctype html><title>dash</title>');
  fs.writeFileSync(path.join(publicDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(publicDir, 'secret.txt'), 'not an asset');
  d = await startTestDaemon(
    {
      modules: {
        fast: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--fast'], description: 'the demo, no delays' },
        flood: { command: 'node', args: [fixture('flood.mjs')] },
        slow: { command: 'node', args: [fixture('slow-lines.mjs')] },
        hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '50'], killGrace: '2s' },
        short: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '50'], timeout: '400ms', killGrace: '2s' },
        crash: { command: 'node', args: [fixture('crash.mjs')] },
      },
      limits: { maxConcurrentRuns: 1 },
    },
    { publicDir },
  );
});
afterAll(cleanupDaemons);

describe('runs', () => {
  it('lists the configured modules', async () => {
    const { status, body } = await d.json<{ modules: { name: string; description: string }[] }>('/api/modules');
    expect(status).toBe(200);
    expect(body.modules.map((m) => m.name)).toEqual(['fast', 'flood', 'slow', 'hang', 'short', 'crash']);
    expect(body.modules[0]).toMatchObject({ name: 'fast', description: 'the demo, no delays' });
  });

  it('starts a run (201), finds it by id, latest and latest:<module>, and lists it newest first', async () => {
    const run = await d.startRun('fast');
    expect(run).toMatchObject({ module: 'fast', args: [] });
    expect(run.run_id).toMatch(/^run_\d{8}_\d{6}_fast_[0-9a-z]{6}$/);
    const done = await d.finished(run.run_id);
    expect(done).toMatchObject({ status: 'failed', exit_code: 1, pipeline_status: 'partial' });
    expect(done.layers.map((l) => l.status)).toEqual(['complete', 'complete', 'error', 'skipped', 'complete']);
    expect((await d.json<RunInfo>('/api/runs/latest')).body.run_id).toBe(run.run_id);
    expect((await d.json<RunInfo>('/api/runs/latest:fast')).body.run_id).toBe(run.run_id);
    expect((await d.json<RunInfo>(`/api/runs/${encodeURIComponent('latest:fast')}`)).body.run_id).toBe(run.run_id);

    const second = await d.startRun('crash');
    await d.finished(second.run_id);
    const list = await d.json<{ runs: RunInfo[] }>('/api/runs?limit=2');
    expect(list.body.runs.map((r) => r.run_id)).toEqual([second.run_id, run.run_id]);
    const byModule = await d.json<{ runs: RunInfo[] }>('/api/runs?module=fast');
    expect(byModule.body.runs.every((r) => r.module === 'fast')).toBe(true);
    const failed = await d.json<{ runs: RunInfo[] }>('/api/runs?status=failed&limit=100');
    expect(failed.body.runs.map((r) => r.run_id)).toContain(second.run_id);
    const older = await d.json<{ runs: RunInfo[] }>(`/api/runs?before=${second.run_id}`);
    expect(older.body.runs[0]!.run_id).toBe(run.run_id);
  });

  it('cancels a running run, which ends cancelled', async () => {
    const run = await d.startRun('hang');
    await waitFor(async () => (await d.json<LogsPage>(`/api/runs/${run.run_id}/logs`)).body.logs.some((r) => r.message === 'ready'), 'hang to be ready');
    const { status, body } = await d.json<RunInfo>(`/api/runs/${run.run_id}/cancel`, { method: 'POST' });
    expect(status).toBe(200);
    expect(body.run_id).toBe(run.run_id);
    expect(await d.finished(run.run_id)).toMatchObject({ status: 'cancelled' });
    const again = await d.json<{ error: { code: string } }>(`/api/runs/${run.run_id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RUN_NOT_RUNNING');
  });

  it('ends a run past its timeout as timed_out', async () => {
    const run = await d.startRun('short');
    expect(await d.finished(run.run_id)).toMatchObject({ status: 'timed_out' });
  });

  it('queues a second run past maxConcurrentRuns and starts it when the first ends', async () => {
    const first = await d.startRun('hang');
    const second = await d.startRun('fast');
    expect(second.status).toBe('queued');
    expect((await d.json<RunInfo>(`/api/runs/${second.run_id}`)).body.status).toBe('queued');
    await d.json(`/api/runs/${first.run_id}/cancel`, { method: 'POST' });
    expect(await d.finished(first.run_id)).toMatchObject({ status: 'cancelled' });
    const done = await d.finished(second.run_id);
    expect(done.status).toBe('failed');
    expect(done.started_at).not.toBeNull();
  });
});

describe('logs', () => {
  let runId: string;
  beforeAll(async () => {
    runId = (await d.startRun('flood', ['--lines', '3000'])).run_id;
    await d.finished(runId);
  });

  it('returns the last 500 by default, oldest first, with total_lines and truncated', async () => {
    const { body } = await d.json<LogsPage>(`/api/runs/${runId}/logs`);
    expect(body.run_id).toBe(runId);
    expect(body.total_lines).toBe(3000);
    expect(body.truncated).toBe(true);
    expect(checkSeqs(body.logs, 3000, 2501)).toBe('');
    const all = await d.json<LogsPage>(`/api/runs/${runId}/logs?tail=3000`);
    expect(all.body.truncated).toBe(false);
    expect(all.body.logs).toHaveLength(3000);
    const none = await d.json<LogsPage>(`/api/runs/${runId}/logs?tail=0`);
    expect(none.body).toMatchObject({ logs: [], truncated: true, total_lines: 3000 });
  });

  it('pages forward after a seq with limit (default 1000) and says when more remain', async () => {
    const first = await d.json<LogsPage>(`/api/runs/${runId}/logs?after=0`);
    expect(checkSeqs(first.body.logs, 1000)).toBe('');
    expect(first.body.truncated).toBe(true);
    const last = await d.json<LogsPage>(`/api/runs/${runId}/logs?after=2990&limit=10`);
    expect(checkSeqs(last.body.logs, 3000, 2991)).toBe('');
    expect(last.body.truncated).toBe(false);
    const capped = await d.json<LogsPage>(`/api/runs/${runId}/logs?after=0&limit=50000`);
    expect(capped.body.logs).toHaveLength(3000);
  });

  it('filters by minimum level (any case, synonyms), stream and grep', async () => {
    const warn = await d.json<LogsPage>(`/api/runs/${runId}/logs?level=warn&tail=5000`);
    expect(warn.body.logs.length).toBeGreaterThan(0);
    expect(warn.body.logs.every((r) => ['WARNING', 'ERROR', 'CRITICAL'].includes(r.level))).toBe(true);
    expect(warn.body.total_lines).toBe(warn.body.logs.length);
    const grep = await d.json<LogsPage>(`/api/runs/${runId}/logs?grep=line%20000123&tail=10`);
    expect(grep.body.logs.map((r) => r.seq)).toEqual([124]);
    const stderr = await d.json<LogsPage>(`/api/runs/${runId}/logs?stream=stderr`);
    expect(stderr.body).toMatchObject({ logs: [], total_lines: 0, truncated: false });
  });

  it('refuses bad cursors and counts with our error shape', async () => {
    for (const [query, code] of [
      ['since=yesterday', 'BAD_CURSOR'],
      ['after=-1', 'BAD_CURSOR'],
      ['after=abc', 'BAD_CURSOR'],
      ['tail=x', 'BAD_REQUEST'],
      ['limit=1.5', 'BAD_REQUEST'],
      ['level=loud', 'BAD_REQUEST'],
      ['stream=stdin', 'BAD_REQUEST'],
    ] as const) {
      const { status, body } = await d.json<{ error: { code: string; message: string } }>(`/api/runs/${runId}/logs?${query}`);
      expect({ query, status, code: body.error.code }).toEqual({ query, status: 400, code });
      expect(body.error.message.length).toBeGreaterThan(5);
    }
    const missing = await d.json<{ error: { code: string } }>('/api/runs/run_nope/logs');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'RUN_NOT_FOUND' } } });
  });

  it('gives a client polling with the last timestamp it saw every line exactly once while the run writes', async () => {
    const run = await d.startRun('slow', ['--lines', '400', '--rate', '2000']);
    const seen: LogRecord[] = [];
    let since: string | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const query = since === undefined ? 'after=0&limit=50' : `since=${encodeURIComponent(since)}&limit=50`;
      const { body } = await d.json<LogsPage>(`/api/runs/${run.run_id}/logs?${query}`);
      seen.push(...body.logs);
      if (body.logs.length > 0) since = body.logs[body.logs.length - 1]!.timestamp;
      if (seen.length >= 400 || Date.now() > deadline) break;
      if (!body.truncated) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(checkSeqs(seen, 400)).toBe('');
    expect(seen.map((r) => (r.data as { i: number }).i)).toEqual(seen.map((_, i) => i));
  });

  it('downloads the whole log as text, one line per record', async () => {
    const response = await d.request(`/api/runs/${runId}/logs/download`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${runId}.log"`);
    const lines = (await response.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(3000);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z INFO    stdout INFO: line 000001 /);
    expect(lines[3]).toMatch(/Z WARNING stdout WARNING: line 000003 /);
  });
});

describe('errors, health, metrics and files', () => {
  it('answers bad bodies, unknown modules, unknown routes and oversize bodies in our error shape', async () => {
    const post = (body: string, type = 'application/json') =>
      d.json<{ error: { code: string; message: string } }>('/api/runs', { method: 'POST', headers: { 'content-type': type }, body });
    expect(await post('{"module": ')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const noModule = await post('{"args": []}');
    expect(noModule).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(noModule.body.error.message).toContain('module');
    const badArgs = await post('{"module": "fast", "args": [1]}');
    expect(badArgs.status).toBe(400);
    expect(badArgs.body.error.message).toBe('args.0: Invalid input: expected string, received number');
    const tooMany = await post(JSON.stringify({ module: 'fast', args: Array.from({ length: 1001 }, () => 'a') }));
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST', message: 'args: at most 1000 arguments' } } });
    expect((await post('{"module": ""}')).body.error.message).toBe('module: module must not be empty');
    expect(await post('{"module": "nope"}')).toMatchObject({ status: 404, body: { error: { code: 'MODULE_NOT_FOUND' } } });
    expect(await post(JSON.stringify({ module: 'fast', args: ['x'.repeat(1024 * 1024 + 10)] }))).toMatchObject({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE' } },
    });
    expect(await post('module=fast', 'application/x-www-form-urlencoded')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(await d.json('/api/nothing')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await d.json('/api/runs/run_missing')).toMatchObject({ status: 404, body: { error: { code: 'RUN_NOT_FOUND' } } });
    expect(await d.json('/api/runs?status=sleeping')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });

  it('reports health and Prometheus metrics', async () => {
    const health = await d.json<{ status: string; uptime_s: number; version: string }>('/healthz');
    expect(health.body).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect(typeof health.body.uptime_s).toBe('number');
    const probe = await connectWs(d.wsUrl);
    probe.send({ type: 'subscribe', topic: 'runs' });
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'pong');
    const response = await d.request('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^supervisor_runs\{status="failed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^supervisor_records_total\{level="INFO"\} [1-9]\d*$/m);
    expect(text).toMatch(/^supervisor_subscribers\{transport="ws"\} 1$/m);
    expect(text).toMatch(/^supervisor_lagged_total\{transport="ws"\} \d+$/m);
    expect(text).toMatch(/^supervisor_sqlite_batch_seconds_count [1-9]\d*$/m);
    const bytes = (form: string) => Number(new RegExp(`^supervisor_sqlite_chunk_bytes_total\\{form="${form}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(bytes('plain')).toBeGreaterThan(0);
    expect(bytes('stored')).toBeGreaterThan(0);
    expect(bytes('stored')).toBeLessThanOrEqual(bytes('plain'));
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    await probe.close();
  });

  it('serves the dashboard for / and /runs/<id>, assets with their type, and nothing outside assets/', async () => {
    for (const route of ['/', '/runs/run_x']) {
      const page = await d.request(route);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('<title>dash</title>');
    }
    const asset = await d.request('/assets/app.js');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await asset.text()).toBe('console.log(1)');
    for (const route of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/missing.js', '/assets/']) {
      const response = await d.request(route);
      expect({ route, status: response.status }).toEqual({ route, status: 404 });
      expect(await response.text()).not.toContain('not an asset');
    }
  });
});
