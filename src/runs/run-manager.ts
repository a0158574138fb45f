// The engine: starts runs of configured modules, queues past the concurrency limit, finds and cancels runs.
import { launchModule, type LaunchedModule } from '../capture/launch-module.js';
import type { OutputSocketPool } from '../capture/output-socket.js';
import { moduleConfig, type Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import type { Hub } from '../sinks/hub.js';
import type { Store } from '../store/index.js';
import { emptyCounts, type RunInfo } from '../types.js';
import { startLocalRun, type LocalRunControl } from './local-run.js';
import { formatMicros, timestampNow } from './run-clock.js';
import { createRun, type Run } from './run.js';
import { createRunId } from './run-id.js';

export interface RunManagerDeps {
  config: Config;
  store: Store;
  hub: Hub;
  now?: () => number;
  newRunId?: (module: string) => string;
  pipeGraceMs?: number;
  /**
   * Output sockets opened ahead for the modules it starts (the daemon's): read with less CPU than Node's pipes,
   * which are used without them or while none is ready. Closed by shutdown().
   */
  outputSockets?: OutputSocketPool;
}

export interface RunManager {
  /**
   * Start (or queue) a run of a configured module. A module already launched for it (the CLI starts its module
   * before loading the engine) starts at once, past the queue: it is running already.
   */
  start(module: string, args?: string[], options?: { runId?: string; launched?: LaunchedModule }): Run;
  /** register a run that a remote runner executes and pushes logs for */
  registerExternal(runner: string, name: string, args?: string[]): Run;
  /** the live run of an external run id: in memory, or revived from the store after a daemon restart */
  adoptExternal(runId: string): Run | undefined;
  /** a run that is queued or running in this process */
  active(runId: string): Run | undefined;
  activeRuns(): Run[];
  /** cancel a queued or running run of this process */
  cancel(runId: string): RunInfo;
  /** end a run of this process as `lost` (a runner that went silent) */
  markLost(runId: string): void;
  /** stop taking runs; cancel the active ones or wait for them; resolves when all have ended */
  shutdown(options: { cancel: boolean }): Promise<void>;
}

/** Create the engine over a store and a hub. */
export function createRunManager(deps: RunManagerDeps): RunManager {
  const { config, store, hub } = deps;
  const newRunId = deps.newRunId ?? ((module: string) => createRunId(module));
  const runs = new Map<string, Run>();
  const controls = new Map<string, LocalRunControl>();
  const queue: Run[] = [];
  let closing = false;

  const running = () => controls.size;

  const track = (run: Run) => {
    runs.set(run.info.run_id, run);
    run.finished.then(() => {
      runs.delete(run.info.run_id);
      controls.delete(run.info.run_id);
      pump();
    });
    return run;
  };

  const newRun = (module: string, args: string[], runner: string | null, runId = newRunId(module), createdAt?: string) => {
    if (closing) throw new SupervisorError('SHUTTING_DOWN', 'the supervisor is shutting down and takes no new runs');
    const info: RunInfo = {
      run_id: runId,
      module,
      args,
      status: 'queued',
      pid: null,
      exit_code: null,
      signal: null,
      created_at: createdAt ?? timestampNow(deps.now),
      started_at: null,
      finished_at: null,
      counts: emptyCounts(),
      total_lines: 0,
      pipeline_status: null,
      runner,
      layers: [],
    };
    store.insertRun(info);
    const run = track(createRun(info, { store, hub, ringCapacity: config.buffer.lines, now: deps.now }));
    hub.publishRun(info);
    return run;
  };

  const launch = (run: Run, launched?: LaunchedModule) => {
    const { run_id: runId, module: name, args } = run.info;
    const mod = moduleConfig(config, name);
    launched ??= launchModule({ runId, moduleName: name, module: mod, args, pipeGraceMs: deps.pipeGraceMs, sockets: deps.outputSockets?.take() });
    controls.set(runId, startLocalRun(run, { module: mod, launched, maxLineBytes: config.limits.maxLineBytes }));
  };

  const pump = () => {
    while (!closing && queue.length > 0 && running() < config.limits.maxConcurrentRuns) launch(queue.shift()!);
  };

  return {
    start(module, args = [], options = {}) {
      moduleConfig(config, module);
      const { launched } = options;
      if (launched) {
        const run = newRun(module, args, null, launched.runId, formatMicros(launched.startedAtMicros));
        launch(run, launched);
        return run;
      }
      const run = newRun(module, args, null, options.runId);
      queue.push(run);
      pump();
      return run;
    },
    registerExternal(runner, name, args = []) {
      const run = newRun(name, args, runner);
      run.transition('running');
      return run;
    },
    adoptExternal(runId) {
      const live = runs.get(runId);
      if (live) return live.info.runner ? live : undefined;
      const info = store.getRun(runId);
      if (!info || !info.runner || info.status !== 'running') return undefined;
      // Records continue after the last stored seq; the ring starts empty and fills from here.
      info.total_lines = store.lastSeq(runId);
      return track(createRun(info, { store, hub, ringCapacity: config.buffer.lines, now: deps.now }));
    },
    active(runId) {
      return runs.get(runId);
    },
    activeRuns() {
      return [...runs.values()];
    },
    cancel(runId) {
      const run = runs.get(runId);
      if (!run) {
        const info = store.getRun(runId);
        if (!info) throw new SupervisorError('RUN_NOT_FOUND', `no run ${runId}`);
        throw new SupervisorError('RUN_NOT_RUNNING', `run ${runId} is ${info.status}, not running`);
      }
      const queued = queue.indexOf(run);
      if (queued >= 0) {
        queue.splice(queued, 1);
        run.transition('cancelled');
      } else if (controls.has(runId)) {
        controls.get(runId)!.stop('cancelled');
      } else {
        run.transition('cancelled');
      }
      return run.info;
    },
    markLost(runId) {
      const run = runs.get(runId);
      if (run && !run.isFinal()) run.transition('lost');
    },
    async shutdown({ cancel }) {
      closing = true;
      deps.outputSockets?.close();
      for (const run of queue.splice(0)) run.transition('cancelled');
      // External runs stay `running` in the store: their runner carries on and pushes to the next daemon.
      const pending = [...controls.keys()].map((id) => runs.get(id)!);
      if (cancel) for (const id of controls.keys()) controls.get(id)!.stop('cancelled');
      await Promise.all(pending.map((run) => run.finished));
      // External runs go on without us: save their last counts and layers now (no save timer may outlive the store).
      for (const run of runs.values()) if (!run.isFinal()) run.persist();
      store.flush();
    },
  };
}
