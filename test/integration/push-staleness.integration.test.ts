// A runner that goes silent for runners.<name>.staleAfter leaves its run `lost`: each push pushes the deadline
// back; a daemon restarted on the same data dir keeps watching the external runs it inherits.
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RunLogger } from '../../src/client/index.js';
import type { RunManager } from '../../src/runs/run-manager.js';
import { createDaemon } from '../../src/server/index.js';
import { createStalenessWatch } from '../../src/server/runner-staleness.js';
import type { Store } from '../../src/store/index.js';
import type { RunInfo } from '../../src/types.js';
import { cleanupDaemons, startTestDaemon, testConfig, waitFor } from './helpers/daemon-harness.js';

afterAll(cleanupDaemons);

describe('the staleness watch (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(runningInStore: Partial<RunInfo>[] = []) {
    vi.useFakeTimers();
    let clock = 0;
    const lost: string[] = [];
    const live = new Map<string, { info: { runner: string }; isFinal: () => boolean }>();
    const run = (runId: string) => {
      let final = false;
      const fake = { info: { runner: 'r1' }, isFinal: () => final };
      live.set(runId, fake);
      return () => (final = true);
    };
    const manager = {
      active: (runId: string) => live.get(runId),
      adoptExternal: (runId: string) => live.get(runId),
      markLost: (runId: string) => lost.push(runId),
    } as unknown as RunManager;
    const store = { listRuns: () => runningInStore } as unknown as Store;
    const watch = createStalenessWatch({
      config: { runners: { r1: { apiKey: 'k', staleAfter: 1000 } } },
      manager,
      store,
      logger: pino({ level: 'silent' }),
      now: () => clock,
    });
    const advance = (ms: number) => {
      clock += ms;
      vi.advanceTimersByTime(ms);
    };
    return { watch, lost, run, advance };
  }

  it('marks a run lost after staleAfter of silence; every push starts the wait again', () => {
    const { watch, lost, run, advance } = setup();
    run('a');
    watch.touch('a', 'r1');
    advance(900);
    watch.touch('a', 'r1'); // a push
    advance(900);
    expect(lost).toEqual([]);
    watch.touch('a', 'r1');
    advance(999);
    expect(lost).toEqual([]);
    advance(1);
    expect(lost).toEqual(['a']);
    expect(watch.size).toBe(0);
  });

  it('forgets a finished run, and leaves a run that ended meanwhile alone', () => {
    const { watch, lost, run, advance } = setup();
    run('a');
    const endB = run('b');
    watch.touch('a', 'r1');
    watch.touch('b', 'r1');
    watch.forget('a');
    endB();
    advance(5000);
    expect(lost).toEqual([]);
  });

  it('arms the external runs left running in the store, once each, and close() clears every timer', () => {
    const { watch, lost, run, advance } = setup([
      { run_id: 'ext', runner: 'r1' },
      { run_id: 'local', runner: null },
    ]);
    run('ext');
    expect(watch.armExternalRuns()).toBe(1);
    expect(watch.armExternalRuns()).toBe(0);
    advance(1000);
    expect(lost).toEqual(['ext']);
    run('ext2');
    watch.touch('ext2', 'gone-from-config'); // default 10 min
    watch.close();
    advance(20 * 60_000);
    expect(lost).toEqual(['ext']);
  });
});

describe('stale runners on a real daemon', () => {
  const RUNNERS = { 'scraper-01': { apiKey: 'k1', staleAfter: '1s' } };

  it('turns a silent runner’s run lost; its next push is refused and the logger stops', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const errors: string[] = [];
    const logger = new RunLogger({ url: d.url, apiKey: 'k1', name: 'silent', onError: (e) => errors.push(e.code ?? '') });
    const runId = await logger.start();
    logger.info('still here');
    await logger.flush();
    const run = await d.finished(runId, 10_000);
    expect(run).toMatchObject({ status: 'lost', runner: 'scraper-01' });
    expect(run.finished_at).not.toBeNull();
    logger.info('back again');
    await logger.flush();
    expect(errors).toEqual(['RUN_NOT_RUNNING']);
    expect(logger.stats()).toMatchObject({ sent: 1, rejected: 1 });
    await expect(logger.finish({ status: 'succeeded' })).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
  });

  it('keeps external runs running across a restart, then loses them if their runner never comes back', async () => {
    const config = testConfig({ runners: { 'scraper-01': { apiKey: 'k1', staleAfter: '1h' } } });
    const first = createDaemon({ config, logger: pino({ level: 'silent' }), port: 0 });
    const { url } = await first.listen();
    const logger = new RunLogger({ url, apiKey: 'k1', name: 'orphan' });
    const runId = await logger.start();
    logger.info('before the restart');
    await logger.flush();
    logger.close();
    await first.close();

    // The next daemon must not treat the external run as crashed, but watches it with the new staleAfter.
    const later = { ...config, runners: { 'scraper-01': { apiKey: 'k1', staleAfter: 300 } } };
    const second = createDaemon({ config: later, logger: pino({ level: 'silent' }), port: 0 });
    const address = await second.listen();
    try {
      const status = async () => ((await (await fetch(`${address.url}/api/runs/${runId}`)).json()) as RunInfo).status;
      expect(await status()).toBe('running');
      expect(await waitFor(async () => ((await status()) === 'lost' ? 'lost' : undefined), 'the orphan to be lost', 10_000)).toBe('lost');
      const logs = (await (await fetch(`${address.url}/api/runs/${runId}/logs?after=0`)).json()) as { logs: { message: string }[] };
      expect(logs.logs.map((r) => r.message)).toEqual(['before the restart']);
    } finally {
      await second.close();
    }
  });
});
