// Runs as clients see them: live state for runs in this daemon, SQLite for the rest; refs such as `latest:demo`.
import { SupervisorError } from '../errors.js';
import type { RunManager } from '../runs/run-manager.js';
import type { ListRunsQuery, Store } from '../store/index.js';
import type { RunInfo } from '../types.js';

export interface RunSource {
  store: Store;
  manager: RunManager;
}

/** A run id, `latest` or `latest:<module>` → the run id; RUN_NOT_FOUND otherwise. */
export function resolveRunId(source: RunSource, ref: string): string {
  if (source.manager.active(ref)) return ref;
  const runId = source.store.resolveRunRef(ref);
  if (!runId) throw new SupervisorError('RUN_NOT_FOUND', `no run matches "${ref}"`);
  return runId;
}

/** The run now: the live object of an active run, else the stored one. */
export function findRun(source: RunSource, ref: string): RunInfo {
  const runId = resolveRunId(source, ref);
  const run = source.manager.active(runId)?.info ?? source.store.getRun(runId);
  if (!run) throw new SupervisorError('RUN_NOT_FOUND', `no run matches "${ref}"`);
  return run;
}

/** The last seq a run has committed (the ring knows it for an active run). */
export function lastSeqOf(source: RunSource, runId: string): number {
  return source.manager.active(runId)?.ring.lastSeq ?? source.store.lastSeq(runId);
}

/** Runs newest first, with live state for the active ones. */
export function listRuns(source: RunSource, query: ListRunsQuery): RunInfo[] {
  return source.store.listRuns(query).map((run) => source.manager.active(run.run_id)?.info ?? run);
}
