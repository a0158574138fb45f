import { describe, expect, it } from 'vitest';
import { createChunkEncoder, decodeChunk } from '../../src/store/chunk-codec.js';
import { createTimestampCodec, isoToMicros } from '../../src/store/timestamps.js';
import type { LogRecord } from '../../src/types.js';
import { columnsOf, encodeFormat1Body, makeRecords } from './helpers.js';

const roundTrip = (records: LogRecord[]) => {
  const chunk = createChunkEncoder().encode(columnsOf(records), 0, records.length);
  return { chunk, decoded: decodeChunk(chunk.firstSeq, chunk.firstTs, Buffer.from(chunk.body), createTimestampCodec()) };
};

describe('chunk codec', () => {
  it('round-trips records exactly, optional fields absent stay absent', () => {
    const records = makeRecords(200);
    const { decoded } = roundTrip(records);
    expect(decoded).toStrictEqual(records);
    expect(Object.keys(decoded[0]!)).toEqual(['seq', 'timestamp', 'stream', 'level', 'message']);
  });

  it('keeps awkward messages: unicode, newlines, quotes, empty, lone surrogates, very long', () => {
    const texts = ['', 'héllo wörld ✓ 日本語 🚀🚀', 'a\nb\r\nc\td', '"quoted" \\ back\\slash \u0000 nul', 'x'.repeat(70_000),
      'lone \ud800 high', 'lone \udc00 low', '\ud83d', '\ude80 end', 'pair split \ud83d', '\ude80 across records', '\u2028\u2029'];
    const records = texts.map((message, i): LogRecord => ({
      seq: i + 1, timestamp: `2025-10-31T12:00:00.00000${i % 10}Z`, stream: 'stdout', level: 'INFO', message,
    }));
    records.forEach((r, i) => (r.timestamp = `2025-10-31T12:00:${String(i).padStart(2, '0')}.000000Z`));
    expect(roundTrip(records).decoded).toStrictEqual(records);
  });

  it('encodes any rows of columns: a chunk from the middle starts at its own seq and time', () => {
    const records = makeRecords(300);
    const gappy = records.map((r, i) => (i >= 200 ? { ...r, seq: r.seq + 1000 } : r));
    const cols = columnsOf(gappy);
    const codec = createTimestampCodec();
    for (const [from, to] of [[0, 100], [100, 250], [250, 300]] as const) {
      const chunk = createChunkEncoder().encode(cols, from, to);
      expect(chunk.firstSeq).toBe(gappy[from]!.seq);
      expect(chunk.lastSeq).toBe(gappy[to - 1]!.seq);
      expect(decodeChunk(chunk.firstSeq, chunk.firstTs, Buffer.from(chunk.body), codec)).toStrictEqual(gappy.slice(from, to));
    }
  });

  it("stores data as the JSON text the caller says it was parsed from, so it reads back as the line had it", () => {
    // JSON.stringify(data) would say 0, null and "1.5" here: the line's own text keeps -0, Infinity (from 1e400) and all
    const source = '{ "event":"layer_start", "layer": 2, "n": 1.50, "z": -0, "big": 1e400, "s": "\\u00e9 \\u2028" }';
    const records: LogRecord[] = [
      { seq: 1, timestamp: '2025-10-31T12:00:00.000001Z', stream: 'stdout', level: 'INFO', message: 'layer 2 started',
        event: 'layer_start', data: JSON.parse(source) as Record<string, unknown> },
      { seq: 2, timestamp: '2025-10-31T12:00:00.000002Z', stream: 'stdout', level: 'INFO', message: 'no hint', data: { k: [1, 2] } },
    ];
    const cols = columnsOf(records);
    cols.extras[0]!.dataJson = source;
    const chunk = createChunkEncoder().encode(cols, 0, 2);
    expect(Buffer.from(chunk.body).includes(source)).toBe(true);
    const decoded = decodeChunk(chunk.firstSeq, chunk.firstTs, Buffer.from(chunk.body), createTimestampCodec());
    expect(decoded).toStrictEqual(records);
    expect(Object.is(decoded[0]!.data!.z, -0)).toBe(true);
    expect(decoded[0]!.data!.big).toBe(Infinity);
    expect(decoded[0]!.data!.s).toBe('é \u2028');
  });

  it('keeps a surrogate pair split across two records', () => {
    const records: LogRecord[] = [
      { seq: 1, timestamp: '2025-10-31T12:00:00.000001Z', stream: 'stdout', level: 'INFO', message: 'rocket \ud83d' },
      { seq: 2, timestamp: '2025-10-31T12:00:00.000002Z', stream: 'stdout', level: 'INFO', message: '\ude80 lands' },
    ];
    expect(roundTrip(records).decoded).toStrictEqual(records);
  });

  it('keeps timestamps it cannot rebuild, seq gaps and all extras', () => {
    const records: LogRecord[] = [
      { seq: 5, timestamp: '2025-10-31T12:00:00.123Z', stream: 'push', level: 'DEBUG', message: 'ms precision' },
      { seq: 9, timestamp: '2025-10-31T14:00:00.200000+02:00', stream: 'stderr', level: 'CRITICAL', message: 'offset' },
      { seq: 10, timestamp: 'not a time', stream: 'stdout', level: 'WARNING', message: 'garbage time', continued: true },
      { seq: 11, timestamp: '2025-10-31T12:00:01.000000Z', stream: 'stdout', level: 'ERROR', message: 'e',
        event: 'layer_error', data: { error: 'boom', n: 1.5, deep: [{ a: null }] }, continued: true },
      { seq: 100, timestamp: '2025-10-31T12:00:01.000001Z', stream: 'stdout', level: 'INFO', message: '', data: {} },
    ];
    const { chunk, decoded } = roundTrip(records);
    expect(decoded).toStrictEqual(records);
    expect(chunk.firstSeq).toBe(5);
    expect(chunk.lastSeq).toBe(100);
    expect(chunk.count).toBe(5);
    expect(chunk.firstTs).toBe(isoToMicros('2025-10-31T12:00:00.123Z'));
    expect(chunk.lastTs).toBe(isoToMicros('2025-10-31T12:00:01.000001Z'));
  });

  it('summarises levels and streams as masks and counts', () => {
    const records = makeRecords(50);
    const { chunk } = roundTrip(records);
    expect(chunk.levelCounts.reduce((a, b) => a + b, 0)).toBe(50);
    expect(chunk.levelCounts[3]).toBe(records.filter((r) => r.level === 'ERROR').length);
    expect(chunk.levelMask).toBe(0b11111);
    expect(chunk.streamMask).toBe(0b111);
    const infos = roundTrip(records.filter((r) => r.level === 'INFO' && r.stream === 'stderr')).chunk;
    expect(infos.levelMask).toBe(0b10);
    expect(infos.streamMask).toBe(0b10);
  });

  it('never throws on data JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const records: LogRecord[] = [
      { seq: 1, timestamp: '2025-10-31T12:00:00.000001Z', stream: 'stdout', level: 'INFO', message: 'big', data: { n: 1n } as never },
      { seq: 2, timestamp: '2025-10-31T12:00:00.000002Z', stream: 'stdout', level: 'INFO', message: 'cycle', data: cyclic },
      { seq: 3, timestamp: '2025-10-31T12:00:00.000003Z', stream: 'stdout', level: 'INFO', message: 'fine', data: { ok: 1 } },
    ];
    const { decoded } = roundTrip(records);
    expect(decoded.map((r) => r.message)).toEqual(['big', 'cycle', 'fine']);
    expect(decoded[2]!.data).toEqual({ ok: 1 });
    expect(decoded[0]!.data).toHaveProperty('unserializable');
  });

  it('writes format 2: numbers in binary columns, JSON only for records with extras', () => {
    const plain = makeRecords(100).map(({ seq, timestamp, stream, level, message }): LogRecord => ({ seq, timestamp, stream, level, message }));
    const chunk = createChunkEncoder().encode(columnsOf(plain), 0, plain.length);
    const messageBytes = plain.reduce((sum, r) => sum + Buffer.byteLength(r.message), 0);
    expect(chunk.body[0]).toBe(2);
    expect(chunk.body.length).toBe(16 + 14 * plain.length + messageBytes); // preamble, columns, messages: no extras
    const withExtras = createChunkEncoder().encode(columnsOf(makeRecords(100)), 0, 100).body;
    expect(withExtras.readUInt32LE(8)).toBeGreaterThan(0);
  });

  it('still reads format 1 bodies, which files written before format 2 hold', () => {
    const codec = createTimestampCodec();
    const records = makeRecords(300);
    const old = encodeFormat1Body(records);
    expect(old.body[0]).toBe('['.charCodeAt(0));
    expect(decodeChunk(records[0]!.seq, old.firstTs, old.body, codec)).toStrictEqual(records);
    const awkward = ['héllo ✓ 🚀', 'a\nb', '', 'x'.repeat(5000)].map((message, i): LogRecord => ({
      seq: i + 1, timestamp: `2025-10-31T12:00:0${i}.000000Z`, stream: 'stderr', level: 'ERROR', message,
    }));
    const second = encodeFormat1Body(awkward);
    expect(decodeChunk(1, second.firstTs, second.body, codec)).toStrictEqual(awkward);
  });

  it('refuses a body in a format it does not know, saying so', () => {
    const body = Buffer.from([9, 0, 0, 0, 1, 0, 0, 0]);
    expect(() => decodeChunk(1, 0, body, createTimestampCodec())).toThrow(/unknown format \(first byte 9\).*newer supervisor/);
  });

  it('has room for text of 3-byte characters only, and for 4-byte ones, whatever the buffer held before', () => {
    const encoder = createChunkEncoder();
    const codec = createTimestampCodec();
    for (const text of ['日'.repeat(200_000), '🚀'.repeat(150_000), 'ascii '.repeat(50_000), '日本'.repeat(10)]) {
      const records = makeRecords(4).map((r, i) => ({ ...r, message: i % 2 ? text : `${text}${i}` }));
      const c = encoder.encode(columnsOf(records), 0, records.length);
      expect(decodeChunk(c.firstSeq, c.firstTs, Buffer.from(c.body), codec)).toStrictEqual(records);
    }
  });

  it('reuses its buffer safely across chunks of very different sizes', () => {
    const encoder = createChunkEncoder();
    const codec = createTimestampCodec();
    const big = makeRecords(3).map((r) => ({ ...r, message: 'é'.repeat(600_000) }));
    const small = makeRecords(3, 4);
    for (const records of [small, big, small]) {
      const c = encoder.encode(columnsOf(records), 0, records.length);
      expect(decodeChunk(c.firstSeq, c.firstTs, Buffer.from(c.body), codec)).toStrictEqual(records);
    }
  });
});
