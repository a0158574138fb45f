import { describe, expect, it } from 'vitest';
import { recordColumns } from '../../src/record-columns.js';
import { createRingBuffer } from '../../src/sinks/ring-buffer.js';
import { createTimestampCodec } from '../../src/store/timestamps.js';
import type { LogRecord } from '../../src/types.js';

const batch = (...records: LogRecord[]) => recordColumns(records, createTimestampCodec().exactMicros);

const record = (seq: number): LogRecord => ({
  seq,
  timestamp: `2025-10-31T12:00:00.${String(seq).padStart(6, '0')}Z`,
  stream: 'stdout',
  level: 'INFO',
  message: `line ${seq}`,
});

const fill = (capacity: number, count: number) => {
  const ring = createRingBuffer(capacity);
  for (let seq = 1; seq <= count; seq++) ring.append(batch(record(seq)));
  return ring;
};

describe('ring buffer', () => {
  it('keeps the last N records after wrapping', () => {
    const ring = fill(5, 12);
    expect(ring.size).toBe(5);
    expect(ring.firstSeq).toBe(8);
    expect(ring.lastSeq).toBe(12);
    expect(ring.tail(100).map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(ring.tail(2).map((r) => r.seq)).toEqual([11, 12]);
    expect(ring.tail(0)).toEqual([]);
  });

  it('serves records after a seq, and says when it no longer holds them', () => {
    const ring = fill(5, 12);
    expect(ring.after(9)!.map((r) => r.seq)).toEqual([10, 11, 12]);
    expect(ring.after(7)!.map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(ring.after(12)).toEqual([]);
    expect(ring.after(6)).toBeUndefined();
    expect(ring.after(8, 2)!.map((r) => r.seq)).toEqual([9, 10]);
  });

  it('works before it is full and when empty', () => {
    const empty = createRingBuffer(3);
    expect(empty.tail(3)).toEqual([]);
    expect(empty.after(0)).toEqual([]);
    const ring = fill(10, 3);
    expect(ring.after(0)!.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('refuses a seq out of order rather than corrupt the window', () => {
    const ring = fill(3, 2);
    expect(() => ring.append(batch(record(5)))).toThrow(/expects seq 3/);
    expect(() => ring.append(batch(record(3), record(5)))).toThrow(/gaps/);
    expect(ring.lastSeq).toBe(2);
    expect(() => createRingBuffer(0)).toThrow(RangeError);
  });
});

describe('ring buffer resumed after a restart', () => {
  it('continues from the last stored seq and reports older ones as not held', () => {
    const ring = createRingBuffer(3, 100);
    expect(ring.firstSeq).toBe(101);
    expect(ring.after(100)).toEqual([]);
    expect(ring.after(50)).toBeUndefined();
    ring.append(batch(record(101)));
    expect(ring.tail(5).map((r) => r.seq)).toEqual([101]);
    expect(() => ring.append(batch(record(1)))).toThrow(/expects seq 102/);
  });
});

describe('ring buffer columns', () => {
  it('gives back each record exactly: optional fields, and timestamps rebuilt from µs by the formatter', () => {
    const format = (micros: number) => `t${micros}`;
    const ring = createRingBuffer(4, 0, format);
    const records: LogRecord[] = [
      { seq: 1, timestamp: 't10', stream: 'stderr', level: 'CRITICAL', message: 'a' },
      { seq: 2, timestamp: 't11', stream: 'push', level: 'DEBUG', message: '', continued: true },
      { seq: 3, timestamp: 't12', stream: 'stdout', level: 'ERROR', message: 'layer 2 error: x', event: 'layer_error', data: { layer: 2, n: -0 } },
      { seq: 4, timestamp: 'kept as given', stream: 'stdout', level: 'WARNING', message: 'no µs came with it', data: {} },
      { seq: 5, timestamp: 't14', stream: 'stdout', level: 'INFO', message: 'wraps over seq 1' },
    ];
    // µs for the timestamps the formatter gives back; NaN (the string kept) for the one it cannot
    ring.append(recordColumns(records, (ts) => (ts.startsWith('t') ? Number(ts.slice(1)) : Number.NaN)));
    expect(ring.tail(4)).toStrictEqual(records.slice(1));
    expect(Object.keys(ring.tail(1)[0]!)).toEqual(['seq', 'timestamp', 'stream', 'level', 'message']);
    expect(Object.keys(ring.after(2, 1)![0]!)).toEqual(['seq', 'timestamp', 'stream', 'level', 'message', 'event', 'data']);
  });

  it('takes a batch larger than itself, keeping its last records', () => {
    const ring = createRingBuffer(4);
    ring.append(batch(...Array.from({ length: 10 }, (_, i) => record(i + 1))));
    expect(ring.size).toBe(4);
    expect(ring.tail(10)).toStrictEqual([7, 8, 9, 10].map(record));
  });
});
