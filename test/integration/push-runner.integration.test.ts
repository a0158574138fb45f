// A remote runner (RunLogger) against a real daemon: a WebSocket watcher sees every entry once and in order,
// layer events move the run's layers, answers lost on the way are resent without duplicates, and the runner
// carries on through a daemon restart on the same data dir and port.
import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RunLogger } from '../../src/client/index.js';
import { createDaemon, type Daemon } from '../../src/server/index.js';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { checkSeqs, cleanupDaemons, connectWs, freePort, startTestDaemon, testConfig } from './helpers/daemon-harness.js';

const RUNNERS = { 'scraper-01': { apiKey: 'k1' }, 'scraper-02': { apiKey: 'k2' } };
const loggers: RunLogger[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const logger of loggers.splice(0)) logger.close();
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(cleanupDaemons);

const newLogger = (url: string, options: Partial<ConstructorParameters<typeof RunLogger>[0]> = {}) => {
  const logger = new RunLogger({ url, apiKey: 'k1', name: 'scrape', retry: { baseMs: 10, maxMs: 100 }, ...options });
  loggers.push(logger);
  return logger;
};

async function allLogs(url: string, runId: string): Promise<LogRecord[]> {
  const response = await fetch(`${url}/api/runs/${runId}/logs?after=0&limit=10000`);
  return ((await response.json()) as { logs: LogRecord[] }).logs;
}

const expectMessages = (records: LogRecord[], n: number) => {
  expect(checkSeqs(records, n)).toBe('');
  expect(records.map((r) => r.message)).toEqual(Array.from({ length: n }, (_, i) => `m${i + 1}`));
};

describe('a runner pushing to a live daemon', () => {
  it('reaches a WebSocket watcher: every entry once, in order, stream push; events update the layers', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const logger = newLogger(d.url, { flushEvery: 40, flushIntervalMs: 10 });
    const runId = await logger.start();
    const probe = await connectWs(d.wsUrl);
    probe.send({ type: 'subscribe', run_id: runId, after: 0 });
    logger.event('layer_start', { layer: 1, layer_name: 'fetch' });
    for (let i = 1; i <= 1000; i++) {
      logger.info(`m${i}`, { i });
      if (i % 250 === 0) await logger.flush(); // a few flushes between bursts, like a real job
    }
    logger.event('layer_complete', { layer: 1, layer_name: 'fetch', duration_ms: 1234 });
    logger.warn('last words');
    const run = await logger.finish({ status: 'succeeded', exit_code: 0 });
    expect(run).toMatchObject({ run_id: runId, status: 'succeeded', exit_code: 0, runner: 'scraper-01', total_lines: 1003 });

    const complete = await probe.next((f) => f.type === 'complete' && f.run_id === runId, 'complete');
    expect(complete).toMatchObject({ status: 'succeeded', exit_code: 0 });
    const records = probe.records(runId);
    expect(checkSeqs(records, 1003)).toBe('');
    expect(records.every((r) => r.stream === 'push')).toBe(true);
    expect(records[0]).toMatchObject({ event: 'layer_start', message: 'layer 1 fetch started', level: 'INFO' });
    expect(records.slice(1, 1001).map((r) => r.message)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
    expect(records[1001]).toMatchObject({ event: 'layer_complete', data: { duration_ms: 1234 } });
    expect(records[1002]).toMatchObject({ level: 'WARNING', message: 'last words' });
    const layerFrames = probe.frames.filter((f) => f.type === 'layer' && f.run_id === runId);
    expect(layerFrames.map((f) => f.layer.status)).toEqual(['running', 'complete']);
    const info = (await d.json<RunInfo>(`/api/runs/${runId}`)).body;
    expect(info.layers).toMatchObject([{ layer: 1, layer_name: 'fetch', status: 'complete', duration_ms: 1234 }]);
    expect(logger.stats()).toMatchObject({ logged: 1003, sent: 1003, dropped: 0, rejected: 0 });
    await probe.close();
  });

  it('stores each entry once when answers are lost after the daemon stored the batch', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    let pushes = 0;
    const proxy = await startLossyProxy(d.url, (path) => path.endsWith('/logs') && ++pushes % 3 === 0);
    const logger = newLogger(proxy.url, { flushEvery: 25, maxBatchEntries: 25 });
    const runId = await logger.start();
    for (let i = 1; i <= 500; i++) {
      logger.info(`m${i}`);
      if (i % 100 === 0) await logger.flush();
    }
    await logger.finish({ status: 'success' });
    expect(proxy.cut()).toBeGreaterThanOrEqual(5);
    expect(logger.stats().retries).toBeGreaterThanOrEqual(proxy.cut());
    expectMessages(await allLogs(d.url, runId), 500);
  });

  it('registers one run when the answer to the registration is lost (Idempotency-Key)', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    let registrations = 0;
    const proxy = await startLossyProxy(d.url, (path) => path === '/api/runs' && ++registrations === 1);
    const logger = newLogger(proxy.url, { name: 'once-only' });
    const runId = await logger.start();
    logger.info('m1');
    await logger.finish({ status: 'success' });
    expect([proxy.cut(), registrations]).toEqual([1, 2]);
    const runs = (await d.json<{ runs: RunInfo[] }>('/api/runs?runner=scraper-01')).body.runs.filter((r) => r.module === 'once-only');
    expect(runs.map((r) => [r.run_id, r.status])).toEqual([[runId, 'succeeded']]);
    expectMessages(await allLogs(d.url, runId), 1);
  });

  it("refuses another runner's run: the logger reports 403 and stops", async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const owner = newLogger(d.url);
    const runId = await owner.start();
    const errors: string[] = [];
    const intruder = newLogger(d.url, { apiKey: 'k2', runId, onError: (e) => errors.push(`${e.status} ${e.code}`) });
    await expect(intruder.start()).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const unknown = newLogger(d.url, { apiKey: 'nope' });
    await expect(unknown.start()).rejects.toMatchObject({ status: 401, code: 'BAD_API_KEY' });
    expect(await allLogs(d.url, runId)).toEqual([]);
  });
});

describe('a daemon restart in the middle of a run', () => {
  it('loses nothing and repeats nothing: the runner retries until the next daemon on the same data dir and port answers', async () => {
    const config = testConfig({ runners: RUNNERS });
    const port = await freePort();
    const start = async (): Promise<Daemon> => {
      const daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
      await daemon.listen();
      return daemon;
    };
    const url = `http://127.0.0.1:${port}`;
    let daemon = await start();
    closers.push(() => daemon.close());
    const logger = newLogger(url, { flushEvery: 20, flushIntervalMs: 10 });
    const runId = await logger.start();

    for (let i = 1; i <= 100; i++) logger.info(`m${i}`);
    await logger.flush();
    for (let i = 101; i <= 200; i++) logger.info(`m${i}`); // some of these are on their way as the daemon stops
    await daemon.close();
    for (let i = 201; i <= 300; i++) logger.info(`m${i}`); // logged while no daemon listens
    daemon = await start();
    for (let i = 301; i <= 400; i++) logger.info(`m${i}`);
    const run = await logger.finish({ status: 'succeeded', exit_code: 0 });

    expect(run).toMatchObject({ run_id: runId, status: 'succeeded', runner: 'scraper-01', total_lines: 400 });
    expectMessages(await allLogs(url, runId), 400);
    expect(logger.stats()).toMatchObject({ logged: 400, sent: 400, dropped: 0, rejected: 0 });
    expect(logger.stats().retries).toBeGreaterThan(0);
  });

  it('a batch stored just before the restart and resent after it is skipped (client_seq read back from SQLite)', async () => {
    const config = testConfig({ runners: RUNNERS });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
    await daemon.listen();
    closers.push(() => daemon.close());
    const post = (route: string, body: unknown) => postFresh(`${url}${route}`, body, 'k1');
    const run = (await post('/api/runs', { external: true, name: 'resend' })).body as unknown as RunInfo;
    const batch = { logs: [1, 2, 3].map((n) => ({ message: `m${n}`, client_seq: n })) };
    expect((await post(`/api/runs/${run.run_id}/logs`, batch)).body).toMatchObject({ accepted: 3 });
    await daemon.close();
    daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
    await daemon.listen();
    expect((await post(`/api/runs/${run.run_id}/logs`, batch)).body).toEqual({ accepted: 0, skipped: 3, last_seq: 3, client_seq: 3 });
    const next = { logs: [{ message: 'm4', client_seq: 4 }] };
    expect((await post(`/api/runs/${run.run_id}/logs`, next)).body).toEqual({ accepted: 1, skipped: 0, last_seq: 4, client_seq: 4 });
    expectMessages(await allLogs(url, run.run_id), 4);
  });
});

/** POST on a new connection each time (a kept-alive one may be the stopped daemon's). */
function postFresh(url: string, body: unknown, key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-api-key': key } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** A port nothing listens on now (bound once on port 0, then released). */

/** A proxy that forwards to the daemon but, for every `every`-th push, cuts the connection after the daemon answered. */
/** A proxy that forwards every request and, for those `lose` picks, cuts the connection after the daemon answered. */
async function startLossyProxy(target: string, lose: (path: string) => boolean): Promise<{ url: string; cut(): number }> {
  let cut = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-api-key', 'idempotency-key']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
      const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
      const body = await upstream.text();
      if (upstream.ok && lose(req.url!)) {
        cut++;
        req.socket.destroy(); // stored upstream, but the runner never hears it
        return;
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, cut: () => cut };
}
