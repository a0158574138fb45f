// A remote runner's log shipper: buffers entries, sends them in order in batches, retries without losing or
// repeating any (client_seq makes a resend idempotent), and bounds its memory when the daemon is away.
import { randomUUID } from 'node:crypto';
import type { RunInfo } from '../types.js';
import { backoffDelay, startWait, type Wait } from './backoff.js';
import { createEntryQueue, type WireEntry } from './entry-queue.js';
import { countInNotice, createNotice, type Notice } from './gap-notice.js';
import { resolveSettings, type FinishOptions, type RunLoggerOptions, type RunLoggerStats, type Settings } from './logger-options.js';
import { PushError, postJson } from './push-http.js';
import { takeBatch, type WireBatch } from './wire-batch.js';

// The option types live with their defaults; importers of the logger find them here too.
export type { FinishOptions, RunLoggerOptions, RunLoggerStats } from './logger-options.js';

interface Waiter {
  /** resolved once every entry up to this local seq is settled */
  target: number;
  resolve: () => void;
}

// These say the run can take nothing more from us (bad key, not ours, gone, finished): stop sending.
const RUN_GONE = new Set([401, 403, 404, 409, 410]);

/** Ships one run's logs to the daemon. `start()`, then log freely, then `await finish(…)`. */
export class RunLogger {
  readonly #o: Settings;
  readonly #queue = createEntryQueue();
  readonly #abort = new AbortController();
  readonly #stats = { logged: 0, sent: 0, dropped: 0, rejected: 0, retries: 0, batches: 0 };
  #nextSeq = 1;
  #seqBase = 0;
  #runId: string | undefined;
  #run: RunInfo | undefined;
  #starting: Promise<string> | undefined;
  #finishing: Promise<RunInfo> | undefined;
  #inflight: WireBatch | undefined;
  #notice: Notice | undefined;
  #pumping = false;
  #due = false;
  #timer: NodeJS.Timeout | undefined;
  #wait: Wait | undefined;
  #waiters: Waiter[] = [];
  #dead: PushError | undefined;
  #ended = false;
  #abandoned = false;

  constructor(options: RunLoggerOptions) {
    this.#o = resolveSettings(options);
    this.#runId = options.runId;
  }

  /** the run's id once start() resolved (or the one attached to) */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** the run as the daemon last described it (after start() registered it, and after finish()) */
  get run(): RunInfo | undefined {
    return this.#run;
  }

  /** Register the run (or attach to `runId`); entries logged before are sent once it resolves. */
  start(): Promise<string> {
    this.#starting ??= this.#register().then(
      (runId) => {
        this.#runId = runId;
        this.#kick();
        return runId;
      },
      (error: unknown) => {
        this.#starting = undefined; // a later start() may try again; entries stay buffered
        throw error;
      },
    );
    return this.#starting;
  }

  /** Queue one entry; `extra` fields travel with it (a string `timestamp` in them wins over the time now). */
  log(level: string, message: string, extra?: Record<string, unknown>): void {
    const entry: WireEntry = extra ? { ...extra, level, message, timestamp: '' } : { level, message, timestamp: '' };
    entry.timestamp = typeof extra?.timestamp === 'string' ? extra.timestamp : new Date().toISOString();
    if (extra && 'client_seq' in entry) delete entry.client_seq;
    this.#enqueue(entry);
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.log('DEBUG', message, extra);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.log('INFO', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.log('WARNING', message, extra);
  }
  warning(message: string, extra?: Record<string, unknown>): void {
    this.log('WARNING', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.log('ERROR', message, extra);
  }
  critical(message: string, extra?: Record<string, unknown>): void {
    this.log('CRITICAL', message, extra);
  }

  /** A structured event (`layer_start`, `layer_complete`, `pipeline_complete`…): the daemon updates the run's layers. */
  event(name: string, fields: Record<string, unknown> = {}): void {
    const entry: WireEntry = { ...fields, event: name, timestamp: '' };
    entry.timestamp = typeof fields.timestamp === 'string' ? fields.timestamp : new Date().toISOString();
    delete entry.client_seq;
    this.#enqueue(entry);
  }

  /** Resolve once every entry logged before the call was delivered (or dropped, counted); starts the run if needed. */
  async flush(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.start();
    const target = this.#nextSeq - 1;
    if (this.#settledSeq() >= target) return;
    const done = new Promise<void>((resolve) => this.#waiters.push({ target, resolve }));
    this.#wait?.ref(); // someone waits now: a backoff pause must keep the process alive
    this.#kick();
    await withTimeout(done, options.timeoutMs, 'flush');
  }

  /** Flush everything, then end the run with its outcome; later log() calls are counted as rejected. */
  finish(outcome: FinishOptions, options: { timeoutMs?: number } = {}): Promise<RunInfo> {
    this.#ended = true;
    this.#finishing ??= (async () => {
      await this.flush();
      if (this.#dead) throw this.#dead;
      const body = JSON.stringify({ status: outcome.status, exit_code: outcome.exit_code ?? null });
      this.#run = await this.#call<RunInfo>(`${this.#runUrl()}/finish`, body, Infinity);
      this.#stop();
      return this.#run;
    })();
    return withTimeout(this.#finishing, options.timeoutMs, 'finish');
  }

  /** Give up: stop timers and retries now; what is still buffered is dropped (reason "closed"). */
  close(): void {
    this.#ended = true;
    this.#abandoned = true;
    this.#abort.abort();
    this.#wait?.cancel();
    this.#discard(this.#clearQueue(), 'closed');
    this.#stop();
  }

  stats(): RunLoggerStats {
    return { ...this.#stats, buffered: this.#queue.length, inFlight: this.#inflight?.count ?? 0 };
  }

  #register(): Promise<string> {
    if (this.#runId !== undefined) {
      // Attaching: an empty batch checks the key and the run, and says where the run's numbering stands.
      const runId = this.#runId;
      return this.#call<{ client_seq?: number }>(`${this.#runUrl(runId)}/logs`, '{"logs":[]}', this.#o.startAttempts).then((answer) => {
        this.#seqBase = typeof answer.client_seq === 'number' ? answer.client_seq : 0;
        return runId;
      });
    }
    const body = JSON.stringify({ external: true, name: this.#o.name, args: this.#o.args });
    // One key for every attempt: a retry after a lost answer gets the run the first attempt created.
    const headers = { 'idempotency-key': randomUUID() };
    return this.#call<RunInfo>(`${this.#o.url}/api/runs`, body, this.#o.startAttempts, { headers }).then((run) => {
      this.#run = run;
      return run.run_id;
    });
  }

  #enqueue(entry: WireEntry): void {
    this.#stats.logged++;
    if (this.#ended || this.#dead) return this.#discard(1, this.#abandoned ? 'closed' : 'rejected', this.#dead);
    this.#queue.push({ seq: this.#nextSeq++, entry });
    const waiting = this.#queue.length - (this.#notice ? 1 : 0) + (this.#inflight?.count ?? 0);
    if (waiting > this.#o.maxBuffered) this.#dropOldest(waiting - this.#o.maxBuffered);
    if (this.#queue.length >= this.#o.flushEvery) this.#kick();
    else this.#armTimer();
  }

  // Oldest first, never the gap notice (it stays in front of what is left and counts the loss).
  #dropOldest(n: number): void {
    const skip = this.#notice ? 1 : 0;
    const lost = Math.min(n, this.#queue.length - skip);
    if (lost <= 0) return;
    if (skip) this.#queue.shift(1);
    this.#queue.shift(lost);
    this.#stats.dropped += lost;
    this.#noteGap('dropped', lost);
    this.#callback(() => this.#o.onDrop?.({ count: lost, reason: 'overflow' }));
  }

  // The gap notice: a WARNING numbered as the last entry lost (never sent), placed before the first one kept,
  // so its client_seq still grows and a resend of it is idempotent like any entry.
  #noteGap(kind: 'dropped' | 'rejected', count: number, reason?: string): void {
    let notice = this.#notice;
    if (notice && this.#queue.length > 0 && this.#queue.at(0) === notice) this.#queue.shift(1);
    notice ??= this.#notice = createNotice();
    countInNotice(notice, kind, count, reason);
    notice.seq = (this.#queue.length > 0 ? this.#queue.at(0).seq : this.#nextSeq) - 1;
    this.#queue.unshift(notice);
  }

  #armTimer(): void {
    if (this.#timer || this.#abandoned) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#due = true;
      this.#kick();
    }, this.#o.flushIntervalMs);
    this.#timer.unref(); // a runner that exits without finish() is not held open by our clock
  }

  #kick(): void {
    if (!this.#pumping && this.#runId !== undefined && this.#starting !== undefined && !this.#abandoned) void this.#drain();
  }

  // The one sender: a batch at a time, in order; a batch is resent until the daemon answers it.
  async #drain(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#abandoned) {
        if (this.#starting === undefined) break;
        await this.#starting;
        if (this.#dead) this.#discard(this.#clearQueue(), 'rejected', this.#dead);
        const waiting = this.#queue.length;
        if (waiting === 0) {
          this.#due = false;
          break;
        }
        if (waiting < this.#o.flushEvery && !this.#due && this.#waiters.length === 0) {
          this.#armTimer();
          break;
        }
        this.#due = false;
        const batch = takeBatch(this.#queue, { maxEntries: this.#o.maxBatchEntries, maxBytes: this.#o.maxBatchBytes, seqBase: this.#seqBase }, this.#notice);
        if (batch.notice) this.#notice = undefined;
        this.#inflight = batch;
        await this.#send(batch);
        this.#inflight = undefined;
        this.#settle();
      }
    } catch {
      // start() failed: entries stay buffered for a later start()
      this.#inflight = undefined;
    } finally {
      this.#pumping = false;
      this.#settle();
    }
  }

  async #send(batch: WireBatch): Promise<void> {
    const real = batch.count - (batch.notice ? 1 : 0);
    try {
      await this.#call(`${this.#runUrl()}/logs`, batch.body, Infinity, { keepAlive: () => this.#waiters.length > 0 || this.#finishing !== undefined });
      this.#stats.sent += real;
      this.#stats.batches++;
    } catch (error) {
      if (this.#abandoned) return this.#discard(real, 'closed');
      if (!(error instanceof PushError)) return;
      this.#stats.rejected += real;
      if (real > 0) this.#callback(() => this.#o.onDrop?.({ count: real, reason: 'rejected', error }));
      this.#callback(() => this.#o.onError?.(error));
      if (error.status !== undefined && RUN_GONE.has(error.status)) {
        this.#dead = error;
        return;
      }
      // A refused batch stored nothing: the next batch says so (carrying what a refused notice said).
      if (real > 0) {
        const carried = batch.notice as Notice | undefined;
        if (carried?.dropped) this.#noteGap('dropped', carried.dropped);
        this.#noteGap('rejected', real + (carried?.rejected ?? 0), error.code ?? `HTTP ${error.status}`);
      }
    }
  }

  // POST with retries on network errors, 5xx and 429; anything else is thrown at once. A backoff pause is
  // unref'd unless someone awaits the outcome (`keepAlive`): a pause must not hold a process open by itself.
  async #call<T>(
    url: string,
    body: string,
    attempts: number,
    { keepAlive = () => true, headers }: { keepAlive?: () => boolean; headers?: Record<string, string> } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const options = { fetch: this.#o.fetch, apiKey: this.#o.apiKey, timeoutMs: this.#o.requestTimeoutMs, signal: this.#abort.signal, headers };
        return await postJson<T>(url, body, options);
      } catch (error) {
        if (!(error instanceof PushError) || !error.retryable || attempt >= attempts || this.#abandoned) throw error;
        const delay = backoffDelay(attempt, this.#o.backoff, error.retryAfterMs);
        this.#stats.retries++;
        this.#callback(() => this.#o.onRetry?.(error, attempt, delay));
        this.#wait = startWait(delay, keepAlive());
        await this.#wait.done;
        this.#wait = undefined;
        if (this.#abandoned) throw error;
      }
    }
  }

  // Everything up to this local seq is delivered, dropped or refused.
  #settledSeq(): number {
    if (this.#inflight) return this.#inflight.firstSeq - 1;
    return (this.#queue.length > 0 ? this.#queue.at(0).seq : this.#nextSeq) - 1;
  }

  #settle(): void {
    if (this.#waiters.length === 0) return;
    const settled = this.#settledSeq();
    const ready = this.#waiters.filter((waiter) => waiter.target <= settled);
    this.#waiters = this.#waiters.filter((waiter) => waiter.target > settled);
    for (const waiter of ready) waiter.resolve();
  }

  // Empty the queue; returns how many log entries it held (the gap notice is not one).
  #clearQueue(): number {
    const count = this.#queue.clear().length - (this.#notice ? 1 : 0);
    this.#notice = undefined;
    return count;
  }

  #discard(count: number, reason: 'rejected' | 'closed', error?: PushError): void {
    if (count === 0) return;
    if (reason === 'closed') this.#stats.dropped += count;
    else this.#stats.rejected += count;
    this.#callback(() => this.#o.onDrop?.({ count, reason, error }));
    this.#settle();
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle();
  }

  #runUrl(runId = this.#runId): string {
    return `${this.#o.url}/api/runs/${encodeURIComponent(runId ?? '')}`;
  }

  // A user callback that throws must not break the sender.
  #callback(call: () => void): void {
    try {
      call();
    } catch {
      // ignored on purpose
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, what: string): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PushError(`RunLogger: ${what} did not complete in ${timeoutMs} ms`, { retryable: true })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
