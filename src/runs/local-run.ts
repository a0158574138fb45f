// Drive a run of a configured module: capture both pipes of its process into the run, timeout, cancel, final status.
import type { LaunchedModule } from '../capture/launch-module.js';
import { createLineSplitter } from '../capture/line-splitter.js';
import type { ModuleProcess } from '../capture/spawn-module.js';
import type { ModuleConfig } from '../config/index.js';
import type { RunStatus } from '../types.js';
import { formatMicros } from './run-clock.js';
import type { Run } from './run.js';

export interface LocalRunOptions {
  module: ModuleConfig;
  /** the module's process, launched for this run (launchModule) and not read yet */
  launched: LaunchedModule;
  maxLineBytes: number;
}

export interface LocalRunControl {
  /** SIGTERM to the group, then SIGKILL after killGrace; the run ends as `reason` */
  stop(reason: Extract<RunStatus, 'cancelled' | 'timed_out'>): void;
  readonly process: ModuleProcess;
}

/** Take a queued run's launched process into the run and see it through to a final status. */
export function startLocalRun(run: Run, options: LocalRunOptions): LocalRunControl {
  const { module: mod, launched } = options;
  if (launched.runId !== run.info.run_id) throw new Error(`process launched for ${launched.runId}, not ${run.info.run_id}`);

  const splitterFor = (stream: 'stdout' | 'stderr') =>
    createLineSplitter({
      maxLineBytes: options.maxLineBytes,
      onLine: (text, continued, noEscapes) => run.ingestLine(stream, text, continued, noEscapes),
    });
  const stdout = splitterFor('stdout');
  const stderr = splitterFor('stderr');

  let stopReason: 'cancelled' | 'timed_out' | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;

  const child = launched.process;
  child.read({
    onStdout(chunk) {
      stdout.push(chunk);
      run.commit();
    },
    onStderr(chunk) {
      stderr.push(chunk);
      run.commit();
    },
  });
  run.transition('running', { pid: child.pid ?? null, started_at: formatMicros(launched.startedAtMicros) });

  const stop = (reason: 'cancelled' | 'timed_out') => {
    if (stopReason || run.isFinal()) return;
    stopReason = reason;
    child.signal('SIGTERM');
    killTimer = setTimeout(() => child.signal('SIGKILL'), mod.killGrace);
  };
  if (mod.timeout > 0) timeoutTimer = setTimeout(() => stop('timed_out'), mod.timeout);

  child.done.then((exit) => {
    clearTimeout(killTimer);
    clearTimeout(timeoutTimer);
    stdout.end();
    stderr.end();
    if (exit.spawnError) {
      run.ingestParsed('stderr', {
        level: 'ERROR',
        message: `[supervisor] could not start ${JSON.stringify(mod.command)} in ${mod.cwd}: ${exit.spawnError.message}`,
      });
    }
    if (exit.pipesAbandoned) {
      run.ingestParsed('stderr', {
        level: 'WARNING',
        message:
          '[supervisor] the process exited but its output pipes stayed open (a grandchild still holds them); stopped reading',
      });
    }
    const status: RunStatus = stopReason ?? (exit.exitCode === 0 ? 'succeeded' : 'failed');
    run.transition(status, { exit_code: exit.exitCode, signal: exit.signal });
  });

  return { stop, process: child };
}
