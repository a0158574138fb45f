// `supervisor runs`: the table of runs, newest first.
import { RUN_STATUSES, type RunStatus } from '../../types.js';
import { SupervisorError } from '../../errors.js';
import { parseCount, type CommandContext } from '../context.js';
import { formatRunsTable } from '../render.js';

export interface RunsOptions {
  module?: string;
  status?: string;
  limit?: string;
  json?: boolean;
}

/** List runs as a table, or a JSON array with --json. */
export async function runsCommand(ctx: CommandContext, options: RunsOptions): Promise<number> {
  if (options.status && !RUN_STATUSES.includes(options.status as RunStatus)) {
    throw new SupervisorError('USAGE', `--status takes one of ${RUN_STATUSES.join(', ')}; got "${options.status}"`);
  }
  const limit = options.limit === undefined ? 20 : parseCount(options.limit, '--limit');
  const backend = await ctx.backend();
  const runs = await backend.listRuns({ module: options.module, status: options.status as RunStatus | undefined, limit });
  ctx.print(options.json ? JSON.stringify(runs, null, 2) : formatRunsTable(runs, ctx.out));
  return 0;
}
