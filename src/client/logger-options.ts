// What a RunLogger takes, with every default in one place.
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { FetchLike, PushError } from './push-http.js';
import { DAEMON_MAX_BYTES, DAEMON_MAX_ENTRIES } from './wire-batch.js';

/** Options of a RunLogger. */
export interface RunLoggerOptions {
  /** the daemon, e.g. http://127.0.0.1:7411 */
  url: string;
  /** this runner's key (runners.<name>.apiKey in the daemon's config) */
  apiKey: string;
  /** the run's name when start() registers a new run (default "remote") */
  name?: string;
  /** attach to this run (registered earlier, by this runner) instead of registering one */
  runId?: string;
  args?: string[];
  /** send when this many entries wait (default 50) */
  flushEvery?: number;
  /** …or when the oldest has waited this long (default 1000 ms) */
  flushIntervalMs?: number;
  /** entries kept while the daemon is unreachable; beyond it the oldest are dropped and counted (default 100,000) */
  maxBuffered?: number;
  /** per request (default 5,000; the daemon takes at most 10,000 and 1 MiB) */
  maxBatchEntries?: number;
  maxBatchBytes?: number;
  /** a request with no answer by then is retried (default 30 s) */
  requestTimeoutMs?: number;
  /** backoff between retries (default 250 ms doubling up to 30 s, with jitter) */
  retry?: Partial<BackoffOptions>;
  /** tries of start() before it gives up (default 6) */
  startAttempts?: number;
  fetch?: FetchLike;
  /** entries lost: dropped when the buffer was full, refused by the daemon, or abandoned by close() */
  onDrop?: (drop: { count: number; reason: 'overflow' | 'rejected' | 'closed'; error?: PushError }) => void;
  /** a request the daemon refused for good (4xx other than 429) */
  onError?: (error: PushError) => void;
  /** a request that failed and will be retried */
  onRetry?: (error: PushError, attempt: number, delayMs: number) => void;
}

/** Counters since the logger was made. */
export interface RunLoggerStats {
  logged: number;
  /** entries the daemon acknowledged */
  sent: number;
  /** dropped oldest-first because more than maxBuffered waited */
  dropped: number;
  /** refused by the daemon (a bad batch, or the run is gone), or logged after finish/close */
  rejected: number;
  retries: number;
  batches: number;
  buffered: number;
  inFlight: number;
}

/** How a run ended, as the runner tells it. */
export interface FinishOptions {
  status: 'succeeded' | 'failed' | 'cancelled' | 'success' | 'error';
  exit_code?: number | null;
}

/** The options with their defaults applied and limits clamped. */
export interface Settings {
  url: string;
  apiKey: string;
  name: string;
  args: string[];
  flushEvery: number;
  flushIntervalMs: number;
  maxBuffered: number;
  maxBatchEntries: number;
  maxBatchBytes: number;
  requestTimeoutMs: number;
  startAttempts: number;
  backoff: BackoffOptions;
  fetch: FetchLike;
  onDrop: RunLoggerOptions['onDrop'];
  onError: RunLoggerOptions['onError'];
  onRetry: RunLoggerOptions['onRetry'];
}

/** Apply the defaults; TypeError for a missing url or key. */
export function resolveSettings(options: RunLoggerOptions): Settings {
  if (!options.url) throw new TypeError('RunLogger: url is required (the daemon, e.g. http://127.0.0.1:7411)');
  if (!options.apiKey) throw new TypeError('RunLogger: apiKey is required (runners.<name>.apiKey in the daemon config)');
  const maxBuffered = Math.max(1, options.maxBuffered ?? 100_000);
  return {
    url: options.url.replace(/\/+$/, ''),
    apiKey: options.apiKey,
    name: options.name ?? 'remote',
    args: options.args ?? [],
    flushEvery: Math.max(1, options.flushEvery ?? 50),
    flushIntervalMs: Math.max(0, options.flushIntervalMs ?? 1000),
    maxBuffered,
    maxBatchEntries: Math.max(1, Math.min(options.maxBatchEntries ?? 5000, DAEMON_MAX_ENTRIES, maxBuffered)),
    maxBatchBytes: Math.min(options.maxBatchBytes ?? 900 * 1024, DAEMON_MAX_BYTES),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    startAttempts: options.startAttempts ?? 6,
    backoff: { baseMs: options.retry?.baseMs ?? DEFAULT_BACKOFF.baseMs, maxMs: options.retry?.maxMs ?? DEFAULT_BACKOFF.maxMs },
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    onDrop: options.onDrop,
    onError: options.onError,
    onRetry: options.onRetry,
  };
}
