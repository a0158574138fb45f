// RunLogger against a real HTTP server the test steers: batching, order, retries (idempotent resends),
// permanent refusals, the bounded buffer and its gap notice, attaching, finish and close.
import { afterEach, describe, expect, it } from 'vitest';
import { RunLogger, type RunLoggerOptions } from '../../src/client/index.js';
import type { PushError } from '../../src/client/push-http.js';
import { checkIncreasing, messagesOf, startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.js';

const fakes: FakeDaemon[] = [];
const loggers: RunLogger[] = [];
afterEach(async () => {
  for (const logger of loggers.splice(0)) logger.close();
  for (const fake of fakes.splice(0)) await fake.close();
});

async function setup(options: Partial<RunLoggerOptions> = {}) {
  const fake = await startFakeDaemon();
  fakes.push(fake);
  const errors: PushError[] = [];
  const logger = new RunLogger({
    url: fake.url,
    apiKey: 'k1',
    name: 'job',
    flushIntervalMs: 60_000, // only flushEvery, flush() and finish() send, unless a test says otherwise
    retry: { baseMs: 5, maxMs: 20 },
    onError: (error) => errors.push(error),
    ...options,
  });
  loggers.push(logger);
  return { fake, logger, errors };
}

const logRange = (logger: RunLogger, from: number, to: number) => {
  for (let i = from; i <= to; i++) logger.info(`m${i}`, { i });
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `m${from + k}`);
const logBatches = (fake: FakeDaemon) => fake.requests.filter((r) => r.path.endsWith('/logs'));

describe('RunLogger batching', () => {
  it('registers the run, sends every flushEvery entries, and flush() sends the rest, in order, numbered 1…n', async () => {
    const { fake, logger } = await setup({ flushEvery: 50 });
    expect(await logger.start()).toBe('run_fake_1');
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({ external: true, name: 'job', args: [] });
    for (let i = 1; i <= 120; i++) {
      logger.info(`m${i}`);
      if (i % 50 === 0) await fake.until(() => fake.stored.length === i, `${i} stored`);
    }
    expect(logBatches(fake).map((r) => JSON.parse(r.body).logs.length)).toEqual([50, 50]);
    expect(logger.stats()).toMatchObject({ logged: 120, buffered: 20 });
    await logger.flush();
    expect(messagesOf(fake.stored)).toEqual(range(1, 120));
    expect(fake.stored.map((e) => e.client_seq)).toEqual(Array.from({ length: 120 }, (_, k) => k + 1));
    expect(fake.stored[0]).toMatchObject({ level: 'INFO', message: 'm1' });
    expect(typeof fake.stored[0]!.timestamp).toBe('string');
    expect(new Date(fake.stored[0]!.timestamp as string).toISOString()).toBe(fake.stored[0]!.timestamp);
  });

  it('sends what waits once flushIntervalMs passed, without a flush()', async () => {
    const { fake, logger } = await setup({ flushEvery: 1000, flushIntervalMs: 20 });
    await logger.start();
    logger.warn('a');
    logger.error('b', { sku: 'X1' });
    await fake.until(() => fake.stored.length === 2, 'the timed batch');
    expect(fake.stored).toMatchObject([
      { level: 'WARNING', message: 'a' },
      { level: 'ERROR', message: 'b', sku: 'X1' },
    ]);
  });

  it('buffers entries logged before start() and sends them once the run exists', async () => {
    const { fake, logger } = await setup();
    logger.info('early');
    logger.event('layer_start', { layer: 1, layer_name: 'fetch' });
    await logger.flush();
    expect(fake.stored).toMatchObject([
      { level: 'INFO', message: 'early', client_seq: 1 },
      { event: 'layer_start', layer: 1, layer_name: 'fetch', client_seq: 2 },
    ]);
    expect(fake.stored[1]!.level).toBeUndefined(); // the daemon applies the event's own level rules
  });

  it('splits a backlog by entries and bytes and keeps an entry too big for any batch, cut', async () => {
    const { fake, logger } = await setup({ flushEvery: 100_000, maxBatchEntries: 30, maxBatchBytes: 64 * 1024 });
    await logger.start();
    logRange(logger, 1, 100);
    logger.info('x'.repeat(200_000), { note: 'huge' });
    logger.info('after', { big: 'y'.repeat(40_000) });
    logger.info('last', { n: 10n as unknown as number }); // JSON cannot say a BigInt: the entry still goes
    await logger.flush();
    expect(messagesOf(fake.stored).slice(0, 100)).toEqual(range(1, 100));
    const cut = fake.stored[100]!;
    expect(cut.cut_from_bytes).toBeGreaterThan(200_000);
    expect(String(cut.message).endsWith('… [cut]')).toBe(true);
    expect(fake.stored[101]).toMatchObject({ message: 'after' });
    expect(fake.stored[102]).toMatchObject({ message: 'last', unserializable: expect.any(String) });
    for (const request of logBatches(fake)) {
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(64 * 1024);
      expect(JSON.parse(request.body).logs.length).toBeLessThanOrEqual(30);
    }
    expect(checkIncreasing(fake.stored)).toBe('');
  });
});

describe('RunLogger retries', () => {
  it('retries 500, 429, a cut connection and a hung request, resending the same bytes: nothing lost, nothing twice', async () => {
    const { fake, logger, errors } = await setup({ flushEvery: 10, requestTimeoutMs: 150 });
    await logger.start();
    fake.script.push({ status: 500 }, { status: 429, retryAfter: '0' }, 'cut', 'hang', { status: 503 });
    logRange(logger, 1, 35);
    await logger.flush();
    expect(messagesOf(fake.stored)).toEqual(range(1, 35));
    expect(logger.stats()).toMatchObject({ logged: 35, sent: 35, dropped: 0, rejected: 0, retries: 5 });
    expect(errors).toEqual([]);
    // The five failures were all on the first batch: each attempt sent exactly the same body.
    const bodies = logBatches(fake).map((r) => r.body);
    expect(new Set(bodies.slice(0, 6)).size).toBe(1);
  });

  it('is idempotent when the daemon stored a batch but the answer was lost', async () => {
    const { fake, logger } = await setup({ flushEvery: 20, maxBatchEntries: 20 });
    await logger.start();
    fake.script.push('store-then-cut', 'ok', 'store-then-cut');
    logRange(logger, 1, 60);
    await logger.flush();
    expect(messagesOf(fake.stored)).toEqual(range(1, 60));
    const batches = logBatches(fake);
    expect(batches.length).toBe(5); // 3 batches, 2 of them sent twice
    expect(batches[0]!.body).toBe(batches[1]!.body);
    expect(logger.stats()).toMatchObject({ sent: 60, retries: 2 });
  });

  it('drops a batch the daemon refuses (400), reports it, and says so in the next batch', async () => {
    const dropped: { count: number; reason: string }[] = [];
    const { fake, logger, errors } = await setup({ flushEvery: 10, onDrop: (drop) => dropped.push(drop) });
    await logger.start();
    fake.script.push({ status: 400, code: 'BAD_REQUEST' });
    logRange(logger, 1, 10);
    await fake.until(() => logBatches(fake).length === 1, 'the refused batch');
    logRange(logger, 11, 20);
    await logger.flush();
    expect(errors.map((e) => [e.status, e.code, e.retryable])).toEqual([[400, 'BAD_REQUEST', false]]);
    expect(dropped).toEqual([expect.objectContaining({ count: 10, reason: 'rejected' })]);
    expect(fake.stored[0]).toMatchObject({ level: 'WARNING', message: 'runner dropped 10 log entries the daemon refused (BAD_REQUEST)', dropped_entries: 10 });
    expect(messagesOf(fake.stored.slice(1))).toEqual(range(11, 20));
    expect(checkIncreasing(fake.stored)).toBe('');
    expect(logger.stats()).toMatchObject({ logged: 20, sent: 10, rejected: 10, dropped: 0 });
  });

  it('stops sending when the run is gone (409): the rest is counted, flush resolves, finish rejects', async () => {
    const { fake, logger, errors } = await setup({ flushEvery: 5 });
    await logger.start();
    fake.fallback = { status: 409, code: 'RUN_NOT_RUNNING' };
    logRange(logger, 1, 12);
    await logger.flush();
    logger.info('late');
    expect(errors.map((e) => e.code)).toEqual(['RUN_NOT_RUNNING']);
    expect(logBatches(fake).length).toBe(1);
    expect(logger.stats()).toMatchObject({ logged: 13, sent: 0, rejected: 13 });
    await expect(logger.finish({ status: 'succeeded' })).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
  });
});

describe('RunLogger bounded buffer', () => {
  it('drops the oldest past maxBuffered and the next batch carries a WARNING naming how many', async () => {
    const drops: number[] = [];
    const { fake, logger } = await setup({ flushEvery: 10, maxBatchEntries: 10, maxBuffered: 100, onDrop: (d) => drops.push(d.count) });
    await logger.start();
    fake.fallback = { status: 503 }; // the daemon is away
    logRange(logger, 1, 250);
    await fake.until(() => logBatches(fake).length >= 3, 'some failed attempts');
    expect(logger.stats()).toMatchObject({ dropped: 150, buffered: 91, inFlight: 10 });
    fake.fallback = 'ok'; // it is back
    await logger.flush();
    expect(drops.reduce((a, b) => a + b, 0)).toBe(150);
    expect(fake.stored[0]).toMatchObject({
      level: 'WARNING',
      message: 'runner dropped 150 log entries while the daemon was unreachable',
      dropped_entries: 150,
    });
    expect(messagesOf(fake.stored.slice(1))).toEqual(range(151, 250));
    expect(checkIncreasing(fake.stored)).toBe('');
    const stats = logger.stats();
    expect(stats.logged).toBe(stats.sent + stats.dropped + stats.rejected);
  });

  it('accounts for every entry when the run goes away with a gap notice still queued', async () => {
    const { fake, logger } = await setup({ flushEvery: 10, maxBatchEntries: 10, maxBuffered: 30 });
    await logger.start();
    fake.script.push({ status: 503 });
    fake.fallback = { status: 404, code: 'RUN_NOT_FOUND' };
    logRange(logger, 1, 100);
    await logger.flush();
    const stats = logger.stats();
    expect(stats).toMatchObject({ logged: 100, sent: 0, dropped: 70, rejected: 30, buffered: 0, inFlight: 0 });
    expect(stats.logged).toBe(stats.sent + stats.dropped + stats.rejected);
  });

  it('keeps memory bounded while a batch is stuck: what waits never exceeds maxBuffered (+ the notice)', async () => {
    const { fake, logger } = await setup({ flushEvery: 5, maxBatchEntries: 5, maxBuffered: 20 });
    await logger.start();
    fake.fallback = 'hang';
    logRange(logger, 1, 5);
    await fake.until(() => logBatches(fake).length === 1, 'the stuck request');
    for (let i = 6; i <= 5000; i++) {
      logger.info(`m${i}`);
      const { buffered, inFlight } = logger.stats();
      if (buffered + inFlight > 21) throw new Error(`at ${i}: ${buffered} buffered + ${inFlight} in flight`);
    }
    expect(logger.stats().dropped).toBe(5000 - 20);
  });
});

describe('RunLogger lifecycle', () => {
  it('attaches to an existing run and numbers on from what the daemon has', async () => {
    const { fake, logger } = await setup({ runId: 'run_x' });
    fake.highest = 41;
    await logger.start();
    expect(JSON.parse(logBatches(fake)[0]!.body)).toEqual({ logs: [] });
    logger.info('resumed');
    await logger.flush();
    expect(fake.stored).toMatchObject([{ message: 'resumed', client_seq: 42 }]);
    expect(logBatches(fake).map((r) => r.path)).toEqual(['/api/runs/run_x/logs', '/api/runs/run_x/logs']);
  });

  it('finish() flushes first, then ends the run; later entries are counted, not sent', async () => {
    const { fake, logger } = await setup({ flushEvery: 1000 });
    await logger.start();
    logRange(logger, 1, 7);
    const run = await logger.finish({ status: 'error', exit_code: 3 });
    expect(messagesOf(fake.stored)).toEqual(range(1, 7));
    expect(fake.finished).toEqual([{ runId: 'run_fake_1', body: { status: 'error', exit_code: 3 } }]);
    expect(run).toMatchObject({ run_id: 'run_fake_1', status: 'error' });
    expect(fake.requests.at(-1)!.path).toBe('/api/runs/run_fake_1/finish');
    logger.info('after the end');
    expect(logger.stats()).toMatchObject({ logged: 8, sent: 7, rejected: 1 });
  });

  it('retries start() on a 503 and gives up after startAttempts; a later start() may succeed', async () => {
    const fake = await startFakeDaemon();
    fakes.push(fake);
    await fake.close(); // nothing listens on that port now
    const logger = new RunLogger({ url: fake.url, apiKey: 'k', startAttempts: 3, retry: { baseMs: 1, maxMs: 2 } });
    loggers.push(logger);
    await expect(logger.start()).rejects.toMatchObject({ name: 'PushError', retryable: true });
    expect(logger.stats().retries).toBe(2);
  });

  it('close() abandons a stuck request: flush() waiters resolve, the rest is counted as dropped', async () => {
    const { fake, logger } = await setup({ flushEvery: 3 });
    await logger.start();
    fake.fallback = 'hang';
    logRange(logger, 1, 6);
    const flushed = logger.flush();
    await fake.until(() => logBatches(fake).length === 1, 'the stuck request');
    logger.close();
    await flushed;
    expect(logger.stats()).toMatchObject({ logged: 6, sent: 0, buffered: 0 });
    expect(logger.stats().dropped).toBe(6);
  });

  it('flush({ timeoutMs }) gives up waiting but keeps the entries for later', async () => {
    const { fake, logger } = await setup({ flushEvery: 1000 });
    await logger.start();
    fake.fallback = { status: 503 };
    logger.info('pending');
    await expect(logger.flush({ timeoutMs: 50 })).rejects.toThrow(/did not complete in 50 ms/);
    fake.fallback = 'ok';
    await logger.flush();
    expect(messagesOf(fake.stored)).toEqual(['pending']);
  });
});
