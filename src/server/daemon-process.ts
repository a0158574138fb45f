// `supervisor daemon`: run the daemon in the foreground until SIGTERM/SIGINT, then stop cleanly.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createDaemon, type DaemonOptions } from './create-daemon.js';

export interface DaemonProcessOptions {
  host?: string;
  port?: number;
  /** on SIGTERM/SIGINT let running runs finish instead of cancelling them (a second signal cancels them) */
  waitOnStop?: boolean;
  logger?: Logger;
  /** where the one-line "listening" notice goes (default stderr) */
  notice?: (line: string) => void;
  daemon?: Omit<DaemonOptions, 'config' | 'host' | 'port' | 'logger'>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Start the daemon and resolve once a signal has stopped it (runs cancelled, SQLite flushed, daemon.json removed). */
export async function startDaemonProcess(config: Config, options: DaemonProcessOptions = {}): Promise<void> {
  const notice = options.notice ?? ((line: string) => process.stderr.write(line + '\n'));
  const daemon = createDaemon({ ...options.daemon, config, host: options.host, port: options.port, logger: options.logger });
  const log = daemon.context.logger;
  try {
    const { url } = await daemon.listen();
    notice(`supervisor daemon listening on ${url} (data: ${config.dataDir})`);
  } catch (error) {
    await daemon.close({ cancelRuns: true });
    throw error;
  }

  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal while waiting for runs: cancel them now.
        log.warn({ signal }, 'second signal: cancelling the runs still going');
        for (const run of daemon.manager.activeRuns()) {
          try {
            daemon.manager.cancel(run.info.run_id);
          } catch {
            // already ending
          }
        }
        return;
      }
      stopping = true;
      const wait = Boolean(options.waitOnStop);
      log.info({ signal, waitForRuns: wait }, 'stopping');
      notice(`supervisor daemon stopping (${signal})${wait ? ': waiting for running runs to finish' : ''}`);
      daemon
        .close({ cancelRuns: !wait })
        .then(resolve, reject)
        .finally(() => {
          for (const s of SIGNALS) process.off(s, onSignal);
        });
    };
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}
