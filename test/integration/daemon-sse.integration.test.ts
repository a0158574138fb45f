// SSE against real runs: the full stream to `complete`, resume with Last-Event-ID, `after` and `tail`, layers.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/types.js';
import { checkSeqs, cleanupDaemons, fixture, readSse, startTestDaemon, waitFor, type SseEvent, type TestDaemon } from './helpers/daemon-harness.js';

let d: TestDaemon;

beforeAll(async () => {
  d = await startTestDaemon({
    modules: {
      demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '10'] },
      slow: { command: 'node', args: [fixture('slow-lines.mjs')] },
      flood: { command: 'node', args: [fixture('flood.mjs')] },
    },
  });
});
afterAll(cleanupDaemons);

const logsOf = (events: SseEvent[]) => events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as LogRecord);
const isComplete = (e: SseEvent) => e.event === 'complete';

describe('SSE', () => {
  it('streams a live run from the first record to complete, with headers for proxies', async () => {
    const run = await d.startRun('demo');
    const response = await d.request(`/api/runs/${run.run_id}/logs/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toContain('no-cache');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const events = await readSse(response);
    const logs = logsOf(events);
    expect(checkSeqs(logs, logs.length)).toBe('');
    expect(events.filter((e) => e.event === 'log').every((e) => e.id === String(JSON.parse(e.data).seq))).toBe(true);
    expect(events.some((e) => e.event === 'layer' && JSON.parse(e.data).status === 'error')).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'complete' });
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ status: 'failed', exit_code: 1 });
    const { body } = await d.json<{ total_lines: number }>(`/api/runs/${run.run_id}/logs?tail=0`);
    expect(logs).toHaveLength(body.total_lines);
  });

  it('resumes after Last-Event-ID mid-run with no gap and no repeat', async () => {
    const run = await d.startRun('slow', ['--lines', '400', '--rate', '1000']);
    const first = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream`), {
      until: (_e, all) => logsOf(all).length >= 80,
    });
    const seen = logsOf(first);
    const lastId = first.filter((e) => e.event === 'log').at(-1)!.id!;
    const rest = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream?after=1&tail=5`, { headers: { 'last-event-id': lastId } }), {
      until: isComplete,
    });
    expect(checkSeqs([...seen, ...logsOf(rest)], 400)).toBe('');
    expect(rest.at(-1)).toMatchObject({ event: 'complete' });
  });

  it('starts after `after`, else with the last `tail` records, for a finished run, then completes', async () => {
    const run = await d.startRun('flood', ['--lines', '300']);
    await d.finished(run.run_id);
    const after = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream?after=250`), { until: isComplete });
    expect(checkSeqs(logsOf(after), 300, 251)).toBe('');
    const tail = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream?tail=10`), { until: isComplete });
    expect(checkSeqs(logsOf(tail), 300, 291)).toBe('');
    expect(JSON.parse(tail.at(-1)!.data)).toEqual({ status: 'succeeded', exit_code: 0 });
    const all = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream`), { until: isComplete });
    expect(checkSeqs(logsOf(all), 300)).toBe('');
  });

  it('refuses unknown runs and bad cursors before streaming', async () => {
    expect(await d.json('/api/runs/run_nope/logs/stream')).toMatchObject({ status: 404, body: { error: { code: 'RUN_NOT_FOUND' } } });
    const run = await d.startRun('flood', ['--lines', '1']);
    expect(await d.json(`/api/runs/${run.run_id}/logs/stream?after=x`)).toMatchObject({ status: 400, body: { error: { code: 'BAD_CURSOR' } } });
    expect(await d.json(`/api/runs/${run.run_id}/logs/stream`, { headers: { 'last-event-id': 'abc' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_CURSOR' } },
    });
  });

  it('sends heartbeat comments while a run is quiet', async () => {
    const quiet = await startTestDaemon(
      { modules: { hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '100000'] } } },
      { limits: { ssePingMs: 50 } },
    );
    const run = await quiet.startRun('hang');
    let pings = 0;
    const events = await readSse(await quiet.request(`/api/runs/${run.run_id}/logs/stream`), {
      onComment: (text) => (pings += text === 'ping' ? 1 : 0),
      until: () => pings >= 2,
    });
    await waitFor(() => pings >= 2, 'two pings');
    expect(events.every((e) => e.event === 'log')).toBe(true);
  });

  it('cuts off a client that stops reading; a client that reconnects with Last-Event-ID gets every record once', async () => {
    const bounded = await startTestDaemon(
      { modules: { flood: { command: 'node', args: [fixture('flood.mjs')] } } },
      { limits: { sseMaxBufferedBytes: 256 * 1024 } },
    );
    const lines = 40_000;
    const run = await bounded.startRun('flood', ['--lines', String(lines)]);
    const { hostname, port } = new URL(bounded.url);
    const stalled = net.connect(Number(port), hostname);
    stalled.on('error', () => {});
    const stalledClosed = new Promise((resolve) => stalled.once('close', resolve));
    stalled.write(`GET /api/runs/${run.run_id}/logs/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
    stalled.pause();

    // What EventSource does: on a dropped stream, reconnect with the last id seen.
    const seen: LogRecord[] = [];
    let reconnects = 0;
    for (let attempt = 0; attempt < 200; attempt++) {
      const headers: Record<string, string> = seen.length ? { 'last-event-id': String(seen.at(-1)!.seq) } : {};
      const events = await bounded
        .request(`/api/runs/${run.run_id}/logs/stream`, { headers })
        .then((response) => readSse(response, { until: isComplete }))
        .catch(() => [] as SseEvent[]);
      seen.push(...logsOf(events));
      if (events.at(-1)?.event === 'complete') break;
      reconnects++;
    }
    expect(checkSeqs(seen, lines)).toBe('');

    stalled.resume(); // it finds its stream cut short
    await stalledClosed;
    const metrics = await (await bounded.request('/metrics')).text();
    const lagged = Number(/^supervisor_lagged_total\{transport="sse"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(lagged).toBeGreaterThanOrEqual(1 + reconnects);
    expect(metrics).toMatch(/^supervisor_subscribers\{transport="sse"\} 0$/m);
  });
});
