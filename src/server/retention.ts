// The daemon's retention: prune runs older than retention.days at start and once a day (0 days keeps everything).
import type { Logger } from 'pino';
import type { Store } from '../store/index.js';
import { DAY_MS, pruneExpiredRuns } from '../store/retention.js';

/** The running prune timer. */
export interface Retention {
  stop(): void;
}

/** Prune now, then every `everyMs` (24 h); the timer never keeps the process alive. */
export function startRetention(deps: { store: Store; logger: Logger; days: number; now?: () => number; everyMs?: number }): Retention {
  if (!(deps.days > 0)) return { stop() {} };
  const now = deps.now ?? Date.now;
  const prune = () => {
    try {
      const { deleted, cutoff } = pruneExpiredRuns(deps.store, deps.days, now())!;
      if (deleted > 0) deps.logger.info({ deleted, cutoff }, `retention: deleted ${deleted} runs older than ${deps.days} days`);
    } catch (error) {
      deps.logger.error({ err: error }, 'retention: pruning failed');
    }
  };
  prune();
  const timer = setInterval(prune, deps.everyMs ?? DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
