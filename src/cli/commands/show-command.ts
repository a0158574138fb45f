// `supervisor show <run-id>`: one run with its status, times, counts and layer timeline.
import type { CommandContext } from '../context.js';
import { formatRunDetail } from '../render.js';

/** Show one run; --json prints the run object. */
export async function showCommand(ctx: CommandContext, ref: string, options: { json?: boolean }): Promise<number> {
  const run = await (await ctx.backend()).getRun(ref);
  ctx.print(options.json ? JSON.stringify(run, null, 2) : formatRunDetail(run, ctx.out));
  return 0;
}
