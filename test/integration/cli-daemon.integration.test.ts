// The CLI as the daemon's client: the same commands, the same output, through HTTP and WebSocket.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDaemonFile } from '../../src/server/daemon-file.js';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { createSandbox, exited, fixture, printed, waitFor, type Sandbox } from './helpers/cli.js';

let box: Sandbox;
let daemon: ChildProcess;
let url: string;

beforeAll(async () => {
  box = createSandbox({
    daemon: { port: 0 },
    modules: {
      demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '5'] },
      hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '50'], killGrace: '2s' },
    },
  });
  daemon = box.spawnCli(['daemon']);
  url = await waitFor(() => readDaemonFile(box.dataDir)?.url, 'daemon.json');
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const done = exited(daemon);
    daemon.kill('SIGTERM');
    await done;
  }
  box?.remove();
});

const ndjson = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogRecord);

describe('supervisor CLI with a daemon up', () => {
  it('status says the daemon is up', async () => {
    const result = await box.cli(['status', '--json']);
    const status = JSON.parse(result.stdout) as { pid: number };
    expect(status).toMatchObject({ mode: 'daemon', where: url });
    expect(status.pid).toBe(daemon.pid);
    const text = await box.cli(['status']);
    expect(text.stdout).toContain(`daemon: up at ${url} (pid ${daemon.pid})`);
  });

  it('run goes through the daemon, streams every record and exits with the module code', async () => {
    const result = await box.cli(['run', 'demo', '--json']);
    expect(result.code).toBe(1);
    const records = ndjson(result.stdout);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const run = JSON.parse((await box.cli(['show', 'latest', '--json'])).stdout) as RunInfo;
    expect(run.total_lines).toBe(records.length);
    expect(run.layers.map((l) => l.status)).toEqual(['complete', 'complete', 'error', 'skipped', 'complete']);
    const viaApi = (await (await fetch(`${url}/api/runs/${run.run_id}`)).json()) as RunInfo;
    expect(viaApi.run_id).toBe(run.run_id);
  });

  it('runs, show and logs read the same data as embedded mode would', async () => {
    const viaDaemon = await box.cli(['logs', 'latest:demo', '--json']);
    const embedded = await box.cli(['logs', 'latest:demo', '--json'], { env: { SUPERVISOR_EMBEDDED: '1' } });
    expect(viaDaemon.stdout).toBe(embedded.stdout);
    const runs = await box.cli(['runs', '--json']);
    const runsEmbedded = await box.cli(['runs', '--json'], { env: { SUPERVISOR_EMBEDDED: '1' } });
    expect(JSON.parse(runs.stdout)).toEqual(JSON.parse(runsEmbedded.stdout));
  });

  it('--detach returns the run id; logs -f follows it; cancel stops it', async () => {
    const detached = await box.cli(['run', 'hang', '--detach']);
    expect(detached.code).toBe(0);
    const runId = detached.stdout.trim();
    expect(runId).toMatch(/^run_\d{8}_\d{6}_hang_[0-9a-z]{6}$/);
    const follower = box.spawnCli(['logs', runId, '-f']);
    const followed = exited(follower);
    await printed(follower, /tick 2/);
    const cancel = await box.cli(['cancel', runId]);
    expect(cancel.code).toBe(0);
    const result = await followed;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/got SIGTERM/);
    const run = JSON.parse((await box.cli(['show', runId, '--json'])).stdout) as RunInfo;
    expect(run.status).toBe('cancelled');
  });

  it('Ctrl-C on run cancels the run in the daemon', async () => {
    const child = box.spawnCli(['run', 'hang']);
    const done = exited(child);
    await printed(child, /tick 1/);
    child.kill('SIGINT');
    expect((await done).code).toBe(130);
    const run = JSON.parse((await box.cli(['show', 'latest:hang', '--json'])).stdout) as RunInfo;
    expect(run.status).toBe('cancelled');
  });
});
