// One SSE response: replay then live records of a run as `log` events, `layer`, `complete`, heartbeats;
// a client that falls too far behind is cut off (it reconnects with Last-Event-ID) instead of growing memory.
import { once } from 'node:events';
import type { FastifyReply } from 'fastify';
import { toSupervisorError } from '../errors.js';
import { errorBody } from './http-errors.js';
import { createRecordFeed } from './record-feed.js';
import { recordsSse } from './record-json.js';
import type { LiveStream, ServerContext } from './server-context.js';

/** Take over the reply and stream run `runId` from after seq `after` until the run ends or the client goes. */
export function startSseStream(ctx: ServerContext, reply: FastifyReply, runId: string, after: number): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  res.socket?.setNoDelay(true);
  // An EventSource reconnects after `retry` ms and sends the last id it saw as Last-Event-ID.
  res.write('retry: 1000\n\n');

  let ended = false;
  const stream: LiveStream = { end: () => end() };
  const heartbeat = setInterval(() => write(': ping\n\n'), ctx.limits.ssePingMs);
  heartbeat.unref();

  // `drop` destroys the socket: what is queued for a lagging client is freed now, not when it reads.
  // While the daemon stops, the connection is closed too (no keep-alive for the server to wait on), and a
  // client that does not read gets a second to take the end of its stream.
  const end = (drop = false) => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    feed.close();
    ctx.sseStreams.delete(stream);
    const socket = res.socket;
    if (drop || !socket) return void res.destroy();
    if (!res.writableEnded) res.end();
    if (!ctx.isClosing()) return;
    const force = setTimeout(() => socket.destroy(), 1000);
    force.unref();
    socket.once('close', () => clearTimeout(force));
    if (res.writableFinished) socket.destroySoon();
    else res.once('finish', () => socket.destroySoon());
  };

  // Records are written only while the queued bytes are under the bound (so it holds at most the bound plus
  // one write: a replay page waits for 'drain' before the next); small events (layer, complete, ping) always go.
  const write = (text: string, bounded = false) => {
    if (ended) return;
    if (bounded && res.writableLength > ctx.limits.sseMaxBufferedBytes) {
      ctx.metrics.countLagged('sse');
      ctx.logger.debug({ runId, lastSent: feed.lastSent }, 'SSE client lagged; dropping its stream');
      return end(true);
    }
    res.write(text);
  };

  const feed = createRecordFeed(
    { store: ctx.store, hub: ctx.hub, manager: ctx.manager, pages: ctx.replayPages },
    runId,
    after,
    {
      records: (records) => write(recordsSse(records), true),
      layer: (layer) => write(`event: layer\ndata: ${JSON.stringify(layer)}\n\n`),
      complete(info) {
        write(`event: complete\ndata: ${JSON.stringify({ status: info.status, exit_code: info.exit_code })}\n\n`);
        end();
      },
      ready: () => (!ended && res.writableNeedDrain ? Promise.race([once(res, 'drain'), once(res, 'close')]).then(() => {}) : undefined),
      failed(error) {
        const failure = toSupervisorError(error);
        ctx.logger.error({ err: error, runId }, 'SSE stream failed');
        write(`event: error\ndata: ${JSON.stringify(errorBody(failure))}\n\n`);
        end();
      },
    },
  );

  res.on('close', () => end());
  ctx.sseStreams.add(stream);
  feed.start();
}
