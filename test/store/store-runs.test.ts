import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Layer, RunInfo } from '../../src/types.js';
import { makeRecords, makeRun, openStore } from './helpers.js';

const layer = (n: number, patch: Partial<Layer> = {}): Layer => ({
  layer: n,
  layer_name: `layer ${n} ✓`,
  status: 'complete',
  started_at: '2025-10-31T12:00:01.000000Z',
  finished_at: '2025-10-31T12:00:05.500000Z',
  duration_ms: 4500,
  error: null,
  metadata: { rows: 12, tags: ['a', 'b'], nested: { x: null } },
  history: [
    { status: 'running', at: '2025-10-31T12:00:01.000000Z' },
    { status: 'complete', at: '2025-10-31T12:00:05.500000Z' },
  ],
  ...patch,
});

const at = (second: number) => `2025-10-31T12:00:${String(second).padStart(2, '0')}.000000Z`;

describe('runs', () => {
  it('insertRun and getRun round-trip every field, layers and their history', () => {
    const store = openStore();
    const run: RunInfo = makeRun('run_a', {
      args: ['--date', '2025-10-31', 'ünïcode "quoted"'],
      status: 'succeeded',
      pid: 4242,
      exit_code: 0,
      signal: null,
      started_at: at(1),
      finished_at: at(9),
      counts: { DEBUG: 1, INFO: 20, WARNING: 3, ERROR: 2, CRITICAL: 0 },
      total_lines: 26,
      pipeline_status: 'partial',
      runner: 'scraper-01',
      layers: [layer(2, { status: 'error', error: 'boom', metadata: null, duration_ms: 12.5 }), layer(1)],
    });
    store.insertRun(run);
    expect(store.getRun('run_a')).toStrictEqual({ ...run, layers: [run.layers[1], run.layers[0]] });
    expect(store.getRun('nope')).toBeUndefined();
    expect(() => store.insertRun(run)).toThrow(/UNIQUE/);
  });

  it('saveRun upserts all fields and replaces the layers', () => {
    const store = openStore();
    store.insertRun(makeRun('run_a', { layers: [layer(1), layer(2)] }));
    const updated = makeRun('run_a', {
      status: 'failed',
      exit_code: 3,
      signal: 'SIGTERM',
      finished_at: at(30),
      counts: { DEBUG: 0, INFO: 5, WARNING: 0, ERROR: 9, CRITICAL: 1 },
      total_lines: 15,
      pipeline_status: 'error',
      layers: [layer(1, { status: 'running', finished_at: null, duration_ms: null, history: [] })],
    });
    store.saveRun(updated);
    expect(store.getRun('run_a')).toStrictEqual(updated);
    store.saveRun(makeRun('run_new')); // saveRun also inserts
    expect(store.getRun('run_new')?.status).toBe('running');
  });

  it('listRuns: newest first, run_id breaking ties, filters, limit and before (run id or time)', () => {
    const store = openStore();
    const runs = [
      makeRun('run_1', { created_at: at(1), module: 'a', status: 'succeeded' }),
      makeRun('run_2', { created_at: at(2), module: 'b', status: 'failed' }),
      makeRun('run_3a', { created_at: at(3), module: 'a', status: 'running', runner: 'r1' }),
      makeRun('run_3b', { created_at: at(3), module: 'a', status: 'succeeded' }),
      makeRun('run_4', { created_at: '2025-10-31T12:00:04.5Z', module: 'b', status: 'queued' }),
    ];
    for (const run of [runs[2]!, runs[0]!, runs[4]!, runs[1]!, runs[3]!]) store.insertRun(run);
    const ids = (q: Parameters<typeof store.listRuns>[0]) => store.listRuns(q).map((r) => r.run_id);
    expect(ids({})).toEqual(['run_4', 'run_3b', 'run_3a', 'run_2', 'run_1']);
    expect(ids({ module: 'a' })).toEqual(['run_3b', 'run_3a', 'run_1']);
    expect(ids({ status: 'succeeded' })).toEqual(['run_3b', 'run_1']);
    expect(ids({ runner: 'r1' })).toEqual(['run_3a']);
    expect(ids({ limit: 2 })).toEqual(['run_4', 'run_3b']);
    expect(ids({ limit: 0 })).toEqual([]);
    expect(ids({ before: 'run_3b' })).toEqual(['run_3a', 'run_2', 'run_1']);
    expect(ids({ before: 'run_3b', limit: 1, module: 'a' })).toEqual(['run_3a']);
    expect(ids({ before: at(3) })).toEqual(['run_2', 'run_1']);
    expect(ids({ before: '2025-10-31T13:00:03+01:00' })).toEqual(['run_2', 'run_1']);
    expect(() => store.listRuns({ before: 'run_missing' })).toThrow(expect.objectContaining({ code: 'SUP_ERR_BAD_CURSOR' }));
    expect(store.listRuns({ module: 'a' })[0]).toStrictEqual(runs[3]);
  });

  it('resolveRunRef: run ids, latest and latest:<module>', () => {
    const store = openStore();
    expect(store.resolveRunRef('latest')).toBeUndefined();
    store.insertRun(makeRun('run_1', { created_at: at(1), module: 'etl' }));
    store.insertRun(makeRun('run_2', { created_at: at(2), module: 'scrape:eu' }));
    store.insertRun(makeRun('run_3', { created_at: at(3), module: 'etl' }));
    expect(store.resolveRunRef('latest')).toBe('run_3');
    expect(store.resolveRunRef('latest:etl')).toBe('run_3');
    expect(store.resolveRunRef('latest:scrape:eu')).toBe('run_2');
    expect(store.resolveRunRef('latest:nothing')).toBeUndefined();
    expect(store.resolveRunRef('run_1')).toBe('run_1');
    expect(store.resolveRunRef('run_9')).toBeUndefined();
  });

  it('markUnfinishedLost turns running and queued runs into lost ones', () => {
    const store = openStore();
    store.insertRun(makeRun('running', { status: 'running' }));
    store.insertRun(makeRun('queued', { status: 'queued' }));
    store.insertRun(makeRun('external', { status: 'running', runner: 'scraper-01' }));
    store.insertRun(makeRun('done', { status: 'succeeded', finished_at: at(5) }));
    expect(store.markUnfinishedLost(at(59), { exceptRunners: true }).sort()).toEqual(['queued', 'running']);
    expect(store.getRun('running')).toMatchObject({ status: 'lost', finished_at: at(59) });
    expect(store.getRun('external')?.status).toBe('running');
    expect(store.markUnfinishedLost(at(58))).toEqual(['external']);
    expect(store.getRun('done')).toMatchObject({ status: 'succeeded', finished_at: at(5) });
    expect(store.markUnfinishedLost(at(59))).toEqual([]);
  });

  it('deleteRunsOlderThan removes old finished runs with their layers and records', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('old', { created_at: '2025-09-01T00:00:00.000000Z', status: 'succeeded', layers: [layer(1)] }));
    store.insertRun(makeRun('old_running', { created_at: '2025-09-01T00:00:00.000000Z', status: 'running' }));
    store.insertRun(makeRun('new', { created_at: '2025-10-30T00:00:00.000000Z', status: 'failed', layers: [layer(1)] }));
    for (const id of ['old', 'old_running', 'new']) store.appendRecords(id, makeRecords(25));
    store.saveRunKey('r1', 'key-old', 'old');
    expect(store.deleteRunsOlderThan('2025-10-01T00:00:00Z')).toBe(1);
    expect(store.getRun('old')).toBeUndefined();
    expect(store.readLogs('old', {})).toEqual({ logs: [], total: 0 });
    expect(store.readLogs('new', {}).total).toBe(25);
    expect(store.readLogs('old_running', {}).total).toBe(25);
    store.flush();
    const db = new Database(store.path, { readonly: true });
    const perRun = db.prepare('SELECT r.run_id, count(c.chunk_id) AS chunks FROM runs r LEFT JOIN chunks c USING (run_pk) GROUP BY r.run_id ORDER BY r.run_id').all();
    const orphans = db
      .prepare(
        `SELECT (SELECT count(*) FROM chunks WHERE run_pk NOT IN (SELECT run_pk FROM runs))
              + (SELECT count(*) FROM layers WHERE run_pk NOT IN (SELECT run_pk FROM runs))
              + (SELECT count(*) FROM run_keys WHERE run_pk NOT IN (SELECT run_pk FROM runs)) AS n`,
      )
      .get();
    db.close();
    expect(perRun).toEqual([{ run_id: 'new', chunks: 3 }, { run_id: 'old_running', chunks: 3 }]);
    expect(orphans).toEqual({ n: 0 });
    expect(() => store.deleteRunsOlderThan('last tuesday')).toThrow(expect.objectContaining({ code: 'SUP_ERR_BAD_CURSOR' }));
  });

  it('remembers the run a runner registered under an idempotency key, per runner, across a reopen', () => {
    const store = openStore();
    store.insertRun(makeRun('ext_a', { runner: 'r1', status: 'running' }));
    store.saveRunKey('r1', 'k-1', 'ext_a');
    store.saveRunKey('r1', 'k-1', 'ext_a'); // a second save of the same key changes nothing
    expect(store.runForKey('r1', 'k-1')).toBe('ext_a');
    expect(store.runForKey('r2', 'k-1')).toBeUndefined();
    expect(store.runForKey('r1', 'k-2')).toBeUndefined();
    store.close();
    expect(openStore({ path: store.path }).runForKey('r1', 'k-1')).toBe('ext_a');
  });
});
