// `supervisor modules`: what can be run, from the config.
import { formatDuration } from '../../config/duration.js';
import type { CommandContext } from '../context.js';
import { formatTable } from '../render.js';

/** List the configured modules. */
export async function modulesCommand(ctx: CommandContext, options: { json?: boolean }): Promise<number> {
  const modules = await (await ctx.backend()).modules();
  if (options.json) {
    ctx.print(JSON.stringify(modules, null, 2));
    return 0;
  }
  ctx.print(
    formatTable(
      ['MODULE', 'COMMAND', 'TIMEOUT', 'DESCRIPTION'],
      modules.map((m) => [m.name, [m.command, ...m.args].join(' '), m.timeout_ms ? formatDuration(m.timeout_ms) : 'none', m.description]),
    ),
  );
  return 0;
}
