// Shared replay pages: cut at boundaries, a full page of consecutive seqs is one frozen array for every
// reader, anything else is read each time, and the cache stays within its page count.
import { describe, expect, it } from 'vitest';
import { createReplayPages, type PageLoader } from '../../src/server/replay-pages.js';
import type { LogRecord } from '../../src/types.js';

const record = (seq: number): LogRecord => ({ seq, timestamp: '2026-11-23T00:00:00.000000Z', stream: 'stdout', level: 'INFO', message: `line ${seq}` });

/** A run's records by seq (gaps allowed), and a loader over them that counts its calls. */
function source(seqs: number[]) {
  const records = seqs.map(record);
  const calls: [number, number][] = [];
  const load: PageLoader = (after, limit) => {
    calls.push([after, limit]);
    return records.filter((r) => r.seq > after).slice(0, limit);
  };
  return { records, calls, load, add: (seq: number) => records.push(record(seq)) };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqsOf = (page: readonly LogRecord[]) => page.map((r) => r.seq);

describe('replay pages', () => {
  it('cuts a read at the next page boundary, so every reader lines up on the same pages', () => {
    const pages = createReplayPages(10, 4);
    const run = source(range(1, 35));
    expect(seqsOf(pages.read('r', 3, run.load))).toEqual(range(4, 10));
    expect(run.calls).toEqual([[3, 7]]);
    expect(seqsOf(pages.read('r', 10, run.load))).toEqual(range(11, 20));
  });

  it('gives every reader of a full page the same frozen array, read once', () => {
    const pages = createReplayPages(10, 4);
    const run = source(range(1, 35));
    const a = pages.read('r', 10, run.load);
    const b = pages.read('r', 10, run.load);
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(run.calls).toEqual([[10, 10]]);
    expect(pages.read('other-run', 10, run.load)).not.toBe(a); // pages are per run
  });

  it('reads a page that is not full yet each time, and keeps it once it is', () => {
    const pages = createReplayPages(10, 4);
    const run = source(range(1, 25));
    expect(seqsOf(pages.read('r', 20, run.load))).toEqual(range(21, 25));
    for (const seq of range(26, 30)) run.add(seq);
    const full = pages.read('r', 20, run.load);
    expect(seqsOf(full)).toEqual(range(21, 30));
    expect(pages.read('r', 20, run.load)).toBe(full);
    expect(run.calls).toEqual([[20, 10], [20, 10]]);
    expect(pages.size()).toBe(1);
  });

  it('does not keep a page with a gap in its seqs (records the store dropped): it is not the fixed page', () => {
    const pages = createReplayPages(10, 4);
    const run = source([...range(1, 4), ...range(6, 30)]);
    const page = pages.read('r', 0, run.load);
    expect(seqsOf(page)).toEqual([...range(1, 4), ...range(6, 11)]);
    expect(pages.read('r', 0, run.load)).not.toBe(page);
    expect(pages.size()).toBe(0);
  });

  it('keeps at most its page count, dropping the least recently read', () => {
    const pages = createReplayPages(10, 2);
    const run = source(range(1, 50));
    const p0 = pages.read('r', 0, run.load);
    const p10 = pages.read('r', 10, run.load);
    expect(pages.read('r', 0, run.load)).toBe(p0); // 0 is now the most recent
    pages.read('r', 20, run.load); // evicts 10
    expect(pages.size()).toBe(2);
    expect(pages.read('r', 0, run.load)).toBe(p0);
    expect(pages.read('r', 10, run.load)).not.toBe(p10);
  });

  it('keeps nothing with a page count of 0', () => {
    const pages = createReplayPages(10, 0);
    const run = source(range(1, 20));
    expect(seqsOf(pages.read('r', 0, run.load))).toEqual(range(1, 10));
    expect(pages.read('r', 0, run.load)).not.toBe(pages.read('r', 0, run.load));
    expect(pages.size()).toBe(0);
  });
});
