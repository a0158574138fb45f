// `supervisor status`: is a daemon up, and what is running.
import type { CommandContext } from '../context.js';
import { formatRunsTable } from '../render.js';

/** Report the daemon (or embedded mode) and the runs in flight. */
export async function statusCommand(ctx: CommandContext, options: { json?: boolean }): Promise<number> {
  const backend = await ctx.backend();
  const running = [
    ...(await backend.listRuns({ status: 'queued', limit: 1000 })),
    ...(await backend.listRuns({ status: 'running', limit: 1000 })),
  ];
  if (options.json) {
    ctx.print(JSON.stringify({ mode: backend.kind, where: backend.where, pid: backend.pid ?? null, running }, null, 2));
    return 0;
  }
  ctx.print(
    backend.kind === 'daemon'
      ? `daemon: up at ${backend.where}${backend.pid === undefined ? '' : ` (pid ${backend.pid})`}`
      : `daemon: not running (commands run embedded; data in ${backend.where})`,
  );
  ctx.print(running.length ? `\n${formatRunsTable(running, ctx.out)}` : 'nothing is running');
  return 0;
}
