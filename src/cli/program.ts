// The `supervisor` command line: commander wiring only; each command lives in its own file.
import { Command, CommanderError, Option } from 'commander';
import { SupervisorError, toSupervisorError } from '../errors.js';
import { PACKAGE_VERSION } from '../package-info.js';
import { createCommandContext, type BackendChooser, type CliIO, type CommandContext } from './context.js';
import { cancelCommand } from './commands/cancel-command.js';
import { logsCommand } from './commands/logs-command.js';
import { modulesCommand } from './commands/modules-command.js';
import { pruneCommand } from './commands/prune-command.js';
import { runCommand } from './commands/run-command.js';
import { runsCommand } from './commands/runs-command.js';
import { showCommand } from './commands/show-command.js';

export interface CliHooks {
  chooseDaemon?: BackendChooser;
  /** `supervisor daemon` and `supervisor status`, provided by the server face */
  daemonCommand?(ctx: CommandContext, options: Record<string, unknown>): Promise<number>;
  statusCommand?(ctx: CommandContext, options: { json?: boolean }): Promise<number>;
}

/** Run the CLI with argv (without node and script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIO, hooks: CliHooks = {}): Promise<number> {
  let exitCode = 0;
  let ctx: CommandContext | undefined;
  const program = new Command('supervisor');

  const action =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      ctx = createCommandContext(command.optsWithGlobals(), io, hooks.chooseDaemon);
      exitCode = await fn(ctx, ...(args.slice(0, -1) as A));
    };

  program
    .description('Run data pipelines as supervised child processes; capture, store and stream every line they print.')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .option('-c, --config <path>', 'config file (default: $SUPERVISOR_CONFIG, else the nearest supervisor.config.json)')
    .showHelpAfterError('(run `supervisor --help` for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  program
    .command('run')
    .description("start a run, stream its records live, exit with the module's exit code (Ctrl-C cancels it)")
    .argument('<module>', 'a module from the config')
    .argument('[args...]', 'extra arguments for the module, after --')
    .option('--detach', 'print the run id and return; the run goes on in the background')
    .option('--json', 'print records as NDJSON')
    .option('-q, --quiet', 'print no records, only the summary')
    .addOption(new Option('--as-run-id <id>').hideHelp())
    .option('-c, --config <path>', 'config file')
    .action(action((c, module: string, args: string[], opts: Record<string, unknown>) => runCommand(c, module, args, opts)));

  program
    .command('runs')
    .description('table of runs, newest first')
    .option('--module <name>', 'only runs of this module')
    .option('--status <status>', 'only runs with this status')
    .option('-n, --limit <n>', 'at most n runs (default 20)')
    .option('--json', 'print a JSON array')
    .option('-c, --config <path>', 'config file')
    .action(action((c, opts: Record<string, string>) => runsCommand(c, opts)));

  program
    .command('show')
    .description('one run: status, times, counts, the layer timeline')
    .argument('<run-id>', 'a run id, latest, or latest:<module>')
    .option('--json', 'print the run as JSON')
    .option('-c, --config <path>', 'config file')
    .action(action((c, ref: string, opts: { json?: boolean }) => showCommand(c, ref, opts)));

  program
    .command('logs')
    .description('print records of a run; -f follows live until it ends')
    .argument('<run-id>', 'a run id, latest, or latest:<module>')
    .option('-f, --follow', 'keep printing new records until the run ends')
    .option('-n, --lines <n>', 'only the last n records')
    .option('--since <timestamp>', 'records strictly after this ISO 8601 timestamp')
    .option('--after <seq>', 'records strictly after this sequence number')
    .option('--level <level>', 'minimum level: DEBUG, INFO, WARNING, ERROR, CRITICAL')
    .option('--stream <stream>', 'stdout, stderr or push')
    .option('--grep <text>', 'only records whose message contains text (case-insensitive)')
    .option('--json', 'print records as NDJSON')
    .option('-c, --config <path>', 'config file')
    .action(action((c, ref: string, opts: Record<string, string>) => logsCommand(c, ref, opts)));

  program
    .command('cancel')
    .description('cancel a running run')
    .argument('<run-id>', 'a run id, latest, or latest:<module>')
    .option('--json', 'print the run as JSON')
    .option('-c, --config <path>', 'config file')
    .action(action((c, ref: string, opts: { json?: boolean }) => cancelCommand(c, ref, opts)));

  program
    .command('modules')
    .description('the configured modules')
    .option('--json', 'print a JSON array')
    .option('-c, --config <path>', 'config file')
    .action(action((c, opts: { json?: boolean }) => modulesCommand(c, opts)));

  program
    .command('prune')
    .description('delete old runs and their records')
    .option('--older-than <duration>', 'age such as 30d or 12h (default: retention.days)')
    .option('--json', 'print the result as JSON')
    .option('-c, --config <path>', 'config file')
    .action(action((c, opts: { olderThan?: string; json?: boolean }) => pruneCommand(c, opts)));

  program
    .command('daemon')
    .description('run the daemon in the foreground (HTTP, SSE, WebSocket, dashboard)')
    .option('--port <port>', 'listen on this port instead of daemon.port')
    .option('--host <host>', 'listen on this host instead of daemon.host')
    .option('--wait-on-stop', 'on SIGTERM/SIGINT let running runs finish instead of cancelling them')
    .option('-c, --config <path>', 'config file')
    .action(
      action((c, opts: Record<string, unknown>) => {
        if (!hooks.daemonCommand) throw new SupervisorError('INTERNAL', 'this build has no daemon');
        return hooks.daemonCommand(c, opts);
      }),
    );

  program
    .command('status')
    .description('is a daemon up, and what is running')
    .option('--json', 'print as JSON')
    .option('-c, --config <path>', 'config file')
    .action(
      action((c, opts: { json?: boolean }) => {
        if (!hooks.statusCommand) throw new SupervisorError('INTERNAL', 'this build has no status command');
        return hooks.statusCommand(c, opts);
      }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    exitCode = reportError(error, io);
  } finally {
    await ctx?.close().catch(() => {});
  }
  return exitCode;
}

/** Errors a user meets are one line on stderr: exit 2 for usage, 1 otherwise; a stack only for our bugs. */
function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
    return 2;
  }
  const failure = toSupervisorError(error);
  if (failure.code === 'USAGE') {
    io.stderr.write(`supervisor: ${failure.message}\n`);
    return 2;
  }
  if (failure.code === 'INTERNAL') {
    io.stderr.write(`supervisor: internal error: ${failure.message}\n${(error as Error)?.stack ?? ''}\n`);
    return 1;
  }
  io.stderr.write(`supervisor: ${failure.message}\n`);
  return 1;
}
