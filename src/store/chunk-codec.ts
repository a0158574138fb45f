// Many records in one row, cheap for V8 both ways. A chunk body (format 2, written since schema 4):
//
//   bytes 0–15   2, three zero bytes, then u32 LE: record count N, extras byte length E, 0
//   16 + 8N      f64 LE per record: µs since the previous record (the first: since the chunk's first_ts)
//   + 4N         u32 LE per record: the message length in UTF-16 units (MESSAGE_IN_EXTRAS: see below)
//   + 2N         u16 LE per record: code = stream | level << 2 | the flag bits below
//   + E          UTF-8 JSON array of the extras of the records whose code has them, in record order and in this
//                order per record: message (one UTF-8 cannot carry exactly: a lone surrogate), event, data (the
//                very JSON text a line held, when it came from one), raw timestamp, seq gap. Absent (E = 0) when no
//                record has any.
//   the rest     the messages back to back, UTF-8 (no escaping to do or undo for the bulk of the bytes)
//
// seq is implicit (previous + 1; the first is the chunk's first_seq) unless a gap is stored. Numbers in binary
// columns rather than JSON text: formatting three numbers per record was the largest cost of writing a chunk.
// Format 1 (still read) was a JSON header array [tsDelta, code, length, extras…] per record, a newline, then the
// messages; its bodies start with "[".
import { makeRecord, seqAt, type RecordColumns, type RecordExtras } from '../record-columns.js';
import { EVENT_NAMES, type LogRecord } from '../types.js';
import { createTimestampCodec, type TimestampCodec } from './timestamps.js';

// flag bits above the record code (see recordCode)
const HAS_EVENT = 1 << 6;
const HAS_DATA = 1 << 7;
const RAW_TIMESTAMP = 1 << 8;
const SEQ_GAP = 1 << 9;

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
  /** Encode rows [from, to) of columns (non-empty); `prevSeq`, if known, is the seq of the row before `from`. */
  encode(cols: RecordColumns, from: number, to: number, prevSeq?: number): EncodedChunk;
}

/** The first byte of a body: format 1's JSON header opens with "[". */
const FORMAT_1_START = 0x5b;
const FORMAT_2 = 2;
const PREAMBLE_BYTES = 16;
/** Column bytes per record: f64 time delta, u32 message length, u16 code. */
const COLUMN_BYTES = 14;
/** A message length slot saying the message is in the extras (UTF-8 could not carry it exactly). */
const MESSAGE_IN_EXTRAS = 0xffffffff;
const SCRATCH_BYTES = 1 << 20;
/** Typed arrays use the machine's byte order; the columns are little-endian whatever it is. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An encoder with its own timestamp memo and reused column and output buffers, so encoding allocates little. */
export function createChunkEncoder(): ChunkEncoder {
  const codec = createTimestampCodec();
  let capacity = 0;
  let deltas = new Float64Array(0);
  let lengths = new Uint32Array(0);
  let codes = new Uint16Array(0);
  let scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

  const ensureColumns = (count: number) => {
    if (count <= capacity) return;
    capacity = Math.max(count, capacity * 2, 1024);
    deltas = new Float64Array(capacity);
    lengths = new Uint32Array(capacity);
    codes = new Uint16Array(capacity);
  };

  // Preamble, columns, extras and tail into the scratch buffer. The text is written as UTF-8 straight away, into room
  // for the most it can take (3 bytes per UTF-16 unit): counting its bytes first cost more than writing it.
  const toBytes = (count: number, extras: string, tail: string): Buffer => {
    const columnsEnd = PREAMBLE_BYTES + count * COLUMN_BYTES;
    const most = columnsEnd + 3 * (extras.length + tail.length);
    if (scratch.length > 4 * SCRATCH_BYTES) scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES); // let a giant one go
    if (most > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
    let at = PREAMBLE_BYTES;
    if (LITTLE_ENDIAN) {
      scratch.set(new Uint8Array(deltas.buffer, 0, count * 8), at);
      scratch.set(new Uint8Array(lengths.buffer, 0, count * 4), at + count * 8);
      scratch.set(new Uint8Array(codes.buffer, 0, count * 2), at + count * 12);
    } else {
      for (let k = 0; k < count; k++) {
        scratch.writeDoubleLE(deltas[k]!, at + k * 8);
        scratch.writeUInt32LE(lengths[k]!, at + count * 8 + k * 4);
        scratch.writeUInt16LE(codes[k]!, at + count * 12 + k * 2);
      }
    }
    at = columnsEnd;
    const extrasBytes = extras === '' ? 0 : scratch.write(extras, at, 'utf8');
    at += extrasBytes;
    at += scratch.write(tail, at, 'utf8');
    scratch.writeUInt32LE(FORMAT_2, 0); // the format byte, then three zero bytes
    scratch.writeUInt32LE(count, 4);
    scratch.writeUInt32LE(extrasBytes, 8);
    scratch.writeUInt32LE(0, 12);
    return scratch.subarray(0, at);
  };

  // The rows into the body's columns and extras; `checkEach` tests every message for a lone surrogate (the slow
  // path, taken only for a chunk whose joined messages have one) and moves such messages into the extras.
  const encodeRange = (cols: RecordColumns, from: number, to: number, seqBefore: number, checkEach: boolean): EncodedChunk => {
    const count = to - from;
    ensureColumns(count);
    const { micros, codes: rowCodes, messages: rowMessages, extras: rowExtras } = cols;
    // each extra as its JSON text, joined into one array at the end
    const extras: string[] = [];
    // the messages as they go into the tail: kept apart only on the slow path (the fast one joins the column's slice)
    const messages: string[] | undefined = checkEach ? new Array<string>(count) : undefined;
    const levelCounts: ChunkSummary['levelCounts'] = [0, 0, 0, 0, 0];
    let streamMask = 0;
    let prevSeq = seqBefore;
    let firstTs = 0;
    let prevTs = 0;
    for (let i = from, k = 0; i < to; i++, k++) {
      let code = rowCodes[i]!;
      const x = rowExtras[i];
      const seq = x?.seq ?? prevSeq + 1;
      let ts = micros[i]!;
      if (ts !== ts) {
        code |= RAW_TIMESTAMP;
        ts = codec.toMicros(x!.timestamp!);
        if (ts !== ts) ts = i === from ? 0 : prevTs;
      }
      if (i === from) firstTs = prevTs = ts;
      if (x !== undefined) {
        if (x.event !== undefined) code |= HAS_EVENT;
        if (x.data !== undefined) code |= HAS_DATA;
        if (seq !== prevSeq + 1) code |= SEQ_GAP;
      }
      deltas[k] = ts - prevTs;
      codes[k] = code;
      const message = rowMessages[i]!;
      if (messages && LONE_SURROGATE.test(message)) {
        lengths[k] = MESSAGE_IN_EXTRAS;
        extras.push(JSON.stringify(message));
        messages[k] = '';
      } else {
        lengths[k] = message.length;
        if (messages) messages[k] = message;
      }
      if (code >= HAS_EVENT) {
        if (code & HAS_EVENT) extras.push(EVENT_JSON.get(x!.event!) ?? JSON.stringify(x!.event));
        if (code & HAS_DATA) extras.push(x!.dataJson ?? stringifyData(x!.data!));
        if (code & RAW_TIMESTAMP) extras.push(JSON.stringify(x!.timestamp));
        if (code & SEQ_GAP) extras.push(String(seq - prevSeq));
      }
      levelCounts[(code >> 2) & 7]++;
      streamMask |= 1 << (code & 3);
      prevTs = ts;
      prevSeq = seq;
    }
    const tail = (messages ?? rowMessages.slice(from, to)).join('');
    // UTF-8 would turn a lone surrogate into U+FFFD: such messages go into the extras, where JSON escapes them.
    if (!checkEach && LONE_SURROGATE.test(tail)) return encodeRange(cols, from, to, seqBefore, true);
    let levelMask = 0;
    for (let l = 0; l < levelCounts.length; l++) if (levelCounts[l]! > 0) levelMask |= 1 << l;
    return {
      firstSeq: rowExtras[from]?.seq ?? seqBefore + 1,
      lastSeq: prevSeq,
      firstTs,
      lastTs: prevTs,
      count,
      levelMask,
      streamMask,
      levelCounts,
      body: toBytes(count, extras.length === 0 ? '' : `[${extras.join(',')}]`, tail),
    };
  };

  return {
    encode(cols, from, to, prevSeq = seqAt(cols, from) - 1) {
      return encodeRange(cols, from, to, prevSeq, false);
    },
  };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// The event names as JSON strings, made once.
const EVENT_JSON: ReadonlyMap<string, string> = new Map(EVENT_NAMES.map((name) => [name, JSON.stringify(name)]));

// A record's data as JSON; data that cannot be serialised (a cycle, a BigInt) is replaced, never allowed to fail a flush.
function stringifyData(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: String((error as Error).message) });
  }
}

/** Where a body's text starts (messages and extras; all of it in format 1): what a substring search needs to see. */
export function chunkTextStart(body: Buffer): number {
  return body[0] === FORMAT_2 ? PREAMBLE_BYTES + body.readUInt32LE(4) * COLUMN_BYTES : 0;
}

/** The records of a chunk body (as stored, after unpacking), oldest first. */
export function decodeChunk(firstSeq: number, firstTs: number, body: Buffer, codec: TimestampCodec): LogRecord[] {
  if (body[0] === FORMAT_2) return decodeFormat2(firstSeq, firstTs, body, codec);
  if (body[0] === FORMAT_1_START) return decodeFormat1(firstSeq, firstTs, body.toString('utf8'), codec);
  throw new Error(`a chunk body in an unknown format (first byte ${body[0]}): was the database written by a newer supervisor?`);
}

function decodeFormat2(firstSeq: number, firstTs: number, body: Buffer, codec: TimestampCodec): LogRecord[] {
  const count = body.readUInt32LE(4);
  const extrasBytes = body.readUInt32LE(8);
  const lengthsAt = PREAMBLE_BYTES + count * 8;
  const codesAt = lengthsAt + count * 4;
  const textAt = codesAt + count * 2;
  const extras = extrasBytes > 0 ? (JSON.parse(body.toString('utf8', textAt, textAt + extrasBytes)) as unknown[]) : [];
  const tail = body.toString('utf8', textAt + extrasBytes);
  const cursor: SlotCursor = { slots: extras, next: 0, seq: firstSeq - 1 };
  const out: LogRecord[] = new Array(count);
  let ts = firstTs;
  let at = 0;
  for (let k = 0; k < count; k++) {
    ts += body.readDoubleLE(PREAMBLE_BYTES + k * 8);
    const length = body.readUInt32LE(lengthsAt + k * 4);
    const code = body.readUInt16LE(codesAt + k * 2);
    let message: string;
    if (length === MESSAGE_IN_EXTRAS) {
      message = extras[cursor.next++] as string;
    } else {
      message = tail.slice(at, at + length);
      at += length;
    }
    out[k] = buildRecord(code, message, ts, cursor, codec);
  }
  return out;
}

/** Where a decoder is in its JSON slots (format 2's extras, format 1's header) and the seq of the last record. */
interface SlotCursor {
  slots: readonly unknown[];
  next: number;
  seq: number;
}

// One record from its code and message, taking the extras its code announces from the cursor's slots.
function buildRecord(code: number, message: string, ts: number, cursor: SlotCursor, codec: TimestampCodec): LogRecord {
  let extras: Pick<RecordExtras, 'event' | 'data'> | undefined;
  let timestamp: string | undefined;
  let step = 1;
  if (code >= HAS_EVENT) {
    const { slots } = cursor;
    extras = {};
    if (code & HAS_EVENT) extras.event = slots[cursor.next++] as LogRecord['event'];
    if (code & HAS_DATA) extras.data = slots[cursor.next++] as LogRecord['data'];
    if (code & RAW_TIMESTAMP) timestamp = slots[cursor.next++] as string;
    if (code & SEQ_GAP) step = slots[cursor.next++] as number;
  }
  cursor.seq += step;
  return makeRecord(cursor.seq, timestamp ?? codec.toIso(ts), code, message, extras);
}

// Format 1: a JSON header array (3+ slots per record: tsDelta, code, message length or the message itself, then
// the extras its code announces), a newline, the messages.
function decodeFormat1(firstSeq: number, firstTs: number, text: string, codec: TimestampCodec): LogRecord[] {
  const newline = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, newline)) as unknown[];
  const cursor: SlotCursor = { slots: header, next: 0, seq: firstSeq - 1 };
  const out: LogRecord[] = [];
  let ts = firstTs;
  let at = newline + 1;
  while (cursor.next < header.length) {
    ts += header[cursor.next] as number;
    const code = header[cursor.next + 1] as number;
    const length = header[cursor.next + 2];
    cursor.next += 3;
    let message: string;
    if (typeof length === 'number') {
      message = text.slice(at, at + length);
      at += length;
    } else {
      message = length as string;
    }
    out.push(buildRecord(code, message, ts, cursor, codec));
  }
  return out;
}
