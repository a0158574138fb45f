// The push API of a real daemon, spoken raw: register, push, finish; runner keys (401/403), local runs (409),
// a batch that is all or nothing (400, 413, > 10,000), levels, events → layers, idempotent resends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { cleanupDaemons, startTestDaemon, type TestDaemon } from './helpers/daemon-harness.js';

const RUNNERS = { 'scraper-01': { apiKey: 'k1' }, 'scraper-02': { apiKey: 'k2' } };
let d: TestDaemon;

beforeAll(async () => {
  d = await startTestDaemon({ runners: RUNNERS });
});
afterAll(cleanupDaemons);

type Answer<T = any> = { status: number; body: T };

/** POST JSON with a runner key (or none). */
async function post<T = any>(daemon: TestDaemon, route: string, body: unknown, key?: string, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const response = await daemon.request(route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'x-api-key': key }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const register = async (name = 'job', key = 'k1', daemon = d) => {
  const answer = await post<RunInfo>(daemon, '/api/runs', { external: true, name, args: ['--sku', 'A1'] }, key);
  if (answer.status !== 201) throw new Error(`register → ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};
const push = (runId: string, logs: unknown[], key = 'k1', daemon = d) => post(daemon, `/api/runs/${runId}/logs`, { logs }, key);
const stored = async (runId: string) => (await d.json<{ logs: LogRecord[] }>(`/api/runs/${runId}/logs?after=0&limit=10000`)).body.logs;
const errorOf = (answer: Answer) => [answer.status, answer.body.error?.code];

describe('registering an external run', () => {
  it('answers 201 with a running run owned by the runner the key names', async () => {
    const run = await register('nightly-scrape');
    expect(run).toMatchObject({ module: 'nightly-scrape', args: ['--sku', 'A1'], status: 'running', runner: 'scraper-01', pid: null });
    expect((await d.json<RunInfo>(`/api/runs/${run.run_id}`)).body).toMatchObject({ status: 'running', runner: 'scraper-01' });
    const listed = (await d.json<{ runs: RunInfo[] }>('/api/runs?runner=scraper-01')).body.runs;
    expect(listed.map((r) => r.run_id)).toContain(run.run_id);
  });

  it('answers a resend with the same Idempotency-Key with the run it created (200), per runner', async () => {
    const body = { external: true, name: 'keyed' };
    const first = await post<RunInfo>(d, '/api/runs', body, 'k1', { 'idempotency-key': 'job-42' });
    const again = await post<RunInfo>(d, '/api/runs', body, 'k1', { 'idempotency-key': 'job-42' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.run_id).toBe(first.body.run_id);
    const other = await post<RunInfo>(d, '/api/runs', body, 'k2', { 'idempotency-key': 'job-42' });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ runner: 'scraper-02' });
    expect(other.body.run_id).not.toBe(first.body.run_id);
    const fresh = await post<RunInfo>(d, '/api/runs', body, 'k1', { 'idempotency-key': 'job-43' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.run_id).not.toBe(first.body.run_id);
    const bad = await post(d, '/api/runs', body, 'k1', { 'idempotency-key': 'has spaces inside' });
    expect(errorOf(bad)).toEqual([400, 'BAD_REQUEST']);
    expect(bad.body.error.message).toMatch(/^Idempotency-Key: /);
  });

  it('refuses no key and an unknown key (401 BAD_API_KEY) and a bad body (400)', async () => {
    expect(errorOf(await post(d, '/api/runs', { external: true, name: 'x' }))).toEqual([401, 'BAD_API_KEY']);
    expect(errorOf(await post(d, '/api/runs', { external: true, name: 'x' }, 'wrong'))).toEqual([401, 'BAD_API_KEY']);
    const bad = await post(d, '/api/runs', { external: true, name: 7 }, 'k1');
    expect(errorOf(bad)).toEqual([400, 'BAD_REQUEST']);
    expect(bad.body.error.message).toMatch(/^name: expected string/);
  });
});

describe('pushing logs', () => {
  it('stores a batch as push records: levels in any case, missing level INFO, data = the entry, daemon timestamps', async () => {
    const run = await register();
    const logs = [
      { level: 'info', message: 'Job started', timestamp: '2025-10-31T12:00:00Z' },
      { level: 'warning', message: 'No SKUs', timestamp: '2025-10-31T12:00:01Z' },
      { level: 'WARN', message: 'slow page' },
      { level: 'Error', message: 'A1: TimeoutError - 30s', sku: 'A1' },
      { level: 'critical', message: 'giving up' },
      { level: 50, message: 'pino number' },
      { message: 'no level' },
      { level: 'verbose2', message: 'unknown level' },
      { level: 'debug', message: '\u001b[31mred\u001b[0m\r' },
    ];
    const answer = await push(run.run_id, logs);
    expect(answer).toEqual({ status: 200, body: { accepted: 9, skipped: 0, last_seq: 9, client_seq: 0 } });
    const records = await stored(run.run_id);
    expect(records.map((r) => [r.seq, r.stream, r.level, r.message])).toEqual([
      [1, 'push', 'INFO', 'Job started'],
      [2, 'push', 'WARNING', 'No SKUs'],
      [3, 'push', 'WARNING', 'slow page'],
      [4, 'push', 'ERROR', 'A1: TimeoutError - 30s'],
      [5, 'push', 'CRITICAL', 'giving up'],
      [6, 'push', 'ERROR', 'pino number'],
      [7, 'push', 'INFO', 'no level'],
      [8, 'push', 'INFO', 'unknown level'],
      [9, 'push', 'DEBUG', 'red'],
    ]);
    expect(records[0]!.data).toEqual(logs[0]);
    expect(records[3]!.data).toMatchObject({ sku: 'A1' });
    expect(records[0]!.timestamp).not.toBe('2025-10-31T12:00:00Z'); // the record's own time is the daemon's clock
    expect(records[0]!.timestamp < records[8]!.timestamp).toBe(true);
    const info = (await d.json<RunInfo>(`/api/runs/${run.run_id}`)).body;
    expect(info.counts).toEqual({ DEBUG: 1, INFO: 3, WARNING: 2, ERROR: 2, CRITICAL: 1 });
  });

  it('turns pushed layer events into layers and pipeline status', async () => {
    const run = await register('pipeline');
    await push(run.run_id, [
      { event: 'pipeline_start', pipeline: 'enrich', timestamp: '2025-10-31T12:00:00Z' },
      { event: 'layer_start', layer: 1, layer_name: 'fetch' },
      { event: 'layer_complete', layer: 1, layer_name: 'fetch', duration_ms: 4500 },
      { event: 'layer_start', layer: 2, layer_name: 'parse', message: 'parsing 20 pages' },
      { event: 'layer_error', layer: 2, layer_name: 'parse', error: 'bad html' },
      { event: 'pipeline_complete', status: 'partial', level: 'info' },
    ]);
    const records = await stored(run.run_id);
    expect(records.map((r) => [r.event, r.level, r.message])).toEqual([
      ['pipeline_start', 'INFO', 'pipeline enrich started'],
      ['layer_start', 'INFO', 'layer 1 fetch started'],
      ['layer_complete', 'INFO', 'layer 1 fetch complete in 4500 ms'],
      ['layer_start', 'INFO', 'layer 2 parse started — parsing 20 pages'],
      ['layer_error', 'ERROR', 'layer 2 parse error: bad html'],
      ['pipeline_complete', 'INFO', 'pipeline complete: partial'], // an explicit level wins
    ]);
    const info = (await d.json<RunInfo>(`/api/runs/${run.run_id}`)).body;
    expect(info.pipeline_status).toBe('partial');
    expect(info.layers.map((l) => [l.layer, l.layer_name, l.status, l.duration_ms, l.error])).toEqual([
      [1, 'fetch', 'complete', 4500, null],
      [2, 'parse', 'error', expect.any(Number), 'bad html'],
    ]);
  });

  it('refuses a batch with one bad entry among good ones (400 naming it) and stores nothing of it', async () => {
    const run = await register();
    const logs = [{ message: 'ok 1' }, { message: 'ok 2' }, { level: 'info' }, { message: 42 }, { message: 'ok 5' }];
    const answer = await push(run.run_id, logs);
    expect(errorOf(answer)).toEqual([400, 'BAD_REQUEST']);
    expect(answer.body.error.message).toContain('logs[2].message: expected string');
    expect(answer.body.error.message).toContain('logs[3].message: expected string');
    expect(await stored(run.run_id)).toEqual([]);
    for (const body of [{}, { logs: 'x' }, { logs: [1] }, [], { logs: [{ message: 'a', client_seq: 2 }, { message: 'b', client_seq: 2 }] }]) {
      const bad = await post(d, `/api/runs/${run.run_id}/logs`, body, 'k1');
      expect({ body, answer: errorOf(bad) }).toEqual({ body, answer: [400, 'BAD_REQUEST'] });
    }
    expect(errorOf(await post(d, `/api/runs/${run.run_id}/logs`, '{"logs": [', 'k1'))).toEqual([400, 'BAD_REQUEST']);
    expect(await stored(run.run_id)).toEqual([]);
    expect((await push(run.run_id, [{ message: 'now fine' }])).body.last_seq).toBe(1);
  });

  it('refuses more than 10,000 entries (400) and a body over 1 MiB (413) in our error shape, storing nothing', async () => {
    const run = await register();
    const many = await push(run.run_id, Array.from({ length: 10_001 }, (_, i) => ({ message: `m${i}` })));
    expect(errorOf(many)).toEqual([400, 'BAD_REQUEST']);
    expect(many.body.error.message).toMatch(/at most 10000 entries/);
    const big = await push(run.run_id, Array.from({ length: 3 }, () => ({ message: 'x'.repeat(400 * 1024) })));
    expect(errorOf(big)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await stored(run.run_id)).toEqual([]);
    const exactly = await push(run.run_id, Array.from({ length: 10_000 }, (_, i) => ({ message: `m${i}` })));
    expect(exactly.body).toMatchObject({ accepted: 10_000, last_seq: 10_000 });
  });

  it('skips entries at or below the highest client_seq: a resent batch is not stored twice', async () => {
    const run = await register();
    const batch = [1, 2, 3].map((n) => ({ message: `m${n}`, client_seq: n }));
    expect((await push(run.run_id, batch)).body).toEqual({ accepted: 3, skipped: 0, last_seq: 3, client_seq: 3 });
    expect((await push(run.run_id, batch)).body).toEqual({ accepted: 0, skipped: 3, last_seq: 3, client_seq: 3 });
    const overlap = [3, 4, 6].map((n) => ({ message: `m${n}`, client_seq: n })); // a gap (5) is fine
    expect((await push(run.run_id, overlap)).body).toEqual({ accepted: 2, skipped: 1, last_seq: 5, client_seq: 6 });
    expect((await push(run.run_id, [])).body).toEqual({ accepted: 0, skipped: 0, last_seq: 5, client_seq: 6 });
    expect((await stored(run.run_id)).map((r) => r.message)).toEqual(['m1', 'm2', 'm3', 'm4', 'm6']);
  });
});

describe('who may write', () => {
  it("answers 403 to another runner's key, 401 to none or an unknown one, 404 to an unknown run", async () => {
    const run = await register('mine', 'k1');
    expect(errorOf(await push(run.run_id, [{ message: 'x' }], 'k2'))).toEqual([403, 'FORBIDDEN']);
    expect(errorOf(await post(d, `/api/runs/${run.run_id}/finish`, { status: 'failed' }, 'k2'))).toEqual([403, 'FORBIDDEN']);
    expect(errorOf(await post(d, `/api/runs/${run.run_id}/logs`, { logs: [] }))).toEqual([401, 'BAD_API_KEY']);
    expect(errorOf(await push(run.run_id, [{ message: 'x' }], 'k3'))).toEqual([401, 'BAD_API_KEY']);
    expect(errorOf(await push('run_20250101_000000_x_abcdef', [{ message: 'x' }]))).toEqual([404, 'RUN_NOT_FOUND']);
    expect(await stored(run.run_id)).toEqual([]);
  });

  it('refuses pushes to a local run (409 RUN_NOT_EXTERNAL)', async () => {
    const local = await d.startRun('fast');
    expect(errorOf(await push(local.run_id, [{ message: 'x' }]))).toEqual([409, 'RUN_NOT_EXTERNAL']);
    expect(errorOf(await post(d, `/api/runs/${local.run_id}/finish`, { status: 'failed' }, 'k1'))).toEqual([409, 'RUN_NOT_EXTERNAL']);
    await d.finished(local.run_id);
  });

  it('lets runners through with only their key when daemon.token is set; everyone else needs the token', async () => {
    const secured = await startTestDaemon({ runners: RUNNERS, daemon: { token: 's3cret' } });
    const run = await register('tokened', 'k1', secured);
    expect((await push(run.run_id, [{ message: 'hi' }], 'k1', secured)).status).toBe(200);
    const noKey = await secured.request(`/api/runs/${run.run_id}/logs`, {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json' },
      body: '{"logs":[]}',
    });
    expect(noKey.status).toBe(401);
    expect((await post(secured, `/api/runs/${run.run_id}/logs`, { logs: [] }, 'k2')).status).toBe(403);
    expect((await post(secured, `/api/runs/${run.run_id}/finish`, { status: 'success' }, 'k1')).body).toMatchObject({ status: 'succeeded' });
    // The token alone is not a runner's credential.
    const tokenOnly = await secured.json('/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"external":true,"name":"x"}' });
    expect(tokenOnly.status).toBe(401);
    await secured.stop();
  });
});

describe('finishing', () => {
  it('ends the run (success/error aliases), answers a resent finish the same, and refuses later pushes', async () => {
    const ok = await register();
    const done = await post<RunInfo>(d, `/api/runs/${ok.run_id}/finish`, { status: 'success', exit_code: 0 }, 'k1');
    expect(done).toMatchObject({ status: 200, body: { status: 'succeeded', exit_code: 0, runner: 'scraper-01' } });
    expect(done.body.finished_at).not.toBeNull();
    expect((await post(d, `/api/runs/${ok.run_id}/finish`, { status: 'succeeded', exit_code: 0 }, 'k1')).status).toBe(200);
    expect(errorOf(await post(d, `/api/runs/${ok.run_id}/finish`, { status: 'failed' }, 'k1'))).toEqual([409, 'RUN_NOT_RUNNING']);
    expect(errorOf(await push(ok.run_id, [{ message: 'late' }]))).toEqual([409, 'RUN_NOT_RUNNING']);

    const failed = await register();
    expect((await post(d, `/api/runs/${failed.run_id}/finish`, { status: 'error', exit_code: 2 }, 'k1')).body).toMatchObject({ status: 'failed', exit_code: 2 });
    const cancelled = await register();
    expect((await post(d, `/api/runs/${cancelled.run_id}/finish`, { status: 'CANCELLED' }, 'k1')).body).toMatchObject({ status: 'cancelled', exit_code: null });
    const open = await register();
    await push(open.run_id, [{ event: 'layer_start', layer: 1, layer_name: 'fetch' }]);
    const closed = await post<RunInfo>(d, `/api/runs/${open.run_id}/finish`, { status: 'succeeded', exit_code: 0 }, 'k1');
    expect(closed.body.layers).toMatchObject([{ layer: 1, status: 'error', error: 'the runner finished the run without finishing this layer' }]);
    const bad = await register();
    expect(errorOf(await post(d, `/api/runs/${bad.run_id}/finish`, { status: 'done' }, 'k1'))).toEqual([400, 'BAD_REQUEST']);
    expect(errorOf(await post(d, `/api/runs/${bad.run_id}/finish`, { status: 'failed', exit_code: 1.5 }, 'k1'))).toEqual([400, 'BAD_REQUEST']);
  });
});
