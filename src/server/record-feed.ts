// One subscriber's view of a run: the backlog from the ring (else SQLite) page by page, then live hub batches,
// with no gap and no repeat. Everything runs on one thread and the hub delivers synchronously, so the moment a
// read reaches the end of what was committed, the next hub batch is exactly the next seq.
import type { RunManager } from '../runs/run-manager.js';
import type { Hub } from '../sinks/hub.js';
import type { ReplayPages } from './replay-pages.js';
import type { Store } from '../store/index.js';
import { FINAL_STATUSES, type Layer, type LogRecord, type RunStatus } from '../types.js';

/** Where a feed hands records: a WebSocket subscription or an SSE response. */
export interface FeedTarget {
  /** the next records, seq order, each seq once */
  records(records: readonly LogRecord[]): void;
  layer(layer: Layer): void;
  /** the run ended and every record was handed over; the feed is closed */
  complete(info: { status: RunStatus; exit_code: number | null }): void;
  /** replay pacing: undefined when the target can take more now, else a promise that resolves when it can */
  ready(): Promise<void> | undefined;
  /** the feed failed (a store read threw); it is closed */
  failed(error: unknown): void;
}

export interface FeedDeps {
  store: Store;
  hub: Hub;
  manager: RunManager;
  /** the backlog, page by page, shared with the other subscribers of the run */
  pages: ReplayPages;
}

export interface RecordFeed {
  /** subscribe and start the replay (the first page is read in this tick) */
  start(): void;
  close(): void;
  /** the last seq handed to the target */
  readonly lastSent: number;
}

/** Create a feed of one run's records strictly after `after`. */
export function createRecordFeed(deps: FeedDeps, runId: string, after: number, target: FeedTarget): RecordFeed {
  let lastSent = after;
  let live = false;
  let closed = false;
  let replaying = false;
  let completion: { status: RunStatus; exit_code: number | null } | undefined;
  // Layer changes seen during a replay, sent when it catches up: bounded by the run's layer count.
  const heldLayers = new Map<number, Layer>();
  let unsubscribe: () => void = () => {};

  const close = () => {
    closed = true;
    unsubscribe();
  };

  const finish = (info: { status: RunStatus; exit_code: number | null }) => {
    if (closed) return;
    close();
    target.complete(info);
  };

  // Hand over what is new; `strict` (live) reports a hole instead of skipping it.
  const deliver = (records: readonly LogRecord[], strict: boolean): boolean => {
    if (records.length === 0 || records[records.length - 1]!.seq <= lastSent) return true;
    const first = records[0]!.seq;
    const fresh = first > lastSent ? records : records.filter((r) => r.seq > lastSent);
    if (strict && fresh[0]!.seq !== lastSent + 1) return false;
    lastSent = fresh[fresh.length - 1]!.seq;
    target.records(fresh);
    return true;
  };

  const load = (from: number, limit: number): readonly LogRecord[] =>
    deps.manager.active(runId)?.ring.after(from, limit) ?? deps.store.readLogs(runId, { after: from, limit }).logs;
  const readPage = () => deps.pages.read(runId, lastSent, load);

  const lastCommitted = () => deps.manager.active(runId)?.ring.lastSeq ?? deps.store.lastSeq(runId);

  const goLive = () => {
    live = true;
    for (const layer of heldLayers.values()) target.layer(layer);
    heldLayers.clear();
    if (closed) return;
    if (completion) return finish(completion);
    const info = deps.manager.active(runId)?.info ?? deps.store.getRun(runId);
    if (!info) return finish({ status: 'lost', exit_code: null });
    if (FINAL_STATUSES.has(info.status)) finish({ status: info.status, exit_code: info.exit_code });
  };

  // Live batches that arrive meanwhile are not held: the ring and the store already have them. The feed goes
  // live in the tick of a read that reached the end, once the target has room (a slow client stays paced).
  const catchUp = async () => {
    if (replaying) return;
    replaying = true;
    live = false;
    try {
      for (;;) {
        if (closed) return;
        const page = readPage();
        deliver(page, false);
        if (closed) return;
        const wait = target.ready();
        if (closed) return; // the target dropped it (a lagging client)
        // Caught up: nothing newer was committed since the read (ready() must not have let any in).
        if (!wait && (page.length === 0 || lastCommitted() <= lastSent)) return goLive();
        await (wait ?? new Promise<void>((resolve) => setImmediate(resolve)));
      }
    } catch (error) {
      if (closed) return;
      close();
      target.failed(error);
    } finally {
      replaying = false;
    }
  };

  return {
    start() {
      unsubscribe = deps.hub.subscribeRun(runId, {
        records(batch) {
          if (closed || !live) return;
          if (!deliver(batch, true)) void catchUp(); // a hole: read it from the store
        },
        layer(layer) {
          if (closed) return;
          if (live) target.layer(layer);
          else heldLayers.set(layer.layer, layer);
        },
        complete(info) {
          if (closed) return;
          if (live) finish(info);
          else completion = info;
        },
      });
      void catchUp();
    },
    close,
    get lastSent() {
      return lastSent;
    },
  };
}
