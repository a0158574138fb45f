// The last N records of one run in memory, so tail and resume reads never touch SQLite.
//
// Held as columns rather than as the record objects: a time, a code and the message per slot, the rare fields
// (event, data, a timestamp the ring cannot rebuild) in a side slot. A run's whole window then costs the garbage
// collector little more than its messages, and a buffered line about half the memory; reads build the records.
import { makeRecord, type RecordColumns } from '../record-columns.js';
import { createMicrosFormatter } from '../runs/run-clock.js';
import type { EventName, LogRecord } from '../types.js';

export interface RingBuffer {
  readonly capacity: number;
  /** records held now */
  readonly size: number;
  /** seq of the oldest record held, or lastSeq + 1 when empty */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** copy in rows of columns; the first seq must follow the last held, and they must have no gaps */
  append(cols: RecordColumns): void;
  /** the last n records, oldest first */
  tail(n: number): LogRecord[];
  /** records with seq > after, oldest first, at most limit; undefined when some are no longer held */
  after(after: number, limit?: number): LogRecord[] | undefined;
}

/** What a slot holds besides its code, time and message, for the few records that have any of it. */
interface Rare {
  event?: EventName;
  data?: Record<string, unknown>;
  /** the timestamp as given, when its µs do not give it back */
  timestamp?: string;
}

/**
 * A fixed-capacity circular buffer: O(1) append; seqs are contiguous so reads are index arithmetic.
 * `startAfter` is the last seq already stored elsewhere (a run revived after a restart); `formatTimestamp` turns
 * a record's µs back into its timestamp string.
 */
export function createRingBuffer(capacity: number, startAfter = 0, formatTimestamp: (micros: number) => string = createMicrosFormatter()): RingBuffer {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be ≥ 1, got ${capacity}`);
  const times = new Float64Array(capacity);
  const codes = new Uint8Array(capacity);
  const messages: string[] = new Array<string>(capacity).fill('');
  const rare: (Rare | undefined)[] = new Array<Rare | undefined>(capacity).fill(undefined);
  let size = 0;
  let lastSeq = startAfter;

  const at = (seq: number): LogRecord => {
    const slot = (seq - 1) % capacity;
    const extra = rare[slot];
    return makeRecord(seq, extra?.timestamp ?? formatTimestamp(times[slot]!), codes[slot]!, messages[slot]!, extra);
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
    append(cols) {
      if (cols.firstSeq !== lastSeq + 1) throw new RangeError(`ring expects seq ${lastSeq + 1}, got ${cols.firstSeq}`);
      const n = cols.end - cols.start;
      if (cols.lastSeq !== cols.firstSeq + n - 1) throw new RangeError(`ring: rows with gaps in their seqs (${cols.firstSeq}…${cols.lastSeq})`);
      const { micros, extras } = cols;
      // only the last `capacity` rows of a larger batch would stay
      for (let i = cols.end - Math.min(n, capacity), slot = (lastSeq + i - cols.start) % capacity; i < cols.end; i++, slot = slot + 1 === capacity ? 0 : slot + 1) {
        codes[slot] = cols.codes[i]!;
        messages[slot] = cols.messages[i]!;
        const t = micros[i]!;
        times[slot] = t === t ? t : 0;
        const x = extras[i];
        rare[slot] =
          x === undefined && t === t
            ? undefined
            : { event: x?.event, data: x?.data, timestamp: t === t ? undefined : x!.timestamp };
      }
      lastSeq = cols.lastSeq;
      size = Math.min(capacity, size + n);
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
