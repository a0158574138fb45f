// Shared fixtures for the store tests: temp files, runs, records, and a naive reference for log queries.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createStore, type Store, type StoreOptions } from '../../src/store/index.js';
import type { LogQuery } from '../../src/store/log-query.js';
import { recordColumns, type RecordColumns } from '../../src/record-columns.js';
import { createTimestampCodec, isoToMicros, microsToIso } from '../../src/store/timestamps.js';
import { LEVELS, STREAMS, emptyCounts, type Level, type LogRecord, type RunInfo, type Stream } from '../../src/types.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Records as columns, as the store takes them (timestamps as µs where that gives them back, the string kept otherwise). */
export function columnsOf(records: readonly LogRecord[]): RecordColumns {
  return recordColumns(records, createTimestampCodec().exactMicros);
}

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
  dirs.push(dir);
  return dir;
}

/** A store on a fresh file (or the given one), closed after the test; it writes on the caller's thread unless told. */
export function openStore(options: Partial<StoreOptions> = {}): Store & { path: string } {
  const file = options.path ?? path.join(tempDir(), 'supervisor.db');
  const store = createStore({ checkpoint: 'inline', writes: 'inline', ...options, path: file });
  stores.push(store);
  return Object.assign(store, { path: file });
}

export function makeRun(runId: string, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    run_id: runId,
    module: 'demo',
    args: [],
    status: 'running',
    pid: null,
    exit_code: null,
    signal: null,
    created_at: '2025-10-31T12:00:00.000000Z',
    started_at: null,
    finished_at: null,
    counts: emptyCounts(),
    total_lines: 0,
    pipeline_status: null,
    runner: null,
    layers: [],
    ...patch,
  };
}

export const T0 = isoToMicros('2025-10-31T12:00:00.000000Z');

/** Records from seq `from`, 1.5 ms apart (crossing second boundaries), with varied levels, streams and extras. */
export function makeRecords(count: number, from = 1): LogRecord[] {
  const out: LogRecord[] = [];
  for (let seq = from; seq < from + count; seq++) {
    const level: Level = LEVELS[(seq * 7) % 5]!;
    const stream: Stream = seq % 11 === 0 ? 'push' : seq % 3 === 0 ? 'stderr' : 'stdout';
    const record: LogRecord = {
      seq,
      timestamp: microsToIso(T0 + seq * 1500),
      stream,
      level,
      message: seq % 13 === 0 ? `Needle in "line" ${seq}\nsecond\\part` : `line ${seq} of the run: ok`,
    };
    if (seq % 17 === 0) record.event = 'layer_complete';
    if (seq % 5 === 0) record.data = { layer: seq % 4, nested: { ok: true, list: [1, 'two', null] } };
    if (seq % 19 === 0) record.continued = true;
    out.push(record);
  }
  return out;
}

const LEVEL_RANK: Record<Level, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 };

/** What readLogs must return, computed the obvious way over every record. */
export function referenceQuery(records: readonly LogRecord[], q: LogQuery): { logs: LogRecord[]; total: number } {
  const grep = q.grep;
  const matches = (r: LogRecord) =>
    (q.minLevel === undefined || LEVEL_RANK[r.level] >= LEVEL_RANK[q.minLevel]) &&
    (q.stream === undefined || r.stream === q.stream) &&
    (grep === undefined ||
      grep === '' ||
      (typeof grep === 'string' ? r.message.toLowerCase().includes(grep.toLowerCase()) : grep.test(r.message)));
  const filtered = records.filter(matches);
  const total = filtered.length;
  const before = q.before ?? Infinity;
  if (q.tail !== undefined && q.after === undefined && q.since === undefined) {
    const older = filtered.filter((r) => r.seq < before);
    return { logs: q.tail <= 0 ? [] : older.slice(-q.tail), total };
  }
  const since = q.since === undefined ? undefined : isoToMicros(q.since);
  const forward = filtered.filter(
    (r) => r.seq > (q.after ?? 0) && r.seq < before && (since === undefined || isoToMicros(r.timestamp) > since),
  );
  return { logs: q.limit === undefined ? forward : forward.slice(0, Math.max(0, q.limit)), total };
}

/**
 * A chunk body in format 1, as supervisors wrote them before format 2 (a JSON header of `tsDelta, code, length`
 * per record plus the extras its code announces, a newline, the messages), so tests can check it is still read.
 * No seq gaps or raw timestamps: enough for records whose timestamps are canonical and seqs contiguous.
 */
export function encodeFormat1Body(records: readonly LogRecord[]): { firstTs: number; body: Buffer } {
  const header: unknown[] = [];
  let text = '';
  const firstTs = isoToMicros(records[0]!.timestamp);
  let prevTs = firstTs;
  for (const r of records) {
    const ts = isoToMicros(r.timestamp);
    let code = (LEVELS.indexOf(r.level) << 2) | STREAMS.indexOf(r.stream);
    if (r.continued) code |= 1 << 5;
    if (r.event !== undefined) code |= 1 << 6;
    if (r.data !== undefined) code |= 1 << 7;
    header.push(ts - prevTs, code, r.message.length);
    if (r.event !== undefined) header.push(r.event);
    if (r.data !== undefined) header.push(r.data);
    text += r.message;
    prevTs = ts;
  }
  return { firstTs, body: Buffer.from(`${JSON.stringify(header)}\n${text}`, 'utf8') };
}
