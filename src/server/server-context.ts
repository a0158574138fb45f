// What every route group and stream needs: the engine, auth, metrics, limits, and the live streams to end at shutdown.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { RunManager } from '../runs/run-manager.js';
import type { Hub } from '../sinks/hub.js';
import type { Store } from '../store/index.js';
import type { RunInfo } from '../types.js';
import type { Auth } from './auth.js';
import type { Metrics } from './metrics.js';
import type { ReplayPages } from './replay-pages.js';

export interface ServerLimits {
  /** bytes a WebSocket may have queued before a subscription is dropped as lagged */
  wsMaxBufferedBytes: number;
  /** bytes an SSE response may have queued before the stream is ended as lagged */
  sseMaxBufferedBytes: number;
  /** live WebSocket frames go out in rounds at most this many ms apart (records meanwhile share a frame) */
  wsFlushMs: number;
  /** how long a replay waits for a client to take a page before dropping it as lagged */
  wsReplayStallMs: number;
  wsPingMs: number;
  ssePingMs: number;
  /** records per replay page (from the ring or SQLite) */
  replayPageSize: number;
  /** full replay pages kept for subscribers catching up on the same backlog (LRU) */
  replayPagesKept: number;
}

/** A live stream (SSE) that the daemon ends, and whose connection it closes, when it stops. */
export interface LiveStream {
  end(): void;
}

/** Starts an external run for POST /api/runs {"external": true}; set by the push routes. */
/** A runner's registration: the run, and whether this request created it (false: a resend with the same Idempotency-Key). */
export type ExternalRunStarter = (
  request: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
) => Promise<{ run: RunInfo; created: boolean }>;

export interface ServerContext {
  config: Config;
  store: Store;
  hub: Hub;
  manager: RunManager;
  auth: Auth;
  metrics: Metrics;
  logger: Logger;
  limits: ServerLimits;
  /** the backlog pages WebSocket and SSE subscribers replay, shared between them */
  replayPages: ReplayPages;
  publicDir: string;
  version: string;
  startedAt: number;
  /** the bound address once listening (origins depend on the port) */
  bound(): { host: string; port: number; origins: ReadonlySet<string> } | undefined;
  isClosing(): boolean;
  /** open SSE streams, ended at shutdown */
  sseStreams: Set<LiveStream>;
  /** the seam for remote runners: POST /api/runs with "external": true goes here when set */
  externalRuns?: ExternalRunStarter;
}
