// `supervisor prune [--older-than 30d]`: delete old runs and their records.
import { parseDuration } from '../../config/duration.js';
import { SupervisorError } from '../../errors.js';
import type { CommandContext } from '../context.js';

/** Delete finished runs created before the cutoff. */
export async function pruneCommand(ctx: CommandContext, options: { olderThan?: string; json?: boolean }): Promise<number> {
  const ms = options.olderThan === undefined ? ctx.config.retention.days * 86_400_000 : parseDuration(options.olderThan);
  if (ms === undefined) throw new SupervisorError('USAGE', `--older-than takes a duration like 30d or 12h; got "${options.olderThan}"`);
  const cutoff = new Date(Date.now() - ms).toISOString();
  const deleted = await (await ctx.backend()).prune(cutoff);
  ctx.print(options.json ? JSON.stringify({ deleted, cutoff }) : `deleted ${deleted} run${deleted === 1 ? '' : 's'} created before ${cutoff}`);
  return 0;
}
