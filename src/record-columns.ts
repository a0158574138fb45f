// Records as columns: how a run hands its lines to the ring, the store and the hub, and how the store holds them
// until they are written. A line costs a time, a code and its message in arrays that are reused, not a record
// object, a timestamp string and its share of growing arrays: those made most of the garbage of a capture.
// Record objects are built only for a reader or a live subscriber.
import { createMicrosFormatter } from './runs/run-clock.js';
import { CODE_CONTINUED, levelCode, levelOfCode, recordCode, streamCode, streamOfCode, type EventName, type LogRecord } from './types.js';

/** What a record has beyond its time, code and message; most have none. */
export interface RecordExtras {
  event?: EventName;
  data?: Record<string, unknown>;
  /** the JSON text `data` was parsed from: the store keeps this text instead of serialising `data` again */
  dataJson?: string;
  /** the timestamp as given, when micros cannot give it back exactly (micros is then NaN) */
  timestamp?: string;
  /** the seq, when it is not the previous record's + 1 (a gap) */
  seq?: number;
}

/**
 * Records in parallel columns, rows [start, end) (the arrays are longer: their capacity). Whoever is handed
 * columns reads or copies them during the call: the owner reuses the arrays.
 */
export interface RecordColumns {
  start: number;
  end: number;
  /** seq of row `start` (each next row's is +1 unless its extras give a seq); with no rows, the next seq */
  firstSeq: number;
  /** seq of row end - 1; with no rows, firstSeq - 1 */
  lastSeq: number;
  /** timestamps as µs since the epoch, each giving back its record's timestamp exactly (NaN: see extras) */
  micros: Float64Array;
  /** recordCode(stream, level, continued) */
  codes: Uint8Array;
  messages: (string | undefined)[];
  /** undefined for most rows */
  extras: (RecordExtras | undefined)[];
}

/** Empty columns whose first record will have seq `firstSeq`. */
export function createColumns(firstSeq: number, capacity = 1024): RecordColumns {
  return {
    start: 0,
    end: 0,
    firstSeq,
    lastSeq: firstSeq - 1,
    micros: new Float64Array(capacity),
    codes: new Uint8Array(capacity),
    messages: new Array<string | undefined>(capacity).fill(undefined),
    extras: new Array<RecordExtras | undefined>(capacity).fill(undefined),
  };
}

/** Rows held. */
export function rowCount(cols: RecordColumns): number {
  return cols.end - cols.start;
}

/** Add a row with the next seq (lastSeq + 1). */
export function pushRow(cols: RecordColumns, micros: number, code: number, message: string, extras: RecordExtras | undefined): void {
  if (cols.end === cols.codes.length) makeRoom(cols, 1);
  const row = cols.end++;
  cols.micros[row] = micros;
  cols.codes[row] = code;
  cols.messages[row] = message;
  cols.extras[row] = extras;
  cols.lastSeq++;
}

/** Copy the rows of `from` after those of `into` (whose arrays grow or compact as needed); seqs must increase. */
export function appendColumns(into: RecordColumns, from: RecordColumns): void {
  const n = from.end - from.start;
  if (n === 0) return;
  if (into.codes.length - into.end < n) makeRoom(into, n);
  const at = into.end;
  const wasEmpty = into.start === into.end;
  into.micros.set(from.micros.subarray(from.start, from.end), at);
  into.codes.set(from.codes.subarray(from.start, from.end), at);
  for (let i = 0; i < n; i++) {
    into.messages[at + i] = from.messages[from.start + i];
    into.extras[at + i] = from.extras[from.start + i];
  }
  // a gap between the two is carried by the first added row's extras, as within columns
  if (wasEmpty) into.firstSeq = from.firstSeq;
  else if (from.firstSeq !== into.lastSeq + 1) into.extras[at] = { ...from.extras[from.start], seq: from.firstSeq };
  into.end += n;
  into.lastSeq = from.lastSeq;
}

/** Drop the first `n` rows; their messages and extras are let go. */
export function dropRows(cols: RecordColumns, n: number): void {
  const count = Math.min(n, cols.end - cols.start);
  if (count <= 0) return;
  const next = seqAt(cols, cols.start + count);
  cols.messages.fill(undefined, cols.start, cols.start + count);
  cols.extras.fill(undefined, cols.start, cols.start + count);
  cols.start += count;
  cols.firstSeq = next;
  if (cols.start === cols.end) cols.start = cols.end = 0;
}

/** Empty the columns (keeping their arrays), the next row to have seq `firstSeq`. */
export function clearColumns(cols: RecordColumns, firstSeq: number): void {
  cols.messages.fill(undefined, cols.start, cols.end);
  cols.extras.fill(undefined, cols.start, cols.end);
  cols.start = cols.end = 0;
  cols.firstSeq = firstSeq;
  cols.lastSeq = firstSeq - 1;
}

/** The seq of row `row` (start ≤ row; a row at end or past it counts on from the last). */
export function seqAt(cols: RecordColumns, row: number): number {
  if (row >= cols.end) return cols.lastSeq + 1 + (row - cols.end);
  // seqs only increase, so spanning exactly as many as there are rows means no gap: no need to count
  if (cols.lastSeq - cols.firstSeq === cols.end - cols.start - 1) return cols.firstSeq + (row - cols.start);
  let seq = cols.firstSeq - 1;
  for (let i = cols.start; i <= row; i++) seq = cols.extras[i]?.seq ?? seq + 1;
  return seq;
}

// One formatter for all: it only caches the last millisecond's prefix, so sharing it is always correct.
const formatMicros = createMicrosFormatter();

/** The records of rows [from, to). */
export function columnRecords(cols: RecordColumns, from = cols.start, to = cols.end): LogRecord[] {
  const out: LogRecord[] = new Array(Math.max(0, to - from));
  let seq = seqAt(cols, from) - 1;
  for (let i = from; i < to; i++) {
    const code = cols.codes[i]!;
    const extras = cols.extras[i];
    seq = extras?.seq ?? seq + 1;
    const micros = cols.micros[i]!;
    out[i - from] = makeRecord(seq, micros === micros ? formatMicros(micros) : extras!.timestamp!, code, cols.messages[i]!, extras);
  }
  return out;
}

/** A record from a row's parts (the ring and the chunk decoder build theirs with it too). */
export function makeRecord(
  seq: number, timestamp: string, code: number, message: string, extras: Pick<RecordExtras, 'event' | 'data'> | undefined,
): LogRecord {
  const record: LogRecord = { seq, timestamp, stream: streamOfCode(code), level: levelOfCode(code), message };
  if (extras?.event !== undefined) record.event = extras.event;
  if (extras?.data !== undefined) record.data = extras.data;
  if (code & CODE_CONTINUED) record.continued = true;
  return record;
}

/**
 * Records as columns, for callers that have record objects (tests, tools). Checks them all first: seqs must be
 * safe integers that only increase (the first above `after`), levels and streams known; a RangeError says which
 * record is wrong. `toMicros` gives µs that give back a timestamp exactly, or NaN (the string is then kept).
 */
export function recordColumns(
  records: readonly LogRecord[],
  toMicros: (timestamp: string) => number,
  after = 0,
  label = 'records',
): RecordColumns {
  let prev = after;
  for (const r of records) {
    if (!(r.seq > prev) || !Number.isSafeInteger(r.seq)) {
      throw new RangeError(`${label}: seq ${r.seq} after ${prev}; seqs must be integers that only increase`);
    }
    if (levelCode(r.level) === undefined || streamCode(r.stream) === undefined) {
      throw new RangeError(`${label}: record ${r.seq} has level "${r.level}" / stream "${r.stream}"`);
    }
    prev = r.seq;
  }
  const cols = createColumns(records[0]?.seq ?? after + 1, Math.max(1, records.length));
  for (const r of records) {
    const micros = toMicros(r.timestamp);
    const extras: RecordExtras = {};
    if (r.event !== undefined) extras.event = r.event;
    if (r.data !== undefined) extras.data = r.data;
    if (micros !== micros) extras.timestamp = r.timestamp;
    if (r.seq !== cols.lastSeq + 1) extras.seq = r.seq;
    pushRow(cols, micros, recordCode(streamCode(r.stream)!, levelCode(r.level)!, r.continued === true), r.message, Object.keys(extras).length > 0 ? extras : undefined);
    cols.lastSeq = r.seq;
  }
  return cols;
}

// Room for `more` rows after end: move the rows to the front when that frees enough, else grow (doubling).
function makeRoom(cols: RecordColumns, more: number): void {
  const count = cols.end - cols.start;
  const capacity = cols.codes.length;
  if (cols.start > 0 && count + more <= capacity && cols.start >= capacity / 4) {
    cols.micros.copyWithin(0, cols.start, cols.end);
    cols.codes.copyWithin(0, cols.start, cols.end);
    for (let i = 0; i < count; i++) {
      cols.messages[i] = cols.messages[cols.start + i];
      cols.extras[i] = cols.extras[cols.start + i];
    }
    cols.messages.fill(undefined, count, cols.end);
    cols.extras.fill(undefined, count, cols.end);
  } else {
    const size = Math.max(2 * capacity, count + more);
    const micros = new Float64Array(size);
    const codes = new Uint8Array(size);
    micros.set(cols.micros.subarray(cols.start, cols.end));
    codes.set(cols.codes.subarray(cols.start, cols.end));
    const messages = new Array<string | undefined>(size).fill(undefined);
    const extras = new Array<RecordExtras | undefined>(size).fill(undefined);
    for (let i = 0; i < count; i++) {
      messages[i] = cols.messages[cols.start + i];
      extras[i] = cols.extras[cols.start + i];
    }
    Object.assign(cols, { micros, codes, messages, extras });
  }
  cols.start = 0;
  cols.end = count;
}
