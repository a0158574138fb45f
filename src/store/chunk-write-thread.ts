// SQLite writes of chunk rows on a worker thread's own connection, so capture never waits for a commit, a WAL
// append or another process's lock: the writer hands over one transaction's rows and learns the outcome later.
// The connection checkpoints its own commits (SQLite's automatic checkpoint, which right after the writer's own
// commit can always catch up and so lets the WAL start over), so no checkpoint thread is needed beside it.
//
// Rows of numbers and byte strings (the writer's) go through shared memory that both threads reuse: posting them
// as a message serialised every body into new memory on this side and again on the thread's, ~15 MiB of a 1M-line
// capture's peak RSS. Only the layout is posted. Rows with any other value are posted as they are.
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
let shared;
// rows laid out in shared memory (see createRowPacker): per row, per column a number, or a byte string's offset and length
const unpack = ({ count, kinds, bytesAt }) => {
  const numbers = new Float64Array(shared, 0, bytesAt / 8);
  const rows = new Array(count);
  for (let r = 0, at = 0; r < count; r++) {
    const row = new Array(kinds.length);
    for (let c = 0; c < kinds.length; c++) {
      if (kinds.charCodeAt(c) === 110 /* n */) row[c] = numbers[at++];
      else {
        row[c] = Buffer.from(shared, bytesAt + numbers[at], numbers[at + 1]);
        at += 2;
      }
    }
    rows[r] = row;
  }
  return rows;
};
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
      if (Array.isArray(message)) write(message);
      else {
        if (message.shared) shared = message.shared;
        write(unpack(message));
      }
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

/** The shared memory's first size; it grows to fit a write. */
const SHARED_START_BYTES = 1 << 20;
/** Shared memory this large is replaced by a smaller one when a write needs under an eighth of it. */
const SHARED_KEEP_BYTES = 16 << 20;

/** What is posted for rows laid out in shared memory; `shared` only when the memory is new to the thread. */
interface PackedRows {
  count: number;
  /** per column: `n` a number (one f64 slot), `b` a byte string (two: offset from bytesAt, length) */
  kinds: string;
  /** where the byte strings start, after the f64 slots of all rows */
  bytesAt: number;
  shared?: SharedArrayBuffer;
}

/** Lays rows out in memory shared with the thread, reused from one write to the next. */
function createRowPacker() {
  let shared: SharedArrayBuffer | undefined;
  let numbers = new Float64Array(new SharedArrayBuffer(0));
  let bytes = new Uint8Array(new SharedArrayBuffer(0));

  // 'n'/'b' per column of the rows, with their f64 slots and byte total; undefined for other values or ragged rows
  const layout = (rows: readonly ChunkRow[]) => {
    let kinds = '';
    for (const value of rows[0]!) kinds += typeof value === 'number' ? 'n' : value instanceof Uint8Array ? 'b' : '?';
    if (kinds.includes('?')) return undefined;
    let slots = 0;
    let byteCount = 0;
    for (const row of rows) {
      if (row.length !== kinds.length) return undefined;
      for (let c = 0; c < kinds.length; c++) {
        const value = row[c];
        if (kinds.charCodeAt(c) === 110 /* n */) {
          if (typeof value !== 'number') return undefined;
          slots++;
        } else {
          if (!(value instanceof Uint8Array)) return undefined;
          slots += 2;
          byteCount += value.byteLength;
        }
      }
    }
    return { kinds, slots, byteCount };
  };

  return {
    /** the message for these rows, written to shared memory; undefined when they hold other values (post them) */
    pack(rows: readonly ChunkRow[]): PackedRows | undefined {
      if (rows.length === 0) return undefined;
      const shape = layout(rows);
      if (!shape) return undefined;
      const bytesAt = shape.slots * 8;
      const need = bytesAt + shape.byteCount;
      const message: PackedRows = { count: rows.length, kinds: shape.kinds, bytesAt };
      const size = shared?.byteLength ?? 0;
      if (size < need || (size > SHARED_KEEP_BYTES && need < size / 8)) {
        shared = new SharedArrayBuffer(Math.max(SHARED_START_BYTES, need + (need >> 1)));
        numbers = new Float64Array(shared, 0, Math.floor(shared.byteLength / 8));
        bytes = new Uint8Array(shared);
        message.shared = shared;
      }
      let slot = 0;
      let at = 0;
      for (const row of rows) {
        for (let c = 0; c < shape.kinds.length; c++) {
          const value = row[c];
          if (typeof value === 'number') numbers[slot++] = value;
          else {
            const data = value as Uint8Array;
            bytes.set(data, bytesAt + at);
            numbers[slot++] = at;
            numbers[slot++] = data.byteLength;
            at += data.byteLength;
          }
        }
      }
      return message;
    },
  };
}

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
  const packer = createRowPacker();

  return {
    post(rows) {
      if (posted !== taken) throw new Error('a chunk write is already in flight');
      posted++;
      port1.postMessage(packer.pack(rows) ?? rows);
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
