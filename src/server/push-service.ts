// What remote runners may do: register a run they execute, push batches of its logs, and finish it.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { _default, array, int, literal, maxLength, minLength, NEVER, nullable, number, object, optional, pipe, string, transform } from '../zod.js';
import type { Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import type { Run } from '../runs/run.js';
import type { RunManager } from '../runs/run-manager.js';
import type { Store } from '../store/index.js';
import type { ParsedLine, RunInfo, RunStatus } from '../types.js';
import { describeZodError } from './http-errors.js';
import { parseEntry, validateBatch } from './push-batch.js';
import { createClientSeqTable } from './push-client-seq.js';
import { createRunnerAuth } from './runner-auth.js';
import { createStalenessWatch } from './runner-staleness.js';

/** What the push side needs of the daemon. */
export interface PushDeps {
  config: Config;
  manager: RunManager;
  store: Store;
  logger: Logger;
  /** monotonic milliseconds for staleness (tests) */
  now?: () => number;
}

/** The answer to a pushed batch. */
export interface PushResult {
  /** entries stored by this request */
  accepted: number;
  /** entries at or below the run's highest client_seq: a resend, already stored */
  skipped: number;
  /** the run's last record seq after this batch */
  last_seq: number;
  /** the highest client_seq stored for the run (0 when none) */
  client_seq: number;
}

/** The three things a runner does, each checking its key first. */
export interface PushService {
  /** a new run (created), or the one a resend with the same Idempotency-Key registered before */
  register(headers: IncomingHttpHeaders, body: unknown): { run: RunInfo; created: boolean };
  push(headers: IncomingHttpHeaders, runId: string, body: unknown): PushResult;
  finish(headers: IncomingHttpHeaders, runId: string, body: unknown): RunInfo;
  /** watch the external runs a previous daemon left running, so silent runners still end as lost */
  armExternalRuns(): number;
  /** clear the staleness timers */
  close(): void;
}

const registerBody = object({
  external: literal(true),
  name: string({ error: 'expected string (what the runner runs, e.g. the job or scraper name)' }).check(
    minLength(1, { error: 'must not be empty' }),
    maxLength(200, { error: 'at most 200 characters' }),
  ),
  args: _default(array(string(), { error: 'expected an array of strings' }).check(maxLength(1000, { error: 'at most 1000 arguments' })), []),
});

// Idempotency-Key (the IETF httpapi draft's header): any visible ASCII, as a UUID or a random token is.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The registration's Idempotency-Key header, if sent; a malformed one is refused rather than ignored. */
function idempotencyKey(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['idempotency-key'];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !IDEMPOTENCY_KEY.test(key.trim())) {
    throw new SupervisorError('BAD_REQUEST', 'Idempotency-Key: expected 1 to 200 visible ASCII characters, e.g. a UUID');
  }
  return key.trim();
}

// "success"/"error" are what pipelines say (pipeline_complete); the run statuses are what we store.
const FINISH_STATUSES: Readonly<Record<string, RunStatus>> = {
  succeeded: 'succeeded',
  success: 'succeeded',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

const finishBody = object({
  status: pipe(
    string({ error: 'expected "succeeded", "failed" or "cancelled"' }),
    transform((value: string, ctx) => {
      const status = FINISH_STATUSES[value.trim().toLowerCase()];
      if (status) return status;
      ctx.issues.push({ code: 'custom', message: `expected "succeeded", "failed" or "cancelled", got ${JSON.stringify(value)}`, input: value });
      return NEVER;
    }),
  ),
  exit_code: optional(nullable(number({ error: 'expected an integer or null' }).check(int({ error: 'expected an integer' })))),
});

/** Build the runner-facing side of the engine. */
export function createPushService(deps: PushDeps): PushService {
  const { manager, store, logger } = deps;
  const auth = createRunnerAuth(deps.config.runners);
  const seqs = createClientSeqTable(store);
  const staleness = createStalenessWatch({ config: deps.config, manager, store, logger, now: deps.now });
  const followed = new WeakSet<Run>();

  // However a run ends (finish, cancel, lost), its table entry and timer go with it.
  const follow = (run: Run) => {
    if (followed.has(run)) return run;
    followed.add(run);
    const runId = run.info.run_id;
    void run.finished.then(() => {
      seqs.forget(runId);
      staleness.forget(runId);
    });
    return run;
  };

  // The run as its runner may see it: 404, 409 for a local run, 403 for another runner's.
  const ownedRun = (runner: string, runId: string): RunInfo => {
    const info = manager.active(runId)?.info ?? store.getRun(runId);
    if (!info) throw new SupervisorError('RUN_NOT_FOUND', `no run ${runId}; register one with POST /api/runs {"external": true, "name": "…"}`);
    auth.authorize(runner, info);
    return info;
  };

  const notRunning = (info: RunInfo) =>
    new SupervisorError('RUN_NOT_RUNNING', `run ${info.run_id} is ${info.status}, not running: it takes no more logs; register a new run`);

  const liveRun = (info: RunInfo): Run => {
    if (info.status !== 'running') throw notRunning(info);
    const run = manager.adoptExternal(info.run_id);
    if (!run || run.isFinal()) throw notRunning(run?.info ?? info);
    return follow(run);
  };

  return {
    register(headers, body) {
      const runner = auth.identify(headers);
      const parsed = registerBody.safeParse(body);
      if (!parsed.success) throw new SupervisorError('BAD_REQUEST', describeZodError(parsed.error));
      const key = idempotencyKey(headers);
      // A resend whose first answer was lost: the same run, however it stands now.
      const known = key === undefined ? undefined : store.runForKey(runner, key);
      const existing = known === undefined ? undefined : (manager.active(known)?.info ?? store.getRun(known));
      if (existing) return { run: existing, created: false };
      const run = follow(manager.registerExternal(runner, parsed.data.name, parsed.data.args));
      if (key !== undefined) store.saveRunKey(runner, key, run.info.run_id);
      seqs.start(run.info.run_id);
      staleness.touch(run.info.run_id, runner);
      logger.info({ runId: run.info.run_id, runner }, 'external run registered');
      return { run: run.info, created: true };
    },

    push(headers, runId, body) {
      const runner = auth.identify(headers);
      const run = liveRun(ownedRun(runner, runId));
      const entries = validateBatch(body);
      // All or nothing: every entry is parsed (pure, never throws) before the first is queued, then one commit.
      const highest = seqs.highest(runId);
      const fresh: ParsedLine[] = [];
      let top = highest;
      for (const entry of entries) {
        const clientSeq = entry.client_seq;
        if (clientSeq !== undefined) {
          if (clientSeq <= highest) continue;
          top = clientSeq;
        }
        fresh.push(parseEntry(entry));
      }
      for (const parsed of fresh) run.ingestParsed('push', parsed);
      run.commit();
      seqs.set(runId, top);
      staleness.touch(runId, runner);
      return { accepted: fresh.length, skipped: entries.length - fresh.length, last_seq: run.info.total_lines, client_seq: top };
    },

    finish(headers, runId, body) {
      const runner = auth.identify(headers);
      const info = ownedRun(runner, runId);
      const parsed = finishBody.safeParse(body ?? {});
      if (!parsed.success) throw new SupervisorError('BAD_REQUEST', describeZodError(parsed.error));
      const { status, exit_code } = parsed.data;
      // A resent finish (its response was lost) finds the run already ended the same way: answer as before.
      if (info.status === status) return info;
      const run = liveRun(info);
      run.transition(status, exit_code === undefined ? {} : { exit_code });
      staleness.forget(runId);
      seqs.forget(runId);
      logger.info({ runId, runner, status }, 'external run finished');
      return run.info;
    },

    armExternalRuns: () => staleness.armExternalRuns(),
    close: () => staleness.close(),
  };
}
