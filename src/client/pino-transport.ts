// pino → the daemon in one line of config:
//   pino({ transport: { target: 'pipeline-supervisor/pino-transport', options: { url, apiKey, name } } })
// Runs in pino's transport worker: each log object becomes a pushed entry (msg → message, level 10..60 →
// DEBUG..CRITICAL, every other field kept, so `event`/`layer` fields are structured events); close flushes.
import build from 'pino-abstract-transport';
import { RunLogger, type RunLoggerOptions } from './run-logger.js';

/** The transport's `options`: a RunLogger's (url, apiKey, name, runId, flushEvery…) and how to end. */
export interface PinoTransportOptions extends Omit<RunLoggerOptions, 'fetch' | 'onDrop' | 'onError' | 'onRetry'> {
  /**
   * End the run when pino closes the transport (the process exits or `logger.flush`/`transport.end()`):
   * `failed` if a fatal entry or a `pipeline_complete` with an error status was logged, else `succeeded`.
   * Default: true when the transport registered the run, false when it attached to `runId`.
   */
  finishOnClose?: boolean;
  /** how long closing may take (pino waits for its worker about 10 s; default 8000 ms) */
  closeTimeoutMs?: number;
}

const FAILED_PIPELINE = /^(error|failed|failure)$/i;

/** The pino level number (or label) as one of our levels; custom levels fall in the range they sit in. */
export function levelFromPino(level: unknown): string {
  if (typeof level === 'string') return level;
  if (typeof level !== 'number' || !Number.isFinite(level)) return 'INFO';
  if (level < 30) return 'DEBUG';
  if (level < 40) return 'INFO';
  if (level < 50) return 'WARNING';
  if (level < 60) return 'ERROR';
  return 'CRITICAL';
}

/** The transport (pino-abstract-transport): one RunLogger for the worker's life. */
export default async function pinoTransport(options: PinoTransportOptions) {
  const report = (error: Error) => process.stderr.write(`pipeline-supervisor pino transport: ${error.message}\n`);
  const logger = new RunLogger({
    ...options,
    // The worker lives as long as the process logs: keep trying to reach the daemon (entries stay bounded).
    startAttempts: options.startAttempts ?? Number.POSITIVE_INFINITY,
    onError: report,
  });
  const finishOnClose = options.finishOnClose ?? options.runId === undefined;
  const closeTimeoutMs = options.closeTimeoutMs ?? 8000;
  let failed = false;
  logger.start().catch(report);

  return build(
    async (source) => {
      for await (const line of source as AsyncIterable<Record<string, unknown>>) {
        const { level, msg, time, ...fields } = line;
        const ours = levelFromPino(level);
        if (ours === 'CRITICAL') failed = true;
        if (fields.event === 'pipeline_complete' && typeof fields.status === 'string' && FAILED_PIPELINE.test(fields.status)) failed = true;
        if (typeof time === 'number') fields.timestamp = new Date(time).toISOString();
        else if (typeof time === 'string') fields.timestamp = time;
        logger.log(ours, typeof msg === 'string' ? msg : msg === undefined ? '' : String(msg), fields);
      }
    },
    {
      async close() {
        try {
          if (finishOnClose) await logger.finish({ status: failed ? 'failed' : 'succeeded' }, { timeoutMs: closeTimeoutMs });
          else await logger.flush({ timeoutMs: closeTimeoutMs });
        } catch (error) {
          report(error as Error);
        } finally {
          logger.close();
        }
      },
    },
  );
}
