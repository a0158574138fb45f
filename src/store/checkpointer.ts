// WAL checkpoints off the main thread: copying the WAL back into the file (with its fsyncs) was a third of the
// cost of a write, so the writer's connection never checkpoints and a worker thread's own connection does.
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { workerConnection } from './schema.js';

export type CheckpointMode = 'worker' | 'inline';

export interface Checkpointer {
  /** 'inline' when SQLite checkpoints on the writer's own commits (the fallback) */
  readonly mode: CheckpointMode;
  /** a write committed `bytes` (about) to the WAL; asks for a checkpoint once enough piled up (at most one in flight) */
  request(bytes?: number): void;
  /** checkpoints the worker has completed */
  completed(): number;
  /** whether the worker thread is up (it starts after a few writes) */
  running(): boolean;
  /** stop the worker (waits up to a bound for its connection to close) and hand checkpoints back to SQLite */
  close(): void;
}

// Runs in the worker (CommonJS, evaluated from this string so it works from .ts sources and from dist alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.state);
let db;
try {
  db = new Database(workerData.path, workerData.options);
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('wal_autocheckpoint = 0');
} catch (error) {
  parentPort.postMessage({ failed: String(error && error.message) });
}
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    try {
      if (db) {
        const [result] = db.pragma('wal_checkpoint(PASSIVE)');
        // A writer that never pauses never lets the WAL start over: once it is long, finish the job
        // holding new writers off briefly (bounded by a short busy timeout), so the next commit rewinds it.
        if (result && result.log >= workerData.restartFrames) {
          db.pragma('busy_timeout = ' + workerData.restartWaitMs);
          try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = ' + workerData.busyTimeoutMs); }
        }
      }
      Atomics.add(state, 2, 1);
    } catch {}
    Atomics.store(state, 0, 0);
  } else if (message === 'close') {
    try { if (db) db.close(); } catch {}
    Atomics.store(state, 1, 1);
    Atomics.notify(state, 1);
    parentPort.close();
  }
});
`;

const PENDING = 0;
const CLOSED = 1;
const COMPLETED = 2;
/** WAL length past which the worker rewinds it, and how long that may hold the writer off at most. */
const WAL_RESTART_BYTES = 64 * 1024 * 1024;
const RESTART_WAIT_MS = 100;
/** Writes before the worker starts: fewer leave at most a few chunks in the WAL, which close() takes care of. */
const START_AFTER_WRITES = 8;
/**
 * A checkpoint once the WAL grew this much, or after this many writes: each one costs two fsyncs, which on
 * ext4 also stall the writer's next WAL append, so not one per write (SQLite's own default is 1000 pages).
 */
const CHECKPOINT_EVERY_BYTES = 4 * 1024 * 1024;
const CHECKPOINT_EVERY_WRITES = 64;
/** SQLite's own default, restored when the worker is not there to do it (and the write thread's connection's). */
export const INLINE_AUTOCHECKPOINT_PAGES = 1000;

/** Start checkpointing for the writer's connection; falls back to SQLite's inline checkpoints if a worker cannot run. */
export function startCheckpointer(
  db: Database.Database,
  options: { path: string; busyTimeoutMs: number; mode?: CheckpointMode; closeTimeoutMs?: number },
): Checkpointer {
  let mode: CheckpointMode = options.mode ?? 'worker';
  const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  let worker: Worker | undefined;
  let closed = false;
  let writesSince = 0;
  let bytesSince = 0;

  const fallBack = () => {
    mode = 'inline';
    void worker?.terminate();
    worker = undefined;
    if (db.open) db.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
  };

  // The worker starts once a few writes asked for a checkpoint: a command that only reads (runs, logs, show)
  // or a run of a few lines never waits for a thread to load SQLite just to close it again; their small WAL
  // is moved into the file when the last connection closes.
  const startWorker = () => {
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          ...workerConnection(options.path, options.busyTimeoutMs),
          restartFrames: Math.ceil(WAL_RESTART_BYTES / (db.pragma('page_size', { simple: true }) as number)),
          restartWaitMs: RESTART_WAIT_MS,
          state: state.buffer,
        },
      });
      worker.unref();
      worker.on('message', (message: { failed?: string }) => message.failed !== undefined && fallBack());
      worker.on('error', fallBack);
    } catch {
      fallBack();
    }
  };

  if (mode === 'worker' && options.path !== ':memory:' && options.path !== '') {
    db.pragma('wal_autocheckpoint = 0');
  } else {
    mode = 'inline';
  }

  return {
    get mode() {
      return mode;
    },
    request(bytes = 0) {
      if (mode !== 'worker' || closed) return;
      writesSince++;
      bytesSince += bytes;
      if (!worker && writesSince < START_AFTER_WRITES) return;
      if (writesSince < CHECKPOINT_EVERY_WRITES && bytesSince < CHECKPOINT_EVERY_BYTES && worker) return;
      if (!worker) startWorker();
      if (!worker || Atomics.compareExchange(state, PENDING, 0, 1) !== 0) return;
      writesSince = 0;
      bytesSince = 0;
      worker.postMessage('checkpoint');
    },
    completed() {
      return Atomics.load(state, COMPLETED);
    },
    running() {
      return worker !== undefined;
    },
    close() {
      closed = true;
      const w = worker;
      worker = undefined;
      if (w) {
        w.postMessage('close');
        // Synchronous on purpose: the caller closes its connection next, and the last one out cleans up the WAL.
        Atomics.wait(state, CLOSED, 0, options.closeTimeoutMs ?? 2000);
      }
      if (mode === 'worker' && db.open) db.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
    },
  };
}
