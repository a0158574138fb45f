import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { createStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { MIGRATIONS, migrate, openDatabase, readVersion } from '../../src/store/schema.js';
import { makeRecords, makeRun, openStore, tempDir } from './helpers.js';

describe('the SQLite file', () => {
  it('is created in WAL mode at the current schema version', () => {
    const store = openStore();
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    store.close();
    const db = new Database(store.path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['chunks', 'layers', 'run_keys', 'runs']);
    db.close();
  });

  it('creates the directory it lives in', () => {
    const file = path.join(tempDir(), 'nested', 'data', 'supervisor.db');
    const store = openStore({ path: file });
    expect(fs.existsSync(file)).toBe(true);
    expect(store.listRuns()).toEqual([]);
  });

  it('keeps runs and records across reopening, without migrating again', () => {
    const first = openStore({ batchRecords: 10 });
    first.insertRun(makeRun('r1', { status: 'succeeded' }));
    first.appendRecords('r1', makeRecords(23));
    first.close();
    const second = openStore({ path: first.path });
    expect(second.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(second.getRun('r1')?.status).toBe('succeeded');
    expect(second.readLogs('r1', {}).logs).toStrictEqual(makeRecords(23));
  });

  it('lets a second store (the CLI) read while the first (the daemon) writes', () => {
    const daemon = openStore({ batchRecords: 10, flushIntervalMs: 60_000 });
    daemon.insertRun(makeRun('r1'));
    const cli = openStore({ path: daemon.path });
    daemon.appendRecords('r1', makeRecords(15));
    expect(cli.readLogs('r1', {}).logs.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    daemon.flush('r1');
    expect(cli.readLogs('r1', { tail: 2 }).logs.map((r) => r.seq)).toEqual([14, 15]);
    expect(cli.lastSeq('r1')).toBe(15);
    expect(cli.resolveRunRef('latest')).toBe('r1');
  });

  it('can be read by another process while the store has it open', () => {
    const store = openStore({ batchRecords: 10 });
    store.insertRun(makeRun('r1'));
    store.appendRecords('r1', makeRecords(30));
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const script = `const D = require(${JSON.stringify(driver)}); const db = new D(process.argv[1], { readonly: true });
      process.stdout.write(JSON.stringify(db.prepare('SELECT sum(count) AS n, max(last_seq) AS last FROM chunks').get()));`;
    const out = execFileSync(process.execPath, ['-e', script, store.path], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ n: 30, last: 30 });
  });

  it('runs only the migrations a file lacks, in order, once: a version 1 file keeps its runs', () => {
    const file = path.join(tempDir(), 'old.db');
    const v1 = MIGRATIONS.slice(0, 1);
    const db = new Database(file);
    migrate(db, v1);
    db.prepare("INSERT INTO runs (run_id, module, args, status, created_at, created_us) VALUES ('r0', 'm', '[]', 'succeeded', 'x', 0)").run();
    migrate(db, MIGRATIONS);
    expect(readVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'run_keys'").pluck().get()).toBe(1);
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'test column', sql: 'ALTER TABLE runs ADD COLUMN note TEXT' }];
    migrate(db, next);
    migrate(db, next);
    expect(readVersion(db)).toBe(SCHEMA_VERSION + 1);
    expect(db.prepare('SELECT run_id, note FROM runs').all()).toEqual([{ run_id: 'r0', note: null }]);
    expect(() => migrate(db, MIGRATIONS)).toThrow(/newer than this supervisor/);
    db.close();
    expect(() => createStore({ path: file })).toThrow(/newer than this supervisor/);
  });

  it('rolls back a migration that fails, leaving the version where it was', () => {
    const db = openDatabase(path.join(tempDir(), 'x.db'));
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE t (a); SELEC nonsense' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(readVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't'").pluck().get()).toBe(0);
    db.close();
  });

  it('is refused by a supervisor from before its schema (one that cannot read format 2 chunks), which says why', () => {
    const db = openDatabase(path.join(tempDir(), 'new.db'));
    const before = MIGRATIONS.filter((m) => m.version < SCHEMA_VERSION);
    expect(() => migrate(db, before)).toThrow(`the database schema is version ${SCHEMA_VERSION}, newer than this supervisor's ${SCHEMA_VERSION - 1}: upgrade the supervisor`);
    expect(readVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });
});

describe('checkpoints on a worker thread', () => {
  it('starts no checkpoint thread for a store that only reads or writes a few chunks, and leaves a clean file', () => {
    const writer = openStore({ batchRecords: 100, checkpoint: 'worker' });
    writer.insertRun(makeRun('r1'));
    const records = makeRecords(300);
    writer.appendRecords('r1', records);
    writer.flush();
    expect(writer.stats()).toMatchObject({ checkpointMode: 'worker', checkpointWorker: false, checkpoints: 0 });
    writer.close();
    expect(fs.existsSync(`${writer.path}-wal`)).toBe(false);
    const reader = openStore({ path: writer.path, checkpoint: 'worker' });
    expect(reader.readLogs('r1', {}).logs).toStrictEqual(records);
    expect(reader.stats().checkpointWorker).toBe(false);
    reader.close();
  });

  it('moves the WAL into the file off the main thread, and leaves a clean file on close', async () => {
    const store = openStore({ batchRecords: 100, checkpoint: 'worker' });
    store.insertRun(makeRun('r1'));
    const records = makeRecords(5_000);
    for (let i = 0; i < records.length; i += 250) store.appendRecords('r1', records.slice(i, i + 250));
    store.flush();
    expect(store.stats()).toMatchObject({ checkpointMode: 'worker', checkpointWorker: true });
    await vi.waitFor(() => expect(store.stats().checkpoints).toBeGreaterThan(0), { timeout: 10_000 });
    store.close();
    expect(fs.existsSync(`${store.path}-wal`)).toBe(false);
    expect(openStore({ path: store.path }).readLogs('r1', {}).logs).toStrictEqual(records);
  });
});
