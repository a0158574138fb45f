// The store: runs, layers and records in one SQLite file, written in chunks, read with the unflushed lines merged in.
import type { LogRecord, RunInfo } from '../types.js';
import { recordColumns, type RecordColumns } from '../record-columns.js';
import { startCheckpointer, type CheckpointMode } from './checkpointer.js';
import { createLogReader } from './log-reader.js';
import type { LogQuery } from './log-query.js';
import { createLogWriter, type WriterStats } from './log-writer.js';
import { createRunRepo, type ListRunsQuery } from './run-repo.js';
import { openDatabase, readVersion } from './schema.js';
import { createTimestampCodec } from './timestamps.js';

export type { LogQuery } from './log-query.js';
export type { ListRunsQuery } from './run-repo.js';
export type { WriterStats } from './log-writer.js';
export type { CheckpointMode } from './checkpointer.js';
export { SCHEMA_VERSION, MIGRATIONS } from './schema.js';
export {
  isoToMicros,
  microsToIso,
  parseTimestampCursor,
  createTimestampCodec,
  type TimestampCodec,
} from './timestamps.js';

export interface StoreOptions {
  /** the SQLite file (created with its schema when missing; opened as is, migrated if older, when present) */
  path: string;
  /** records per chunk row, and the pending count that triggers a write (default 1000) */
  batchRecords?: number;
  /** how long appended records may wait before they are written (default 50 ms) */
  flushIntervalMs?: number;
  /** monotonic milliseconds, for batch timings and idle chunks (default performance.now) */
  now?: () => number;
  /** how long a write waits for another process's lock (default 5000 ms) */
  busyTimeoutMs?: number;
  /** rewrites of a growing open chunk before it is closed (default 16) */
  maxChunkWrites?: number;
  /** an open chunk with no appends for this long leaves memory (default 4 × flushIntervalMs, at least 200 ms) */
  idleCloseMs?: number;
  /** per run, records kept while writes fail before the oldest are dropped (default 16 × batchRecords) */
  maxHeldRecords?: number;
  /** 'worker' (default): WAL checkpoints run on a worker thread's connection; 'inline': SQLite's own, on commit */
  checkpoint?: CheckpointMode;
  /**
   * 'worker' (default): after `writeWorkerAfter` writes (default 4, so short runs never start it), chunk rows commit
   * on a worker thread's connection and capture never waits for SQLite; 'inline': on the caller's thread
   */
  writes?: 'worker' | 'inline';
  writeWorkerAfter?: number;
}

export interface StoreStats extends WriterStats {
  /** checkpoints completed by the worker (0 in inline mode) */
  checkpoints: number;
  checkpointMode: CheckpointMode;
  /** whether the checkpoint worker thread is up: only once the store has written a few chunks */
  checkpointWorker: boolean;
}

export interface Store {
  insertRun(run: RunInfo): void;
  /** upsert every field, counts, layers and their history */
  saveRun(run: RunInfo): void;
  getRun(runId: string): RunInfo | undefined;
  /** newest first (created_at, then run_id, descending) */
  listRuns(q?: ListRunsQuery): RunInfo[];
  /** a run_id, `latest` or `latest:<module>` → the run_id, or undefined */
  resolveRunRef(ref: string): string | undefined;
  /** crash recovery: runs left running or queued become lost; returns their ids (exceptRunners keeps remote runners' runs) */
  markUnfinishedLost(finishedAt: string, options?: { exceptRunners?: boolean }): string[];
  /** the run a runner registered under an idempotency key, if any */
  runForKey(runner: string, key: string): string | undefined;
  /** remember the run a runner registered under an idempotency key */
  saveRunKey(runner: string, key: string, runId: string): void;
  /** prune: finished runs created before the cutoff, with their layers and records; returns how many */
  deleteRunsOlderThan(cutoffIso: string): number;
  /**
   * Buffered: writes a chunk when batchRecords are pending, on the flush timer, or on flush(); seqs must increase.
   * The rows are copied: the caller may reuse the columns.
   */
  appendColumns(runId: string, cols: RecordColumns): void;
  /** appendColumns for record objects; all are checked first, and none is taken when one is wrong (RangeError) */
  appendRecords(runId: string, records: readonly LogRecord[]): void;
  /** write what is pending now, in one transaction (all runs, or one) */
  flush(runId?: string): void;
  /** see LogQuery; total counts the records matching level/stream/grep, cursors ignored */
  readLogs(runId: string, q?: LogQuery): { logs: LogRecord[]; total: number };
  /** oldest first, a few chunks at a time, up to the last record there was at the first next() */
  iterateLogs(runId: string, q?: LogQuery): IterableIterator<LogRecord>;
  /** including records not yet written; 0 for a run without records */
  lastSeq(runId: string): number;
  stats(): StoreStats;
  /** PRAGMA user_version of the file */
  schemaVersion(): number;
  /** flush, then close the file */
  close(): void;
}

/** Open a store over one SQLite file; several processes may open the same file (one writing, others reading). */
export function createStore(options: StoreOptions): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const db = openDatabase(options.path, { busyTimeoutMs });
  const checkpointer = startCheckpointer(db, { path: options.path, busyTimeoutMs, mode: options.checkpoint });
  const batchRecords = Math.max(1, Math.floor(options.batchRecords ?? 1000));
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const runs = createRunRepo(db);
  const writer = createLogWriter(db, {
    batchRecords,
    flushIntervalMs,
    maxChunkWrites: options.maxChunkWrites ?? 16,
    idleCloseMs: options.idleCloseMs ?? Math.max(200, 4 * flushIntervalMs),
    maxHeldRecords: Math.max(batchRecords, options.maxHeldRecords ?? 16 * batchRecords),
    now: options.now ?? (() => performance.now()),
    runPk: runs.runPk,
    afterWrite: checkpointer.request,
    thread: (options.writes ?? 'worker') === 'worker' && options.path !== ':memory:' && options.path !== ''
      ? { path: options.path, busyTimeoutMs, after: options.writeWorkerAfter ?? 4 }
      : undefined,
  });
  const reader = createLogReader(db, { writer, runPk: runs.runPk });
  const timestamps = createTimestampCodec();

  return {
    insertRun: runs.insertRun,
    saveRun: runs.saveRun,
    getRun: runs.getRun,
    listRuns: runs.listRuns,
    resolveRunRef: runs.resolveRunRef,
    markUnfinishedLost: runs.markUnfinishedLost,
    runForKey: runs.runForKey,
    saveRunKey: runs.saveRunKey,
    deleteRunsOlderThan(cutoffIso) {
      const deleted = runs.deleteRunsOlderThan(cutoffIso);
      writer.forget(deleted);
      return deleted.length;
    },
    appendColumns: writer.append,
    appendRecords(runId, records) {
      if (records.length === 0) return;
      writer.append(runId, recordColumns(records, timestamps.exactMicros, 0, `run ${runId}`));
    },
    flush: writer.flush,
    readLogs: reader.readLogs,
    iterateLogs: reader.iterateLogs,
    lastSeq: reader.lastSeq,
    stats: () => ({ ...writer.stats(), checkpoints: checkpointer.completed(), checkpointMode: checkpointer.mode, checkpointWorker: checkpointer.running() }),
    schemaVersion: () => readVersion(db),
    close() {
      if (!db.open) return;
      try {
        writer.close();
      } finally {
        checkpointer.close();
        db.close();
      }
    },
  };
}

