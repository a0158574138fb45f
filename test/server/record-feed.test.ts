// A subscriber's feed over the real engine (run, ring, SQLite store, hub): replay from the store past the ring,
// live batches that arrive during the replay, layers and completion, with every seq exactly once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import type { Run } from '../../src/runs/run.js';
import { createRunManager } from '../../src/runs/run-manager.js';
import { createRecordFeed, type FeedTarget } from '../../src/server/record-feed.js';
import { createReplayPages } from '../../src/server/replay-pages.js';
import { createHub } from '../../src/sinks/hub.js';
import { createStore, type Store } from '../../src/store/index.js';
import type { Layer, LogRecord } from '../../src/types.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function engine(ringLines: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'feed-test-'));
  const config = validateConfig({ dataDir: dir, modules: {}, buffer: { lines: ringLines } }, path.join(dir, 'supervisor.config.json'), {});
  const store: Store = createStore({ path: path.join(dir, 'supervisor.db'), checkpoint: 'inline' });
  const hub = createHub((error) => {
    throw error;
  });
  const manager = createRunManager({ config, store, hub });
  cleanups.push(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, hub, manager };
}

/** Commit `n` pushed lines as one batch. */
function push(run: Run, n: number) {
  for (let i = 0; i < n; i++) run.ingestParsed('push', { level: 'INFO', message: `line ${run.info.total_lines + i + 1}` });
  run.commit();
}

/** A target that records what it gets; `onReady` runs after each replay page. */
function collector(onReady: () => void = () => {}) {
  const records: LogRecord[] = [];
  const batches: (readonly LogRecord[])[] = [];
  const layers: Layer[] = [];
  let completed: { status: string; exit_code: number | null } | undefined;
  let pages = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const target: FeedTarget = {
    records(batch) {
      batches.push(batch);
      records.push(...batch);
    },
    layer: (layer) => layers.push(structuredClone(layer)),
    complete(info) {
      completed = info;
      done();
    },
    ready() {
      pages++;
      onReady();
      return undefined; // always has room: the feed yields a tick between full pages by itself
    },
    failed(error) {
      throw error;
    },
  };
  return { target, records, batches, layers, finished, get completed() {
    return completed;
  }, get pages() {
    return pages;
  } };
}

const seqs = (records: LogRecord[]) => records.map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('record feed', () => {
  it('pages a backlog bigger than the ring from SQLite while the run writes, then goes live, each seq once', async () => {
    const { store, hub, manager } = engine(50);
    const run = manager.registerExternal('runner', 'job');
    for (let i = 0; i < 20; i++) push(run, 50); // 1000 records; the ring holds the last 50
    const got = collector(() => got.pages <= 10 && push(run, 7)); // the run keeps writing between pages
    const feed = createRecordFeed({ store, hub, manager, pages: createReplayPages(100, 8) }, run.info.run_id, 0, got.target);
    feed.start();
    expect(seqs(got.records)).toEqual(range(1, 100)); // the first page is read in the same tick
    while (got.records.length < run.info.total_lines) await new Promise((resolve) => setImmediate(resolve));
    push(run, 3); // live now
    run.transition('succeeded', { exit_code: 0 });
    await got.finished;
    expect(seqs(got.records)).toEqual(range(1, run.info.total_lines));
    expect(got.completed).toEqual({ status: 'succeeded', exit_code: 0 });
    expect(feed.lastSent).toBe(run.info.total_lines);
  });

  it('starts after a cursor, and sends nothing at or below it', async () => {
    const { store, hub, manager } = engine(1000);
    const run = manager.registerExternal('runner', 'job');
    push(run, 30);
    const got = collector();
    const feed = createRecordFeed({ store, hub, manager, pages: createReplayPages(100, 8) }, run.info.run_id, 40, got.target);
    feed.start();
    push(run, 20); // seqs 31..50: only 41..50 are new to this subscriber
    expect(seqs(got.records)).toEqual(range(41, 50));
    feed.close();
    push(run, 5);
    expect(seqs(got.records)).toEqual(range(41, 50));
  });

  it('replays a finished run from the store and completes', async () => {
    const { store, hub, manager } = engine(10);
    const run = manager.registerExternal('runner', 'job');
    push(run, 250);
    run.transition('failed', { exit_code: 3 });
    await run.finished;
    expect(manager.active(run.info.run_id)).toBeUndefined();
    const got = collector();
    createRecordFeed({ store, hub, manager, pages: createReplayPages(100, 8) }, run.info.run_id, 0, got.target).start();
    await got.finished;
    expect(seqs(got.records)).toEqual(range(1, 250));
    expect(got.completed).toEqual({ status: 'failed', exit_code: 3 });
  });

  it('holds layer changes seen during a replay until it has caught up', async () => {
    const { store, hub, manager } = engine(10);
    const run = manager.registerExternal('runner', 'job');
    push(run, 300);
    const got = collector(() => {
      if (got.layers.length === 0 && got.pages === 1) {
        run.ingestParsed('push', { level: 'INFO', message: 'layer 1 start', event: 'layer_start', data: { layer: 1, layer_name: 'fetch' } });
        run.commit();
      }
    });
    createRecordFeed({ store, hub, manager, pages: createReplayPages(100, 8) }, run.info.run_id, 0, got.target).start();
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (got.records.length < 301) await new Promise((resolve) => setImmediate(resolve));
    expect(got.layers.map((l) => [l.layer, l.status])).toEqual([[1, 'running']]);
    run.transition('succeeded', { exit_code: 0 });
    await got.finished;
    expect(seqs(got.records)).toEqual(range(1, 301));
    expect(got.layers.at(-1)).toMatchObject({ layer: 1, status: 'error' });
  });

  it('subscribers catching up on one backlog share its pages: cut at page boundaries, read and serialized once', async () => {
    const { store, hub, manager } = engine(10);
    const run = manager.registerExternal('runner', 'job');
    push(run, 450); // pages 1–100 … 301–400 are full; 401–450 is not
    run.transition('succeeded', { exit_code: 0 });
    await run.finished;
    const pages = createReplayPages(100, 8);
    const first = collector();
    const second = collector();
    createRecordFeed({ store, hub, manager, pages }, run.info.run_id, 0, first.target).start();
    createRecordFeed({ store, hub, manager, pages }, run.info.run_id, 137, second.target).start();
    await Promise.all([first.finished, second.finished]);
    expect(seqs(first.records)).toEqual(range(1, 450));
    expect(seqs(second.records)).toEqual(range(138, 450));
    // the second starts with a short read up to the boundary, then asks for the very pages the first got
    expect(second.batches.map((b) => [b[0]!.seq, b.at(-1)!.seq])).toEqual([[138, 200], [201, 300], [301, 400], [401, 450]]);
    expect(second.batches[1]).toBe(first.batches[2]);
    expect(second.batches[2]).toBe(first.batches[3]);
    expect(second.batches[3]).not.toBe(first.batches[4]); // a partial page is read for each
    expect(pages.size()).toBe(4);
  });
});
