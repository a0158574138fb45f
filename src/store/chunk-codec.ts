// Many records in one row, cheap for V8 both ways: a chunk body is the UTF-8 of a JSON header, a newline,
// then the messages back to back (no escaping to do or undo for the bulk of the bytes).
//
// The header is a flat array, 3+ slots per record: `tsDelta, code, message length`, then the extras its
// code announces, in this order: event, data, raw timestamp, seq gap. tsDelta is µs since the previous
// record (the first: since the chunk's first_ts); seq is implicit (previous + 1; the first is the
// chunk's first_seq) unless a gap is stored; code = stream | level << 2 | flag bits below. A message
// that UTF-8 cannot carry exactly (a lone surrogate) sits in the header as a string instead of a length.
import { LEVELS, STREAMS, type Level, type LogRecord, type Stream } from '../types.js';
import { createTimestampCodec, type TimestampCodec } from './timestamps.js';

const CONTINUED = 1 << 5;
const HAS_EVENT = 1 << 6;
const HAS_DATA = 1 << 7;
const RAW_TIMESTAMP = 1 << 8;
const SEQ_GAP = 1 << 9;

/** Index of a level in LEVELS (also its bit in a level mask); undefined for anything else. */
export function levelCode(level: string): number | undefined {
  switch (level) {
    case 'INFO': return 1;
    case 'ERROR': return 3;
    case 'WARNING': return 2;
    case 'DEBUG': return 0;
    case 'CRITICAL': return 4;
    default: return undefined;
  }
}

/** Index of a stream in STREAMS (also its bit in a stream mask); undefined for anything else. */
export function streamCode(stream: string): number | undefined {
  switch (stream) {
    case 'stdout': return 0;
    case 'stderr': return 1;
    case 'push': return 2;
    default: return undefined;
  }
}

/** What a chunk row holds besides its run: the ranges and masks that let readers skip it undecoded. */
export interface ChunkSummary {
  firstSeq: number;
  lastSeq: number;
  firstTs: number;
  lastTs: number;
  count: number;
  levelMask: number;
  streamMask: number;
  /** records per level, in LEVELS order */
  levelCounts: [number, number, number, number, number];
}

export interface EncodedChunk extends ChunkSummary {
  /** valid until the next encode() of the same encoder (bind it at once; SQLite copies it) */
  body: Buffer;
}

export interface ChunkEncoder {
  /**
   * Encode records[from, to) (non-empty, seq strictly increasing). `micros`, when given, runs parallel to
   * `records`: micros[i] is records[i].timestamp as µs (NaN where unknown), so the strings are not re-read.
   */
  encode(records: readonly LogRecord[], from: number, to: number, micros?: readonly number[]): EncodedChunk;
}

// µs in this range format as a canonical 27-character timestamp (years 0000–9999), so microsToIso gives the string back.
const MIN_CANONICAL_MICROS = -62_167_219_200_000_000;
const MAX_CANONICAL_MICROS = 253_402_300_800_000_000;

const SCRATCH_BYTES = 1 << 20;

/** An encoder with its own timestamp memo and a reused output buffer, so encoding allocates little. */
export function createChunkEncoder(): ChunkEncoder {
  const codec = createTimestampCodec();
  let scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

  // Header, newline, tail into the scratch buffer as UTF-8. ASCII text (the usual) is copied as latin1, which
  // is byte-identical for it and several times faster than the UTF-8 encoder.
  const toBytes = (header: string, tail: string): Buffer => {
    if (scratch.length > 4 * SCRATCH_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_BYTES); // let a giant one go
    const tailBytes = Buffer.byteLength(tail, 'utf8');
    const need = header.length * 3 + 1 + tailBytes;
    if (need > scratch.length) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
    let at = scratch.write(header, 0, 'utf8');
    scratch[at++] = 10; // \n
    at += scratch.write(tail, at, tailBytes === tail.length ? 'latin1' : 'utf8');
    return scratch.subarray(0, at);
  };

  return {
    encode(records, from, to, micros) {
      const header: unknown[] = [];
      const messages: string[] = new Array(to - from);
      const levelCounts: ChunkSummary['levelCounts'] = [0, 0, 0, 0, 0];
      let streamMask = 0;
      let prevSeq = records[from]!.seq - 1;
      let firstTs = 0;
      let prevTs = 0;
      for (let i = from; i < to; i++) {
        const r = records[i]!;
        const level = levelCode(r.level)!;
        const stream = streamCode(r.stream)!;
        let code = stream | (level << 2);
        let ts = micros === undefined ? Number.NaN : micros[i]!;
        if (!(ts >= MIN_CANONICAL_MICROS && ts < MAX_CANONICAL_MICROS && Number.isInteger(ts))) ts = codec.exactMicros(r.timestamp);
        if (ts !== ts) {
          code |= RAW_TIMESTAMP;
          ts = codec.toMicros(r.timestamp);
          if (ts !== ts) ts = i === from ? 0 : prevTs;
        }
        if (i === from) firstTs = prevTs = ts;
        if (r.continued === true) code |= CONTINUED;
        if (r.event !== undefined) code |= HAS_EVENT;
        if (r.data !== undefined) code |= HAS_DATA;
        if (r.seq !== prevSeq + 1) code |= SEQ_GAP;
        header.push(ts - prevTs, code, r.message.length);
        messages[i - from] = r.message;
        if (code >= HAS_EVENT) {
          if (code & HAS_EVENT) header.push(r.event);
          if (code & HAS_DATA) header.push(r.data);
          if (code & RAW_TIMESTAMP) header.push(r.timestamp);
          if (code & SEQ_GAP) header.push(r.seq - prevSeq);
        }
        levelCounts[level]++;
        streamMask |= 1 << stream;
        prevTs = ts;
        prevSeq = r.seq;
      }
      let tail = messages.join('');
      if (LONE_SURROGATE.test(tail)) tail = inlineLoneSurrogates(header, messages);
      let levelMask = 0;
      for (let l = 0; l < levelCounts.length; l++) if (levelCounts[l]! > 0) levelMask |= 1 << l;
      return {
        firstSeq: records[from]!.seq,
        lastSeq: prevSeq,
        firstTs,
        lastTs: prevTs,
        count: to - from,
        levelMask,
        streamMask,
        levelCounts,
        body: toBytes(stringifyHeader(header), tail),
      };
    },
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// UTF-8 would turn a lone surrogate into U+FFFD: such messages go into the header, where JSON escapes them.
function inlineLoneSurrogates(header: unknown[], messages: string[]): string {
  let slot = 0;
  for (let k = 0; k < messages.length; k++) {
    const message = messages[k]!;
    if (LONE_SURROGATE.test(message)) {
      header[slot + 2] = message;
      messages[k] = '';
    }
    const code = header[slot + 1] as number;
    slot += 3;
    if (code >= HAS_EVENT) for (const flag of [HAS_EVENT, HAS_DATA, RAW_TIMESTAMP, SEQ_GAP]) if (code & flag) slot++;
  }
  return messages.join('');
}

// JSON of the header; data that cannot be serialised (a cycle, a BigInt) is replaced, never allowed to fail a flush.
function stringifyHeader(header: unknown[]): string {
  try {
    return JSON.stringify(header);
  } catch {
    return JSON.stringify(
      header.map((slot) => {
        if (slot === null || typeof slot !== 'object') return slot;
        try {
          JSON.stringify(slot);
          return slot;
        } catch (error) {
          return { unserializable: String((error as Error).message) };
        }
      }),
    );
  }
}

/** The records of a chunk body (its text, or its UTF-8 bytes), oldest first. */
export function decodeChunk(
  firstSeq: number,
  firstTs: number,
  body: string | Buffer,
  codec: TimestampCodec,
): LogRecord[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const newline = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, newline)) as unknown[];
  const out: LogRecord[] = [];
  let seq = firstSeq - 1;
  let ts = firstTs;
  let at = newline + 1;
  let i = 0;
  while (i < header.length) {
    ts += header[i] as number;
    const code = header[i + 1] as number;
    const length = header[i + 2];
    let message: string;
    if (typeof length === 'number') {
      message = text.slice(at, at + length);
      at += length;
    } else {
      message = length as string;
    }
    const record: LogRecord = {
      seq: 0,
      timestamp: '',
      stream: STREAMS[code & 3] as Stream,
      level: LEVELS[(code >> 2) & 7] as Level,
      message,
    };
    i += 3;
    let timestamp: string | undefined;
    let step = 1;
    if (code >= HAS_EVENT) {
      if (code & HAS_EVENT) record.event = header[i++] as LogRecord['event'];
      if (code & HAS_DATA) record.data = header[i++] as LogRecord['data'];
      if (code & RAW_TIMESTAMP) timestamp = header[i++] as string;
      if (code & SEQ_GAP) step = header[i++] as number;
    }
    if (code & CONTINUED) record.continued = true;
    seq += step;
    record.seq = seq;
    record.timestamp = timestamp ?? codec.toIso(ts);
    out.push(record);
  }
  return out;
}
