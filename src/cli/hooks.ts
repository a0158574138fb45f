// The daemon-side pieces the CLI needs (`daemon`, `status`, talking to a live daemon), joined in one place.
import fs from 'node:fs';
import path from 'node:path';
import { statusCommand } from './commands/status-command.js';
import type { CliHooks } from './program.js';

export const cliHooks: CliHooks = {
  // A live daemon named by <dataDir>/daemon.json serves the CLI; else the engine runs in-process.
  async chooseDaemon(config, io) {
    if (io.env.SUPERVISOR_EMBEDDED === '1') return undefined;
    if (!fs.existsSync(path.join(config.dataDir, 'daemon.json'))) return undefined;
    const { readDaemonFile } = await import('../server/index.js');
    const daemon = readDaemonFile(config.dataDir);
    if (!daemon) return undefined;
    // Pruning is plain SQLite work; WAL lets this process delete while the daemon writes.
    const prune = async (cutoffIso: string) => {
      const { createEmbeddedBackend } = await import('./embedded-backend.js');
      const embedded = createEmbeddedBackend(config);
      try {
        return await embedded.prune(cutoffIso);
      } finally {
        await embedded.close();
      }
    };
    // Loaded only when a daemon is up: embedded runs need no WebSocket client.
    const { createDaemonBackend } = await import('./daemon-backend.js');
    return createDaemonBackend({ url: daemon.url, token: config.daemon.token, pid: daemon.pid }, prune);
  },
  async daemonCommand(ctx, opts) {
    const { startDaemonProcess } = await import('../server/index.js');
    // Config problems that spare local runs (a runner key missing from the environment) matter to the daemon.
    for (const warning of ctx.config.warnings) ctx.note(ctx.err.paint('33', `warning: ${warning}`));
    await startDaemonProcess(ctx.config, {
      port: opts.port === undefined ? undefined : Number(opts.port),
      host: opts.host as string | undefined,
      waitOnStop: Boolean(opts.waitOnStop),
    });
    return 0;
  },
  statusCommand,
};
