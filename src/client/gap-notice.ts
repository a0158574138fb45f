// The gap notice: when entries are lost (dropped while the daemon was away, or refused by it), the next batch
// starts with a WARNING that says how many, so the gap is visible in the run's log.
import type { QueuedEntry } from './entry-queue.js';

/** A queued WARNING entry that counts what was lost since the last one went out. */
export interface Notice extends QueuedEntry {
  dropped: number;
  rejected: number;
  reason?: string;
}

/** A notice with nothing counted yet (its seq is set when it is placed). */
export function createNotice(): Notice {
  return { seq: 0, entry: { level: 'WARNING', message: '', timestamp: new Date().toISOString() }, dropped: 0, rejected: 0 };
}

/** Count lost entries in the notice and rewrite its message and `dropped_entries`. */
export function countInNotice(notice: Notice, kind: 'dropped' | 'rejected', count: number, reason?: string): void {
  notice[kind] += count;
  if (reason) notice.reason = reason;
  const unreachable = 'while the daemon was unreachable';
  const refused = `the daemon refused (${notice.reason ?? 'bad batch'})`;
  const total = notice.dropped + notice.rejected;
  notice.entry.message =
    notice.rejected === 0
      ? `runner dropped ${total} log entries ${unreachable}`
      : notice.dropped === 0
        ? `runner dropped ${total} log entries ${refused}`
        : `runner dropped ${total} log entries: ${notice.dropped} ${unreachable}, ${notice.rejected} ${refused}`;
  notice.entry.dropped_entries = total;
}
