// Replay pages shared by every subscriber that catches up on the same run: many clients joining a busy run
// read the same backlog, and each page is read and serialized once, not once per client.
//
// Reads are cut at page boundaries (multiples of the page size in seq), so a subscriber starting anywhere
// reaches a boundary after one short read and from there asks for exactly the pages the others ask for. A
// full page of consecutive seqs never changes, so it is kept (the same frozen array each time, which is what
// record-json.ts caches serialized text and frames by) in a small LRU; anything else is read as it is.
import type { LogRecord } from '../types.js';

/** Reads up to `limit` records of a run strictly after `after`, oldest first (from the ring or SQLite). */
export type PageLoader = (after: number, limit: number) => readonly LogRecord[];

export interface ReplayPages {
  /** records strictly after `after`, up to the next page boundary; a full page is the same array for everyone */
  read(runId: string, after: number, load: PageLoader): readonly LogRecord[];
  /** pages kept now */
  size(): number;
}

/** Keep at most `maxPages` full pages of `pageSize` records (the daemon's replay page size). */
export function createReplayPages(pageSize: number, maxPages: number): ReplayPages {
  const size = Math.max(1, Math.floor(pageSize));
  const pages = new Map<string, readonly LogRecord[]>();

  return {
    read(runId, after, load) {
      const offset = after % size;
      if (offset !== 0 || maxPages <= 0) return load(after, size - offset);
      const key = `${after}:${runId}`;
      const kept = pages.get(key);
      if (kept) {
        pages.delete(key); // most recently used goes last
        pages.set(key, kept);
        return kept;
      }
      const page = load(after, size);
      const full = page.length === size && page[0]!.seq === after + 1 && page[size - 1]!.seq === after + size;
      if (!full) return page;
      const frozen = Object.freeze(page); // a loader's answer is a fresh array: nobody else holds it
      pages.set(key, frozen);
      if (pages.size > maxPages) pages.delete(pages.keys().next().value!);
      return frozen;
    },
    size: () => pages.size,
  };
}
