// Fan-out of live records and run changes to subscribers; one failing subscriber never stops the others.
import { columnRecords, type RecordColumns } from '../record-columns.js';
import type { Layer, LogRecord, RunInfo, RunStatus } from '../types.js';

export interface RunListener {
  records?(records: LogRecord[]): void;
  layer?(layer: Layer): void;
  complete?(info: { status: RunStatus; exit_code: number | null }): void;
}

export interface Hub {
  /** live records, layers and completion of one run; returns the unsubscribe */
  subscribeRun(runId: string, listener: RunListener): () => void;
  /** every run's lifecycle changes (created, started, finished) */
  subscribeRuns(listener: (run: RunInfo) => void): () => void;
  /** the rows go to the run's listeners as records, built once for them all (not at all when none listens) */
  publishRecords(runId: string, cols: RecordColumns): void;
  publishLayer(runId: string, layer: Layer): void;
  publishRun(run: RunInfo): void;
  publishComplete(runId: string, status: RunStatus, exitCode: number | null): void;
  stats(): { runSubscribers: number; runsSubscribers: number; listenerErrors: number };
}

/** Create a hub; `onListenerError` hears what a subscriber threw (the daemon logs it). */
export function createHub(onListenerError: (error: unknown) => void = () => {}): Hub {
  const byRun = new Map<string, Set<RunListener>>();
  const runsListeners = new Set<(run: RunInfo) => void>();
  let listenerErrors = 0;

  const each = <T>(listeners: Iterable<T> | undefined, call: (listener: T) => void) => {
    if (!listeners) return;
    for (const listener of [...listeners]) {
      try {
        call(listener);
      } catch (error) {
        listenerErrors++;
        onListenerError(error);
      }
    }
  };

  return {
    subscribeRun(runId, listener) {
      let set = byRun.get(runId);
      if (!set) byRun.set(runId, (set = new Set()));
      set.add(listener);
      return () => {
        set!.delete(listener);
        if (set!.size === 0 && byRun.get(runId) === set) byRun.delete(runId);
      };
    },
    subscribeRuns(listener) {
      runsListeners.add(listener);
      return () => runsListeners.delete(listener);
    },
    publishRecords(runId, cols) {
      const listeners = byRun.get(runId);
      if (!listeners || cols.end === cols.start) return;
      let records: LogRecord[] | undefined;
      each(listeners, (l) => l.records?.((records ??= columnRecords(cols))));
    },
    publishLayer(runId, layer) {
      each(byRun.get(runId), (l) => l.layer?.(layer));
    },
    publishRun(run) {
      each(runsListeners, (l) => l(run));
    },
    publishComplete(runId, status, exitCode) {
      each(byRun.get(runId), (l) => l.complete?.({ status, exit_code: exitCode }));
    },
    stats() {
      let runSubscribers = 0;
      for (const set of byRun.values()) runSubscribers += set.size;
      return { runSubscribers, runsSubscribers: runsListeners.size, listenerErrors };
    },
  };
}
