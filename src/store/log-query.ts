// A log query made checkable: cursors as numbers, level/stream as bit masks (to skip whole chunks), grep as a test.
import { LEVELS, STREAMS, levelCode, streamCode, type Level, type LogRecord, type Stream } from '../types.js';
import { createCursorError, parseTimestampCursor, type TimestampCodec } from './timestamps.js';

/** What readLogs and iterateLogs take. */
export interface LogQuery {
  /** seq cursor: records with seq > after, oldest first */
  after?: number;
  /** ISO timestamp cursor: records with timestamp > since (strictly), oldest first; fewer digits, Z or an offset are fine */
  since?: string;
  /** without after/since: the last `tail` matching records, returned oldest first */
  tail?: number;
  /** at most this many (forward reads: the oldest ones) */
  limit?: number;
  /** minimum level */
  minLevel?: Level;
  stream?: Stream;
  /** a string: case-insensitive substring of the message; a RegExp: tested against the message as given */
  grep?: string | RegExp;
  /** seq: only records with seq < before (page back through older lines with tail) */
  before?: number;
}

export interface CompiledLogQuery {
  /** 'tail' walks newest → oldest for the last `tail`; 'forward' walks oldest → newest from the cursor */
  mode: 'forward' | 'tail';
  after: number;
  sinceMicros: number | undefined;
  before: number;
  /** how many records to return at most (tail or limit; Infinity for all) */
  count: number;
  /** LEVELS bits a record may have */
  levelMask: number;
  /** STREAMS bits a record may have */
  streamMask: number;
  grep: ((message: string) => boolean) | undefined;
  /** lowercase needle that, when set, must appear in a chunk's lowercased body for any record to match */
  bodyNeedle: string | undefined;
  /** level, stream or grep narrows the records (so total is not just the count) */
  filtered: boolean;
}

export const ALL_LEVELS = (1 << LEVELS.length) - 1;
export const ALL_STREAMS = (1 << STREAMS.length) - 1;

/** Validate and compile a query; bad cursors throw SUP_ERR_BAD_CURSOR. */
export function compileLogQuery(q: LogQuery = {}): CompiledLogQuery {
  const after = q.after === undefined ? 0 : checkNumber('after', q.after);
  const before = q.before === undefined ? Infinity : checkNumber('before', q.before);
  const sinceMicros = q.since === undefined ? undefined : parseTimestampCursor(q.since);
  const mode = q.tail !== undefined && q.after === undefined && q.since === undefined ? 'tail' : 'forward';
  const count = mode === 'tail' ? checkCount('tail', q.tail) : checkCount('limit', q.limit);

  let levelMask = ALL_LEVELS;
  if (q.minLevel !== undefined) {
    const min = levelCode(q.minLevel);
    if (min === undefined) throw new RangeError(`unknown level "${q.minLevel}" (one of ${LEVELS.join(', ')})`);
    levelMask = ALL_LEVELS & ~((1 << min) - 1);
  }
  let streamMask = ALL_STREAMS;
  if (q.stream !== undefined) {
    const code = streamCode(q.stream);
    if (code === undefined) throw new RangeError(`unknown stream "${q.stream}" (one of ${STREAMS.join(', ')})`);
    streamMask = 1 << code;
  }
  const { grep, bodyNeedle } = compileGrep(q.grep);
  return {
    mode,
    after,
    sinceMicros,
    before,
    count,
    levelMask,
    streamMask,
    grep,
    bodyNeedle,
    filtered: levelMask !== ALL_LEVELS || streamMask !== ALL_STREAMS || grep !== undefined,
  };
}

/** Does a record pass the level, stream and grep filters (cursors are checked by the reader)? */
export function matchesFilters(q: CompiledLogQuery, record: LogRecord): boolean {
  return (
    (q.levelMask & (1 << levelCode(record.level)!)) !== 0 &&
    (q.streamMask & (1 << streamCode(record.stream)!)) !== 0 &&
    (q.grep === undefined || q.grep(record.message))
  );
}

/** Does a record pass the cursors of a forward read (after, since, before)? */
export function passesCursors(q: CompiledLogQuery, record: LogRecord, codec: TimestampCodec): boolean {
  return (
    record.seq > q.after &&
    record.seq < q.before &&
    (q.sinceMicros === undefined || codec.toMicros(record.timestamp) > q.sinceMicros)
  );
}

function checkNumber(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw createCursorError(`${name} must be a sequence number`);
  return value;
}

function checkCount(name: string, value: number | undefined): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || Number.isNaN(value)) throw createCursorError(`${name} must be a number`);
  return Math.max(0, Math.floor(value));
}

// The chunk text holds messages raw, except a few JSON-escaped in its header (lone surrogates), and a
// lowercased Σ depends on its neighbours, which differ in the chunk text. A needle with none of these
// characters is in the lowercased chunk text wherever it is in a lowercased message.
const UNSAFE_FOR_BODY = /["\\\u0000-\u001f\u03c2\u03c3\u03a3\ud800-\udfff]/;

function compileGrep(grep: string | RegExp | undefined): Pick<CompiledLogQuery, 'grep' | 'bodyNeedle'> {
  if (grep === undefined || grep === '') return { grep: undefined, bodyNeedle: undefined };
  if (grep instanceof RegExp) {
    const re = new RegExp(grep.source, grep.flags.replace(/[gy]/g, '')); // stateless test()
    return { grep: (message) => re.test(message), bodyNeedle: undefined };
  }
  const needle = String(grep).toLowerCase();
  const safe = !UNSAFE_FOR_BODY.test(needle);
  return { grep: (message) => message.toLowerCase().includes(needle), bodyNeedle: safe ? needle : undefined };
}
