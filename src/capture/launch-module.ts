// Start a configured module's process for a run: its command line and the environment a run gives it.
// Kept apart from the engine so the CLI can start a module first and load the engine while the module boots.
import type { ModuleConfig } from '../config/index.js';
import { nowMicros } from '../runs/run-clock.js';
import type { OutputSockets } from './output-socket.js';
import { spawnModule, type ModuleProcess } from './spawn-module.js';

export interface LaunchOptions {
  runId: string;
  /** the module's name in the config */
  moduleName: string;
  module: ModuleConfig;
  /** extra arguments of this run, after the configured ones */
  args: string[];
  /** the supervisor's own environment, under the module's env */
  baseEnv?: NodeJS.ProcessEnv;
  pipeGraceMs?: number;
  /** its stdout and stderr, opened for it (openOutputSockets); without them, Node's own pipes */
  sockets?: OutputSockets;
}

/** A module's process started for a run whose engine side may not exist yet. */
export interface LaunchedModule {
  readonly runId: string;
  readonly process: ModuleProcess;
  /** when it was spawned, µs since the epoch (the run's started_at) */
  readonly startedAtMicros: number;
}

/** Spawn the module for a run; its output is held until the run reads it (ModuleProcess.read). */
export function launchModule(options: LaunchOptions): LaunchedModule {
  const { module: mod } = options;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.baseEnv ?? process.env)) if (value !== undefined) env[key] = value;
  Object.assign(env, mod.env, {
    SUPERVISOR_RUN_ID: options.runId,
    SUPERVISOR_MODULE: options.moduleName,
    PYTHONUNBUFFERED: '1',
  });
  const startedAtMicros = nowMicros();
  const child = spawnModule({
    command: mod.command,
    args: [...mod.args, ...options.args],
    cwd: mod.cwd,
    env,
    pipeGraceMs: options.pipeGraceMs,
    sockets: options.sockets,
  });
  return { runId: options.runId, process: child, startedAtMicros };
}
