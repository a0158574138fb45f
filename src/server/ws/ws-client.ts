// One WebSocket connection: its subscriptions, live batches coalesced per flush round, a bound on what it may queue.
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { SupervisorError, toSupervisorError } from '../../errors.js';
import type { Layer, LogRecord, RunInfo } from '../../types.js';
import { createRecordFeed, type RecordFeed } from '../record-feed.js';
import { logsFrame } from '../record-json.js';
import { findRun, lastSeqOf } from '../run-lookup.js';
import type { ServerContext } from '../server-context.js';
import type { FlushClock } from './flush-clock.js';
import { parseClientFrame, type ClientFrame } from './ws-frames.js';

/** Records sent after a subscribe without `after`. */
export const DEFAULT_WS_TAIL = 100;

/** What the gateway needs of a connection: heartbeat state, counts, the socket. */
export interface WsClient {
  /** answered a ping (or sent anything) since the last heartbeat */
  alive: boolean;
  /** run subscriptions plus the runs topic */
  subscriptions(): number;
  readonly socket: WebSocket;
}

interface Subscription {
  runId: string;
  feed: RecordFeed | undefined;
  pending: (readonly LogRecord[])[];
  /** layer changes since the last flush, latest state per layer: sent after the records of the same round */
  pendingLayers: Map<number, Layer>;
  /** last seq handed to the socket: where a lagged client resumes */
  lastQueued: number;
}

/** Serve the protocol on an open WebSocket (`socket`: its TCP socket, for 'drain'); all is released when it closes. */
export function attachWsClient(ctx: ServerContext, ws: WebSocket, socket: Duplex, clock: FlushClock): WsClient {
  const subs = new Map<string, Subscription>();
  let topicRuns = false;
  const bound = ctx.limits.wsMaxBufferedBytes;
  const client: WsClient = { alive: true, subscriptions: () => subs.size + (topicRuns ? 1 : 0), socket: ws };

  const open = () => ws.readyState === WebSocket.OPEN;

  // Small frames (run, complete, error, pong): a socket already far over the bound is cut off, except for
  // a frame that ends a subscription whose records were just accepted (`bounded` false).
  const sendControl = (frame: Record<string, unknown>, bounded = true) => {
    if (!open()) return;
    if (bounded && ws.bufferedAmount > 2 * bound) {
      ctx.metrics.countLagged('ws');
      ctx.logger.debug('WebSocket client far behind; terminating it');
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(frame));
  };
  const sendError = (error: SupervisorError, runId?: string) =>
    sendControl({ type: 'error', code: error.code, message: error.message, ...(runId === undefined ? {} : { run_id: runId }) });

  const drop = (sub: Subscription) => {
    sub.feed?.close();
    if (subs.get(sub.runId) === sub) subs.delete(sub.runId);
  };

  const lag = (sub: Subscription) => {
    drop(sub);
    ctx.metrics.countLagged('ws');
    ctx.logger.debug({ runId: sub.runId, resumeAfter: sub.lastQueued }, 'WebSocket subscriber lagged; dropped');
    if (open()) ws.send(JSON.stringify({ type: 'lagged', run_id: sub.runId, resume_after: sub.lastQueued }));
  };

  // Send a subscription's pending records as one frame, then its changed layers; false when the client is
  // over its bound (it lagged and the subscription is gone).
  const flush = (sub: Subscription): boolean => {
    if (!open()) return false;
    if (sub.pending.length === 0 && sub.pendingLayers.size === 0) return true;
    const batches = sub.pending;
    const layers = [...sub.pendingLayers.values()];
    sub.pending = [];
    sub.pendingLayers.clear();
    if (ws.bufferedAmount > bound) {
      lag(sub);
      return false;
    }
    if (batches.length > 0) {
      const last = batches[batches.length - 1]!;
      ws.send(logsFrame(sub.runId, batches), { binary: false });
      sub.lastQueued = last[last.length - 1]!.seq;
    }
    for (const layer of layers) ws.send(JSON.stringify({ type: 'layer', run_id: sub.runId, layer }));
    return true;
  };

  const flushAll = () => {
    for (const sub of [...subs.values()]) flush(sub);
  };
  // Live frames go out in the rounds of the daemon's flush clock (see flush-clock.ts).
  const schedule = () => clock.request(flushAll);

  const subscribeRun = (ref: string, after: number | undefined, tail: number | undefined) => {
    let info: RunInfo;
    try {
      info = findRun(ctx, ref);
    } catch (error) {
      return sendError(toSupervisorError(error), ref);
    }
    const runId = info.run_id;
    const previous = subs.get(runId);
    if (previous) drop(previous);
    const start = after ?? Math.max(0, lastSeqOf(ctx, runId) - (tail ?? DEFAULT_WS_TAIL));
    const sub: Subscription = { runId, feed: undefined, pending: [], pendingLayers: new Map(), lastQueued: start };
    subs.set(runId, sub);
    sendControl({ type: 'run', run: info });
    const live = () => subs.get(runId) === sub;
    sub.feed = createRecordFeed({ store: ctx.store, hub: ctx.hub, manager: ctx.manager, pages: ctx.replayPages }, runId, start, {
      records(records) {
        if (!live()) return;
        sub.pending.push(records);
        schedule();
      },
      layer(layer) {
        if (!live()) return;
        sub.pendingLayers.set(layer.layer, layer);
        schedule();
      },
      complete(done) {
        if (!live()) return;
        const flushed = flush(sub);
        drop(sub);
        if (flushed) sendControl({ type: 'complete', run_id: runId, status: done.status, exit_code: done.exit_code }, false);
      },
      // Replay goes at the client's pace: past half the bound, wait for the socket to drain. A client whose
      // queue has not shrunk at all for wsReplayStallMs (judged after pending I/O ran, so a busy event loop
      // is not mistaken for a stalled client) is lagged like a slow live one.
      ready() {
        if (!live() || !flush(sub) || ws.bufferedAmount <= bound / 2) return undefined;
        return new Promise<void>((resolve) => {
          let queued = ws.bufferedAmount;
          let timer: NodeJS.Timeout | undefined;
          const done = () => {
            clearTimeout(timer);
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          const check = () => {
            if (!live() || ws.bufferedAmount <= bound / 2) return done();
            if (ws.bufferedAmount < queued) {
              queued = ws.bufferedAmount;
              return watch();
            }
            lag(sub);
            done();
          };
          const watch = () => (timer = setTimeout(() => setImmediate(check), ctx.limits.wsReplayStallMs));
          socket.once('drain', done);
          socket.once('close', done);
          watch();
        });
      },
      failed(error) {
        ctx.logger.error({ err: error, runId }, 'WebSocket replay failed');
        drop(sub);
        sendError(toSupervisorError(error), runId);
      },
    });
    sub.feed.start();
  };

  const handle = (frame: ClientFrame) => {
    switch (frame.type) {
      case 'ping':
        return sendControl({ type: 'pong' });
      case 'subscribe':
        if ('topic' in frame) topicRuns = true;
        else subscribeRun(frame.run_id, frame.after, frame.tail);
        return;
      case 'unsubscribe':
        if ('topic' in frame) topicRuns = false;
        else {
          const sub = subs.get(frame.run_id) ?? subs.get(ctx.store.resolveRunRef(frame.run_id) ?? '');
          if (sub) drop(sub);
        }
        return;
    }
  };

  // Lifecycle of runs: for the runs topic, and for runs this client watches (records of that run go first).
  const unsubscribeRuns = ctx.hub.subscribeRuns((run) => {
    const sub = subs.get(run.run_id);
    if (!topicRuns && !sub) return;
    const flushed = sub !== undefined && flush(sub);
    if (sub && !flushed && !topicRuns) return;
    sendControl({ type: 'run', run }, !flushed);
  });

  ws.on('message', (data, isBinary) => {
    client.alive = true;
    try {
      if (isBinary) throw new SupervisorError('BAD_REQUEST', 'send JSON text frames, not binary');
      handle(parseClientFrame(data.toString()));
    } catch (error) {
      const failure = toSupervisorError(error);
      if (failure.code === 'INTERNAL') ctx.logger.error({ err: error }, 'WebSocket frame failed');
      sendError(failure);
    }
  });
  ws.on('pong', () => (client.alive = true));
  ws.on('error', (error) => ctx.logger.debug({ err: error }, 'WebSocket error'));
  ws.on('close', () => {
    unsubscribeRuns();
    for (const sub of [...subs.values()]) drop(sub);
    topicRuns = false;
  });
  return client;
}
