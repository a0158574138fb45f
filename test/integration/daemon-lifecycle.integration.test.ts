// The daemon's life: daemon.json, one daemon per data dir, crash recovery (runs left running become lost),
// retention at start, a clean stop, and a real `supervisor daemon` process killed with SIGKILL and restarted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../src/store/database-file.js';
import { createDaemon, isDaemonAlive, readDaemonFile } from '../../src/server/index.js';
import { createStore } from '../../src/store/index.js';
import { emptyCounts, type LogRecord, type RunInfo } from '../../src/types.js';
import {
  checkSeqs,
  cleanupDaemons,
  connectWs,
  fixture,
  readSse,
  ROOT,
  startTestDaemon,
  tempDir,
  testConfig,
  waitFor,
} from './helpers/daemon-harness.js';

afterAll(cleanupDaemons);

const silent = () => pino({ level: 'silent' });
const daemonJson = (dataDir: string) => path.join(dataDir, 'daemon.json');

function storedRun(runId: string, status: RunInfo['status'], createdAt: string): RunInfo {
  return {
    run_id: runId,
    module: 'fast',
    args: [],
    status,
    pid: null,
    exit_code: null,
    signal: null,
    created_at: createdAt,
    started_at: createdAt,
    finished_at: status === 'running' ? null : createdAt,
    counts: emptyCounts(),
    total_lines: 0,
    pipeline_status: null,
    runner: null,
    layers: [],
  };
}

describe('daemon.json', () => {
  it('is written after the port is bound, names this process, and is removed on close', async () => {
    const d = await startTestDaemon();
    const file = JSON.parse(fs.readFileSync(daemonJson(d.config.dataDir), 'utf8'));
    expect(file).toMatchObject({ pid: process.pid, host: '127.0.0.1', url: d.url, version: 1 });
    expect(file.port).toBe(Number(new URL(d.url).port));
    expect(Date.parse(file.started_at)).not.toBeNaN();
    expect(readDaemonFile(d.config.dataDir)).toEqual({ pid: process.pid, host: '127.0.0.1', port: file.port, url: d.url });
    expect(isDaemonAlive(d.config.dataDir)).toBe(true);
    await d.stop();
    expect(fs.existsSync(daemonJson(d.config.dataDir))).toBe(false);
    expect(readDaemonFile(d.config.dataDir)).toBeUndefined();
  });

  it('refuses a second daemon on the same data dir, naming the pid and url of the first', async () => {
    const d = await startTestDaemon();
    const second = createDaemon({ config: d.config, port: 0, logger: silent() });
    const error = await second.listen().then(() => undefined, (e: unknown) => e as Error & { code: string });
    await second.close();
    expect(error).toMatchObject({ code: 'DAEMON_RUNNING' });
    expect(error!.message).toContain(String(process.pid));
    expect(error!.message).toContain(d.url);
    // The refused daemon left the first one's file alone, and the first still serves.
    expect(readDaemonFile(d.config.dataDir)?.url).toBe(d.url);
    expect((await d.request('/healthz')).status).toBe(200);
  });

  it('replaces a stale daemon.json whose pid is dead', async () => {
    const config = testConfig();
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(daemonJson(config.dataDir), JSON.stringify({ pid: dead, host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1', started_at: new Date().toISOString(), version: 1 }));
    expect(readDaemonFile(config.dataDir)).toBeUndefined();
    const daemon = createDaemon({ config, port: 0, logger: silent() });
    const { url } = await daemon.listen();
    expect(readDaemonFile(config.dataDir)).toMatchObject({ pid: process.pid, url });
    await daemon.close();
  });
});

describe('start and stop', () => {
  it('marks runs a crashed daemon left running as lost, and prunes runs past retention', async () => {
    const config = testConfig({ retention: { days: 30 } });
    fs.mkdirSync(config.dataDir, { recursive: true });
    const store = createStore({ path: databasePath(config) });
    const recent = new Date(Date.now() - 60_000).toISOString();
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    store.insertRun(storedRun('run_20250101_000000_fast_aaaaaa', 'running', recent));
    store.insertRun(storedRun('run_20250101_000000_fast_bbbbbb', 'succeeded', old));
    store.insertRun(storedRun('run_20250101_000000_fast_cccccc', 'succeeded', recent));
    store.close();

    const daemon = createDaemon({ config, port: 0, logger: silent() });
    const { url } = await daemon.listen();
    try {
      const get = async (id: string) => {
        const response = await fetch(`${url}/api/runs/${id}`);
        return { status: response.status, body: (await response.json()) as RunInfo };
      };
      expect((await get('run_20250101_000000_fast_aaaaaa')).body).toMatchObject({ status: 'lost' });
      expect((await get('run_20250101_000000_fast_aaaaaa')).body.finished_at).not.toBeNull();
      expect((await get('run_20250101_000000_fast_bbbbbb')).status).toBe(404);
      expect((await get('run_20250101_000000_fast_cccccc')).body).toMatchObject({ status: 'succeeded' });
    } finally {
      await daemon.close();
    }
  });

  it('says which port is taken when it cannot bind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const daemon = createDaemon({ config: testConfig(), port, logger: silent() });
    try {
      const error = await daemon.listen().then(() => undefined, (e: unknown) => e as Error);
      expect(error).toMatchObject({ code: 'DAEMON_PORT_IN_USE' });
      expect(error!.message).toContain(String(port));
    } finally {
      await daemon.close();
      blocker.close();
    }
  });

  it('on close cancels running runs, closes WebSockets with 1001, ends SSE streams and flushes SQLite', async () => {
    const d = await startTestDaemon();
    const run = await d.startRun('hang');
    const probe = await connectWs(d.wsUrl);
    probe.send({ type: 'subscribe', run_id: run.run_id, after: 0 });
    await probe.next((f) => f.type === 'logs' && f.records.some((r: LogRecord) => r.message === 'ready'), 'ready');
    const closed = new Promise<number>((resolve) => probe.ws.once('close', (code) => resolve(code)));
    const sse = d.request(`/api/runs/${run.run_id}/logs/stream`).then((response) => readSse(response));
    await waitFor(() => d.daemon.context.sseStreams.size === 1 || undefined, 'the SSE stream to open');

    await d.stop();
    expect(await closed).toBe(1001);
    const complete = probe.frames.find((f) => f.type === 'complete');
    expect(complete).toMatchObject({ run_id: run.run_id, status: 'cancelled' });
    const events = await sse;
    expect(events.at(-1)).toMatchObject({ event: 'complete' });

    const store = createStore({ path: databasePath(d.config) });
    try {
      expect(store.getRun(run.run_id)).toMatchObject({ status: 'cancelled' });
      const stored = store.readLogs(run.run_id, { after: 0 }).logs;
      expect(stored.some((r) => r.message.includes('got SIGTERM'))).toBe(true);
      expect(checkSeqs(stored, stored.length)).toBe('');
    } finally {
      store.close();
    }
  });
});

describe('`supervisor daemon` as a process', () => {
  const built = fs.existsSync(path.join(ROOT, 'dist/server/index.js'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function startProcess(configFile: string, extra: string[] = []) {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/supervisor.js'), 'daemon', '--config', configFile, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1' },
    });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited, stderr: () => stderr };
  }

  it.skipIf(!built)('survives kill -9: the run becomes lost on restart and what was streamed is in SQLite', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const configFile = path.join(dir, 'supervisor.config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({ dataDir, daemon: { port: 0 }, modules: { slow: { command: 'node', args: [fixture('slow-lines.mjs')] } } }),
    );

    const first = startProcess(configFile);
    const address = await waitFor(() => readDaemonFile(dataDir), 'daemon.json of the first daemon', 20_000);
    expect(address.pid).toBe(first.child.pid);
    await waitFor(() => /supervisor daemon listening on http:\/\/127\.0\.0\.1:\d+ \(data: .+\)/.test(first.stderr()), 'the listening line');

    const response = await fetch(`${address.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ module: 'slow', args: ['--lines', '100000', '--rate', '200'] }),
    });
    const run = (await response.json()) as RunInfo;
    const probe = await connectWs(address.url.replace(/^http/, 'ws') + '/ws');
    probe.send({ type: 'subscribe', run_id: run.run_id, after: 0 });
    await probe.next((f) => f.type === 'logs' && f.records.at(-1).seq >= 20, 'twenty records');
    const streamed = probe.records(run.run_id).at(-1)!.seq;
    // Forty more lines (200 ms at 200 lines/s) prove the daemon kept running well past a 50 ms flush.
    await probe.next((f) => f.type === 'logs' && f.records.at(-1).seq >= streamed + 40, 'forty more records');
    first.child.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    await probe.close();
    expect(fs.existsSync(path.join(dataDir, 'daemon.json'))).toBe(true); // stale now

    const second = startProcess(configFile);
    const again = await waitFor(() => {
      const file = readDaemonFile(dataDir);
      return file && file.pid === second.child.pid ? file : undefined;
    }, 'daemon.json of the restarted daemon', 20_000);
    const info = (await (await fetch(`${again.url}/api/runs/${run.run_id}`)).json()) as RunInfo;
    expect(info.status).toBe('lost');
    const page = (await (await fetch(`${again.url}/api/runs/${run.run_id}/logs?after=0&limit=10000`)).json()) as { logs: LogRecord[] };
    expect(page.logs.length).toBeGreaterThanOrEqual(streamed);
    expect(checkSeqs(page.logs, page.logs.length)).toBe('');

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'daemon.json'))).toBe(false);
    expect(second.stderr()).toContain('supervisor daemon stopping (SIGTERM)');
  });

  it.skipIf(!built)('with --wait-on-stop lets a running run finish before it exits', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const configFile = path.join(dir, 'supervisor.config.json');
    fs.writeFileSync(configFile, JSON.stringify({ dataDir, daemon: { port: 0 }, modules: { slow: { command: 'node', args: [fixture('slow-lines.mjs')] } } }));
    const daemon = startProcess(configFile, ['--wait-on-stop']);
    const address = await waitFor(() => readDaemonFile(dataDir), 'daemon.json', 20_000);
    const run = (await (
      await fetch(`${address.url}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ module: 'slow', args: ['--lines', '30', '--rate', '40'] }),
      })
    ).json()) as RunInfo;
    await waitFor(async () => {
      const page = (await (await fetch(`${address.url}/api/runs/${run.run_id}/logs`)).json()) as { logs: LogRecord[] };
      return page.logs.length > 0;
    }, 'the first line');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(daemon.stderr()).toContain('waiting for running runs to finish');
    const store = createStore({ path: path.join(dataDir, 'supervisor.db') });
    try {
      expect(store.getRun(run.run_id)).toMatchObject({ status: 'succeeded', total_lines: 30 });
    } finally {
      store.close();
    }
  });

  it.skipIf(!built)('stops on SIGTERM: cancels its runs, removes daemon.json, exits 0', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const configFile = path.join(dir, 'supervisor.config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({ dataDir, daemon: { port: 0 }, modules: { hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '50'], killGrace: '2s' } } }),
    );
    const daemon = startProcess(configFile);
    const address = await waitFor(() => readDaemonFile(dataDir), 'daemon.json', 20_000);
    const run = (await (
      await fetch(`${address.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"module":"hang"}' })
    ).json()) as RunInfo;
    await waitFor(async () => {
      const page = (await (await fetch(`${address.url}/api/runs/${run.run_id}/logs`)).json()) as { logs: LogRecord[] };
      return page.logs.some((r) => r.message === 'ready');
    }, 'the run to be ready');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'daemon.json'))).toBe(false);
    const store = createStore({ path: path.join(dataDir, 'supervisor.db') });
    try {
      expect(store.getRun(run.run_id)).toMatchObject({ status: 'cancelled' });
    } finally {
      store.close();
    }
  });
});
