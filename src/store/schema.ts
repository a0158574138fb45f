// The SQLite file: pragmas for one writer and many readers, and the ordered migrations that build the schema.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';
import Database from 'better-sqlite3';
import { SupervisorError } from '../errors.js';
import { SCHEMA_VERSION } from './database-file.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Ordered; each runs once, in a transaction, and leaves PRAGMA user_version at its version. Append, never edit. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, layers and chunked records',
    sql: `
      CREATE TABLE runs (
        run_pk          INTEGER PRIMARY KEY,
        run_id          TEXT NOT NULL UNIQUE,
        module          TEXT NOT NULL,
        args            TEXT NOT NULL,            -- JSON array of strings
        status          TEXT NOT NULL,
        pid             INTEGER,
        exit_code       INTEGER,
        signal          TEXT,
        created_at      TEXT NOT NULL,
        created_us      INTEGER NOT NULL,         -- created_at in µs: ordering, paging, pruning
        started_at      TEXT,
        finished_at     TEXT,
        n_debug         INTEGER NOT NULL DEFAULT 0,
        n_info          INTEGER NOT NULL DEFAULT 0,
        n_warning       INTEGER NOT NULL DEFAULT 0,
        n_error         INTEGER NOT NULL DEFAULT 0,
        n_critical      INTEGER NOT NULL DEFAULT 0,
        total_lines     INTEGER NOT NULL DEFAULT 0,
        pipeline_status TEXT,
        runner          TEXT
      );
      CREATE INDEX runs_by_created ON runs (created_us, run_id);
      CREATE INDEX runs_by_module ON runs (module, created_us, run_id);
      CREATE INDEX runs_by_status ON runs (status, created_us, run_id);

      CREATE TABLE layers (
        run_pk      INTEGER NOT NULL,
        layer       INTEGER NOT NULL,
        layer_name  TEXT,
        status      TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        duration_ms REAL,
        error       TEXT,
        metadata    TEXT,                         -- JSON object or NULL
        history     TEXT NOT NULL,                -- JSON array of {status, at}
        PRIMARY KEY (run_pk, layer)
      ) WITHOUT ROWID;

      -- Many records per row (see chunk-codec.ts); body last so scans of the small columns skip its overflow pages.
      CREATE TABLE chunks (
        chunk_id    INTEGER PRIMARY KEY,
        run_pk      INTEGER NOT NULL,
        first_seq   INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL,
        first_ts    INTEGER NOT NULL,             -- µs since the epoch
        last_ts     INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        level_mask  INTEGER NOT NULL,             -- bit i: a record of LEVELS[i]
        stream_mask INTEGER NOT NULL,             -- bit i: a record of STREAMS[i]
        n_debug     INTEGER NOT NULL,
        n_info      INTEGER NOT NULL,
        n_warning   INTEGER NOT NULL,
        n_error     INTEGER NOT NULL,
        n_critical  INTEGER NOT NULL,
        body        BLOB NOT NULL
      );
      CREATE UNIQUE INDEX chunks_by_first_seq ON chunks (run_pk, first_seq);
      CREATE INDEX chunks_by_last_seq ON chunks (run_pk, last_seq);
      CREATE INDEX chunks_by_last_ts ON chunks (run_pk, last_ts);
    `,
  },
  {
    version: 2,
    name: 'registration keys of external runs',
    sql: `
      -- A runner's Idempotency-Key for POST /api/runs: a resent registration answers with the same run.
      CREATE TABLE run_keys (
        runner  TEXT NOT NULL,
        key     TEXT NOT NULL,
        run_pk  INTEGER NOT NULL,
        PRIMARY KEY (runner, key)
      ) WITHOUT ROWID;
      CREATE INDEX run_keys_by_run ON run_keys (run_pk);
    `,
  },
  {
    version: 3,
    name: 'compressed chunk bodies',
    sql: `
      -- How body is stored (chunk-compression.ts): 0 plain, 1 brotli. Rows written before stay plain.
      ALTER TABLE chunks ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    name: 'chunk bodies in format 2',
    sql: `
      -- No change to the tables: new chunk bodies are written in format 2 (chunk-codec.ts; older rows stay in
      -- format 1 and read as before). The version tells an older supervisor, which cannot read format 2, to
      -- refuse the file with "upgrade the supervisor" rather than fail on every read.
    `,
  },
];

export { SCHEMA_VERSION };

export interface OpenDatabaseOptions {
  /** how long a write waits for another process's lock before failing */
  busyTimeoutMs?: number;
}

// SQLite's default 4 KiB pages: compressed chunk bodies are a few KB, and every commit also rewrites the last
// page of the table and of each index, which costs a whole page each (16 KiB pages: ~9% slower end to end).
const PAGE_SIZE = 4096;

// A WAL that grew under a burst is cut back to this when it starts over.
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/**
 * Open (or create) the store's file, set WAL and friends, and bring the schema up to SCHEMA_VERSION. A file that
 * cannot be used (newer schema, not a database, no permission) is STORE_UNAVAILABLE, naming the file.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  try {
    return openAndMigrate(path, options);
  } catch (error) {
    throw new SupervisorError('STORE_UNAVAILABLE', `cannot open the store ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * better-sqlite3's compiled addon where its build (and a prebuilt binary) puts it, else undefined. Given to each
 * connection: the driver's own lookup (the `bindings` package) tries a dozen paths first, ~3 ms per open.
 */
const SQLITE_ADDON: string | undefined = (() => {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
})();

/** better-sqlite3 connection options with the addon's path (SQLITE_ADDON), for every connection to the store. */
export function connectionOptions(options: Database.Options = {}): Database.Options {
  return SQLITE_ADDON ? { ...options, nativeBinding: SQLITE_ADDON } : options;
}

/** What a worker thread needs to open its own connection to the store: the driver, its options, the file, the wait. */
export function workerConnection(path: string, busyTimeoutMs: number) {
  return {
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    options: connectionOptions({ fileMustExist: true }),
    path,
    busyTimeoutMs,
  };
}

function openAndMigrate(path: string, options: OpenDatabaseOptions): Database.Database {
  if (path !== ':memory:' && path !== '') fs.mkdirSync(nodePath.dirname(path), { recursive: true });
  const db = new Database(path, connectionOptions());
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (readVersion(db) === 0 && isEmpty(db)) db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Apply the migrations the file lacks; safe when two processes open a new file at once. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = migrations.length > 0 ? migrations[migrations.length - 1]!.version : 0;
  const check = (version: number) => {
    if (version > latest) {
      throw new Error(`the database schema is version ${version}, newer than this supervisor's ${latest}: upgrade the supervisor`);
    }
  };
  check(readVersion(db));
  if (readVersion(db) === latest) return;
  // IMMEDIATE takes the write lock first, so a second process waits and then finds the work done.
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = readVersion(db);
    check(current);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** PRAGMA user_version: the last migration applied. */
export function readVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function isEmpty(db: Database.Database): boolean {
  return db.prepare('SELECT count(*) AS n FROM sqlite_master').pluck().get() === 0;
}
