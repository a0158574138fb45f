// A runner that goes silent (crashed, unplugged) must not leave its run `running` forever: after
// runners.<name>.staleAfter without a push the run becomes `lost`.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { RunManager } from '../runs/run-manager.js';
import type { Store } from '../store/index.js';

// For a run whose runner is no longer in the config: the config's own default.
const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

/** What the watch needs: the runners' staleAfter, the engine to end runs, the store to find inherited ones. */
export interface StalenessDeps {
  config: Pick<Config, 'runners'>;
  manager: RunManager;
  store: Store;
  logger: Logger;
  /** monotonic milliseconds (default performance.now): wall-clock jumps must not make a runner stale */
  now?: () => number;
}

/** One timer per running external run, pushed forward by every push. */
export interface StalenessWatch {
  /** the runner was heard from (registration or push): its run is fresh again */
  touch(runId: string, runner: string): void;
  /** the run ended: stop watching it */
  forget(runId: string): void;
  /** after a daemon (re)start: watch every stored external run still running, from now; returns how many */
  armExternalRuns(): number;
  /** runs watched now */
  readonly size: number;
  /** clear every timer (daemon shutdown) */
  close(): void;
}

interface Watched {
  lastHeard: number;
  staleAfter: number;
  timer: NodeJS.Timeout;
}

/** Create the watch; timers are unref'd, so they never keep a process alive. */
export function createStalenessWatch(deps: StalenessDeps): StalenessWatch {
  const now = deps.now ?? (() => performance.now());
  const watched = new Map<string, Watched>();
  let closed = false;

  const staleAfterOf = (runner: string) => deps.config.runners[runner]?.staleAfter ?? DEFAULT_STALE_AFTER_MS;

  const arm = (runId: string, entry: Watched, delay: number) => {
    entry.timer = setTimeout(() => check(runId), Math.max(1, delay));
    entry.timer.unref();
  };

  // A push re-arms nothing (it only notes the time); the timer, when it fires early, waits for the rest.
  const check = (runId: string) => {
    const entry = watched.get(runId);
    if (!entry || closed) return;
    const silent = now() - entry.lastHeard;
    if (silent < entry.staleAfter) return arm(runId, entry, entry.staleAfter - silent);
    watched.delete(runId);
    markLost(runId, silent);
  };

  const markLost = (runId: string, silentMs: number) => {
    try {
      // After a restart the run may not be in memory yet: adopting it first lets the manager end it properly.
      const run = deps.manager.active(runId) ?? deps.manager.adoptExternal(runId);
      if (!run || run.isFinal()) return;
      deps.manager.markLost(runId);
      deps.logger.warn({ runId, runner: run.info.runner, silentMs: Math.round(silentMs) }, 'runner went silent; run marked lost');
    } catch (error) {
      deps.logger.error({ err: error, runId }, 'marking a silent runner’s run lost failed');
    }
  };

  const touch = (runId: string, runner: string) => {
    if (closed) return;
    const entry = watched.get(runId);
    if (entry) {
      entry.lastHeard = now();
      return;
    }
    const staleAfter = staleAfterOf(runner);
    const fresh: Watched = { lastHeard: now(), staleAfter, timer: undefined as unknown as NodeJS.Timeout };
    watched.set(runId, fresh);
    arm(runId, fresh, staleAfter);
  };

  return {
    touch,
    forget(runId) {
      const entry = watched.get(runId);
      if (!entry) return;
      clearTimeout(entry.timer);
      watched.delete(runId);
    },
    armExternalRuns() {
      let armed = 0;
      for (const run of deps.store.listRuns({ status: 'running' })) {
        if (run.runner === null || watched.has(run.run_id)) continue;
        touch(run.run_id, run.runner);
        armed++;
      }
      return armed;
    },
    get size() {
      return watched.size;
    },
    close() {
      closed = true;
      for (const entry of watched.values()) clearTimeout(entry.timer);
      watched.clear();
    },
  };
}
