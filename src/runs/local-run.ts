// Drive a run of a configured module: spawn, capture both pipes into the run, timeout, cancel, final status.
import { createLineSplitter } from '../capture/line-splitter.js';
import { spawnModule, type ModuleProcess } from '../capture/spawn-module.js';
import type { ModuleConfig } from '../config/index.js';
import type { RunStatus } from '../types.js';
import type { Run } from './run.js';

export interface LocalRunOptions {
  module: ModuleConfig;
  maxLineBytes: number;
  /** the supervisor's own environment, under the module's env */
  baseEnv?: NodeJS.ProcessEnv;
  pipeGraceMs?: number;
}

export interface LocalRunControl {
  /** SIGTERM to the group, then SIGKILL after killGrace; the run ends as `reason` */
  stop(reason: Extract<RunStatus, 'cancelled' | 'timed_out'>): void;
  readonly process: ModuleProcess;
}

/** Start the module's process for a queued run and see it through to a final status. */
export function startLocalRun(run: Run, options: LocalRunOptions): LocalRunControl {
  const { module: mod } = options;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.baseEnv ?? process.env)) if (value !== undefined) env[key] = value;
  Object.assign(env, mod.env, {
    SUPERVISOR_RUN_ID: run.info.run_id,
    SUPERVISOR_MODULE: run.info.module,
    PYTHONUNBUFFERED: '1',
  });

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

  const child = spawnModule({
    command: mod.command,
    args: [...mod.args, ...run.info.args],
    cwd: mod.cwd,
    env,
    pipeGraceMs: options.pipeGraceMs,
    onStdout(chunk) {
      stdout.push(chunk);
      run.commit();
    },
    onStderr(chunk) {
      stderr.push(chunk);
      run.commit();
    },
    onSpawn(pid) {
      run.info.pid = pid;
    },
  });
  run.transition('running', { pid: child.pid ?? null });

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
