// The last N records of one run in memory, so tail and resume reads never touch SQLite.
//
// Held as columns rather than as the record objects: a time, a code and the message per slot, the rare fields
// (event, data, a timestamp the ring cannot rebuild) in a side slot. A run's whole window then costs the garbage
// collector little more than its messages, and a buffered line about half the memory; reads build the records.
import {
  CODE_CONTINUED, levelCode, levelOfCode, recordCode, streamCode, streamOfCode, type EventName, type LogRecord,
} from '../types.js';

export interface RingBuffer {
  readonly capacity: number;
  /** records held now */
  readonly size: number;
  /** seq of the oldest record held, or lastSeq + 1 when empty */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** `micros`: the record's timestamp as µs, when the ring's formatter gives back exactly record.timestamp from it */
  append(record: LogRecord, micros?: number): void;
  /** the last n records, oldest first */
  tail(n: number): LogRecord[];
  /** records with seq > after, oldest first, at most limit; undefined when some are no longer held */
  after(after: number, limit?: number): LogRecord[] | undefined;
}

/** What a slot holds besides its code, time and message, for the few records that have any of it. */
interface Rare {
  event?: EventName;
  data?: Record<string, unknown>;
  /** the timestamp as given, when no µs came with it */
  timestamp?: string;
}

/**
 * A fixed-capacity circular buffer: O(1) append; seqs are contiguous so reads are index arithmetic.
 * `startAfter` is the last seq already stored elsewhere (a run revived after a restart); `formatTimestamp` turns
 * the µs given to append() back into the record's timestamp string.
 */
export function createRingBuffer(capacity: number, startAfter = 0, formatTimestamp?: (micros: number) => string): RingBuffer {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be ≥ 1, got ${capacity}`);
  const times = new Float64Array(capacity);
  const codes = new Uint8Array(capacity);
  const messages: string[] = new Array<string>(capacity).fill('');
  const rare: (Rare | undefined)[] = new Array<Rare | undefined>(capacity).fill(undefined);
  let size = 0;
  let lastSeq = startAfter;

  const at = (seq: number): LogRecord => {
    const slot = (seq - 1) % capacity;
    const code = codes[slot]!;
    const extra = rare[slot];
    const record: LogRecord = {
      seq,
      timestamp: extra?.timestamp ?? formatTimestamp!(times[slot]!),
      stream: streamOfCode(code),
      level: levelOfCode(code),
      message: messages[slot]!,
    };
    if (extra?.event !== undefined) record.event = extra.event;
    if (extra?.data !== undefined) record.data = extra.data;
    if (code & CODE_CONTINUED) record.continued = true;
    return record;
  };
  const slice = (from: number, to: number) => {
    const out: LogRecord[] = new Array(Math.max(0, to - from + 1));
    for (let seq = from, i = 0; seq <= to; seq++, i++) out[i] = at(seq);
    return out;
  };

  return {
    capacity,
    get size() {
      return size;
    },
    get firstSeq() {
      return lastSeq - size + 1;
    },
    get lastSeq() {
      return lastSeq;
    },
    append(record, micros) {
      if (record.seq !== lastSeq + 1) throw new RangeError(`ring expects seq ${lastSeq + 1}, got ${record.seq}`);
      const level = levelCode(record.level);
      const stream = streamCode(record.stream);
      if (level === undefined || stream === undefined) {
        throw new RangeError(`ring: record ${record.seq} has level "${record.level}" / stream "${record.stream}"`);
      }
      const slot = (record.seq - 1) % capacity;
      codes[slot] = recordCode(stream, level, record.continued === true);
      messages[slot] = record.message;
      const keepTimestamp = micros === undefined || formatTimestamp === undefined;
      times[slot] = keepTimestamp ? 0 : micros;
      rare[slot] =
        record.event !== undefined || record.data !== undefined || keepTimestamp
          ? { event: record.event, data: record.data, timestamp: keepTimestamp ? record.timestamp : undefined }
          : undefined;
      lastSeq = record.seq;
      if (size < capacity) size++;
    },
    tail(n) {
      const count = Math.min(Math.max(0, Math.floor(n)), size);
      return slice(lastSeq - count + 1, lastSeq);
    },
    after(after, limit = Infinity) {
      const first = lastSeq - size + 1;
      if (after + 1 < first) return undefined;
      const from = Math.max(after + 1, first);
      const to = Math.min(lastSeq, from + Math.max(0, limit) - 1);
      return slice(from, to);
    },
  };
}
