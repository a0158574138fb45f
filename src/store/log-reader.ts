// Log queries over chunk rows plus the writer's held records: skip chunks by seq/time range and masks, decode the rest.
import type Database from 'better-sqlite3';
import type { LogRecord } from '../types.js';
import { chunkTextStart, decodeChunk } from './chunk-codec.js';
import { unpackBody } from './chunk-compression.js';
import {
  compileLogQuery,
  matchesFilters,
  passesCursors,
  type CompiledLogQuery,
  type LogQuery,
} from './log-query.js';
import type { HeldRecords, LogWriter } from './log-writer.js';
import { createTimestampCodec } from './timestamps.js';

export interface LogReader {
  readLogs(runId: string, q?: LogQuery): { logs: LogRecord[]; total: number };
  iterateLogs(runId: string, q?: LogQuery): IterableIterator<LogRecord>;
  lastSeq(runId: string): number;
}

export interface LogReaderDeps {
  writer: LogWriter;
  runPk: (runId: string) => number | undefined;
}

interface ChunkRow {
  first_seq: number;
  last_seq: number;
  first_ts: number;
  codec: number;
  body: Buffer;
}

interface SummaryRow {
  first_seq: number;
  first_ts: number;
  stream_mask: number;
  n_debug: number;
  n_info: number;
  n_warning: number;
  n_error: number;
  n_critical: number;
}

/** Chunks fetched per query: each query completes, so no cursor stays open across a yield. */
const PAGE = 4;
/** Stands in for "no bound" in SQL. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

/** Create the reader; it shares the writer's held records so reads never miss unflushed lines. */
export function createLogReader(db: Database.Database, deps: LogReaderDeps): LogReader {
  const timestamps = createTimestampCodec();
  const forwardPage = db.prepare(
    `SELECT first_seq, last_seq, first_ts, codec, body FROM chunks INDEXED BY chunks_by_last_seq
     WHERE run_pk = ? AND last_seq > ? AND first_seq < ? AND (level_mask & ?) != 0 AND (stream_mask & ?) != 0
     ORDER BY last_seq LIMIT ${PAGE}`,
  );
  const backwardPage = db.prepare(
    `SELECT first_seq, last_seq, first_ts, codec, body FROM chunks INDEXED BY chunks_by_first_seq
     WHERE run_pk = ? AND first_seq < ? AND (level_mask & ?) != 0 AND (stream_mask & ?) != 0
     ORDER BY first_seq DESC LIMIT ${PAGE}`,
  );
  const firstAfterTime = db
    .prepare('SELECT first_seq FROM chunks WHERE run_pk = ? AND last_ts > ? AND first_seq < ? ORDER BY last_ts LIMIT 1')
    .pluck();
  const countAll = db.prepare('SELECT coalesce(sum(count), 0) FROM chunks WHERE run_pk = ? AND first_seq < ?').pluck();
  const summaries = db.prepare(
    `SELECT first_seq, first_ts, stream_mask, n_debug, n_info, n_warning, n_error, n_critical FROM chunks
     WHERE run_pk = ? AND first_seq < ? AND (level_mask & ?) != 0 AND (stream_mask & ?) != 0`,
  );
  const bodyOf = db.prepare('SELECT codec, body FROM chunks WHERE run_pk = ? AND first_seq = ?');
  const maxSeq = db.prepare('SELECT max(last_seq) FROM chunks WHERE run_pk = ?').pluck();

  // The chunk's records, or undefined when the grep needle is not in it at all.
  const decode = (row: Pick<ChunkRow, 'first_seq' | 'first_ts' | 'codec' | 'body'>, q: CompiledLogQuery): LogRecord[] | undefined => {
    const body = unpackBody(row.codec, row.body);
    if (q.bodyNeedle !== undefined && !body.toString('utf8', chunkTextStart(body)).toLowerCase().includes(q.bodyNeedle)) return undefined;
    return decodeChunk(row.first_seq, row.first_ts, body, timestamps);
  };

  // Where a forward read starts: `after`, moved past the chunks that end at or before `since`.
  const startCursor = (runPk: number, q: CompiledLogQuery, upper: number): number => {
    if (q.sinceMicros === undefined) return q.after;
    const first = firstAfterTime.get(runPk, q.sinceMicros, upper) as number | undefined;
    return Math.max(q.after, first === undefined ? upper - 1 : first - 1);
  };

  const readForward = (runPk: number, q: CompiledLogQuery, held: HeldRecords | undefined): LogRecord[] => {
    const out: LogRecord[] = [];
    if (q.count === 0) return out;
    const upper = Math.min(q.before, held?.firstSeq ?? NO_BOUND, NO_BOUND);
    let cursor = startCursor(runPk, q, upper);
    for (;;) {
      const rows = forwardPage.all(runPk, cursor, upper, q.levelMask, q.streamMask) as ChunkRow[];
      for (const row of rows) {
        for (const r of decode(row, q) ?? []) {
          if (passesCursors(q, r, timestamps) && matchesFilters(q, r) && out.push(r) >= q.count) return out;
        }
        cursor = row.last_seq;
      }
      if (rows.length < PAGE) break;
    }
    for (const r of held?.records ?? []) {
      if (passesCursors(q, r, timestamps) && matchesFilters(q, r) && out.push(r) >= q.count) return out;
    }
    return out;
  };

  const readTail = (runPk: number, q: CompiledLogQuery, held: HeldRecords | undefined): LogRecord[] => {
    const out: LogRecord[] = []; // newest first, reversed at the end
    if (q.count === 0) return out;
    const take = (records: readonly LogRecord[]) => {
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i]!;
        if (r.seq < q.before && matchesFilters(q, r) && out.push(r) >= q.count) return true;
      }
      return false;
    };
    if (held && take(held.records)) return out.reverse();
    let upper = Math.min(q.before, held?.firstSeq ?? NO_BOUND, NO_BOUND);
    for (;;) {
      const rows = backwardPage.all(runPk, upper, q.levelMask, q.streamMask) as ChunkRow[];
      for (const row of rows) {
        const records = decode(row, q);
        if (records && take(records)) return out.reverse();
        upper = row.first_seq;
      }
      if (rows.length < PAGE) return out.reverse();
    }
  };

  // Records matching level/stream/grep, cursors ignored: from chunk counts where a chunk's masks settle it.
  const countMatching = (runPk: number, q: CompiledLogQuery, held: HeldRecords | undefined): number => {
    const upper = held?.firstSeq ?? NO_BOUND;
    let total = 0;
    if (!q.filtered) {
      total = countAll.get(runPk, upper) as number;
    } else {
      for (const s of summaries.all(runPk, upper, q.levelMask, q.streamMask) as SummaryRow[]) {
        if (q.grep === undefined && (s.stream_mask & ~q.streamMask) === 0) {
          const counts = [s.n_debug, s.n_info, s.n_warning, s.n_error, s.n_critical];
          for (let l = 0; l < counts.length; l++) if (q.levelMask & (1 << l)) total += counts[l]!;
        } else {
          const stored = bodyOf.get(runPk, s.first_seq) as Pick<ChunkRow, 'codec' | 'body'>;
          for (const r of decode({ ...s, ...stored }, q) ?? []) if (matchesFilters(q, r)) total++;
        }
      }
    }
    for (const r of held?.records ?? []) if (!q.filtered || matchesFilters(q, r)) total++;
    return total;
  };

  const lastSeq = (runId: string): number => {
    const buffered = deps.writer.lastSeq(runId);
    if (buffered !== undefined) return buffered;
    const runPk = deps.runPk(runId);
    return runPk === undefined ? 0 : ((maxSeq.get(runPk) as number | null) ?? 0);
  };

  // Forward from the cursor to the last seq there was when iteration began, a page of chunks at a time.
  function* iterateForward(runId: string, runPk: number, q: CompiledLogQuery): Generator<LogRecord, void, undefined> {
    const end = Math.min(lastSeq(runId), q.before - 1);
    let remaining = q.count;
    let cursor = q.after;
    let first = true;
    while (remaining > 0 && cursor < end) {
      const held = deps.writer.held(runId);
      const upper = Math.min(held?.firstSeq ?? NO_BOUND, end + 1);
      if (first) cursor = Math.max(cursor, startCursor(runPk, q, upper));
      first = false;
      const rows = forwardPage.all(runPk, cursor, upper, q.levelMask, q.streamMask) as ChunkRow[];
      const batch: LogRecord[] = [];
      let scanned = cursor;
      if (rows.length > 0) {
        for (const row of rows) {
          for (const r of decode(row, q) ?? []) {
            if (r.seq > cursor && r.seq <= end && passesCursors(q, r, timestamps) && matchesFilters(q, r)) batch.push(r);
          }
          scanned = row.last_seq;
        }
      } else {
        for (const r of held?.records ?? []) {
          if (r.seq <= cursor || r.seq > end) continue;
          scanned = r.seq;
          if (passesCursors(q, r, timestamps) && matchesFilters(q, r)) batch.push(r);
        }
        if (scanned === cursor) return;
      }
      cursor = scanned;
      for (const r of batch) {
        yield r;
        if (--remaining === 0) return;
      }
    }
  }

  const reader: LogReader = {
    readLogs(runId, query = {}) {
      const q = compileLogQuery(query);
      const runPk = deps.runPk(runId);
      if (runPk === undefined) return { logs: [], total: 0 };
      const held = deps.writer.held(runId);
      const logs = q.mode === 'tail' ? readTail(runPk, q, held) : readForward(runPk, q, held);
      return { logs, total: countMatching(runPk, q, held) };
    },
    iterateLogs(runId, query = {}) {
      const q = compileLogQuery(query); // bad cursors throw here, not at the first next()
      if (q.mode === 'tail') return reader.readLogs(runId, query).logs[Symbol.iterator]();
      const runPk = deps.runPk(runId);
      return runPk === undefined ? [][Symbol.iterator]() : iterateForward(runId, runPk, q);
    },
    lastSeq,
  };
  return reader;
}
