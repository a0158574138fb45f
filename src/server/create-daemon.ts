// The daemon: the engine (store, hub, runs) behind HTTP, SSE and WebSocket on one port. Built without listening.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { databasePath } from '../store/database-file.js';
import type { Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import { createOutputSocketPool } from '../capture/output-socket.js';
import { createRunManager, type RunManager } from '../runs/run-manager.js';
import { createHub, type Hub } from '../sinks/hub.js';
import { createStore, type Store, type StoreOptions } from '../store/index.js';
import { createAuth } from './auth.js';
import { claimDaemonFile, clearStaleDaemonFile, releaseDaemonFile, type DaemonFile } from './daemon-file.js';
import { dialHost, formatUrl, isLoopbackHost, ownOrigins } from './host-policy.js';
import { buildHttpApp } from './http-app.js';
import { createMetrics, type Metrics } from './metrics.js';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../package-info.js';
import { startRetention, type Retention } from './retention.js';
import { createReplayPages } from './replay-pages.js';
import type { ServerContext, ServerLimits } from './server-context.js';
import { createWsGateway } from './ws/ws-gateway.js';

export interface DaemonOptions {
  config: Config;
  /** the daemon's own logs (never child output); default: pino at $LOG_LEVEL or info, to stderr */
  logger?: Logger;
  /** override daemon.host / daemon.port (tests pass port 0) */
  host?: string;
  port?: number;
  /** the dashboard's folder (default: public/ of the package) */
  publicDir?: string;
  limits?: Partial<ServerLimits>;
  store?: Partial<Omit<StoreOptions, 'path'>>;
  /** how long a run waits for pipes held by grandchildren after its process exits */
  pipeGraceMs?: number;
}

export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

/** A built daemon: the engine and the app, and its two lifecycle calls. */
export interface Daemon {
  app: FastifyInstance;
  manager: RunManager;
  store: Store;
  hub: Hub;
  metrics: Metrics;
  context: ServerContext;
  /** bind, claim <dataDir>/daemon.json, mark runs a crashed daemon left behind as lost, start retention */
  listen(): Promise<ListenAddress>;
  /** stop accepting, cancel runs (or let them finish), end streams, flush SQLite, remove daemon.json */
  close(options?: { cancelRuns?: boolean }): Promise<void>;
}

/** Bounds per client and the heartbeat periods; tests shrink them through DaemonOptions.limits. */
export const DEFAULT_LIMITS: ServerLimits = {
  wsMaxBufferedBytes: 8 * 1024 * 1024,
  sseMaxBufferedBytes: 4 * 1024 * 1024,
  wsFlushMs: 5,
  wsReplayStallMs: 10_000,
  wsPingMs: 30_000,
  ssePingMs: 15_000,
  replayPageSize: 5000,
  // 8 × 5000 records: ~40k records of backlog shared, a few MB of JSON at most
  replayPagesKept: 8,
};

/** The default daemon logger: JSON lines on stderr, level from $LOG_LEVEL. */
export function createDaemonLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL || 'info', name: 'supervisor-daemon' }, pino.destination({ dest: 2, sync: false }));
}

/** Build the daemon over a config; nothing listens until listen(). */
export function createDaemon(options: DaemonOptions): Daemon {
  const { config } = options;
  const logger = options.logger ?? createDaemonLogger();
  const host = options.host ?? config.daemon.host;
  const port = options.port ?? config.daemon.port;
  const startedAt = Date.now();
  fs.mkdirSync(config.dataDir, { recursive: true });

  const store = createStore({ ...options.store, path: databasePath(config) });
  const baseHub = createHub((error) => logger.error({ err: error }, 'a live subscriber failed'));
  let metrics: Metrics | undefined;
  // Count records on their way to the subscribers (the hub's methods are closures: spreading keeps them).
  const hub: Hub = {
    ...baseHub,
    publishRecords(runId, cols) {
      metrics?.countRecords(cols);
      baseHub.publishRecords(runId, cols);
    },
  };
  const manager = createRunManager({ config, store, hub, pipeGraceMs: options.pipeGraceMs, outputSockets: createOutputSocketPool() });
  metrics = createMetrics({ store, manager, dbPath: databasePath(config), startedAt });

  let bound: { host: string; port: number; origins: ReadonlySet<string> } | undefined;
  let closing = false;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const ctx: ServerContext = {
    config,
    store,
    hub,
    manager,
    auth: createAuth(config.daemon.token),
    metrics,
    logger,
    limits,
    replayPages: createReplayPages(limits.replayPageSize, limits.replayPagesKept),
    publicDir: options.publicDir ?? path.join(PACKAGE_ROOT, 'public'),
    version: PACKAGE_VERSION,
    startedAt,
    bound: () => bound,
    isClosing: () => closing,
    sseStreams: new Set(),
  };

  let gateway: ReturnType<typeof createWsGateway> | undefined;
  const gauges = () => ({
    wsConnections: gateway?.connections() ?? 0,
    wsSubscriptions: gateway?.subscriptions() ?? 0,
    sseStreams: ctx.sseStreams.size,
  });
  const app = buildHttpApp(ctx, gauges);
  gateway = createWsGateway(ctx, app.server);

  let claimed: DaemonFile | undefined;
  let retention: Retention | undefined;
  let closed: Promise<void> | undefined;

  const listen = async (): Promise<ListenAddress> => {
    if (!isLoopbackHost(host) && !config.daemon.token) {
      throw new SupervisorError(
        'DAEMON_INSECURE_HOST',
        `refusing to listen on ${host}: it is not a loopback address and daemon.token is not set; ` +
          'set daemon.token (clients then send Authorization: Bearer <token>) or listen on 127.0.0.1',
      );
    }
    await clearStaleDaemonFile(config.dataDir);
    try {
      await app.listen({ host, port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new SupervisorError('DAEMON_PORT_IN_USE', `port ${port} on ${host} is already in use`, { cause: error });
      throw error;
    }
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = formatUrl(dialHost(host), boundPort);
    // From the bind to here, no await: no request is served before the runs a crashed daemon left are lost.
    try {
      claimed = claimDaemonFile(config.dataDir, { host, port: boundPort, url });
    } catch (error) {
      await app.close();
      throw error;
    }
    bound = { host, port: boundPort, origins: ownOrigins(host, boundPort) };
    const lost = store.markUnfinishedLost(new Date().toISOString(), { exceptRunners: true });
    if (lost.length > 0) logger.warn({ runs: lost }, `${lost.length} runs left running by a previous daemon are now lost`);
    retention = startRetention({ store, logger, days: config.retention.days });
    gateway!.startHeartbeat();
    logger.info({ url, dataDir: config.dataDir, pid: process.pid }, 'daemon listening');
    return { host, port: boundPort, url };
  };

  const shutdown = async (cancelRuns: boolean) => {
    closing = true;
    retention?.stop();
    const stopped = app.close(); // stops accepting; resolves once the open streams below have ended
    try {
      await manager.shutdown({ cancel: cancelRuns });
    } catch (error) {
      logger.error({ err: error }, 'shutting the runs down failed');
    }
    for (const stream of [...ctx.sseStreams]) stream.end();
    await gateway!.close();
    app.server.closeIdleConnections(); // keep-alive sockets that went idle after close() began
    await stopped;
    store.flush();
    metrics!.close();
    store.close();
    if (claimed) releaseDaemonFile(config.dataDir, claimed);
    logger.info('daemon stopped');
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  };

  return {
    app,
    manager,
    store,
    hub,
    metrics,
    context: ctx,
    listen,
    close(closeOptions = {}) {
      closed ??= shutdown(closeOptions.cancelRuns ?? true);
      return closed;
    },
  };
}
