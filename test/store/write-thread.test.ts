// Chunk rows committed on a worker thread: reads stay whole while writes are in flight, flush waits for them,
// and a file another connection keeps locked loses nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { startChunkWriteThread } from '../../src/store/chunk-write-thread.js';
import { makeRecords, makeRun, openStore, tempDir } from './helpers.js';

const storedCount = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT coalesce(sum(count), 0) FROM chunks').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('writes on the worker thread', () => {
  it('starts after the first writes, and every read is whole while its commits are in flight', () => {
    const store = openStore({ batchRecords: 50, writes: 'worker', writeWorkerAfter: 2 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(3_000);
    for (let i = 0; i < records.length; i += 37) {
      store.appendRecords('r1', records.slice(i, i + 37));
      if (i % (37 * 9) === 0) {
        const upTo = Math.min(i + 37, records.length);
        expect(store.readLogs('r1', { limit: 100_000 }).logs).toStrictEqual(records.slice(0, upTo));
        const from = Math.max(0, upTo - 60);
        expect(store.readLogs('r1', { after: from, limit: 30 }).logs).toStrictEqual(records.slice(from, from + 30));
      }
    }
    expect(store.stats().writeThread).toBe(true);
    store.flush();
    // flushed means committed: another connection sees every record
    expect(storedCount(store.path)).toBe(records.length);
    expect(store.readLogs('r1', { limit: 100_000 }).logs).toStrictEqual(records);
    store.close();
    expect(openStore({ path: store.path }).readLogs('r1', { limit: 100_000 }).logs).toStrictEqual(records);
  });

  it('loses nothing while another connection keeps the file locked, and writes it all once the lock is gone', async () => {
    const store = openStore({ batchRecords: 20, flushIntervalMs: 10, busyTimeoutMs: 20, writes: 'worker', writeWorkerAfter: 0 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(400);
    store.appendRecords('r1', records.slice(0, 100));
    store.flush();
    const locker = new Database(store.path);
    locker.pragma('busy_timeout = 0');
    locker.exec('BEGIN IMMEDIATE'); // the write lock, held
    try {
      for (let i = 100; i < records.length; i += 25) store.appendRecords('r1', records.slice(i, i + 25));
      await vi.waitFor(() => expect(store.stats().writeErrors).toBeGreaterThan(0), { timeout: 10_000 });
      expect(store.stats().lastError).toMatch(/locked|busy/i);
      expect(store.readLogs('r1', { limit: 1_000 }).logs).toStrictEqual(records);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // the timer retries on its own; flush then waits for whatever is in flight
    await vi.waitFor(() => expect(storedCount(store.path)).toBeGreaterThanOrEqual(380), { timeout: 10_000 });
    store.flush();
    expect(storedCount(store.path)).toBe(records.length);
    expect(store.readLogs('r1', { limit: 1_000 }).logs).toStrictEqual(records);
    expect(store.stats().recordsDropped).toBe(0);
  });
});

describe('the hand-over to the thread', () => {
  it('passes numbers and bytes exactly, through shared memory that grows for a large write, and other values as posted', () => {
    const file = path.join(tempDir(), 'rows.db');
    const setup = new Database(file);
    setup.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, n REAL, b BLOB, x)');
    setup.close();
    const thread = startChunkWriteThread({ path: file, sql: 'INSERT INTO t VALUES (?, ?, ?, ?)', busyTimeoutMs: 1_000 });
    const sent: unknown[][] = [];
    const write = (rows: unknown[][]) => {
      thread.post(rows);
      expect(thread.take(10_000)).toMatchObject({});
      sent.push(...rows);
    };
    try {
      const big = crypto.randomBytes(3 << 20); // past the shared memory's first size
      const pool = crypto.randomBytes(4_096);
      write([[1, 0.1, pool.subarray(100, 300), 7], [2, 1e15 + 1, pool.subarray(0, 0), -1]]);
      write([[3, Number.MAX_SAFE_INTEGER, big, 0], [4, -2.5, pool.subarray(3_000), 1]]);
      write([[5, 3, pool.subarray(5, 9), 2]]); // the grown memory, reused
      write([[6, 4, pool.subarray(9, 20), 'text'], [7, 5, null, null]]); // not numbers and bytes: posted as they are
    } finally {
      thread.close();
    }
    const db = new Database(file, { readonly: true });
    const stored = db.prepare('SELECT k, n, b, x FROM t ORDER BY k').raw().all() as unknown[][];
    db.close();
    // blobs compared by digest: a deep comparison of a 3 MiB buffer takes seconds
    const digest = (b: unknown) => (b === null ? null : crypto.createHash('sha256').update(b as Buffer).digest('hex'));
    expect(stored.map(([k, n, b, x]) => [k, n, digest(b), x])).toStrictEqual(sent.map(([k, n, b, x]) => [k, n, digest(b), x]));
  });
});

describe('when the write thread cannot do its job', () => {
  it('writes on the caller\'s thread instead, losing nothing (here: the thread cannot open the file)', () => {
    const store = openStore({ batchRecords: 20, writes: 'worker', writeWorkerAfter: 0 });
    store.insertRun(makeRun('r1'));
    const moved = `${store.path}.moved`;
    fs.renameSync(store.path, moved); // the store's own connection keeps the open file; a new one finds nothing there
    const records = makeRecords(200);
    for (let i = 0; i < records.length; i += 30) store.appendRecords('r1', records.slice(i, i + 30));
    store.flush();
    expect(store.stats()).toMatchObject({ writeThread: false, recordsDropped: 0 });
    expect(store.stats().lastError).toMatch(/open/i);
    expect(store.readLogs('r1', { limit: 1_000 }).logs).toStrictEqual(records);
  });

  it('and when the thread gives up on the very write a flush hands it, the flush writes it here', () => {
    const store = openStore({ writes: 'worker', writeWorkerAfter: 0 });
    store.insertRun(makeRun('r1'));
    fs.renameSync(store.path, `${store.path}.moved`);
    const records = makeRecords(10);
    store.appendRecords('r1', records);
    store.flush();
    expect(store.stats()).toMatchObject({ writeThread: false, recordsDropped: 0 });
    expect(store.readLogs('r1', {}).logs).toStrictEqual(records);
  });
});

describe('checkpoints with the write thread', () => {
  it('are the thread connection\'s own: no checkpoint thread starts, and close leaves a clean, whole file', () => {
    const store = openStore({ batchRecords: 50, checkpoint: 'worker', writes: 'worker', writeWorkerAfter: 1 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(12_000);
    // batches that do not line up with chunks, as a pipe's reads do not
    for (let i = 0; i < records.length; i += 38) store.appendRecords('r1', records.slice(i, i + 38));
    store.flush();
    expect(store.stats()).toMatchObject({ writeThread: true, checkpointWorker: false });
    store.close();
    expect(fs.existsSync(`${store.path}-wal`)).toBe(false);
    expect(openStore({ path: store.path }).readLogs('r1', { limit: 20_000 }).logs).toStrictEqual(records);
  });
});
