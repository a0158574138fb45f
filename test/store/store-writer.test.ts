import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { columnsOf, makeRecords, makeRun, openStore } from './helpers.js';

const chunkRows = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT first_seq, last_seq, count FROM chunks ORDER BY first_seq').all();
  } finally {
    db.close();
  }
};

afterEach(() => {
  vi.useRealTimers();
});

describe('the flush timer and the open chunk', () => {
  it('writes pending records on the timer, grows the open chunk in place, closes it when rewritten enough or idle', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const clock = { ms: 0 };
    const store = openStore({ batchRecords: 100, flushIntervalMs: 50, idleCloseMs: 200, maxChunkWrites: 3, now: () => clock.ms });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(30);
    const step = (from: number, to: number) => {
      store.appendRecords('r1', records.slice(from, to));
      clock.ms += 50;
      vi.advanceTimersByTime(50);
    };

    store.appendRecords('r1', records.slice(0, 5));
    expect(chunkRows(store.path)).toEqual([]);
    clock.ms += 50;
    vi.advanceTimersByTime(50);
    expect(chunkRows(store.path)).toEqual([{ first_seq: 1, last_seq: 5, count: 5 }]);

    step(5, 10); // rewritten in place: same first_seq
    expect(chunkRows(store.path)).toEqual([{ first_seq: 1, last_seq: 10, count: 10 }]);
    step(10, 15); // third write: the chunk closes
    step(15, 20); // so these start a new one
    expect(chunkRows(store.path)).toEqual([
      { first_seq: 1, last_seq: 15, count: 15 },
      { first_seq: 16, last_seq: 20, count: 5 },
    ]);
    expect(store.readLogs('r1').logs).toStrictEqual(records.slice(0, 20));

    clock.ms += 250; // idle past idleCloseMs: the open chunk leaves memory
    vi.advanceTimersByTime(250);
    step(20, 30);
    expect(chunkRows(store.path)).toEqual([
      { first_seq: 1, last_seq: 15, count: 15 },
      { first_seq: 16, last_seq: 20, count: 5 },
      { first_seq: 21, last_seq: 30, count: 10 },
    ]);
    expect(store.readLogs('r1').logs).toStrictEqual(records);
    const stats = store.stats();
    expect(stats.recordsWritten).toBe(30); // rewrites are not counted twice
    expect(stats.chunksWritten).toBe(5); // 1–5, 1–10, 1–15, 16–20, 21–30
    expect(stats.batches).toBe(5);
    expect(vi.getTimerCount()).toBe(1); // still ticking: the last chunk is open
    clock.ms += 1000;
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0); // nothing held, no timer
  });

  it('reads never miss records that are only partly written', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = openStore({ batchRecords: 10, flushIntervalMs: 50 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(14);
    store.appendRecords('r1', records.slice(0, 12)); // chunk 1–10 written, 11–12 held
    vi.advanceTimersByTime(50); // 11–12 written as the open chunk, still held
    store.appendRecords('r1', records.slice(12)); // 13–14 held, unwritten
    expect(chunkRows(store.path)).toEqual([
      { first_seq: 1, last_seq: 10, count: 10 },
      { first_seq: 11, last_seq: 12, count: 2 },
    ]);
    expect(store.readLogs('r1', {})).toStrictEqual({ logs: records, total: 14 });
    expect(store.readLogs('r1', { after: 10 }).logs.map((r) => r.seq)).toEqual([11, 12, 13, 14]);
    expect(store.readLogs('r1', { tail: 5 }).logs.map((r) => r.seq)).toEqual([10, 11, 12, 13, 14]);
    expect([...store.iterateLogs('r1')]).toStrictEqual(records);
    expect(store.lastSeq('r1')).toBe(14);
  });

  it('reads between appends and writes see every record once, the held ones kept in step', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = openStore({ batchRecords: 10, flushIntervalMs: 50 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(95);
    // appends of 7 with a read after each (the first read builds the held records, later ones extend them),
    // chunks written as they fill and on the timer, with a gap in the seqs half way
    const gappy = records.map((r, i) => (i >= 50 ? { ...r, seq: r.seq + 100 } : r));
    for (let from = 0; from < gappy.length; from += 7) {
      store.appendRecords('r1', gappy.slice(from, from + 7));
      if (from % 21 === 14) vi.advanceTimersByTime(50);
      const upTo = gappy.slice(0, from + 7);
      expect(store.readLogs('r1', { limit: 1000 }).logs).toStrictEqual(upTo);
      expect(store.readLogs('r1', { tail: 12 }).logs).toStrictEqual(upTo.slice(-12));
      expect([...store.iterateLogs('r1', { after: 40 })]).toStrictEqual(upTo.filter((r) => r.seq > 40));
    }
  });

  it('does not rewrite an open chunk that has nothing new', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = openStore({ batchRecords: 10, flushIntervalMs: 50 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(4));
    vi.advanceTimersByTime(50);
    expect(store.stats().chunksWritten).toBe(1);
    store.flush('r1');
    vi.advanceTimersByTime(500);
    expect(store.stats()).toMatchObject({ chunksWritten: 1, recordsWritten: 4 });
  });
});

describe('when SQLite cannot be written', () => {
  it('keeps records readable, counts the failure, never throws into append, bounds what it holds', () => {
    const store = openStore({ batchRecords: 10, busyTimeoutMs: 5, maxHeldRecords: 30, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    const other = new Database(store.path);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    const records = makeRecords(35);
    store.appendRecords('r1', records.slice(0, 10));
    expect(store.stats().writeErrors).toBe(1);
    expect(store.stats().lastError).toMatch(/locked|busy/i);
    expect(store.readLogs('r1').logs).toStrictEqual(records.slice(0, 10));
    expect(() => store.flush()).toThrow(/locked|busy/i);
    store.appendRecords('r1', records.slice(10));
    expect(store.stats().recordsDropped).toBe(5);
    expect(store.readLogs('r1').logs).toStrictEqual(records.slice(5));
    other.exec('ROLLBACK');
    other.close();
    store.flush();
    store.close();
    expect(openStore({ path: store.path }).readLogs('r1').logs).toStrictEqual(records.slice(5));
  });
});

describe('when SQLite cannot be written and a chunk is open', () => {
  it('closes the open chunk as written rather than drop or repeat its records', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = openStore({ batchRecords: 10, busyTimeoutMs: 5, maxHeldRecords: 12, flushIntervalMs: 50 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(15);
    store.appendRecords('r1', records.slice(0, 4));
    vi.advanceTimersByTime(50); // 1–4 written as the open chunk
    const other = new Database(store.path);
    other.exec('BEGIN IMMEDIATE');
    store.appendRecords('r1', records.slice(4, 9));
    vi.advanceTimersByTime(50); // fails: 1–9 held, 1–4 of them in the table
    expect(store.stats().writeErrors).toBe(1);
    store.appendRecords('r1', records.slice(9)); // 15 held > 12: 1–4 leave (they are in the table)
    expect(store.stats().recordsDropped).toBe(0);
    expect(store.readLogs('r1')).toStrictEqual({ logs: records, total: 15 });
    expect(store.readLogs('r1', { tail: 12 }).logs).toStrictEqual(records.slice(3));
    other.exec('ROLLBACK');
    other.close();
    store.flush();
    expect(chunkRows(store.path)).toEqual([
      { first_seq: 1, last_seq: 4, count: 4 },
      { first_seq: 5, last_seq: 14, count: 10 },
      { first_seq: 15, last_seq: 15, count: 1 },
    ]);
    expect(store.readLogs('r1').logs).toStrictEqual(records);
  });
});

describe('close', () => {
  it('flushes pending records, and later appends throw', () => {
    const store = openStore({ batchRecords: 1000, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(7));
    expect(chunkRows(store.path)).toEqual([]);
    store.close();
    expect(chunkRows(store.path)).toEqual([{ first_seq: 1, last_seq: 7, count: 7 }]);
    expect(() => store.appendRecords('r1', makeRecords(1, 8))).toThrow();
    store.close(); // twice is fine
  });
});

describe("data given as the JSON text it was parsed from", () => {
  it('is stored as that text across chunk boundaries and partial writes', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('r1'));
    // -0 is what JSON.stringify would lose: each record that reads back -0 was stored from its text
    const records = makeRecords(35).map((r) => ({ ...r, data: { z: -0, seq: r.seq } }));
    const textOf = (seq: number) => `{"z": -0, "seq": ${seq}}`;
    for (let from = 0; from < records.length; from += 7) {
      const cols = columnsOf(records.slice(from, from + 7));
      // every other record comes with its text
      for (let row = cols.start; row < cols.end; row++) {
        const seq = cols.firstSeq + row - cols.start;
        if (seq % 2 === 1) cols.extras[row]!.dataJson = textOf(seq);
      }
      store.appendColumns('r1', cols);
      if (from === 14) store.flush('r1'); // a partial chunk written, then rewritten as it grows
    }
    store.flush();
    const stored = store.readLogs('r1', { limit: 100 }).logs;
    expect(stored.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    for (const r of stored) {
      expect(r.data!.seq).toBe(r.seq);
      expect(Object.is(r.data!.z, -0)).toBe(r.seq % 2 === 1);
    }
  });
});
