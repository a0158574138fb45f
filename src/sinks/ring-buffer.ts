// The last N records of one run in memory, so tail and resume reads never touch SQLite.
import type { LogRecord } from '../types.js';

export interface RingBuffer {
  readonly capacity: number;
  /** records held now */
  readonly size: number;
  /** seq of the oldest record held, or lastSeq + 1 when empty */
  readonly firstSeq: number;
  readonly lastSeq: number;
  append(record: LogRecord): void;
  /** the last n records, oldest first */
  tail(n: number): LogRecord[];
  /** records with seq > after, oldest first, at most limit; undefined when some are no longer held */
  after(after: number, limit?: number): LogRecord[] | undefined;
}

/** A fixed-capacity circular buffer: O(1) append; seqs are contiguous so reads are index arithmetic.
 * `startAfter` is the last seq already stored elsewhere (a run revived after a restart). */
export function createRingBuffer(capacity: number, startAfter = 0): RingBuffer {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be ≥ 1, got ${capacity}`);
  const slots: (LogRecord | undefined)[] = new Array(capacity);
  let size = 0;
  let lastSeq = startAfter;

  const at = (seq: number) => slots[(seq - 1) % capacity]!;
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
    append(record) {
      if (record.seq !== lastSeq + 1) throw new RangeError(`ring expects seq ${lastSeq + 1}, got ${record.seq}`);
      slots[(record.seq - 1) % capacity] = record;
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
