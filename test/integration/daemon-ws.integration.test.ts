// The WebSocket protocol against real runs: replay then live with no gap, resume, the runs topic, finished
// runs, replays bigger than the ring, bad frames, and a client that stops reading beside one that keeps up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { checkSeqs, cleanupDaemons, connectWs, fixture, startTestDaemon, waitFor, type TestDaemon, type WsProbe } from './helpers/daemon-harness.js';

let d: TestDaemon;

beforeAll(async () => {
  d = await startTestDaemon({
    modules: {
      demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '20'] },
      slow: { command: 'node', args: [fixture('slow-lines.mjs')] },
      flood: { command: 'node', args: [fixture('flood.mjs')] },
    },
  });
});
afterAll(cleanupDaemons);

const totalLines = async (runId: string) =>
  (await d.json<{ total_lines: number }>(`/api/runs/${runId}/logs?tail=0`)).body.total_lines;

/** Subscribe and collect until `complete`; returns the records and the complete frame. */
async function watchToEnd(probe: WsProbe, runId: string, after?: number) {
  probe.send(after === undefined ? { type: 'subscribe', run_id: runId } : { type: 'subscribe', run_id: runId, after });
  const end = await probe.next((f) => ['complete', 'lagged'].includes(f.type) && f.run_id === runId, `complete of ${runId}`, 25_000);
  if (end.type !== 'complete') throw new Error(`${runId}: expected complete, got ${JSON.stringify(end)}`);
  return { records: probe.records(runId), complete: end };
}

describe('run subscriptions', () => {
  it('replays what a running run wrote, then goes live: every seq exactly once, then complete', async () => {
    const run = await d.startRun('slow', ['--lines', '600', '--rate', '1500']);
    await waitFor(async () => (await totalLines(run.run_id)) >= 50, 'some lines before subscribing');
    const probe = await connectWs(d.wsUrl);
    const { records, complete } = await watchToEnd(probe, run.run_id, 0);
    expect(probe.frames[0]).toMatchObject({ type: 'run', run: { run_id: run.run_id } });
    expect(checkSeqs(records, 600)).toBe('');
    expect(complete).toEqual({ type: 'complete', run_id: run.run_id, status: 'succeeded', exit_code: 0 });
    expect(probe.frames.filter((f) => f.type === 'logs').every((f) => f.records.length > 0)).toBe(true);
    await probe.close();
  });

  it('resumes with `after` on a new connection mid-run with no gap and no repeat', async () => {
    const run = await d.startRun('slow', ['--lines', '500', '--rate', '1000']);
    const first = await connectWs(d.wsUrl);
    first.send({ type: 'subscribe', run_id: run.run_id, after: 0 });
    await first.next((f) => f.type === 'logs' && f.records.at(-1).seq >= 100, 'the first 100 records');
    await first.close();
    const before = first.records(run.run_id);
    const lastSeen = before.at(-1)!.seq;
    expect(lastSeen).toBeLessThan(500);

    const second = await connectWs(d.wsUrl);
    const { records } = await watchToEnd(second, run.run_id, lastSeen);
    expect(checkSeqs([...before, ...records], 500)).toBe('');
    await second.close();
  });

  it('sends layer frames live and a run frame with the state on subscribe', async () => {
    const run = await d.startRun('demo');
    const probe = await connectWs(d.wsUrl);
    const { records, complete } = await watchToEnd(probe, run.run_id, 0);
    expect(complete).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(probe.frames[0]).toMatchObject({ type: 'run', run: { run_id: run.run_id, module: 'demo' } });
    const layers = probe.frames.filter((f) => f.type === 'layer').map((f) => f.layer);
    expect(layers.some((l) => l.layer === 3 && l.status === 'error')).toBe(true);
    expect(layers.some((l) => l.layer === 5 && l.status === 'complete')).toBe(true);
    expect(checkSeqs(records, records.length)).toBe('');
    const stored = await d.json<RunInfo>(`/api/runs/${run.run_id}`);
    expect(records.length).toBe(stored.body.total_lines);
    await probe.close();
  });

  it('replays a finished run and completes; without `after` it sends the last 100', async () => {
    const run = await d.startRun('flood', ['--lines', '700']);
    await d.finished(run.run_id);
    const probe = await connectWs(d.wsUrl);
    const all = await watchToEnd(probe, run.run_id, 0);
    expect(checkSeqs(all.records, 700)).toBe('');
    await probe.close();

    const tail = await connectWs(d.wsUrl);
    const last = await watchToEnd(tail, run.run_id);
    expect(checkSeqs(last.records, 700, 601)).toBe('');
    expect(last.complete).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(tail.frames.filter((f) => f.type === 'run')).toHaveLength(1);
    await tail.close();
  });

  it('streams the lifecycle of every run on the runs topic', async () => {
    const probe = await connectWs(d.wsUrl);
    probe.send({ type: 'subscribe', topic: 'runs' });
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'pong');
    const run = await d.startRun('flood', ['--lines', '10']);
    await probe.next((f) => f.type === 'run' && f.run.run_id === run.run_id && f.run.status === 'succeeded', 'the finished run');
    const statuses = probe.frames.filter((f) => f.type === 'run' && f.run.run_id === run.run_id).map((f) => f.run.status);
    expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    expect(probe.frames.some((f) => f.type === 'logs')).toBe(false);

    probe.send({ type: 'unsubscribe', topic: 'runs' });
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'pong after unsubscribe');
    const count = probe.frames.length;
    const other = await d.startRun('flood', ['--lines', '10']);
    await d.finished(other.run_id);
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'a last pong');
    expect(probe.frames.slice(count).map((f) => f.type)).toEqual(['pong']);
    await probe.close();
  });

  it('answers bad frames with an error frame and keeps the connection usable', async () => {
    const probe = await connectWs(d.wsUrl);
    const cases: [unknown, string][] = [
      ['{not json', 'BAD_REQUEST'],
      [{ type: 'dance' }, 'BAD_REQUEST'],
      [{ hello: 1 }, 'BAD_REQUEST'],
      [{ type: 'subscribe' }, 'BAD_REQUEST'],
      [{ type: 'subscribe', run_id: 'run_nope' }, 'RUN_NOT_FOUND'],
      [{ type: 'subscribe', run_id: 'latest:nothing' }, 'RUN_NOT_FOUND'],
      [{ type: 'subscribe', run_id: 'x', after: -1 }, 'BAD_CURSOR'],
      [{ type: 'subscribe', run_id: 'x', after: 'ten' }, 'BAD_CURSOR'],
      [[1, 2], 'BAD_REQUEST'],
    ];
    for (const [frame, code] of cases) {
      probe.send(frame);
      const error = await probe.next((f) => f.type === 'error', `error for ${JSON.stringify(frame)}`);
      expect({ frame, code: error.code }).toEqual({ frame, code });
      expect(typeof error.message).toBe('string');
    }
    probe.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await probe.next((f) => f.type === 'error', 'error for binary')).code).toBe('BAD_REQUEST');
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'pong after the bad frames');
    await probe.close();
  });
});

describe('bounds', () => {
  it('pages a replay bigger than the ring from SQLite, then goes live with no gap or repeat', async () => {
    const small = await startTestDaemon(
      { modules: { slow: { command: 'node', args: [fixture('slow-lines.mjs')] } }, buffer: { lines: 50 } },
      { limits: { replayPageSize: 200 } },
    );
    const run = await small.startRun('slow', ['--lines', '3000', '--rate', '4000']);
    await waitFor(async () => (await small.json<{ total_lines: number }>(`/api/runs/${run.run_id}/logs?tail=0`)).body.total_lines >= 800, 'lines past the ring');
    const probe = await connectWs(small.wsUrl);
    const { records } = await watchToEnd(probe, run.run_id, 0);
    expect(checkSeqs(records, 3000)).toBe('');
    // The backlog (at least seqs 1–800, committed before the subscribe) comes page by page; live frames after
    // it hold whatever one flush round gathered, which a loaded machine can make bigger than a page.
    const replayed = probe.frames.filter((f) => f.type === 'logs' && f.records.at(-1).seq <= 800);
    expect(replayed.length).toBeGreaterThanOrEqual(4);
    expect(replayed.map((f) => f.records.length).filter((n) => n > 200)).toEqual([]);
    await probe.close();
  });

  it('drops a client that stops reading as lagged while a normal client gets everything', async () => {
    // A steady 20,000 lines/s: the client in this process keeps up; one that reads nothing falls past
    // the kernel's socket buffers and the 1 MiB bound within the run.
    const bounded = await startTestDaemon(
      { modules: { slow: { command: 'node', args: [fixture('slow-lines.mjs')] } } },
      { limits: { wsMaxBufferedBytes: 1024 * 1024, wsReplayStallMs: 2000 } },
    );
    const lines = 40_000;
    const normal = await connectWs(bounded.wsUrl);
    const stalled = await connectWs(bounded.wsUrl);
    const run = await bounded.startRun('slow', ['--lines', String(lines), '--rate', '20000']);
    stalled.send({ type: 'subscribe', run_id: run.run_id, after: 0 });
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const { records } = await watchToEnd(normal, run.run_id, 0);
    expect(checkSeqs(records, lines)).toBe('');

    // The stalled client reads again: what was queued before it lagged, then `lagged`, and nothing more.
    (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const lagged = await stalled.next((f) => f.type === 'lagged', 'lagged', 20_000);
    expect(lagged.run_id).toBe(run.run_id);
    const got = stalled.records(run.run_id);
    expect(lagged.resume_after).toBe(got.at(-1)?.seq ?? 0);
    expect(lagged.resume_after).toBeLessThan(lines);
    expect(checkSeqs(got, lagged.resume_after)).toBe('');

    // It resubscribes from where it was and completes.
    const rest = await watchToEnd(stalled, run.run_id, lagged.resume_after);
    const resumed = rest.records.slice(got.length);
    expect(checkSeqs([...got, ...resumed], lines)).toBe('');
    const metrics = await (await bounded.request('/metrics')).text();
    expect(metrics).toMatch(/^supervisor_lagged_total\{transport="ws"\} [1-9]\d*$/m);
    await normal.close();
    await stalled.close();
  });
});

describe('records', () => {
  it('sends records with the fields of the design', async () => {
    const run = await d.startRun('flood', ['--lines', '20', '--stderr-every', '7']);
    await d.finished(run.run_id);
    const probe = await connectWs(d.wsUrl);
    const { records } = await watchToEnd(probe, run.run_id, 0);
    const event = records.find((r) => r.event)!;
    expect(event).toMatchObject({ seq: 1, stream: 'stdout', level: 'INFO', event: 'layer_start' });
    expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(records.filter((r: LogRecord) => r.stream === 'stderr').length).toBeGreaterThan(0);
    await probe.close();
  });
});
