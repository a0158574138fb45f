// The wire JSON of records: the hand-built serializer must give exactly JSON.stringify's text, for records
// as the engine builds them and as the store decodes them, whatever their strings hold.
import { describe, expect, it } from 'vitest';
import { recordColumns } from '../../src/record-columns.js';
import { logsFrame, recordJson, recordsSse } from '../../src/server/record-json.js';
import { createChunkEncoder, decodeChunk } from '../../src/store/chunk-codec.js';
import { createTimestampCodec } from '../../src/store/timestamps.js';
import type { LogRecord } from '../../src/types.js';

const base = (seq: number, message: string): LogRecord => ({
  seq,
  timestamp: '2026-11-23T12:00:00.123456Z',
  stream: 'stdout',
  level: 'INFO',
  message,
});

const tricky: LogRecord[] = [
  base(1, 'plain'),
  base(2, 'quotes " and \\ backslash, tab\t, newline\n, NUL \u0000, DEL \u007f'),
  base(3, 'unicode: naïve café 日本語 😀, line sep \u2028 para sep \u2029'),
  base(4, 'lone surrogates \ud800 and \udfff'),
  { ...base(5, 'layer 1 fetch started'), event: 'layer_start', data: { layer: 1, layer_name: 'fetch', nested: { a: [1, 'x', null, true] } } },
  { ...base(6, 'a piece'), stream: 'stderr', level: 'ERROR', continued: true },
  { ...base(7, 'pushed'), stream: 'push', level: 'WARNING', data: { timestamp: '2026-11-22T12:00:00Z', client_seq: 7, 'k"ey': 'v\n' } },
  { ...base(8, ''), level: 'CRITICAL', data: {} },
];

/** Random strings over the awkward ranges: controls, quotes, surrogates (paired and not), astral. */
function randomString(random: () => number): string {
  const pools = [[0, 0x20], [0x22, 0x23], [0x5c, 0x5d], [0x20, 0x7f], [0x80, 0x800], [0xd800, 0xe000], [0xe000, 0x10000]];
  let out = '';
  const length = Math.floor(random() * 40);
  for (let i = 0; i < length; i++) {
    const [lo, hi] = pools[Math.floor(random() * pools.length)]!;
    out += String.fromCharCode(lo! + Math.floor(random() * (hi! - lo!)));
  }
  return out;
}

describe('record JSON', () => {
  it('is JSON.stringify of the record, for every kind of field and string', () => {
    for (const record of tricky) expect(recordJson(record)).toBe(JSON.stringify(record));
  });

  it('stays equal for random strings in message and data (fixed seed)', () => {
    let state = 42;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const record: LogRecord = { ...base(i + 1, randomString(random)), data: { [randomString(random)]: randomString(random) } };
      expect(recordJson(record)).toBe(JSON.stringify(record));
    }
  });

  it('is JSON.stringify of records decoded from a stored chunk', () => {
    const codec = createTimestampCodec();
    const encoded = createChunkEncoder().encode(recordColumns(tricky, codec.exactMicros), 0, tricky.length);
    const decoded = decodeChunk(encoded.firstSeq, encoded.firstTs, Buffer.from(encoded.body), codec);
    expect(decoded).toHaveLength(tricky.length);
    for (const record of decoded) expect(recordJson(record)).toBe(JSON.stringify(record));
  });

  it('writes a WebSocket frame byte for byte as JSON.stringify would, over batches, empty ones and non-ASCII text', () => {
    const expected = (runId: string, batches: LogRecord[][]) => Buffer.from(JSON.stringify({ type: 'logs', run_id: runId, records: batches.flat() }));
    const cases: LogRecord[][][] = [[tricky], [tricky.slice(0, 3), [], tricky.slice(3)], [tricky.slice(2, 3), tricky.slice(0, 1)], [[], []], []];
    for (const batches of cases) {
      const frame = logsFrame('run_é"x', batches);
      expect(frame.toString('utf8')).toBe(expected('run_é"x', batches).toString('utf8'));
      expect(frame.equals(expected('run_é"x', batches))).toBe(true);
    }
  });

  it('builds WebSocket frames and SSE events from it that parse back to the records', () => {
    const frame = JSON.parse(logsFrame('run_x', [tricky.slice(0, 3), tricky.slice(3)]).toString('utf8')) as { type: string; records: LogRecord[] };
    expect(frame).toMatchObject({ type: 'logs', run_id: 'run_x' });
    expect(frame.records.map((r) => r.seq)).toEqual(tricky.map((r) => r.seq));
    const events = recordsSse(tricky).split('\n\n').filter(Boolean);
    expect(events).toHaveLength(tricky.length);
    expect(events[4]).toBe(`id: 5\nevent: log\ndata: ${JSON.stringify(tricky[4])}`);
  });
});
