// The batched SQLite writer: records accumulate per run and are written as chunks, never a row per line.
//
// Each run keeps its "held" records: those not yet in a closed chunk. A full chunk (batchRecords) is
// written and dropped from memory at once; the rest is written on the flush timer as the run's open
// chunk, which later flushes rewrite in place (same first_seq) as it grows, so a slow run does not end
// up with a row per line. The open chunk closes when full, after maxChunkWrites rewrites, after
// idleCloseMs without appends, or on an explicit flush. Readers merge held records with the table.
import type Database from 'better-sqlite3';
import { SupervisorError } from '../errors.js';
import { appendColumns, columnRecords, createColumns, dropRows, rowCount, type RecordColumns } from '../record-columns.js';
import type { LogRecord } from '../types.js';
import { createChunkEncoder } from './chunk-codec.js';
import { CODEC_PLAIN, createBodyPacker, type BodyPacker } from './chunk-compression.js';
import { startChunkWriteThread, type ChunkRow, type ChunkWriteThread } from './chunk-write-thread.js';

export interface LogWriterOptions {
  /** records per chunk */
  batchRecords: number;
  /** how long records may wait before they are written */
  flushIntervalMs: number;
  /** times an open chunk may be rewritten before it is closed */
  maxChunkWrites: number;
  /** an open chunk with no appends for this long is closed (its records leave memory) */
  idleCloseMs: number;
  /** held records per run past which, while writes fail, the oldest unwritten are dropped (and counted) */
  maxHeldRecords: number;
  /** monotonic milliseconds */
  now: () => number;
  /** the run's integer key, or undefined for an unknown run */
  runPk: (runId: string) => number | undefined;
  /**
   * called after each write committed on the caller's connection with the bytes of the bodies it stored (the
   * checkpointer's cue); the thread's connection checkpoints its own commits
   */
  afterWrite?: (bytes: number) => void;
  /**
   * Commit on a worker thread's own connection to this file once `after` writes went through inline (a short run
   * never starts one); without it every write commits on the caller's thread.
   */
  thread?: { path: string; busyTimeoutMs: number; after: number };
}

export interface WriterStats {
  /** write transactions */
  batches: number;
  lastBatchMs: number;
  batchMsTotal: number;
  /** records written (each once, however often its open chunk was rewritten) */
  recordsWritten: number;
  /** chunk rows inserted or rewritten */
  chunksWritten: number;
  /** bytes of the chunk bodies written, before and after compression */
  bodyBytes: number;
  storedBytes: number;
  /** failed write transactions (timer and size-triggered writes retry; flush() throws) */
  writeErrors: number;
  /** records dropped because writes kept failing and the run's buffer was full */
  recordsDropped: number;
  /** whether writes commit on the worker thread (it starts after a few writes) */
  writeThread: boolean;
  lastError: string | null;
}

export interface HeldRecords {
  /** seq of records[0]; the table holds this run's chunks with first_seq below it */
  firstSeq: number;
  records: readonly LogRecord[];
}

export interface LogWriter {
  /** copy in rows of columns; their first seq must be above the run's last */
  append(runId: string, records: RecordColumns): void;
  /** write all held records now (one transaction; waits for the thread's) and close the open chunks */
  flush(runId?: string): void;
  /** the run's records not yet in a closed chunk, for readers to merge */
  held(runId: string): HeldRecords | undefined;
  /** the last seq appended for a run this writer holds records of */
  lastSeq(runId: string): number | undefined;
  /** drop what is held for these runs (they were deleted) */
  forget(runIds: readonly string[]): void;
  stats(): WriterStats;
  /** flush, stop the timer; appends throw afterwards */
  close(): void;
}

interface RunBuffer {
  runId: string;
  runPk: number;
  /** the records not yet in a closed chunk (the writer's own columns; indices below count from held.start) */
  held: RecordColumns;
  /** held as record objects: built at a reader's first call, then kept in step with held (many readers in a row,
   * such as clients joining a busy run, would otherwise each rebuild them all) */
  heldRecords?: LogRecord[];
  /** held[0, written) are in the table as the open chunk */
  written: number;
  /** times the open chunk has been written */
  writes: number;
  lastSeq: number;
  appendedAt: number;
  packer: BodyPacker;
}

// Drop the first `count` held records (written in closed chunks, or trimmed).
function dropHeld(buf: RunBuffer, count: number): void {
  dropRows(buf.held, count);
  buf.heldRecords = buf.heldRecords?.slice(count);
  buf.written = 0;
  buf.writes = 0;
}

/** One write: per run, the full chunks (held[0, full)) and the open chunk's end (held[full, openEnd), -1 for none). */
interface Write {
  plans: { buf: RunBuffer; full: number; openEnd: number; fresh: number }[];
  started: number;
  /** when the thread commits it: the time spent here encoding it, and the thread's time in its transaction */
  encodeMs?: number;
  threadMs?: number;
  /** bytes of the bodies it stores */
  storedBytes: number;
  /** committed rows on the caller's connection (the thread's connection checkpoints its own) */
  inline?: boolean;
}

/** How long past its busy timeout a flush waits for the write thread before writing on its own. */
const THREAD_ANSWER_MS = 10_000;
/**
 * Full chunks an append hands the thread at once. Each hand-over (the post and the thread's wake-up) cost this
 * thread ~80 µs on a busy 2-core machine, about what committing a chunk inline costs: one per chunk made the
 * thread slower than no thread; one per 8 chunks cut a 1M-line capture's wall time by 3–5%.
 */
const THREAD_WRITE_CHUNKS = 8;
/** Full chunks a run may hold while the thread commits the previous write; past that, appends wait for it. */
const AHEAD_CHUNKS = 2 * THREAD_WRITE_CHUNKS;

/** Create the writer; it owns a flush timer (unref'd) only while it holds records. */
export function createLogWriter(db: Database.Database, options: LogWriterOptions): LogWriter {
  const batch = Math.max(1, Math.floor(options.batchRecords));
  const encoder = createChunkEncoder();
  const buffers = new Map<string, RunBuffer>();
  const stats: WriterStats = {
    batches: 0, lastBatchMs: 0, batchMsTotal: 0, recordsWritten: 0, chunksWritten: 0, bodyBytes: 0, storedBytes: 0,
    writeErrors: 0, recordsDropped: 0, writeThread: false, lastError: null,
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  /** consecutive failed writes: appends stop trying, the timer retries with a growing delay */
  let failures = 0;
  /** the commit thread, once started; writes that went through inline before it; whether it could not run */
  let thread: ChunkWriteThread | undefined;
  let inlineWrites = 0;
  let threadFailed = false;
  /** times the thread was given up (it died, could not open the file, or stopped answering) */
  let threadDrops = 0;
  /** the write the thread is committing: applied to the buffers when its outcome is taken */
  let inFlight: Write | undefined;

  const upsertChunk = db.prepare(
    `INSERT INTO chunks (run_pk, first_seq, last_seq, first_ts, last_ts, count, level_mask, stream_mask,
                         n_debug, n_info, n_warning, n_error, n_critical, body, codec)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_pk, first_seq) DO UPDATE SET
       last_seq = excluded.last_seq, last_ts = excluded.last_ts, count = excluded.count,
       level_mask = excluded.level_mask, stream_mask = excluded.stream_mask, n_debug = excluded.n_debug,
       n_info = excluded.n_info, n_warning = excluded.n_warning, n_error = excluded.n_error,
       n_critical = excluded.n_critical, body = excluded.body, codec = excluded.codec`,
  );
  const selectLastSeq = db.prepare('SELECT max(last_seq) FROM chunks WHERE run_pk = ?').pluck();

  // Encode held rows [from, to) of a buffer as one chunk row (seqBefore: the seq of the row before); returns how many
  // of them are new to the table, and the chunk's last seq.
  const encodeChunk = (buf: RunBuffer, from: number, to: number, seqBefore: number, rows: ChunkRow[]): { fresh: number; lastSeq: number } => {
    const { held } = buf;
    const c = encoder.encode(held, held.start + from, held.start + to, seqBefore);
    const [debug, info, warning, error, critical] = c.levelCounts;
    const stored = buf.packer.pack(c.body);
    // a plain body is the encoder's scratch, reused by the next chunk: the row keeps a copy
    const body = stored.codec === CODEC_PLAIN ? Buffer.from(stored.bytes) : stored.bytes;
    rows.push([
      buf.runPk, c.firstSeq, c.lastSeq, c.firstTs, c.lastTs, c.count, c.levelMask, c.streamMask,
      debug, info, warning, error, critical, body, stored.codec,
    ]);
    stats.chunksWritten++;
    stats.bodyBytes += c.body.length;
    stats.storedBytes += body.length;
    return { fresh: to - Math.max(from, from === 0 ? buf.written : 0), lastSeq: c.lastSeq };
  };

  // The rows of one write over some runs (full chunks always, the open rest when `partial`) and what it will
  // change once committed. Nothing of the buffers changes until then.
  const prepare = (targets: RunBuffer[], partial: boolean): { rows: ChunkRow[]; write: Write } => {
    const started = options.now();
    const storedBefore = stats.storedBytes;
    const rows: ChunkRow[] = [];
    const plans = targets.map((buf) => {
      let full = 0;
      let fresh = 0;
      const held = rowCount(buf.held);
      let seq = buf.held.firstSeq - 1; // of the row before the next chunk
      while (held - full >= batch) {
        const chunk = encodeChunk(buf, full, full + batch, seq, rows);
        fresh += chunk.fresh;
        seq = chunk.lastSeq;
        full += batch;
      }
      const rest = held - full;
      const writeRest = partial && rest > 0 && (full > 0 || rest > buf.written);
      if (writeRest) fresh += encodeChunk(buf, full, held, seq, rows).fresh;
      return { buf, full, openEnd: writeRest ? held : -1, fresh };
    });
    return { rows, write: { plans, started, storedBytes: stats.storedBytes - storedBefore } };
  };

  // A write's outcome. Committed: its full chunks' records leave memory, its open chunk's are marked written.
  // Failed: counted, and the records stay held to be written again. Returns the error, if any.
  const finish = (write: Write, error: string | undefined): string | undefined => {
    if (error !== undefined) {
      failures++;
      stats.writeErrors++;
      stats.lastError = error;
      return error;
    }
    failures = 0;
    // Records appended while the write was in flight come after what it covered: indices of the plan still hold.
    for (const { buf, full, openEnd, fresh } of write.plans) {
      if (buffers.get(buf.runId) !== buf) continue; // forgotten (its run was deleted) while the write was in flight
      stats.recordsWritten += fresh;
      if (full > 0) dropHeld(buf, full);
      if (openEnd >= 0) {
        buf.written = openEnd - full;
        buf.writes++;
      }
    }
    if (write.inline) options.afterWrite?.(write.storedBytes);
    const ms = write.threadMs !== undefined ? (write.encodeMs ?? 0) + write.threadMs : options.now() - write.started;
    stats.batches++;
    stats.lastBatchMs = ms;
    stats.batchMsTotal += ms;
    return undefined;
  };

  // Write what is due: on the thread (its outcome is taken later), or here in one transaction. No write may be in
  // flight. Returns the error of a write that failed here.
  const write = (targets: RunBuffer[], partial: boolean): string | undefined => {
    const { rows, write: pending } = prepare(targets, partial);
    if (rows.length === 0) return undefined; // nothing due (e.g. a settled write took the full chunks)
    if (!thread && options.thread && !threadFailed && inlineWrites >= options.thread.after) {
      try {
        thread = startChunkWriteThread({ ...options.thread, sql: upsertChunk.source });
      } catch {
        threadFailed = true;
      }
    }
    if (thread) {
      thread.post(rows);
      inFlight = { ...pending, encodeMs: options.now() - pending.started };
      return undefined;
    }
    try {
      db.transaction(() => {
        for (const row of rows) upsertChunk.run(...row);
      })();
    } catch (error) {
      return finish(pending, (error as Error).message);
    }
    inlineWrites++;
    return finish({ ...pending, inline: true }, undefined);
  };

  // Take the outcome of the thread's write in flight, waiting at most waitMs. `done` is false while it still runs.
  const settle = (waitMs: number): { done: boolean; error?: string } => {
    if (!inFlight || !thread) return { done: true };
    const outcome = thread.take(waitMs);
    if (!outcome) return { done: false };
    const pending = inFlight;
    inFlight = undefined;
    // the thread is gone: write here from now on (what it did not commit is still held)
    if (outcome.threadStopped) dropThread();
    return { done: true, error: finish({ ...pending, threadMs: outcome.ms ?? 0 }, outcome.error) };
  };

  // Writes from the timer or an append must not throw into capture: keep the records, count, back off, bound.
  const writeQuietly = (targets: RunBuffer[], partial: boolean) => {
    let error: string | undefined;
    try {
      error = write(targets, partial);
    } catch (thrown) {
      error = finish({ plans: [], started: options.now(), storedBytes: 0 }, (thrown as Error).message);
    }
    if (error !== undefined) for (const buf of targets) trim(buf);
  };

  // Wait for the thread's write in flight (bounded: its busy timeout and then some); returns its error.
  const waitForThread = (): string | undefined => {
    if (!inFlight || !options.thread) return undefined;
    const limit = options.thread.busyTimeoutMs + THREAD_ANSWER_MS;
    const { done, error } = settle(limit);
    if (done) return error;
    // no answer: write here from now on; what the thread may still commit is the same rows (upserts), so harmless
    const pending = inFlight;
    inFlight = undefined;
    dropThread();
    return finish(pending, `the chunk write thread did not answer in ${limit} ms`);
  };

  const dropThread = () => {
    threadFailed = true;
    threadDrops++;
    thread?.close();
    thread = undefined;
  };

  // Take a finished thread write without waiting; after a failure, trim what the failed write held.
  const settleQuietly = (): boolean => {
    const pending = inFlight;
    const { done, error } = settle(0);
    if (error !== undefined && pending) trimAll(pending);
    return done;
  };

  // Wait for the thread's write (bounded, see waitForThread); after a failure, trim what it held.
  const waitQuietly = (): boolean => {
    const pending = inFlight;
    if (waitForThread() !== undefined && pending) trimAll(pending);
    return true;
  };

  const trimAll = (write: Write) => {
    for (const { buf } of write.plans) if (buffers.get(buf.runId) === buf) trim(buf);
  };

  // Past maxHeldRecords, drop the oldest. The open chunk's written records go first and together: the
  // row keeps them, closed as it stands, so reads neither lose nor repeat them.
  const trim = (buf: RunBuffer) => {
    const excess = rowCount(buf.held) - options.maxHeldRecords;
    if (excess <= 0) return;
    const drop = Math.max(excess, buf.written);
    stats.recordsDropped += drop - buf.written;
    dropHeld(buf, drop);
  };

  const release = (buf: RunBuffer) => {
    if (buf.written === rowCount(buf.held)) buffers.delete(buf.runId);
  };

  const tick = () => {
    timer = undefined;
    const now = options.now();
    // a write still in flight: the next tick writes what came since (what is dirty is known once it is settled)
    if (settleQuietly()) {
      const dirty = [...buffers.values()].filter((buf) => rowCount(buf.held) > buf.written);
      if (dirty.length > 0) writeQuietly(dirty, true);
    }
    for (const buf of [...buffers.values()]) {
      const idle = now - buf.appendedAt >= options.idleCloseMs;
      if (buf.writes >= options.maxChunkWrites || idle || rowCount(buf.held) === 0) release(buf);
    }
    schedule();
  };

  const schedule = () => {
    if (timer || closed || (buffers.size === 0 && !inFlight)) return;
    const backoff = 2 ** Math.min(failures, 6); // a locked file is not hammered (each try may wait busy_timeout)
    timer = setTimeout(tick, Math.max(0, options.flushIntervalMs) * backoff);
    timer.unref();
  };

  const open = (runId: string): RunBuffer => {
    const runPk = options.runPk(runId);
    if (runPk === undefined) throw new SupervisorError('RUN_NOT_FOUND', `no run ${runId} in the store: insert it first`);
    const lastSeq = (selectLastSeq.get(runPk) as number | null) ?? 0;
    const buf: RunBuffer = {
      runId, runPk, held: createColumns(lastSeq + 1, batch), written: 0, writes: 0, lastSeq, appendedAt: 0, packer: createBodyPacker(),
    };
    buffers.set(runId, buf);
    return buf;
  };

  const writer: LogWriter = {
    append(runId, records) {
      if (closed) throw new Error('the store is closed');
      if (rowCount(records) === 0) return;
      const buf = buffers.get(runId) ?? open(runId);
      if (!(records.firstSeq > buf.lastSeq)) {
        throw new RangeError(`run ${runId}: seq ${records.firstSeq} after ${buf.lastSeq}; seqs must be integers that only increase`);
      }
      appendColumns(buf.held, records);
      if (buf.heldRecords) for (const record of columnRecords(records)) buf.heldRecords.push(record);
      buf.lastSeq = records.lastSeq;
      buf.appendedAt = options.now();
      // A write in flight on the thread holds off the next (these records wait for it, or for the timer); once a few
      // chunks' worth wait, capture waits for the thread instead, so memory stays bounded when SQLite falls behind.
      const due = (thread ? THREAD_WRITE_CHUNKS : 1) * batch;
      const held = rowCount(buf.held);
      if (held >= due && (settleQuietly() || (held >= AHEAD_CHUNKS * batch && waitQuietly()))) {
        if (failures === 0) writeQuietly([buf], false);
        else trim(buf);
      }
      schedule();
    },
    flush(runId) {
      // the write in flight first: what it committed is no longer held
      waitForThread();
      const targets = runId === undefined ? [...buffers.values()] : [buffers.get(runId)].filter((b) => b !== undefined);
      if (targets.length === 0) return;
      const drops = threadDrops;
      let error = write(targets, true) ?? waitForThread();
      if (error !== undefined && threadDrops > drops) error = write(targets, true); // the thread gave up: here, once
      if (error !== undefined) throw new Error(error);
      for (const buf of targets) release(buf);
    },
    held(runId) {
      const buf = buffers.get(runId);
      if (!buf || rowCount(buf.held) === 0) return undefined;
      return { firstSeq: buf.held.firstSeq, records: (buf.heldRecords ??= columnRecords(buf.held)) };
    },
    lastSeq(runId) {
      return buffers.get(runId)?.lastSeq;
    },
    forget(runIds) {
      for (const id of runIds) buffers.delete(id);
    },
    stats() {
      return { ...stats, writeThread: thread !== undefined };
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      try {
        writer.flush();
      } finally {
        thread?.close();
        thread = undefined;
      }
    },
  };
  return writer;
}
