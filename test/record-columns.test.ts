// Records as columns: built from records (checked), back to the same records; appended, dropped, compacted and
// grown with every seq and gap kept, and dropped rows let go.
import { describe, expect, it } from 'vitest';
import {
  appendColumns, clearColumns, columnRecords, createColumns, dropRows, pushRow, recordColumns, rowCount, seqAt,
} from '../src/record-columns.js';
import { createTimestampCodec } from '../src/store/timestamps.js';
import type { LogRecord } from '../src/types.js';

const exact = createTimestampCodec().exactMicros;
const at = (us: number) => `2025-10-31T12:00:00.${String(us).padStart(6, '0')}Z`;
const rec = (seq: number, patch: Partial<LogRecord> = {}): LogRecord => ({
  seq, timestamp: at(seq), stream: 'stdout', level: 'INFO', message: `line ${seq}`, ...patch,
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => rec(from + i));

describe('record columns', () => {
  it('give back the records they were built from, exactly: extras, gaps, timestamps µs cannot rebuild', () => {
    const records: LogRecord[] = [
      rec(3, { stream: 'stderr', level: 'ERROR' }),
      rec(4, { level: 'CRITICAL', continued: true }),
      rec(9, { stream: 'push', level: 'DEBUG', event: 'layer_start', data: { layer: 1, n: -0 } }),
      rec(10, { timestamp: '2025-10-31T14:00:00+02:00', data: {} }),
      rec(11, { level: 'WARNING', message: '' }),
    ];
    const cols = recordColumns(records, exact);
    expect([cols.firstSeq, cols.lastSeq, rowCount(cols)]).toEqual([3, 11, 5]);
    expect(cols.extras.slice(0, 5).map((x) => x === undefined)).toEqual([true, true, false, false, true]);
    expect(columnRecords(cols)).toStrictEqual(records);
    expect(columnRecords(cols, 2, 4)).toStrictEqual(records.slice(2, 4));
    expect([0, 1, 2, 3, 4, 5].map((row) => seqAt(cols, row))).toEqual([3, 4, 9, 10, 11, 12]);
  });

  it('refuse records they cannot hold, saying which, before taking any', () => {
    expect(() => recordColumns([rec(2), rec(2)], exact, 0, 'run r1')).toThrow(/run r1: seq 2 after 2/);
    expect(() => recordColumns([rec(5)], exact, 5)).toThrow(/seq 5 after 5/);
    expect(() => recordColumns([rec(1.5)], exact)).toThrow(/integers that only increase/);
    expect(() => recordColumns([rec(1), rec(2, { level: 'LOUD' as never })], exact)).toThrow(/record 2 has level "LOUD"/);
    expect(() => recordColumns([rec(1, { stream: 'tty' as never })], exact)).toThrow(/stream "tty"/);
  });

  it('append, drop, compact and grow, reading back the same records all along', () => {
    const into = createColumns(1, 8);
    const expected: LogRecord[] = [];
    let next = 1;
    // batches of 5 in, 7 dropped now and then: the arrays compact when the front frees room, grow when it does not
    for (let round = 0; round < 40; round++) {
      const batch = range(next, next + 4);
      appendColumns(into, recordColumns(batch, exact));
      expected.push(...batch);
      next += 5;
      if (round % 3 === 2) {
        dropRows(into, 7);
        expected.splice(0, 7);
      }
      expect(columnRecords(into)).toStrictEqual(expected);
      expect([into.firstSeq, into.lastSeq]).toEqual([expected[0]!.seq, expected.at(-1)!.seq]);
    }
    // what was dropped is let go: no message outside the rows held
    const outside = into.messages.filter((m, i) => m !== undefined && (i < into.start || i >= into.end));
    expect(outside).toEqual([]);
  });

  it('carry a gap between appended columns into the first added row, leaving the added columns as they were', () => {
    const into = createColumns(1, 2);
    appendColumns(into, recordColumns([rec(4), rec(5)], exact));
    const more = recordColumns([rec(9, { event: 'layer_skip', data: { layer: 2 } }), rec(10)], exact);
    appendColumns(into, more);
    appendColumns(into, recordColumns([rec(11)], exact));
    expect(columnRecords(into).map((r) => r.seq)).toEqual([4, 5, 9, 10, 11]);
    expect(columnRecords(into)[2]).toStrictEqual(rec(9, { event: 'layer_skip', data: { layer: 2 } }));
    expect(more.extras[0]!.seq).toBeUndefined();
    dropRows(into, 2);
    expect(into.firstSeq).toBe(9);
    expect(columnRecords(into).map((r) => r.seq)).toEqual([9, 10, 11]);
    dropRows(into, 99);
    expect([rowCount(into), into.firstSeq]).toEqual([0, 12]);
  });

  it('are reused once cleared: pushRow numbers rows on from the seq given', () => {
    const cols = createColumns(1, 1);
    pushRow(cols, 10, 4, 'a', undefined);
    pushRow(cols, 11, 4, 'b', undefined);
    clearColumns(cols, 3);
    expect([rowCount(cols), cols.messages.filter((m) => m !== undefined)]).toEqual([0, []]);
    pushRow(cols, 12, 4, 'c', undefined);
    expect(columnRecords(cols).map((r) => [r.seq, r.message, r.level])).toEqual([[3, 'c', 'INFO']]);
  });
});
