// `supervisor run <module> [-- args]`: start a run, show it live, exit with the module's exit code.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { formatDuration } from '../../config/duration.js';
import { moduleConfig } from '../../config/index.js';
import { SupervisorError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-info.js';
import { createRunId } from '../../runs/run-id.js';
import { databaseLooksUsable, databasePath } from '../../store/database-file.js';
import type { Layer, LogRecord, RunInfo } from '../../types.js';
import type { Backend } from '../backend.js';
import type { CommandContext } from '../context.js';
import { formatCounts, formatLayers, formatRecord, paintStatus, runDurationMs } from '../render.js';

export interface RunOptions {
  json?: boolean;
  quiet?: boolean;
  detach?: boolean;
  /** hidden: the id a detached embedded run must take */
  asRunId?: string;
}

/** The process exit code a finished run maps to (the module's own, or the shell's conventions). */
export function exitCodeFor(run: RunInfo): number {
  if (run.status === 'cancelled') return 130;
  if (run.status === 'timed_out') return 124;
  if (run.exit_code !== null) return run.exit_code;
  if (run.signal) return 128 + (os.constants.signals[run.signal as NodeJS.Signals] ?? 0);
  return run.status === 'succeeded' ? 0 : 1;
}

/** Run the command; resolves with the exit code. */
export async function runCommand(ctx: CommandContext, module: string, args: string[], options: RunOptions): Promise<number> {
  // The process of a detached embedded run (--as-run-id) runs it here: its parent chose embedded mode.
  const daemon = options.asRunId ? undefined : await ctx.daemon();
  if (!daemon && options.detach && !options.asRunId) return detachEmbedded(ctx, module, args);

  // Ctrl-C (or SIGTERM from `cancel`) is taken from the start, so a module started already is never left behind.
  let cancelling = false;
  let cancel: (() => void) | undefined;
  const onSignal = () => {
    if (cancelling) return;
    cancelling = true;
    if (!options.quiet && !options.json) ctx.note(ctx.err.paint('33', '\n■ cancelling…'));
    cancel?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { backend, run } = daemon
      ? { backend: daemon, run: await daemon.startRun(module, args) }
      : await startEmbedded(ctx, module, args, options.asRunId);
    cancel = () => void backend.cancel(run.run_id).catch(() => {});
    if (cancelling) cancel();
    if (options.detach) {
      ctx.print(options.json ? JSON.stringify(run) : run.run_id);
      return 0;
    }
    if (!options.quiet && !options.json) {
      ctx.note(ctx.err.paint('2', `▶ ${run.run_id} (${module}${args.length ? ' ' + args.join(' ') : ''}) via ${backend.kind}`));
    }
    return await followToEnd(ctx, backend, run, options);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Start a run in this process, the module first: the store opens and the run engine loads while the module boots.
 * A store file that does not look usable is opened before the module starts (its error then says why, and a run
 * that cannot be recorded does not start); one that fails to open all the same takes the module down with it.
 */
async function startEmbedded(ctx: CommandContext, module: string, args: string[], runId?: string): Promise<{ backend: Backend; run: RunInfo }> {
  const mod = moduleConfig(ctx.config, module);
  if (!databaseLooksUsable(databasePath(ctx.config))) (await ctx.embedded()).open();
  const [{ launchModule }, { openOutputSockets }] = await Promise.all([
    import('../../capture/launch-module.js'),
    import('../../capture/output-socket.js'),
  ]);
  const sockets = await openOutputSockets();
  const launched = launchModule({ runId: runId ?? createRunId(module), moduleName: module, module: mod, args, sockets });
  try {
    const embedded = await ctx.embedded();
    embedded.open();
    return { backend: embedded, run: await embedded.startRun(module, args, { launched }) };
  } catch (error) {
    launched.process.signal('SIGKILL');
    throw error;
  }
}

/** Print the run live until it ends; resolves with the exit code. */
async function followToEnd(ctx: CommandContext, backend: Backend, run: RunInfo, options: RunOptions): Promise<number> {
  const printRecords = (records: LogRecord[]) => {
    let text = '';
    for (const record of records) text += (options.json ? JSON.stringify(record) : formatRecord(record, ctx.out)) + '\n';
    ctx.io.stdout.write(text);
  };
  // --quiet takes no records at all, so none are built for it
  const final = await backend.follow(run.run_id, 0, { onRecords: options.quiet ? undefined : printRecords });
  if (!options.json) printSummary(ctx, final);
  return exitCodeFor(final);
}

function printSummary(ctx: CommandContext, run: RunInfo) {
  const mark = run.status === 'succeeded' ? '✔' : '✖';
  const exit = run.exit_code !== null ? `exit ${run.exit_code}` : run.signal ? `signal ${run.signal}` : '';
  ctx.note(
    `${ctx.err.paint(run.status === 'succeeded' ? '32' : '31', mark)} ${run.run_id} ${paintStatus(run.status, ctx.err)}` +
      `${exit ? ` (${exit})` : ''} in ${formatDuration(runDurationMs(run))} · ${run.total_lines} lines (${formatCounts(run)})`,
  );
  const layers: Layer[] = run.layers;
  if (layers.length > 0) ctx.note(formatLayers(layers, ctx.err));
}

// A detached run in embedded mode needs a process to own it: a copy of this CLI, in the background.
async function detachEmbedded(ctx: CommandContext, module: string, args: string[]): Promise<number> {
  moduleConfig(ctx.config, module);
  const runId = createRunId(module);
  const bin = path.join(PACKAGE_ROOT, 'bin/supervisor.js');
  const child = spawn(
    process.execPath,
    [bin, 'run', module, '--quiet', '--as-run-id', runId, '--config', ctx.config.file, '--', ...args],
    { detached: true, stdio: 'ignore', cwd: ctx.io.cwd, env: ctx.io.env },
  );
  child.unref();
  // Print the id only once the run exists, so the next command can find it.
  const backend = await ctx.embedded();
  for (let waited = 0; waited < 10_000; waited += 20) {
    const found = await backend.getRun(runId).catch(() => undefined);
    if (found) {
      ctx.print(runId);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new SupervisorError('SPAWN_FAILED', `the background supervisor for ${runId} did not start within 10 s`);
}
