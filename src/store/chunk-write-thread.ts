// SQLite writes of chunk rows on a worker thread's own connection, so capture never waits for a commit, a WAL
// append or another process's lock: the writer hands over one transaction's rows and learns the outcome later.
// The connection checkpoints its own commits (SQLite's automatic checkpoint, which right after the writer's own
// commit can always catch up and so lets the WAL start over), so no checkpoint thread is needed beside it.
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { INLINE_AUTOCHECKPOINT_PAGES } from './checkpointer.js';
import { workerConnection } from './schema.js';

/** The parameters of the writer's chunk upsert, in its order. */
export type ChunkRow = readonly unknown[];

/** How a posted transaction ended. */
export interface WriteOutcome {
  /** set when it failed (nothing of it was committed) */
  error?: string;
  /** the thread itself is gone (the caller should write on its own from now on) */
  threadStopped?: boolean;
  /** milliseconds the thread spent in the transaction */
  ms?: number;
}

export interface ChunkWriteThread {
  /** start one transaction of upserts; at most one is in flight (take its outcome first) */
  post(rows: readonly ChunkRow[]): void;
  /** the posted transaction's outcome, waiting at most waitMs; undefined while it still runs */
  take(waitMs: number): WriteOutcome | undefined;
  /** stop the thread (after its current transaction), waiting a bounded time for its connection to close */
  close(): void;
}

// Runs in the worker (CommonJS, evaluated from this string so it works from .ts sources and from dist alike).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.state);
const port = workerData.port;
let db, upsert, openError;
try {
  db = new Database(workerData.path, workerData.options);
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = ' + workerData.autocheckpointPages);
  upsert = db.prepare(workerData.sql);
} catch (error) {
  openError = String(error && error.message);
}
const write = upsert && db.transaction((rows) => { for (const row of rows) upsert.run(...row); });
port.on('message', (message) => {
  if (message === 'close') {
    try { if (db) db.close(); } catch {}
    Atomics.store(state, 1, 1);
    Atomics.notify(state, 1);
    port.close();
    return;
  }
  let reply;
  if (openError !== undefined) {
    // a connection that could not open never will: the writer then writes on its own thread
    reply = { error: openError, threadStopped: true };
  } else {
    const started = performance.now();
    try {
      write(message);
      reply = {};
    } catch (error) {
      reply = { error: String(error && error.message) };
    }
    reply.ms = performance.now() - started;
  }
  port.postMessage(reply);
  Atomics.add(state, 0, 1);
  Atomics.notify(state, 0);
});
`;

const DONE = 0;
const CLOSED = 1;

/** Start the thread on its own connection to the file at `path`; `sql` is the upsert that each row is bound to. */
export function startChunkWriteThread(options: { path: string; sql: string; busyTimeoutMs: number }): ChunkWriteThread {
  const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      ...workerConnection(options.path, options.busyTimeoutMs),
      sql: options.sql,
      autocheckpointPages: INLINE_AUTOCHECKPOINT_PAGES,
      state: state.buffer,
      port: port2,
    },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  // An uncaught error ends the thread: a transaction in flight then never answers, and take() says so.
  let stopped: string | undefined;
  worker.on('error', (error) => (stopped = `the write thread failed: ${error.message}`));
  worker.on('exit', () => (stopped ??= 'the write thread stopped'));
  let posted = 0;
  let taken = 0;

  return {
    post(rows) {
      if (posted !== taken) throw new Error('a chunk write is already in flight');
      posted++;
      port1.postMessage(rows);
    },
    take(waitMs) {
      if (posted === taken) return undefined;
      const deadline = performance.now() + waitMs;
      for (;;) {
        const done = Atomics.load(state, DONE);
        if (done >= posted) break;
        const left = deadline - performance.now();
        if (stopped !== undefined) return settle({ error: stopped, threadStopped: true });
        if (left <= 0) return undefined;
        Atomics.wait(state, DONE, done, Math.min(left, 100));
      }
      const reply = receiveMessageOnPort(port1)?.message as WriteOutcome | undefined;
      return settle(reply ?? { error: 'the write thread gave no answer' });
    },
    close() {
      if (stopped === undefined) {
        port1.postMessage('close');
        Atomics.wait(state, CLOSED, 0, 2000);
      }
      port1.close();
      void worker.terminate();
    },
  };

  function settle(outcome: WriteOutcome): WriteOutcome {
    taken = posted;
    return outcome;
  }
}
