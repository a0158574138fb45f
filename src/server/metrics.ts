// Counters the daemon keeps about itself, and their Prometheus text form.
import Database from 'better-sqlite3';
import type { RunManager } from '../runs/run-manager.js';
import type { Store } from '../store/index.js';
import { connectionOptions } from '../store/schema.js';
import type { RecordColumns } from '../record-columns.js';
import { LEVELS, RUN_STATUSES, levelOfCode, type Level, type RunStatus } from '../types.js';

export type Transport = 'ws' | 'sse';

/** Connection counts that the transports know and /metrics reports. */
export interface LiveGauges {
  wsConnections: number;
  wsSubscriptions: number;
  sseStreams: number;
}

export interface Metrics {
  countRecords(cols: RecordColumns): void;
  countLagged(transport: Transport): void;
  lagged(transport: Transport): number;
  /** Prometheus text exposition format 0.0.4 */
  render(gauges: LiveGauges): string;
  close(): void;
}

export interface MetricsDeps {
  store: Store;
  manager: RunManager;
  /** the SQLite file, read through its own read-only connection for the per-status run counts */
  dbPath: string;
  startedAt: number;
}

/** Create the daemon's metrics; counts start at zero with the daemon. */
export function createMetrics(deps: MetricsDeps): Metrics {
  const records: Record<Level, number> = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 };
  const lagged: Record<Transport, number> = { ws: 0, sse: 0 };
  let db: Database.Database | undefined;
  let countByStatus: Database.Statement | undefined;

  const runsByStatus = (): Record<RunStatus, number> => {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    try {
      db ??= new Database(deps.dbPath, connectionOptions({ readonly: true, fileMustExist: true }));
      countByStatus ??= db.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status');
      for (const row of countByStatus.all() as { status: RunStatus; n: number }[]) {
        if (row.status in counts) counts[row.status] = row.n;
      }
    } catch {
      // No readable file yet: count what this process runs.
      for (const run of deps.manager.activeRuns()) counts[run.info.status]++;
    }
    return counts;
  };

  return {
    countRecords(cols) {
      for (let i = cols.start; i < cols.end; i++) records[levelOfCode(cols.codes[i]!)]++;
    },
    countLagged(transport) {
      lagged[transport]++;
    },
    lagged: (transport) => lagged[transport],
    render(gauges) {
      const out: string[] = [];
      const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) out.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
      };
      const byStatus = runsByStatus();
      metric('supervisor_runs', 'gauge', 'Runs in the store by status.', RUN_STATUSES.map((s) => [`{status="${s}"}`, byStatus[s]]));
      metric('supervisor_active_runs', 'gauge', 'Runs queued or running in this daemon.', [['', deps.manager.activeRuns().length]]);
      metric('supervisor_records_total', 'counter', 'Records captured since the daemon started, by level.',
        LEVELS.map((l) => [`{level="${l}"}`, records[l]]));
      metric('supervisor_subscribers', 'gauge', 'Live subscriptions (WebSocket run and topic subscriptions, SSE streams).', [
        ['{transport="ws"}', gauges.wsSubscriptions],
        ['{transport="sse"}', gauges.sseStreams],
      ]);
      metric('supervisor_ws_connections', 'gauge', 'Open WebSocket connections.', [['', gauges.wsConnections]]);
      metric('supervisor_lagged_total', 'counter', 'Subscriptions dropped because the client could not keep up.', [
        ['{transport="ws"}', lagged.ws],
        ['{transport="sse"}', lagged.sse],
      ]);
      const sqlite = deps.store.stats();
      metric('supervisor_sqlite_batch_seconds', 'summary', 'Time spent in SQLite write transactions.', [
        ['_sum', sqlite.batchMsTotal / 1000],
        ['_count', sqlite.batches],
      ]);
      metric('supervisor_sqlite_last_batch_seconds', 'gauge', 'Duration of the last SQLite write transaction.', [['', sqlite.lastBatchMs / 1000]]);
      metric('supervisor_sqlite_records_written_total', 'counter', 'Records written to SQLite.', [['', sqlite.recordsWritten]]);
      metric('supervisor_sqlite_chunk_bytes_total', 'counter', 'Bytes of chunk bodies written, before and after compression.', [
        ['{form="plain"}', sqlite.bodyBytes],
        ['{form="stored"}', sqlite.storedBytes],
      ]);
      metric('supervisor_sqlite_write_errors_total', 'counter', 'Failed SQLite write transactions.', [['', sqlite.writeErrors]]);
      metric('supervisor_sqlite_records_dropped_total', 'counter', 'Records dropped because SQLite writes kept failing.', [['', sqlite.recordsDropped]]);
      metric('process_resident_memory_bytes', 'gauge', 'Resident set size of the daemon.', [['', process.memoryUsage.rss()]]);
      metric('supervisor_uptime_seconds', 'gauge', 'Seconds since the daemon started.', [['', (Date.now() - deps.startedAt) / 1000]]);
      return out.join('\n') + '\n';
    },
    close() {
      db?.close();
      db = undefined;
      countByStatus = undefined;
    },
  };
}
