// /ws on the daemon's port: upgrades checked (origin, token) before the handshake, heartbeats, shutdown.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SupervisorError } from '../../errors.js';
import { isOwnHostHeader, isOwnOrigin } from '../host-policy.js';
import { errorBody } from '../http-errors.js';
import type { ServerContext } from '../server-context.js';
import { createFlushClock } from './flush-clock.js';
import { attachWsClient, type WsClient } from './ws-client.js';

/** Client frames are small; anything bigger is a mistake or an attack. */
const MAX_CLIENT_FRAME = 64 * 1024;
const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

export interface WsGateway {
  connections(): number;
  subscriptions(): number;
  /** ping every client every wsPingMs; terminate the ones that did not answer the last ping */
  startHeartbeat(): void;
  /** close every connection (1001 going away), terminating those that do not finish the handshake in time */
  close(): Promise<void>;
}

/** Handle 'upgrade' on the app's http server. */
export function createWsGateway(ctx: ServerContext, server: Server): WsGateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME, clientTracking: false, perMessageDeflate: false });
  const clients = new Set<WsClient>();
  const clock = createFlushClock(ctx.limits.wsFlushMs);
  let heartbeat: NodeJS.Timeout | undefined;

  const refuse = (socket: Duplex, error: SupervisorError) => {
    const body = JSON.stringify(errorBody(error));
    socket.end(
      `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  // Everything that would make a plain request fail is refused here, before any WebSocket exists.
  const check = (request: IncomingMessage): SupervisorError | undefined => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/ws') return new SupervisorError('NOT_FOUND', `no WebSocket endpoint at ${path}; use /ws`);
    if (ctx.isClosing()) return new SupervisorError('SHUTTING_DOWN', 'the daemon is stopping');
    const bound = ctx.bound();
    if (bound && !isOwnHostHeader(request.headers.host, bound.host)) {
      return new SupervisorError('FORBIDDEN_ORIGIN', `Host "${request.headers.host}" is not this daemon's address`);
    }
    if (!isOwnOrigin(request.headers.origin, bound?.origins)) {
      return new SupervisorError('FORBIDDEN_ORIGIN', `WebSocket connections from ${request.headers.origin} are refused`);
    }
    if (!ctx.auth.check(request.headers)) {
      return new SupervisorError('UNAUTHORIZED', 'this daemon needs its token: Authorization: Bearer <token> or a session cookie');
    }
    return undefined;
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refusal = check(request);
    if (refusal) {
      ctx.logger.debug({ code: refusal.code, origin: request.headers.origin }, 'WebSocket upgrade refused');
      return refuse(socket, refusal);
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const client = attachWsClient(ctx, ws, socket, clock);
      clients.add(client);
      ws.on('close', () => clients.delete(client));
    });
  });

  return {
    connections: () => clients.size,
    subscriptions() {
      let n = 0;
      for (const client of clients) n += client.subscriptions();
      return n;
    },
    startHeartbeat() {
      heartbeat ??= setInterval(() => {
        for (const client of clients) {
          if (!client.alive) {
            client.socket.terminate();
            continue;
          }
          client.alive = false;
          client.socket.ping();
        }
      }, ctx.limits.wsPingMs);
      heartbeat.unref();
    },
    async close() {
      clearInterval(heartbeat);
      heartbeat = undefined;
      const closing = [...clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            const socket = client.socket;
            if (socket.readyState === socket.CLOSED) return resolve();
            const timer = setTimeout(() => socket.terminate(), 1000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.close(1001, 'daemon shutting down');
          }),
      );
      await Promise.all(closing);
      clock.stop();
      wss.close();
    },
  };
}
