// `supervisor cancel <run-id>`: stop a running run (SIGTERM to its group, then SIGKILL after killGrace).
import type { CommandContext } from '../context.js';

/** Ask the run's owner to cancel it. */
export async function cancelCommand(ctx: CommandContext, ref: string, options: { json?: boolean }): Promise<number> {
  const backend = await ctx.backend();
  const run = await backend.getRun(ref);
  const after = await backend.cancel(run.run_id);
  ctx.print(options.json ? JSON.stringify(after) : `cancelling ${run.run_id}`);
  return 0;
}
