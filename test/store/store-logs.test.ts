import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LogQuery } from '../../src/store/log-query.js';
import { microsToIso } from '../../src/store/timestamps.js';
import type { LogRecord } from '../../src/types.js';
import { T0, makeRecords, makeRun, openStore, referenceQuery } from './helpers.js';

const chunkRows = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT first_seq, last_seq, count FROM chunks ORDER BY first_seq').all() as {
      first_seq: number;
      last_seq: number;
      count: number;
    }[];
  } finally {
    db.close();
  }
};

/** Queries that probe chunk borders (batch 10), the held tail, filters and every cursor. */
function queries(records: readonly LogRecord[]): LogQuery[] {
  const last = records[records.length - 1]!.seq;
  const out: LogQuery[] = [{}];
  for (const after of [0, 1, 9, 10, 11, 19, 20, 29, 30, 31, last - 1, last, last + 5]) {
    out.push({ after }, { after, limit: 3 }, { after, limit: 0 }, { after, minLevel: 'ERROR', limit: 4 });
  }
  for (const seq of [1, 10, 11, 30, 31, last]) {
    const ts = records.find((r) => r.seq === seq)!.timestamp;
    out.push({ since: ts }, { since: ts, limit: 2 }, { since: ts, stream: 'stderr' }, { since: ts, after: seq + 3 });
  }
  out.push({ since: microsToIso(T0 + 30 * 1500 + 1).slice(0, 23) + 'Z' }); // ms precision, between records
  out.push({ since: '2025-10-31T13:00:00.044+01:00' }, { since: '2000-01-01T00:00:00Z' }, { since: '2100-01-01T00:00:00Z' });
  for (const tail of [0, 1, 3, 5, 10, 11, 25, 1000]) {
    out.push({ tail }, { tail, minLevel: 'WARNING' }, { tail, stream: 'push' }, { tail, grep: 'NEEDLE' });
    for (const before of [1, 2, 11, 21, 31, last, last + 1]) out.push({ tail, before }, { tail, before, minLevel: 'ERROR' });
  }
  out.push({ minLevel: 'CRITICAL' }, { stream: 'stdout', minLevel: 'INFO' }, { grep: 'needle in "line"' });
  out.push({ grep: 'second\\part' }, { grep: /line \d+3 of/ }, { grep: /NEEDLE/i, limit: 1 }, { grep: 'no such text' });
  out.push({ after: 5, before: 25 }, { after: 5, before: 25, limit: 7, stream: 'stderr' }, { grep: '' });
  return out;
}

describe('appendRecords and readLogs', () => {
  it('round-trips records exactly, from the pending buffer, from SQLite, and after reopening', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(37);
    store.appendRecords('r1', records.slice(0, 20));
    store.appendRecords('r1', records.slice(20));
    expect(store.readLogs('r1', {})).toStrictEqual({ logs: records, total: 37 });
    store.flush();
    expect(store.readLogs('r1', {})).toStrictEqual({ logs: records, total: 37 });
    store.close();
    const reopened = openStore({ path: store.path });
    expect(reopened.readLogs('r1', {}).logs).toStrictEqual(records);
  });

  it('writes a chunk only when batchRecords are pending, or on flush', () => {
    const store = openStore({ batchRecords: 10, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(25);
    store.appendRecords('r1', records.slice(0, 9));
    expect(chunkRows(store.path)).toEqual([]);
    store.appendRecords('r1', records.slice(9, 12));
    expect(chunkRows(store.path)).toEqual([{ first_seq: 1, last_seq: 10, count: 10 }]);
    store.appendRecords('r1', records.slice(12));
    expect(chunkRows(store.path).map((c) => c.count)).toEqual([10, 10]);
    expect(store.lastSeq('r1')).toBe(25);
    store.flush('r1');
    expect(chunkRows(store.path).map((c) => c.count)).toEqual([10, 10, 5]);
    expect(store.stats().recordsWritten).toBe(25);
  });

  it('answers every query like a naive filter over all records, wherever the records are', () => {
    const records = makeRecords(47);
    const check = (store: ReturnType<typeof openStore>, state: string) => {
      for (const q of queries(records)) {
        expect(store.readLogs('r1', q), `${state} ${JSON.stringify(q)} ${String(q.grep)}`).toStrictEqual(
          referenceQuery(records, q),
        );
        const iterated = [...store.iterateLogs('r1', q)];
        expect(iterated, `iterate ${state} ${JSON.stringify(q)}`).toStrictEqual(referenceQuery(records, q).logs);
      }
    };
    // all held (nothing written yet)
    const store = openStore({ batchRecords: 100, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', records);
    check(store, 'held');
    // closed chunks of 10 plus a held tail of 7
    const chunked = openStore({ batchRecords: 10, flushIntervalMs: 60_000 });
    chunked.insertRun(makeRun('r1'));
    for (let i = 0; i < records.length; i += 4) chunked.appendRecords('r1', records.slice(i, i + 4));
    check(chunked, 'chunked+held');
    chunked.flush();
    check(chunked, 'flushed');
    // reopened: everything from SQLite
    chunked.close();
    check(openStore({ path: chunked.path }), 'reopened');
  });

  it('since is strict, accepts other ISO forms, and refuses garbage with SUP_ERR_BAD_CURSOR', () => {
    const store = openStore({ batchRecords: 4 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(12);
    store.appendRecords('r1', records);
    expect(store.readLogs('r1', { since: records[5]!.timestamp }).logs.map((r) => r.seq)).toEqual([7, 8, 9, 10, 11, 12]);
    // 12:00:00.009 is seq 6 exactly (6 × 1.5 ms): the same instant with fewer digits, and with an offset.
    expect(records[5]!.timestamp).toBe('2025-10-31T12:00:00.009000Z');
    expect(store.readLogs('r1', { since: '2025-10-31T12:00:00.009Z' }).logs[0]!.seq).toBe(7);
    expect(store.readLogs('r1', { since: '2025-10-31T07:00:00.009-05:00' }).logs[0]!.seq).toBe(7);
    expect(store.readLogs('r1', { since: '2025-10-31T12:00:00.0089999Z' }).logs[0]!.seq).toBe(6);
    for (const bad of ['soon', '2025-13-01', '']) {
      expect(() => store.readLogs('r1', { since: bad })).toThrow(expect.objectContaining({ code: 'SUP_ERR_BAD_CURSOR' }));
    }
    expect(() => store.readLogs('r1', { after: Number.NaN })).toThrow(expect.objectContaining({ code: 'SUP_ERR_BAD_CURSOR' }));
  });

  it('total is the run’s count without filters, and the matching count with them', () => {
    const store = openStore({ batchRecords: 8 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(60);
    store.appendRecords('r1', records);
    expect(store.readLogs('r1', { tail: 5 }).total).toBe(60);
    expect(store.readLogs('r1', { after: 50 }).total).toBe(60);
    const errors = records.filter((r) => r.level === 'ERROR' || r.level === 'CRITICAL').length;
    expect(store.readLogs('r1', { tail: 1, minLevel: 'ERROR' }).total).toBe(errors);
    const stderr = records.filter((r) => r.stream === 'stderr').length;
    expect(store.readLogs('r1', { tail: 1, stream: 'stderr' }).total).toBe(stderr);
    const needles = records.filter((r) => r.message.includes('Needle')).length;
    expect(store.readLogs('r1', { after: 59, grep: 'needle' }).total).toBe(needles);
  });

  it('pages back through older lines with tail and before', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(45));
    const seqs = (q: LogQuery) => store.readLogs('r1', q).logs.map((r) => r.seq);
    let page = seqs({ tail: 12 });
    expect(page).toEqual([34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]);
    const seen = [...page];
    while (page.length > 0) {
      page = seqs({ tail: 12, before: page[0] });
      seen.unshift(...page);
    }
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
  });

  it('grep finds messages the chunk text holds escaped or in a different letter case context', () => {
    const store = openStore({ batchRecords: 100 });
    store.insertRun(makeRun('r1'));
    const texts = ['A', 'Σ', 'bad \ud800 "q" here', 'Straße', 'ÄRGER', 'plain'];
    const records = texts.map((message, i) => ({ ...makeRecords(1, i + 1)[0]!, message }));
    store.appendRecords('r1', records);
    store.flush();
    const found = (grep: string) => store.readLogs('r1', { grep }).logs.map((r) => r.message);
    expect(found('σ')).toEqual(['Σ']); // alone it lowercases to σ; after "A" in the chunk text, to ς
    expect(found('"q"')).toEqual(['bad \ud800 "q" here']); // this one sits JSON-escaped in the header
    expect(found('ärger')).toEqual(['ÄRGER']);
    expect(found('STRASSE')).toEqual([]);
    expect(found('straße')).toEqual(['Straße']);
  });

  it('reads of an unknown run are empty', () => {
    const store = openStore();
    expect(store.readLogs('nope', { tail: 10 })).toEqual({ logs: [], total: 0 });
    expect([...store.iterateLogs('nope')]).toEqual([]);
    expect(store.lastSeq('nope')).toBe(0);
  });
});

describe('appendRecords guards', () => {
  it('refuses an unknown run, and seqs that do not increase, taking none of a bad batch', () => {
    const store = openStore({ batchRecords: 10 });
    expect(() => store.appendRecords('ghost', makeRecords(1))).toThrow(expect.objectContaining({ code: 'RUN_NOT_FOUND' }));
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(3));
    expect(() => store.appendRecords('r1', makeRecords(2, 3))).toThrow(RangeError);
    expect(() => store.appendRecords('r1', [...makeRecords(2, 4), ...makeRecords(1, 4)])).toThrow(RangeError);
    const bad = { ...makeRecords(1, 4)[0]!, level: 'LOUD' } as unknown as LogRecord;
    expect(() => store.appendRecords('r1', [bad])).toThrow(RangeError);
    expect(store.lastSeq('r1')).toBe(3);
    store.appendRecords('r1', makeRecords(2, 4));
    expect(store.readLogs('r1').logs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('continues the seq of a run that already has records in the file', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(5));
    store.close();
    const again = openStore({ path: store.path, batchRecords: 10 });
    expect(again.lastSeq('r1')).toBe(5);
    expect(() => again.appendRecords('r1', makeRecords(1, 5))).toThrow(RangeError);
    again.appendRecords('r1', makeRecords(3, 6));
    expect(again.readLogs('r1').logs).toStrictEqual(makeRecords(8));
  });
});

describe('iterateLogs', () => {
  it('streams a run of many chunks oldest first, with filters and a cursor', () => {
    const store = openStore({ batchRecords: 50 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(2_030);
    for (let i = 0; i < records.length; i += 70) store.appendRecords('r1', records.slice(i, i + 70));
    expect(chunkRows(store.path).length).toBe(40);
    expect([...store.iterateLogs('r1')]).toStrictEqual(records);
    expect([...store.iterateLogs('r1', { after: 1_234, minLevel: 'CRITICAL' })]).toStrictEqual(
      records.filter((r) => r.seq > 1_234 && r.level === 'CRITICAL'),
    );
    expect([...store.iterateLogs('r1', { tail: 3 })].map((r) => r.seq)).toEqual([2_028, 2_029, 2_030]);
  });

  it('yields each record once while the writer keeps appending and flushing, up to where it began', () => {
    const store = openStore({ batchRecords: 10, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(400);
    store.appendRecords('r1', records.slice(0, 105)); // 10 chunks + 5 held
    const seen: number[] = [];
    let next = 105;
    for (const r of store.iterateLogs('r1')) {
      seen.push(r.seq);
      if (next < 400) {
        store.appendRecords('r1', records.slice(next, next + 3));
        next += 3;
        if (seen.length % 7 === 0) store.flush('r1');
      }
    }
    expect(seen).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
  });
});
