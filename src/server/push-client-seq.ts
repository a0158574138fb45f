// Idempotent pushes: the highest client_seq stored per external run, so a resent batch is not stored twice.
//
// The scheme. A runner numbers its entries with `client_seq`, a positive integer that only grows over the
// run (gaps are fine: entries it dropped), and resends a batch whose response it never got exactly as it
// was, with the same numbers. The daemon remembers the highest client_seq it has stored for each running
// external run and skips every entry at or below it: a resent batch that was stored is skipped whole (200,
// "accepted": 0, "skipped": N), one that was not is stored. A batch is stored in one synchronous step
// (validate, ingest, commit), so two requests of one run never interleave. The response carries the
// highest stored ("client_seq"), so a runner that attaches to a run it did not start asks with an empty
// batch and numbers on from there. The number is kept in memory while the run is pushed to and, after a
// daemon restart, read back from the newest stored record that has one (each record's data is its whole
// entry, client_seq included). Entries without client_seq are always stored; one writer per run.
import type { Store } from '../store/index.js';

// How far back a restarted daemon looks for the newest numbered record.
const DERIVE_WINDOW = 1000;

/** The highest client_seq stored per run. */
export interface ClientSeqTable {
  /** the highest stored for a run (0 when none); read from the store the first time a run is seen */
  highest(runId: string): number;
  set(runId: string, clientSeq: number): void;
  /** a run this daemon just registered: nothing stored yet */
  start(runId: string): void;
  /** the run ended: drop its entry (the table holds only running runs) */
  forget(runId: string): void;
  readonly size: number;
}

/** Create the table over the store that holds the runs' records. */
export function createClientSeqTable(store: Store): ClientSeqTable {
  const table = new Map<string, number>();
  return {
    highest(runId) {
      let value = table.get(runId);
      if (value === undefined) table.set(runId, (value = deriveHighest(store, runId)));
      return value;
    },
    set(runId, clientSeq) {
      table.set(runId, clientSeq);
    },
    start(runId) {
      table.set(runId, 0);
    },
    forget(runId) {
      table.delete(runId);
    },
    get size() {
      return table.size;
    },
  };
}

/** The client_seq of the newest stored record of a run that has one, else 0. */
export function deriveHighest(store: Store, runId: string): number {
  const { logs } = store.readLogs(runId, { tail: DERIVE_WINDOW, stream: 'push' });
  for (let i = logs.length - 1; i >= 0; i--) {
    const seq = logs[i]!.data?.client_seq;
    if (typeof seq === 'number' && Number.isSafeInteger(seq)) return seq;
  }
  return 0;
}
