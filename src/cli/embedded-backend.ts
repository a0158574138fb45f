// The engine in the CLI's own process: runs execute here, queries read SQLite directly.
// Queries need only the store; the run engine is loaded when this process runs or follows a run of its own.
import fs from 'node:fs';
import type { LaunchedModule } from '../capture/launch-module.js';
import type { Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import { timestampNow } from '../runs/run-clock.js';
import type { RunManager } from '../runs/run-manager.js';
import type { Hub } from '../sinks/hub.js';
import { databasePath } from '../store/database-file.js';
import { createStore, type Store } from '../store/index.js';
import { pruneExpiredRunsIfDue } from '../store/retention.js';
import { FINAL_STATUSES, type RunInfo } from '../types.js';
import type { Backend, LiveHandlers, ModuleSummary } from './backend.js';
import { readOwnerPid, writeOwnerFile } from './owner-files.js';

/** How often `logs -f` polls SQLite for a run that another process is writing. */
const POLL_MS = 100;
/** A running run younger than this may not have written its owner file yet. */
const OWNER_GRACE_MS = 5000;

/** Summaries of the configured modules, for `modules` and GET /api/modules. */
export function summarizeModules(config: Config): ModuleSummary[] {
  return Object.entries(config.modules).map(([name, mod]) => ({
    name,
    command: mod.command,
    args: mod.args,
    cwd: mod.cwd,
    timeout_ms: mod.timeout,
    description: mod.description,
  }));
}

export interface EmbeddedBackend extends Backend {
  readonly kind: 'embedded';
  /** open the store now (it opens on first use otherwise): fails as the first query would */
  open(): void;
  /** start a run here; `launched` is its module, already started for it (launchModule) */
  startRun(module: string, args: string[], options?: { runId?: string; launched?: LaunchedModule }): Promise<RunInfo>;
}

/** Create the in-process backend; the store opens on first use, the run engine loads on first run. */
export function createEmbeddedBackend(config: Config): EmbeddedBackend {
  let store: Store | undefined;
  /** the run engine, once loaded */
  let engine: { manager: RunManager; hub: Hub } | undefined;

  const openStore = () => {
    if (!store) {
      fs.mkdirSync(config.dataDir, { recursive: true });
      store = createStore({ path: databasePath(config) });
      sweepOrphans(store);
    }
    return store;
  };
  // A local run still marked running whose owning process is gone was lost with it.
  const sweepOrphans = (db: Store) => {
    for (const run of db.listRuns({ status: 'running', limit: 1000 })) {
      if (run.runner || Date.now() - Date.parse(run.created_at) < OWNER_GRACE_MS) continue;
      if (readOwnerPid(config.dataDir, run.run_id) !== undefined) continue;
      db.saveRun({ ...run, status: 'lost', finished_at: timestampNow() });
    }
  };
  const loadEngine = async () => {
    if (!engine) {
      const [{ createRunManager }, { createHub }] = await Promise.all([import('../runs/run-manager.js'), import('../sinks/hub.js')]);
      if (!engine) {
        const hub = createHub();
        engine = { manager: createRunManager({ config, store: openStore(), hub }), hub };
      }
    }
    return engine;
  };
  // Only a run started by this process is active in it: none before the engine is loaded.
  const activeRun = (runId: string) => engine?.manager.active(runId);

  const getRun = async (ref: string): Promise<RunInfo> => {
    const db = openStore();
    const runId = db.resolveRunRef(ref);
    const run = runId && (activeRun(runId)?.info ?? db.getRun(runId));
    if (!run) throw new SupervisorError('RUN_NOT_FOUND', `no run matches "${ref}"`);
    return run;
  };

  const followInProcess = ({ manager, hub }: NonNullable<typeof engine>, runId: string, after: number, handlers: LiveHandlers) => {
    const run = manager.active(runId)!;
    if (handlers.onRecords) {
      const backlog = run.ring.after(after) ?? openStore().readLogs(runId, { after, limit: Number.MAX_SAFE_INTEGER }).logs;
      if (backlog.length > 0) handlers.onRecords(backlog);
    }
    for (const layer of run.info.layers) handlers.onLayer?.(layer);
    return new Promise<RunInfo>((resolve) => {
      const unsubscribe = hub.subscribeRun(runId, {
        records: handlers.onRecords,
        layer: handlers.onLayer,
        complete: () => {
          unsubscribe();
          resolve(run.info);
        },
      });
      if (run.isFinal()) {
        unsubscribe();
        resolve(run.info);
      }
    });
  };

  const followByPolling = async (runId: string, after: number, handlers: LiveHandlers) => {
    const db = openStore();
    let cursor = after;
    const layerState = new Map<number, string>();
    for (;;) {
      const run = db.getRun(runId);
      if (!run) throw new SupervisorError('RUN_NOT_FOUND', `no run ${runId}`);
      while (handlers.onRecords) {
        const page = db.readLogs(runId, { after: cursor, limit: 5000 });
        if (page.logs.length > 0) {
          handlers.onRecords(page.logs);
          cursor = page.logs[page.logs.length - 1]!.seq;
        }
        if (page.logs.length < 5000) break;
      }
      for (const layer of run.layers) {
        const key = `${layer.status}|${layer.finished_at}`;
        if (layerState.get(layer.layer) !== key) {
          layerState.set(layer.layer, key);
          handlers.onLayer?.(layer);
        }
      }
      // Ended, and every record handed over (none is wanted without onRecords: run --quiet).
      if (FINAL_STATUSES.has(run.status) && (!handlers.onRecords || cursor >= run.total_lines)) return run;
      if (!FINAL_STATUSES.has(run.status) && !run.runner && Date.now() - Date.parse(run.created_at) > OWNER_GRACE_MS) {
        if (readOwnerPid(config.dataDir, runId) === undefined) sweepOrphans(db);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  return {
    kind: 'embedded',
    where: config.dataDir,
    open() {
      openStore();
    },
    async modules() {
      return summarizeModules(config);
    },
    async listRuns(query) {
      return openStore().listRuns(query);
    },
    getRun,
    async readLogs(runId, query) {
      return openStore().readLogs(runId, query);
    },
    async follow(runId, after, handlers) {
      return engine && activeRun(runId) ? followInProcess(engine, runId, after, handlers) : followByPolling(runId, after, handlers);
    },
    async startRun(module, args, options = {}) {
      const run = (await loadEngine()).manager.start(module, args, options);
      const removeOwner = writeOwnerFile(config.dataDir, run.info.run_id);
      // With no daemon to prune daily, the CLI that finished a run applies retention.days (once a day at most).
      const finish = () => {
        removeOwner();
        try {
          pruneExpiredRunsIfDue(openStore(), config.dataDir, config.retention.days);
        } catch {
          // best effort (say the file is busy): the next finished run tries again, and `prune` is there
        }
      };
      run.finished.then(finish, finish);
      return run.info;
    },
    async cancel(runId) {
      if (engine && activeRun(runId)) return engine.manager.cancel(runId);
      const run = await getRun(runId);
      if (FINAL_STATUSES.has(run.status)) {
        throw new SupervisorError('RUN_NOT_RUNNING', `run ${run.run_id} is ${run.status}, not running`);
      }
      const owner = readOwnerPid(config.dataDir, run.run_id);
      if (owner === undefined) {
        throw new SupervisorError(
          'RUN_NOT_RUNNING',
          run.runner
            ? `run ${run.run_id} is pushed by runner ${run.runner}; cancel it through the daemon`
            : `run ${run.run_id} has no live supervisor process (it will show as lost)`,
        );
      }
      // The owning CLI cancels on SIGTERM exactly as on Ctrl-C, so the run ends `cancelled`.
      process.kill(owner, 'SIGTERM');
      return run;
    },
    async prune(cutoffIso) {
      return openStore().deleteRunsOlderThan(cutoffIso);
    },
    async close() {
      if (engine) await engine.manager.shutdown({ cancel: true });
      store?.close();
    },
  };
}
