// Runs and their layers in SQLite: save, look up, list newest first, recover after a crash, prune.
import type Database from 'better-sqlite3';
import type { Layer, LayerTransition, RunInfo, RunStatus } from '../types.js';
import { createCursorError, isoToMicros } from './timestamps.js';

export interface ListRunsQuery {
  module?: string;
  status?: RunStatus;
  runner?: string;
  /** at most this many */
  limit?: number;
  /** a run_id or an ISO created_at: only runs strictly older */
  before?: string;
}

export interface RunRepo {
  insertRun(run: RunInfo): void;
  saveRun(run: RunInfo): void;
  getRun(runId: string): RunInfo | undefined;
  /** the integer key chunks use for a run */
  runPk(runId: string): number | undefined;
  listRuns(q?: ListRunsQuery): RunInfo[];
  resolveRunRef(ref: string): string | undefined;
  markUnfinishedLost(finishedAt: string, options?: { exceptRunners?: boolean }): string[];
  /** delete finished runs created before the cutoff, with their layers and chunks; returns their ids */
  deleteRunsOlderThan(cutoffIso: string): string[];
  /** the run a runner registered under an idempotency key, if any */
  runForKey(runner: string, key: string): string | undefined;
  /** remember the run a runner registered under an idempotency key */
  saveRunKey(runner: string, key: string, runId: string): void;
}

interface RunRow {
  run_pk: number;
  run_id: string;
  module: string;
  args: string;
  status: RunStatus;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  created_at: string;
  created_us: number;
  started_at: string | null;
  finished_at: string | null;
  n_debug: number;
  n_info: number;
  n_warning: number;
  n_error: number;
  n_critical: number;
  total_lines: number;
  pipeline_status: RunInfo['pipeline_status'];
  runner: string | null;
}

interface LayerRow {
  layer: number;
  layer_name: string | null;
  status: Layer['status'];
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  metadata: string | null;
  history: string;
}

const RUN_COLUMNS = [
  'run_id', 'module', 'args', 'status', 'pid', 'exit_code', 'signal', 'created_at', 'created_us', 'started_at',
  'finished_at', 'n_debug', 'n_info', 'n_warning', 'n_error', 'n_critical', 'total_lines', 'pipeline_status', 'runner',
] as const;

const UNFINISHED = `('running', 'queued')`;

/** Create the run repository over an open, migrated database. */
export function createRunRepo(db: Database.Database): RunRepo {
  const placeholders = RUN_COLUMNS.map((c) => `@${c}`).join(', ');
  const insert = db.prepare(`INSERT INTO runs (${RUN_COLUMNS.join(', ')}) VALUES (${placeholders}) RETURNING run_pk`);
  const upsert = db.prepare(
    `INSERT INTO runs (${RUN_COLUMNS.join(', ')}) VALUES (${placeholders})
     ON CONFLICT (run_id) DO UPDATE SET ${RUN_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}
     RETURNING run_pk`,
  );
  const deleteLayers = db.prepare('DELETE FROM layers WHERE run_pk = ?');
  const insertLayer = db.prepare(
    `INSERT INTO layers (run_pk, layer, layer_name, status, started_at, finished_at, duration_ms, error, metadata, history)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectRun = db.prepare('SELECT * FROM runs WHERE run_id = ?');
  const selectPk = db.prepare('SELECT run_pk FROM runs WHERE run_id = ?').pluck();
  const selectLayers = db.prepare('SELECT * FROM layers WHERE run_pk = ? ORDER BY layer');
  const markLost = db.prepare(
    `UPDATE runs SET status = 'lost', finished_at = coalesce(finished_at, ?) WHERE status IN ${UNFINISHED} RETURNING run_id`,
  );
  const markLostLocal = db.prepare(
    `UPDATE runs SET status = 'lost', finished_at = coalesce(finished_at, ?)
     WHERE status IN ${UNFINISHED} AND runner IS NULL RETURNING run_id`,
  );
  const selectOld = db.prepare(`SELECT run_pk, run_id FROM runs WHERE created_us < ? AND status NOT IN ${UNFINISHED}`);
  const deleteChunks = db.prepare('DELETE FROM chunks WHERE run_pk = ?');
  const deleteRun = db.prepare('DELETE FROM runs WHERE run_pk = ?');
  const deleteKeys = db.prepare('DELETE FROM run_keys WHERE run_pk = ?');
  const selectKeyed = db.prepare('SELECT r.run_id FROM run_keys k JOIN runs r USING (run_pk) WHERE k.runner = ? AND k.key = ?').pluck();
  const insertKey = db.prepare('INSERT OR IGNORE INTO run_keys (runner, key, run_pk) SELECT ?, ?, run_pk FROM runs WHERE run_id = ?');
  const listStatements = new Map<string, Database.Statement>();

  const writeLayers = (runPk: number, layers: readonly Layer[]) => {
    deleteLayers.run(runPk);
    for (const l of layers) {
      insertLayer.run(
        runPk, l.layer, l.layer_name, l.status, l.started_at, l.finished_at, l.duration_ms, l.error,
        l.metadata === null || l.metadata === undefined ? null : JSON.stringify(l.metadata),
        JSON.stringify(l.history ?? []),
      );
    }
  };
  const save = db.transaction((run: RunInfo, statement: Database.Statement) => {
    const runPk = statement.pluck().get(toRow(run)) as number;
    writeLayers(runPk, run.layers ?? []);
  });
  const toInfo = (row: RunRow): RunInfo => ({
    run_id: row.run_id,
    module: row.module,
    args: JSON.parse(row.args) as string[],
    status: row.status,
    pid: row.pid,
    exit_code: row.exit_code,
    signal: row.signal,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    counts: { DEBUG: row.n_debug, INFO: row.n_info, WARNING: row.n_warning, ERROR: row.n_error, CRITICAL: row.n_critical },
    total_lines: row.total_lines,
    pipeline_status: row.pipeline_status,
    runner: row.runner,
    layers: (selectLayers.all(row.run_pk) as LayerRow[]).map(toLayer),
  });

  const repo: RunRepo = {
    insertRun(run) {
      save(run, insert);
    },
    saveRun(run) {
      save(run, upsert);
    },
    getRun(runId) {
      const row = selectRun.get(runId) as RunRow | undefined;
      return row && toInfo(row);
    },
    runPk(runId) {
      return selectPk.get(runId) as number | undefined;
    },
    listRuns(q = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      const filter = (column: string, value: string | undefined) => {
        if (value === undefined) return;
        where.push(`${column} = ?`);
        params.push(value);
      };
      filter('module', q.module);
      filter('status', q.status);
      filter('runner', q.runner);
      if (q.before !== undefined) {
        const anchor = selectRun.get(q.before) as RunRow | undefined;
        if (anchor) {
          where.push('(created_us, run_id) < (?, ?)');
          params.push(anchor.created_us, anchor.run_id);
        } else {
          const micros = isoToMicros(q.before);
          if (!Number.isFinite(micros)) throw createCursorError(`before="${q.before}" is neither a run id nor an ISO 8601 time`);
          where.push('created_us < ?');
          params.push(micros);
        }
      }
      const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
      if (Number.isNaN(limit)) throw createCursorError(`limit must be a number`);
      const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                   ORDER BY created_us DESC, run_id DESC LIMIT ?`;
      let statement = listStatements.get(sql);
      if (!statement) listStatements.set(sql, (statement = db.prepare(sql)));
      return (statement.all(...params, limit) as RunRow[]).map(toInfo);
    },
    resolveRunRef(ref) {
      if (ref === 'latest') return repo.listRuns({ limit: 1 })[0]?.run_id;
      if (ref.startsWith('latest:')) return repo.listRuns({ module: ref.slice('latest:'.length), limit: 1 })[0]?.run_id;
      return repo.runPk(ref) === undefined ? undefined : ref;
    },
    markUnfinishedLost(finishedAt, options = {}) {
      const statement = options.exceptRunners ? markLostLocal : markLost;
      return statement.pluck().all(finishedAt) as string[];
    },
    deleteRunsOlderThan: db.transaction((cutoffIso: string) => {
      const cutoff = isoToMicros(cutoffIso);
      if (!Number.isFinite(cutoff)) throw createCursorError(`"${cutoffIso}" is not an ISO 8601 time`);
      const old = selectOld.all(cutoff) as { run_pk: number; run_id: string }[];
      for (const { run_pk } of old) {
        deleteChunks.run(run_pk);
        deleteLayers.run(run_pk);
        deleteKeys.run(run_pk);
        deleteRun.run(run_pk);
      }
      return old.map((r) => r.run_id);
    }),
    runForKey(runner, key) {
      return selectKeyed.get(runner, key) as string | undefined;
    },
    saveRunKey(runner, key, runId) {
      insertKey.run(runner, key, runId);
    },
  };
  return repo;
}

function toRow(run: RunInfo): Record<(typeof RUN_COLUMNS)[number], unknown> {
  const createdUs = isoToMicros(run.created_at);
  if (!Number.isFinite(createdUs)) throw new RangeError(`run ${run.run_id}: created_at "${run.created_at}" is not ISO 8601`);
  return {
    run_id: run.run_id,
    module: run.module,
    args: JSON.stringify(run.args ?? []),
    status: run.status,
    pid: run.pid ?? null,
    exit_code: run.exit_code ?? null,
    signal: run.signal ?? null,
    created_at: run.created_at,
    created_us: createdUs,
    started_at: run.started_at ?? null,
    finished_at: run.finished_at ?? null,
    n_debug: run.counts?.DEBUG ?? 0,
    n_info: run.counts?.INFO ?? 0,
    n_warning: run.counts?.WARNING ?? 0,
    n_error: run.counts?.ERROR ?? 0,
    n_critical: run.counts?.CRITICAL ?? 0,
    total_lines: run.total_lines ?? 0,
    pipeline_status: run.pipeline_status ?? null,
    runner: run.runner ?? null,
  };
}

function toLayer(row: LayerRow): Layer {
  return {
    layer: row.layer,
    layer_name: row.layer_name,
    status: row.status,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: row.duration_ms,
    error: row.error,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    history: JSON.parse(row.history) as LayerTransition[],
  };
}
