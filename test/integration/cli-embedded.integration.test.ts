// The CLI with no daemon: runs execute in-process, queries read SQLite directly.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { emptyCounts, type LogRecord, type RunInfo } from '../../src/types.js';
import { createSandbox, exited, fixture, printed, ROOT, waitFor, type Sandbox } from './helpers/cli.js';

// Every module of the sandbox config (the unknown-module message lists them).
const MODULES = {
  demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--fast'], description: 'demo' },
  python: { command: 'python3', args: [fixture('python-logging.py')] },
  crash: { command: 'node', args: [fixture('crash.mjs')] },
  hang: { command: 'node', args: [fixture('hang.mjs')], killGrace: '3s' },
  stubborn: { command: 'node', args: [fixture('hang.mjs'), '--ignore-term'], killGrace: '300ms' },
  slow: { command: 'node', args: [fixture('hang.mjs')], timeout: '700ms', killGrace: '2s' },
  odd: { command: 'node', args: [fixture('odd-output.mjs')] },
  env: { command: 'node', args: [fixture('echo-env.mjs'), 'fixed'], env: { EXTRA: 'yes' } },
  flood: { command: 'node', args: [fixture('flood.mjs')] },
  missing: { command: 'definitely-not-a-command-xyz' },
};

let box: Sandbox;

beforeAll(() => {
  box = createSandbox({ modules: MODULES });
});
afterAll(() => box?.remove());

const readCmdline = (pid: string) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
const json = <T>(text: string): T => JSON.parse(text) as T;
const ndjson = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogRecord);

describe('supervisor run (embedded)', () => {
  it('runs the demo pipeline, exits with its code and records its layers', async () => {
    const result = await box.cli(['run', 'demo']);
    expect(result.code).toBe(1); // the demo ends partial: layer 3 fails
    expect(result.stdout).toContain('layer 1');
    expect(result.stderr).toMatch(/run_\d{8}_\d{6}_demo_[0-9a-z]{6}/);

    const run = json<RunInfo>((await box.cli(['show', 'latest', '--json'])).stdout);
    expect(run).toMatchObject({ module: 'demo', status: 'failed', exit_code: 1, pipeline_status: 'partial' });
    expect(run.layers.map((l) => [l.layer, l.status])).toEqual([
      [1, 'complete'],
      [2, 'complete'],
      [3, 'error'],
      [4, 'skipped'],
      [5, 'complete'],
    ]);
    expect(run.layers[2]!.error).toBeTruthy();
    expect(run.counts.ERROR).toBeGreaterThan(0);
    for (const key of ['run_id', 'module', 'args', 'status', 'pid', 'exit_code', 'signal', 'created_at', 'started_at', 'finished_at', 'counts', 'layers']) {
      expect(run).toHaveProperty(key);
    }

    const shown = await box.cli(['show', run.run_id]);
    expect(shown.stdout).toMatch(/LAYER\s+NAME\s+STATUS/);
    expect(shown.stdout).toContain('skipped');
  });

  it('prints NDJSON records with the design field names and gap-free seqs', async () => {
    const result = await box.cli(['run', 'demo', '--json']);
    const records = ndjson(result.stdout);
    expect(records.length).toBeGreaterThan(10);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const timestamps = records.map((r) => r.timestamp);
    expect([...timestamps].sort()).toEqual(timestamps);
    expect(new Set(timestamps).size).toBe(timestamps.length);
    for (const r of records) expect(r.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const event = records.find((r) => r.event === 'layer_error')!;
    expect(event).toMatchObject({ level: 'ERROR', stream: 'stdout' });
    expect(event.data).toMatchObject({ event: 'layer_error', layer: 3 });
  });

  it('keeps Python logging levels, stderr defaults and tracebacks', async () => {
    const result = await box.cli(['run', 'python', '--json']);
    expect(result.code).toBe(0);
    const records = ndjson(result.stdout);
    const warning = records.find((r) => r.message.startsWith('WARNING:root:'))!;
    expect(warning).toMatchObject({ level: 'WARNING', stream: 'stderr' });
    expect(records.some((r) => r.stream === 'stderr' && r.level === 'ERROR')).toBe(true);
    expect(records.some((r) => r.stream === 'stdout' && r.level === 'DEBUG')).toBe(true);
  });

  it('passes the run id, module and extra args to the child', async () => {
    const result = await box.cli(['run', 'env', '--json', '--', '--extra', 'two']);
    expect(result.code).toBe(0);
    const line = ndjson(result.stdout).find((r) => r.data && 'run_id' in r.data)!;
    const run = json<RunInfo>((await box.cli(['show', 'latest:env', '--json'])).stdout);
    expect(line.data).toMatchObject({ run_id: run.run_id, module: 'env', pythonunbuffered: '1' });
    expect((line.data as { args: string[] }).args).toEqual(['fixed', '--extra', 'two']);
    expect(run.args).toEqual(['--extra', 'two']);
  });

  it('fails a crashing module with its exit code and keeps the stack trace as ERROR', async () => {
    const result = await box.cli(['run', 'crash', '--json']);
    expect(result.code).toBe(1);
    const records = ndjson(result.stdout);
    expect(records.some((r) => r.stream === 'stderr' && r.level === 'ERROR' && /Error/.test(r.message))).toBe(true);
    const run = json<RunInfo>((await box.cli(['show', 'latest:crash', '--json'])).stdout);
    expect(run.status).toBe('failed');
    const bySignal = await box.cli(['run', 'crash', '--quiet', '--', '--signal', 'SIGKILL']);
    expect(bySignal.code).toBe(137);
    const killed = json<RunInfo>((await box.cli(['show', 'latest:crash', '--json'])).stdout);
    expect(killed).toMatchObject({ status: 'failed', signal: 'SIGKILL', exit_code: null });
  });

  it('times out a module that runs too long: SIGTERM to its group, status timed_out', async () => {
    const result = await box.cli(['run', 'slow', '--json']);
    expect(result.code).toBe(124);
    const run = json<RunInfo>((await box.cli(['show', 'latest:slow', '--json'])).stdout);
    expect(run.status).toBe('timed_out');
    expect(ndjson(result.stdout).some((r) => /SIGTERM/.test(r.message))).toBe(true);
  });

  it('cancels on Ctrl-C, escalating to SIGKILL for a child that ignores SIGTERM', async () => {
    const child = box.spawnCli(['run', 'stubborn']);
    const done = exited(child);
    await printed(child, /ignoring SIGTERM|started/i);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    const run = json<RunInfo>((await box.cli(['show', 'latest:stubborn', '--json'])).stdout);
    expect(run).toMatchObject({ status: 'cancelled', signal: 'SIGKILL' });
  });

  it('cancels a run owned by another process with `supervisor cancel`', async () => {
    const child = box.spawnCli(['run', 'hang']);
    const done = exited(child);
    await printed(child, /started/i);
    const run = json<RunInfo>((await box.cli(['show', 'latest:hang', '--json'])).stdout);
    expect(run.status).toBe('running');
    const cancel = await box.cli(['cancel', run.run_id]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(run.run_id);
    expect((await done).code).toBe(130);
    const after = json<RunInfo>((await box.cli(['show', run.run_id, '--json'])).stdout);
    expect(after.status).toBe('cancelled');
    const again = await box.cli(['cancel', run.run_id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/cancelled, not running/);
  });

  it('--detach with no daemon: prints the run id once the run exists, a background supervisor owns it', async () => {
    const detached = await box.cli(['run', 'hang', '--detach']);
    expect(detached.code).toBe(0);
    const runId = detached.stdout.trim();
    expect(runId).toMatch(/^run_\d{8}_\d{6}_hang_[0-9a-z]{6}$/);
    // the id names a run at once; its owner records the module's lines
    await waitFor(async () => {
      const logs = await box.cli(['logs', runId, '--json']);
      return logs.code === 0 && ndjson(logs.stdout).some((r) => /started/.test(r.message));
    }, `the first line of ${runId}`);
    expect(json<RunInfo>((await box.cli(['show', runId, '--json'])).stdout).status).toBe('running');
    expect((await box.cli(['cancel', runId])).code).toBe(0);
    const ended = await waitFor(async () => {
      const run = json<RunInfo>((await box.cli(['show', runId, '--json'])).stdout);
      return run.status === 'running' ? undefined : run;
    }, `${runId} to end`);
    expect(ended.status).toBe('cancelled');
  });

  it('follows a run in another process with logs -f until it ends, every line once', async () => {
    const child = box.spawnCli(['run', 'flood', '--quiet', '--', '--lines', '20000']);
    const done = exited(child);
    const run = await waitFor(async () => {
      const list = json<RunInfo[]>((await box.cli(['runs', '--module', 'flood', '--json'])).stdout);
      return list.find((r) => r.status === 'running' || r.status === 'succeeded');
    }, 'the flood run to start');
    const follow = await box.cli(['logs', run.run_id, '-f', '--json']);
    expect((await done).code).toBe(0);
    const seqs = ndjson(follow.stdout).map((r) => r.seq);
    expect(seqs.length).toBe(20000);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('reads back from the (compressed) store exactly the text lines the module printed', async () => {
    const printedLines = execFileSync(process.execPath, [fixture('flood.mjs'), '--lines', '6000', '--noisy', '1'], { encoding: 'utf8' })
      .trimEnd()
      .split('\n');
    const result = await box.cli(['run', 'flood', '--quiet', '--', '--lines', '6000', '--noisy', '1']);
    expect(result.code).toBe(0);
    // --quiet: not a record printed, only the summary (on stderr)
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/succeeded \(exit 0\) in .* · 6000 lines/);
    const stored = ndjson((await box.cli(['logs', 'latest:flood', '-n', '6000', '--json'])).stdout);
    expect(stored.map((r) => r.seq)).toEqual(printedLines.map((_, i) => i + 1));
    // text lines are stored as printed; JSON event lines become events with the line's fields as data
    printedLines.forEach((line, i) => {
      if (line.startsWith('{')) expect(stored[i]!.data).toEqual(JSON.parse(line));
      else expect(stored[i]!.message).toBe(line);
    });
  });

  it('keeps long lines in pieces, the last line, bad bytes and progress bars', async () => {
    const result = await box.cli(['run', 'odd', '--json']);
    expect(result.code).toBe(0);
    const records = ndjson(result.stdout);
    expect(records.filter((r) => r.continued).length).toBeGreaterThanOrEqual(3);
    expect(records.every((r) => Buffer.byteLength(r.message) <= 65536)).toBe(true);
    expect(records[records.length - 1]!.message).toBe('last line without newline');
    expect(records.some((r) => r.message.includes('\uFFFD'))).toBe(true);
    expect(records.some((r) => r.message === 'progress 100%')).toBe(true);
    expect(records.every((r) => !r.message.includes('\r') && !r.message.includes('\x1b'))).toBe(true);
  });

  it('reports a command that cannot start as a failed run with the reason', async () => {
    const result = await box.cli(['run', 'missing', '--json']);
    expect(result.code).toBe(1);
    expect(ndjson(result.stdout).some((r) => /could not start/.test(r.message))).toBe(true);
  });
});

describe('supervisor runs / logs / show / modules / prune', () => {
  it('lists runs newest first with filters, as a table or JSON', async () => {
    const all = json<RunInfo[]>((await box.cli(['runs', '--json', '--limit', '100'])).stdout);
    expect(all.length).toBeGreaterThan(3);
    const created = all.map((r) => r.created_at);
    expect([...created].sort().reverse()).toEqual(created);
    const demos = json<RunInfo[]>((await box.cli(['runs', '--module', 'demo', '--json'])).stdout);
    expect(demos.every((r) => r.module === 'demo')).toBe(true);
    const failed = json<RunInfo[]>((await box.cli(['runs', '--status', 'failed', '--json'])).stdout);
    expect(failed.every((r) => r.status === 'failed')).toBe(true);
    expect(json<RunInfo[]>((await box.cli(['runs', '--limit', '1', '--json'])).stdout)).toHaveLength(1);
    expect(json<RunInfo[]>((await box.cli(['runs', '-n', '2', '--json'])).stdout)).toHaveLength(2); // as `logs -n`
    const table = await box.cli(['runs']);
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN ID\s+MODULE\s+STATUS/);
    expect(table.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colours
  });

  it('filters logs by minimum level, stream, text, count and cursor', async () => {
    const all = ndjson((await box.cli(['logs', 'latest:demo', '--json'])).stdout);
    expect(all.length).toBeGreaterThan(10);
    const warnings = ndjson((await box.cli(['logs', 'latest:demo', '--level', 'warning', '--json'])).stdout);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((r) => ['WARNING', 'ERROR', 'CRITICAL'].includes(r.level))).toBe(true);
    const stderr = ndjson((await box.cli(['logs', 'latest:demo', '--stream', 'stderr', '--json'])).stdout);
    expect(stderr.every((r) => r.stream === 'stderr')).toBe(true);
    const grep = ndjson((await box.cli(['logs', 'latest:demo', '--grep', 'LAYER 3', '--json'])).stdout);
    expect(grep.length).toBeGreaterThan(0);
    expect(grep.every((r) => r.message.toLowerCase().includes('layer 3'))).toBe(true);
    const last3 = ndjson((await box.cli(['logs', 'latest:demo', '-n', '3', '--json'])).stdout);
    expect(last3.map((r) => r.seq)).toEqual(all.slice(-3).map((r) => r.seq));
    const after = ndjson((await box.cli(['logs', 'latest:demo', '--after', '5', '--json'])).stdout);
    expect(after[0]!.seq).toBe(6);
    const since = ndjson((await box.cli(['logs', 'latest:demo', '--since', all[4]!.timestamp, '--json'])).stdout);
    expect(since[0]!.seq).toBe(6);
    const text = await box.cli(['logs', 'latest:demo', '-n', '2']);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('lists modules from the config', async () => {
    const modules = json<{ name: string }[]>((await box.cli(['modules', '--json'])).stdout);
    expect(modules.map((m) => m.name)).toContain('demo');
    expect((await box.cli(['modules'])).stdout).toMatch(/^MODULE\s+COMMAND/);
  });

  it('accepts --config after the command arguments', async () => {
    const result = await box.cli(['show', 'latest:demo', '--json', '--config', box.configFile], { cwd: '/' });
    expect(result.code).toBe(0);
    expect(json<RunInfo>(result.stdout).module).toBe('demo');
  });

  it('prunes old runs', async () => {
    const kept = await box.cli(['prune', '--older-than', '30d']);
    expect(kept.stdout).toMatch(/deleted 0 runs/);
    const before = json<RunInfo[]>((await box.cli(['runs', '--module', 'crash', '--json', '--limit', '100'])).stdout).length;
    expect(before).toBeGreaterThan(0);
    const pruned = await box.cli(['prune', '--older-than', '0s', '--json']);
    expect(json<{ deleted: number }>(pruned.stdout).deleted).toBeGreaterThan(0);
    expect(json<RunInfo[]>((await box.cli(['runs', '--json'])).stdout)).toEqual([]);
  });

  it('applies retention.days after a run when no daemon does, at most once a day', async () => {
    const own = createSandbox({ retention: { days: 30 }, modules: { quick: { command: 'node', args: [fixture('flood.mjs'), '--lines', '3'] } } });
    const addOldRun = (runId: string) => {
      const store = createStore({ path: path.join(own.dataDir, 'supervisor.db') });
      const created = new Date(Date.now() - 40 * 86_400_000).toISOString().replace('Z', '000Z');
      store.insertRun({
        run_id: runId, module: 'quick', args: [], status: 'succeeded', pid: null, exit_code: 0, signal: null,
        created_at: created, started_at: created, finished_at: created, counts: emptyCounts(), total_lines: 0,
        pipeline_status: null, runner: null, layers: [],
      });
      store.close();
    };
    const runIds = async () => json<RunInfo[]>((await own.cli(['runs', '--json'])).stdout).map((r) => r.run_id);
    try {
      addOldRun('run_20250101_000000_quick_old001');
      expect(await runIds()).toContain('run_20250101_000000_quick_old001');
      expect((await own.cli(['run', 'quick', '--quiet'])).code).toBe(0);
      const afterFirst = await runIds();
      expect(afterFirst).toHaveLength(1);
      expect(afterFirst[0]).toMatch(/_quick_/);
      // pruned already today: the next run leaves an old run alone
      addOldRun('run_20250101_000000_quick_old002');
      expect((await own.cli(['run', 'quick', '--quiet'])).code).toBe(0);
      expect(await runIds()).toContain('run_20250101_000000_quick_old002');
    } finally {
      own.remove();
    }
  });
});

describe('errors a user meets', () => {
  it('an unknown module: one line, exit 1, no stack', async () => {
    const result = await box.cli(['run', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown module "nope"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a name that only an object prototype knows is an unknown module too', async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const result = await box.cli(['run', name]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`supervisor: unknown module "${name}" (configured: ${Object.keys(MODULES).join(', ')})`);
    }
  });

  it('a store that cannot be opened: a clear error, and the module never starts', async () => {
    const marker = path.join(box.dir, 'module-started');
    const newer = createSandbox({ modules: { mark: { command: 'touch', args: [marker] } } });
    try {
      fs.mkdirSync(newer.dataDir, { recursive: true });
      const db = new Database(path.join(newer.dataDir, 'supervisor.db'));
      db.pragma('user_version = 999');
      db.close();
      const result = await newer.cli(['run', 'mark']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/newer than this supervisor's/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      newer.remove();
    }
  });

  it('a store that looks fine but fails to open: a clear error, and the module it started is killed at once', async () => {
    const token = `corrupt-store-${process.pid}-${Date.now()}`;
    const broken = createSandbox({ modules: { quick: { command: 'true' }, long: { command: 'node', args: [fixture('hang.mjs'), token] } } });
    try {
      expect((await broken.cli(['run', 'quick'])).code).toBe(0);
      // The header (magic, schema version) stays intact; the pages behind it do not.
      const file = path.join(broken.dataDir, 'supervisor.db');
      for (const extra of ['-wal', '-shm']) fs.rmSync(file + extra, { force: true });
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(3000, 0x41), 0, 3000, 100);
      fs.closeSync(fd);
      const result = await broken.cli(['run', 'long']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/cannot open the store .*malformed/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      // Killed, not left running: no live process has the token on its command line (a zombie has none).
      const alive = fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && readCmdline(pid).includes(token));
      expect(alive).toEqual([]);
    } finally {
      broken.remove();
    }
  });

  it('an unknown run id: exit 1', async () => {
    const result = await box.cli(['logs', 'run_20000101_000000_x_abcdef']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no run matches/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await box.cli([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
  });

  it('usage mistakes: exit 2', async () => {
    expect((await box.cli(['logs', 'latest', '--level', 'LOUD'])).code).toBe(2);
    expect((await box.cli(['frobnicate'])).code).toBe(2);
    expect((await box.cli(['run'])).code).toBe(2);
  });

  it('a bad config names the problem by its JSON path', async () => {
    const bad = createSandbox({ modules: { demo: { command: 5 } } });
    try {
      const result = await bad.cli(['runs']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('$.modules.demo.command');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      bad.remove();
    }
  });
});
