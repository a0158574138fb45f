// Retention: runs older than retention.days go, with their layers and records (0 days keeps everything).
// The daemon prunes at start and daily; the CLI without a daemon prunes after a run, at most once a day.
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from './index.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Delete the finished runs created more than `days` before `nowMs`; undefined when retention is off. */
export function pruneExpiredRuns(store: Store, days: number, nowMs: number): { deleted: number; cutoff: string } | undefined {
  if (!(days > 0)) return undefined;
  const cutoff = new Date(nowMs - days * DAY_MS).toISOString();
  return { deleted: store.deleteRunsOlderThan(cutoff), cutoff };
}

/** The file that says (as an ISO time) when a CLI last pruned this data dir. */
const STAMP = 'retention.stamp';

/** Prune unless this data dir was pruned in the last day; a CLI calls it when it has finished a run. */
export function pruneExpiredRunsIfDue(store: Store, dataDir: string, days: number, nowMs = Date.now()): number {
  if (!(days > 0)) return 0;
  const stamp = path.join(dataDir, STAMP);
  let last = Number.NaN;
  try {
    last = Date.parse(fs.readFileSync(stamp, 'utf8').trim());
  } catch {
    // never pruned
  }
  // (a stamp from the future, after the clock was set back, does not hold pruning off)
  if (last <= nowMs && nowMs - last < DAY_MS) return 0;
  const result = pruneExpiredRuns(store, days, nowMs);
  fs.writeFileSync(stamp, `${new Date(nowMs).toISOString()}\n`);
  return result?.deleted ?? 0;
}
