// Retry pacing: exponential backoff with jitter, so runners that lost the same daemon do not return in lockstep.

/** How retries are paced. */
export interface BackoffOptions {
  /** the first retry waits about this long (default 250 ms) */
  baseMs: number;
  /** no wait is longer (default 30 s) */
  maxMs: number;
}

/** 250 ms, doubling up to 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

/**
 * The wait before retry number `attempt` (1, 2, …): base × 2^(attempt−1), capped, then a random
 * half of it taken off ("equal jitter": never zero, never more than the cap). A server's Retry-After
 * is honoured up to the cap.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.min(options.maxMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** A cancellable wait whose timer can be ref'd (someone awaits a flush) or unref'd (nobody does). */
export interface Wait {
  readonly done: Promise<void>;
  ref(): void;
  /** end the wait now */
  cancel(): void;
}

/** Wait `ms`; unref'd unless `keepAlive`. */
export function startWait(ms: number, keepAlive: boolean): Wait {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const timer = setTimeout(finish, ms);
  if (!keepAlive) timer.unref();
  return {
    done,
    ref: () => void timer.ref(),
    cancel() {
      clearTimeout(timer);
      finish();
    },
  };
}
