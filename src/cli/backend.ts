// What the CLI commands need from the engine, whichever face serves it: in-process, or a daemon.
import type { LogQuery } from '../store/index.js';
import type { Layer, LogRecord, RunInfo, RunStatus } from '../types.js';

export interface ModuleSummary {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  timeout_ms: number;
  description: string;
}

export interface RunQuery {
  module?: string;
  status?: RunStatus;
  limit?: number;
  before?: string;
}

export interface LiveHandlers {
  /** omitted when the caller does not want the records (run --quiet): then none are built for it */
  onRecords?(records: LogRecord[]): void;
  onLayer?(layer: Layer): void;
}

export interface Backend {
  readonly kind: 'embedded' | 'daemon';
  /** where it is: the data dir, or the daemon's URL */
  readonly where: string;
  /** the daemon's pid (daemon backend only), so `status` can say what to stop */
  readonly pid?: number;
  modules(): Promise<ModuleSummary[]>;
  listRuns(query: RunQuery): Promise<RunInfo[]>;
  /** a run by id, `latest` or `latest:<module>`; throws RUN_NOT_FOUND */
  getRun(ref: string): Promise<RunInfo>;
  readLogs(runId: string, query: LogQuery): Promise<{ logs: LogRecord[]; total: number }>;
  /** records after `after`, then live until the run ends; resolves with the finished run */
  follow(runId: string, after: number, handlers: LiveHandlers): Promise<RunInfo>;
  /** start a run; `runId` pins the id (a detached embedded run that its parent announced) */
  startRun(module: string, args: string[], options?: { runId?: string }): Promise<RunInfo>;
  cancel(runId: string): Promise<RunInfo>;
  prune(cutoffIso: string): Promise<number>;
  close(): Promise<void>;
}
