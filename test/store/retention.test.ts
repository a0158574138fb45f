// Retention: runs older than retention.days go; a CLI prunes at most once a day, and never with 0 days.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAY_MS, pruneExpiredRuns, pruneExpiredRunsIfDue } from '../../src/store/retention.js';
import { makeRecords, makeRun, openStore, tempDir } from './helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW - days * DAY_MS).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

describe('pruneExpiredRuns', () => {
  it('deletes finished runs older than the cutoff with their records, keeps running and recent ones', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('old', { status: 'succeeded', created_at: daysAgo(40) }));
    store.appendRecords('old', makeRecords(25));
    store.flush();
    store.insertRun(makeRun('old-running', { status: 'running', created_at: daysAgo(40) }));
    store.insertRun(makeRun('recent', { status: 'failed', created_at: daysAgo(2) }));
    expect(pruneExpiredRuns(store, 30, NOW)).toEqual({ deleted: 1, cutoff: new Date(NOW - 30 * DAY_MS).toISOString() });
    expect(store.listRuns().map((r) => r.run_id).sort()).toEqual(['old-running', 'recent']);
    expect(store.readLogs('old', {}).logs).toEqual([]);
    expect(pruneExpiredRuns(store, 0, NOW)).toBeUndefined();
  });
});

describe('pruneExpiredRunsIfDue', () => {
  it('prunes once, then not again until a day has passed', () => {
    const dir = tempDir();
    const store = openStore({ path: path.join(dir, 'supervisor.db') });
    store.insertRun(makeRun('a', { status: 'succeeded', created_at: daysAgo(40) }));
    expect(pruneExpiredRunsIfDue(store, dir, 30, NOW)).toBe(1);
    expect(fs.existsSync(path.join(dir, 'retention.stamp'))).toBe(true);

    store.insertRun(makeRun('b', { status: 'succeeded', created_at: daysAgo(40) }));
    expect(pruneExpiredRunsIfDue(store, dir, 30, NOW + DAY_MS / 2)).toBe(0);
    expect(store.getRun('b')).toBeDefined();
    expect(pruneExpiredRunsIfDue(store, dir, 30, NOW + DAY_MS)).toBe(1);
    expect(store.getRun('b')).toBeUndefined();
  });

  it('is not held off by a stamp from the future (a clock set back) or an unreadable one', () => {
    const dir = tempDir();
    const store = openStore({ path: path.join(dir, 'supervisor.db') });
    fs.writeFileSync(path.join(dir, 'retention.stamp'), '2099-01-01T00:00:00.000Z\n');
    store.insertRun(makeRun('a', { status: 'succeeded', created_at: daysAgo(40) }));
    expect(pruneExpiredRunsIfDue(store, dir, 30, NOW)).toBe(1);
    fs.writeFileSync(path.join(dir, 'retention.stamp'), 'garbage');
    store.insertRun(makeRun('b', { status: 'succeeded', created_at: daysAgo(40) }));
    expect(pruneExpiredRunsIfDue(store, dir, 30, NOW)).toBe(1);
  });

  it('does nothing, and leaves no stamp, with retention off', () => {
    const dir = tempDir();
    const store = openStore({ path: path.join(dir, 'supervisor.db') });
    store.insertRun(makeRun('a', { status: 'succeeded', created_at: daysAgo(4000) }));
    expect(pruneExpiredRunsIfDue(store, dir, 0, NOW)).toBe(0);
    expect(store.getRun('a')).toBeDefined();
    expect(fs.existsSync(path.join(dir, 'retention.stamp'))).toBe(false);
  });
});
