// Compressed chunk bodies: log text is stored small, anything that does not shrink is stored as it is,
// and every reader (queries, grep, iteration, files written before compression) gets the same records.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createChunkEncoder } from '../../src/store/chunk-codec.js';
import { CODEC_BROTLI, CODEC_PLAIN, createBodyPacker, unpackBody } from '../../src/store/chunk-compression.js';
import { MIGRATIONS, migrate } from '../../src/store/schema.js';
import { columnsOf, encodeFormat1Body, makeRecords, makeRun, openStore, referenceQuery, tempDir } from './helpers.js';

const logText = (lines: number, from = 0) =>
  Buffer.from(
    Array.from({ length: lines }, (_, i) => `2025-10-31T12:00:${String((from + i) % 60).padStart(2, '0')}Z INFO fetched page ${from + i} of 900 (200 OK)\n`).join(''),
  );

describe('createBodyPacker', () => {
  it('compresses log text and gives the same bytes back', () => {
    const plain = logText(1000);
    const packed = createBodyPacker().pack(plain);
    expect(packed.codec).toBe(CODEC_BROTLI);
    expect(packed.bytes.length).toBeLessThan(plain.length / 4);
    expect(unpackBody(packed.codec, packed.bytes).equals(plain)).toBe(true);
  });

  it('stores what does not shrink as it is, then does not try the next 16 bodies of that run', () => {
    const packer = createBodyPacker();
    const noise = randomBytes(64 * 1024);
    expect(packer.pack(noise)).toEqual({ codec: CODEC_PLAIN, bytes: noise });
    const text = logText(500);
    for (let i = 0; i < 16; i++) expect(packer.pack(text).codec).toBe(CODEC_PLAIN);
    expect(packer.pack(text).codec).toBe(CODEC_BROTLI);
    // another run's packer is not affected
    expect(createBodyPacker().pack(text).codec).toBe(CODEC_BROTLI);
  });

  it('stores bodies under 1 KiB as they are', () => {
    const small = logText(5);
    expect(small.length).toBeLessThan(1024);
    expect(createBodyPacker().pack(small)).toEqual({ codec: CODEC_PLAIN, bytes: small });
  });

  it('refuses a body in a format it does not know, saying so', () => {
    expect(() => unpackBody(7, Buffer.from('x'))).toThrow(/unknown format \(codec 7\)/);
  });
});

describe('the store with compressed chunks', () => {
  it('answers every query like a naive filter, with compressed and plain chunks in one run', () => {
    const records = makeRecords(130);
    const store = openStore({ batchRecords: 60, flushIntervalMs: 60_000 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', records);
    store.flush();
    const db = new Database(store.path, { readonly: true });
    const codecs = db.prepare('SELECT codec FROM chunks ORDER BY first_seq').pluck().all();
    db.close();
    expect(codecs).toEqual([CODEC_BROTLI, CODEC_BROTLI, CODEC_PLAIN]); // 60, 60, then a 10-record tail under 1 KiB
    expect(store.stats().storedBytes).toBeLessThan(store.stats().bodyBytes / 2);
    for (const q of [{}, { tail: 5 }, { after: 55, limit: 10 }, { grep: 'needle' }, { grep: /second\\part/ }, { minLevel: 'ERROR' as const }]) {
      expect(store.readLogs('r1', q), JSON.stringify(q)).toStrictEqual(referenceQuery(records, q));
      expect([...store.iterateLogs('r1', q)]).toStrictEqual(referenceQuery(records, q).logs);
    }
  });

  it('reads chunks written before compression existed (schema 2) after migrating the file', () => {
    const file = path.join(tempDir(), 'v2.db');
    const records = makeRecords(200);
    const db = new Database(file);
    migrate(db, MIGRATIONS.filter((m) => m.version <= 2));
    const run = makeRun('old', { status: 'succeeded', total_lines: records.length });
    db.prepare(
      `INSERT INTO runs (run_id, module, args, status, created_at, created_us, total_lines) VALUES (?, ?, '[]', ?, ?, 0, ?)`,
    ).run(run.run_id, run.module, run.status, run.created_at, run.total_lines);
    const runPk = db.prepare('SELECT run_pk FROM runs').pluck().get();
    // The summary columns from today's encoder; the body as schema-2 files hold it (format 1).
    const chunk = createChunkEncoder().encode(columnsOf(records), 0, records.length);
    const { body } = encodeFormat1Body(records);
    db.prepare(
      `INSERT INTO chunks (run_pk, first_seq, last_seq, first_ts, last_ts, count, level_mask, stream_mask,
                           n_debug, n_info, n_warning, n_error, n_critical, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(runPk, chunk.firstSeq, chunk.lastSeq, chunk.firstTs, chunk.lastTs, chunk.count, chunk.levelMask, chunk.streamMask, ...chunk.levelCounts, body);
    db.close();

    const store = openStore({ path: file });
    expect(store.schemaVersion()).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    expect(store.readLogs('old', {}).logs).toStrictEqual(records);
    expect(store.readLogs('old', { grep: 'needle' })).toStrictEqual(referenceQuery(records, { grep: 'needle' }));
  });
});
