// The engine with real child processes and a real SQLite file: records, counts, layers, statuses, queueing.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchModule } from '../../src/capture/launch-module.js';
import { createOutputSocketPool, type OutputSocketPool, type OutputSockets } from '../../src/capture/output-socket.js';
import { validateConfig } from '../../src/config/index.js';
import { MAX_LAYER_HISTORY } from '../../src/runs/layer-tracker.js';
import { formatMicros } from '../../src/runs/run-clock.js';
import { createRunManager } from '../../src/runs/run-manager.js';
import { createHub } from '../../src/sinks/hub.js';
import type { LogRecord, RunStatus } from '../../src/types.js';
import { openStore, tempDir } from '../store/helpers.js';

const fixture = (name: string) => path.resolve(__dirname, '../../fixtures/modules', name);

function engine(modules: Record<string, unknown>, limits: Record<string, number> = {}, outputSockets?: OutputSocketPool) {
  const dir = tempDir();
  const config = validateConfig({ dataDir: dir, limits, modules }, path.join(dir, 'supervisor.config.json'), {});
  const store = openStore();
  const hub = createHub((error) => {
    throw error;
  });
  const manager = createRunManager({ config, store, hub, pipeGraceMs: 500, outputSockets });
  return { config, store, hub, manager };
}

describe('run manager', () => {
  it('turns a pipeline into records, counts, layers and a final status', async () => {
    const { manager, store, hub } = engine({ demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--fast'] } });
    const live: LogRecord[] = [];
    const statuses: RunStatus[] = [];
    hub.subscribeRuns((info) => {
      statuses.push(info.status);
      if (info.status === 'queued') hub.subscribeRun(info.run_id, { records: (batch) => live.push(...batch) });
    });
    const run = manager.start('demo');
    const info = await run.finished;

    expect(info).toMatchObject({ status: 'failed', exit_code: 1, pipeline_status: 'partial', signal: null });
    expect(statuses).toEqual(['queued', 'running', 'failed']);
    expect(live.map((r) => r.seq)).toEqual(live.map((_, i) => i + 1));
    expect(info.total_lines).toBe(live.length);
    const sum = Object.values(info.counts).reduce((a, b) => a + b, 0);
    expect(sum).toBe(live.length);
    expect(info.layers.map((l) => l.status)).toEqual(['complete', 'complete', 'error', 'skipped', 'complete']);

    const stored = store.getRun(info.run_id)!;
    expect(stored.layers).toEqual(info.layers);
    expect(store.readLogs(info.run_id, {}).logs).toEqual(live);
    expect(manager.active(info.run_id)).toBeUndefined();
  });

  it('reads the modules it starts through output sockets opened ahead, and lets the spare go at shutdown', async () => {
    const pool = createOutputSocketPool();
    expect(await pool.ready()).toBe(true);
    const taken: (OutputSockets | undefined)[] = [];
    const watched: OutputSocketPool = { ...pool, take: () => taken[taken.push(pool.take()) - 1] };
    const { manager, store } = engine({ flood: { command: 'node', args: [fixture('flood.mjs'), '--lines', '5000'] } }, {}, watched);
    const first = await manager.start('flood').finished;
    // the next run's pair is opened behind the first: wait for it, as a daemon between runs does
    expect(await pool.ready()).toBe(true);
    const second = await manager.start('flood').finished;
    for (const info of [first, second]) {
      expect(info).toMatchObject({ status: 'succeeded', total_lines: 5000 });
      expect(store.readLogs(info.run_id, { limit: 5000 }).logs.map((r) => r.seq)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    }
    expect(taken).toHaveLength(2);
    // each run's own pair carried its output (86 bytes a line)
    for (const sockets of taken) expect(sockets!.stdout.reader.bytesRead).toBe(5000 * 86);
    await manager.shutdown({ cancel: true });
    expect(pool.take()).toBeUndefined();
  });

  it('takes a module launched before it, as the CLI does: its id, its start time, all it printed, past a full queue', async () => {
    const { manager, config } = engine({
      flood: { command: 'node', args: [fixture('flood.mjs'), '--lines', '2000'] },
      hang: { command: 'node', args: [fixture('hang.mjs')] },
    }, { maxConcurrentRuns: 1 });
    const busy = manager.start('hang');
    const launched = launchModule({ runId: 'run_20260101_000000_flood_abcdef', moduleName: 'flood', module: config.modules.flood!, args: [] });
    const run = manager.start('flood', [], { launched });
    expect(run.info).toMatchObject({ run_id: 'run_20260101_000000_flood_abcdef', status: 'running', pid: launched.process.pid });
    expect(run.info.started_at).toBe(formatMicros(launched.startedAtMicros));
    expect(run.info.created_at).toBe(run.info.started_at);
    const info = await run.finished;
    expect(info).toMatchObject({ status: 'succeeded', total_lines: 2000 });
    expect(busy.info.status).toBe('running');
    manager.cancel(busy.info.run_id);
    await busy.finished;
  });

  it('publishes and stores layers whose history stays within its bound, however many events a batch holds', async () => {
    const { manager, store, hub } = engine({ flood: { command: 'node', args: [fixture('flood.mjs'), '--lines', '20000'] } });
    const longest: number[] = [];
    hub.subscribeRuns((info) => {
      if (info.status === 'queued') hub.subscribeRun(info.run_id, { layer: (layer) => longest.push(layer.history.length) });
    });
    const info = await manager.start('flood').finished;
    expect(longest.length).toBeGreaterThan(0);
    expect(Math.max(...longest)).toBeLessThanOrEqual(MAX_LAYER_HISTORY);
    // layer 1 started and completed 400 times: its last MAX_LAYER_HISTORY transitions are kept, the newest last
    const stored = store.getRun(info.run_id)!.layers.find((l) => l.layer === 1)!;
    expect(stored.history).toHaveLength(MAX_LAYER_HISTORY);
    expect(stored.history.at(-1)!.status).toBe('complete');
  });

  it('gives the pieces of a long line the level of its first piece', async () => {
    const { manager } = engine({
      long: { command: 'node', args: ['-e', "process.stderr.write('WARNING: ' + 'x'.repeat(2000) + '\\nERROR y\\n')"] },
    }, { maxLineBytes: 256 });
    const run = manager.start('long');
    await run.finished;
    const records = run.ring.tail(100);
    const pieces = records.filter((r) => r.message.startsWith('WARNING') || r.continued);
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.every((r) => r.level === 'WARNING')).toBe(true);
    expect(pieces.slice(1).every((r) => r.continued)).toBe(true);
    expect(records[records.length - 1]).toMatchObject({ message: 'ERROR y', level: 'ERROR', stream: 'stderr' });
  });

  it("stores a JSON line's data as the line wrote it, so history reads back exactly what was live", async () => {
    // re-serialising the parsed data would store 0 for -0 and null for 1e400 (Infinity once parsed)
    const lines = ['  { "event": "layer_start", "layer": 1, "z": -0, "big": 1e400 }  ', '{"level":"warn","msg":"pino-ish","n":1.50,"o":{"a":[1, {"b":null}]}}'];
    const { manager, store } = engine({ json: { command: 'node', args: ['-e', `console.log(${JSON.stringify(lines.join('\n'))})`] } });
    const run = manager.start('json');
    const info = await run.finished;
    const live = run.ring.tail(10);
    const stored = store.readLogs(info.run_id, {}).logs;
    expect(live.map((r) => r.level)).toEqual(['INFO', 'WARNING']);
    expect(stored).toStrictEqual(live);
    expect(Object.is(stored[0]!.data!.z, -0)).toBe(true);
    expect(stored[0]!.data!.big).toBe(Infinity);
  });

  it("parses a pino-style flood (the bench's JSON mix) into levels, messages and data, stored as it was live", async () => {
    const { manager, store } = engine({ flood: { command: 'node', args: [fixture('flood.mjs'), '--json', '1', '--lines', '300'] } });
    const run = manager.start('flood');
    const info = await run.finished;
    expect(info.counts).toMatchObject({ INFO: 200, WARNING: 100 });
    const live = run.ring.tail(300);
    expect(live[1]).toMatchObject({ seq: 2, level: 'INFO', message: expect.stringMatching(/^line 000001 /), data: { pid: 4242, level: 30 } });
    expect(store.readLogs(info.run_id, { limit: 300 }).logs).toStrictEqual(live);
  });

  it('queues runs past maxConcurrentRuns and starts them as slots free', async () => {
    const { manager } = engine({ quick: { command: 'node', args: ['-e', 'setTimeout(() => {}, 150)'] } }, { maxConcurrentRuns: 1 });
    const first = manager.start('quick');
    const second = manager.start('quick');
    expect(first.info.status).toBe('running');
    expect(second.info.status).toBe('queued');
    await first.finished;
    expect(second.info.status).toBe('running');
    expect((await second.finished).status).toBe('succeeded');
  });

  it('cancels a queued run without starting it, and a running one via its process group', async () => {
    const { manager } = engine({ hang: { command: 'node', args: [fixture('hang.mjs'), '--grandchild'], killGrace: '2s' } }, { maxConcurrentRuns: 1 });
    const running = manager.start('hang');
    const queued = manager.start('hang');
    manager.cancel(queued.info.run_id);
    expect(queued.info).toMatchObject({ status: 'cancelled', pid: null, started_at: null });
    await new Promise<void>((resolve) => {
      const check = () => (running.ring.tail(10).some((r) => /grandchild/.test(r.message)) ? resolve() : setTimeout(check, 20));
      check();
    });
    manager.cancel(running.info.run_id);
    const info = await running.finished;
    expect(info.status).toBe('cancelled');
    // the grandchild got SIGTERM too (same group), so the pipes closed and nothing was abandoned
    expect(running.ring.tail(100).some((r) => /stayed open/.test(r.message))).toBe(false);
    expect(() => manager.cancel(info.run_id)).toThrow(/not running/);
    expect(() => manager.cancel('run_nope')).toThrow(/no run/);
  });

  it('ends a run whose grandchild holds the pipes after the grace, and says why', async () => {
    const { manager } = engine({ orphan: { command: 'node', args: [fixture('hang.mjs'), '--grandchild', '--parent-exits', '--grandchild-ms', '20000'] } });
    const run = manager.start('orphan');
    const info = await run.finished;
    expect(info).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(run.ring.tail(100).some((r) => /stayed open/.test(r.message) && r.level === 'WARNING')).toBe(true);
    process.kill(-info.pid!, 'SIGKILL');
  });

  it('refuses an unknown module with a clear error', () => {
    const { manager } = engine({});
    expect(() => manager.start('nope')).toThrow(/unknown module "nope"/);
  });
});
