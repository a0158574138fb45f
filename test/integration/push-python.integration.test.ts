// A Python runner (the standard logging module + src/client/python/supervisor_logging.py) against a real
// daemon: every record once and in order with its level, extra fields and traceback, layers moved by
// events, the run finished at interpreter exit (failed after a CRITICAL), and a bad key reported, not raised.
import { execFile, spawn } from 'node:child_process';
import readline from 'node:readline';
import { pino } from 'pino';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDaemon, type Daemon } from '../../src/server/index.js';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { checkSeqs, cleanupDaemons, freePort, startTestDaemon, testConfig } from './helpers/daemon-harness.js';

const RUNNER = path.resolve(import.meta.dirname, '../../fixtures/runners/python-push-runner.py');
const RUNNERS = { 'py-01': { apiKey: 'py-key' } };
afterAll(cleanupDaemons);

function runPython(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('python3', [RUNNER, ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The runner in stdin mode: ask() sends one command and resolves with its answer line. */
function driveRunner(url: string, env: Record<string, string> = {}) {
  const child = spawn('python3', [RUNNER, url, 'py-key', 'stdin'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const answers = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask(command: string): Promise<string> {
      child.stdin.write(`${command}\n`);
      const answer = await answers.next();
      if (answer.done) throw new Error(`the runner exited before answering ${command}: ${stderr}`);
      return answer.value as string;
    },
    kill: () => child.kill(),
  };
}

async function logsOf(url: string, runId: string): Promise<LogRecord[]> {
  const response = await fetch(`${url}/api/runs/${runId}/logs?after=0&limit=10000`);
  return ((await response.json()) as { logs: LogRecord[] }).logs;
}

describe('a Python runner with SupervisorHandler', () => {
  it('pushes every record once, in order, with levels, extra fields and the traceback; exit finishes the run', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const result = await runPython([d.url, 'py-key', 'normal']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const runId = result.stdout.trim();
    const run = (await d.json<RunInfo>(`/api/runs/${runId}`)).body;
    expect(run).toMatchObject({ module: 'py-scrape', args: ['normal'], runner: 'py-01', status: 'succeeded', total_lines: 205 });
    expect(run.layers).toMatchObject([{ layer: 1, layer_name: 'fetch', status: 'complete', duration_ms: 1500 }]);

    const records = await logsOf(d.url, runId);
    expect(checkSeqs(records, 205)).toBe('');
    expect(records.every((r) => r.stream === 'push')).toBe(true);
    expect(records.map((r) => (r.data as { client_seq: number }).client_seq)).toEqual(Array.from({ length: 205 }, (_, i) => i + 1));
    expect(records[0]).toMatchObject({ event: 'layer_start', level: 'INFO' });
    expect(records[1]).toMatchObject({ level: 'INFO', message: 'sku 1: found data', data: { sku: 'sku-0001', price: 12.99, logger: 'scraper' } });
    expect((records[1]!.data as { timestamp: string }).timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(records[200]!.message).toBe('sku 200: found data');
    expect(records[201]).toMatchObject({ level: 'WARNING', message: 'No SKUs on page 3' });
    expect(records[202]!.level).toBe('ERROR');
    expect(records[202]!.message).toMatch(/^parse failed on page 4\nTraceback \(most recent call last\):[\s\S]*ZeroDivisionError: division by zero$/);
    expect(records[203]).toMatchObject({ level: 'DEBUG', message: "détails: ünïcode ✓ and an object {'a': 1}" });
    expect((records[203]!.data as { odd: string }).odd).toMatch(/^<object object at 0x[0-9a-f]+>$/);
    expect(records[204]).toMatchObject({ event: 'layer_complete', data: { duration_ms: 1500 } });
  });

  it('ends the run failed at exit after a CRITICAL record, and as told when the runner calls finish()', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const critical = await runPython([d.url, 'py-key', 'critical']);
    expect(critical.code).toBe(0);
    const failed = (await d.json<RunInfo>(`/api/runs/${critical.stdout.trim()}`)).body;
    expect(failed).toMatchObject({ status: 'failed', total_lines: 206 });
    expect(failed.counts.CRITICAL).toBe(1);

    const told = await runPython([d.url, 'py-key', 'finish']);
    expect(told.code).toBe(0);
    expect((await d.json<RunInfo>(`/api/runs/${told.stdout.trim()}`)).body).toMatchObject({ status: 'failed', exit_code: 3, total_lines: 205 });
  });

  it('cuts a message too long for any batch, says how much, and sends the rest', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const result = await runPython([d.url, 'py-key', 'long']);
    expect(result.stderr).toBe('');
    const records = await logsOf(d.url, result.stdout.trim());
    expect(records.map((r) => r.message.length)).toEqual([100_000 + '… [200000 characters cut]'.length, 'after the long one'.length]);
    expect(records[0]!.message.endsWith('x… [200000 characters cut]')).toBe(true);
  });

  it('reports a refused key on stderr and lets the program run on and exit normally', async () => {
    const d = await startTestDaemon({ runners: RUNNERS });
    const result = await runPython([d.url, 'wrong-key', 'normal']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^pipeline-supervisor: the daemon refused a batch of \d+ entries \(HTTP 401: .*BAD_API_KEY/m);
    expect(result.stdout.trim()).toBe('None'); // no run was ever registered
    const runs = (await d.json<{ runs: RunInfo[] }>('/api/runs')).body.runs;
    expect(runs).toEqual([]);
  });

  it('exits within flush_timeout when no daemon ever answers, saying what was not delivered', async () => {
    const port = await freePort(); // nothing listens there
    // A program that hung on its log handler would be killed at runPython's 30 s and not exit 0.
    const result = await runPython([`http://127.0.0.1:${port}`, 'py-key', 'normal'], { FLUSH_TIMEOUT: '1' });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('None');
    expect(result.stderr).toMatch(/pipeline-supervisor: \d+ log entries were not delivered: the daemon at http:\/\/127\.0\.0\.1:\d+ did not answer in time/);
  });

  it('keeps at most max_buffered entries while no daemon answers, and says how many it dropped', async () => {
    const config = testConfig({ runners: RUNNERS });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const runner = driveRunner(url, { MAX_BUFFERED: '50' });
    let daemon: Daemon | undefined;
    try {
      daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
      await daemon.listen();
      expect(await runner.ask('log 1 5 flush')).toBe('flushed'); // the run exists
      await daemon.close();
      expect(await runner.ask('log 6 300 retry')).toBe('retrying');
      daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
      await daemon.listen();
      const [runId] = (await runner.ask('finish')).split(' ');
      const records = await logsOf(url, runId!);
      // Every entry is accounted for, in order: sent (m<k>), or counted by a notice in its place. Under load
      // the sender may take a batch between two rounds of dropping, so there can be more than one notice.
      let next = 1;
      let notices = 0;
      for (const record of records) {
        const dropped = /^(\d+) log entries were dropped: the daemon was unreachable and the buffer full$/.exec(record.message);
        if (dropped) {
          expect(record.level).toBe('WARNING');
          next += Number(dropped[1]);
          notices++;
        } else {
          expect(record.message).toBe(`m${next}`);
          next++;
        }
      }
      expect(next).toBe(301);
      expect(notices).toBeGreaterThan(0);
      expect(records.slice(-50).map((r) => r.message)).toEqual(Array.from({ length: 50 }, (_, i) => `m${251 + i}`)); // the newest 50 kept
      expect(checkSeqs(records, records.length)).toBe('');
    } finally {
      runner.kill();
      await daemon?.close();
    }
  });

  it('loses nothing and repeats nothing across a daemon restart: it retries until the next daemon answers', async () => {
    const config = testConfig({ runners: RUNNERS });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async (): Promise<Daemon> => {
      const daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port });
      await daemon.listen();
      return daemon;
    };
    let daemon = await start();
    const runner = driveRunner(url);
    const ask = runner.ask;
    try {
      expect(await ask('log 1 100 flush')).toBe('flushed');
      expect(await ask('log 101 200')).toBe('logged'); // some of these are on their way as the daemon stops
      await daemon.close();
      expect(await ask('log 201 300 retry')).toBe('retrying'); // logged while no daemon listens: sent, refused, retried
      daemon = await start();
      expect(await ask('log 301 400 flush')).toBe('flushed');
      const [runId, retries] = (await ask('finish')).split(' ');
      expect(Number(retries)).toBeGreaterThan(0); // it did meet the daemon gone
      const run = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as RunInfo;
      expect(run).toMatchObject({ status: 'succeeded', exit_code: 0, runner: 'py-01', total_lines: 400 });
      const records = await logsOf(url, runId);
      expect(checkSeqs(records, 400)).toBe('');
      expect(records.map((r) => r.message)).toEqual(Array.from({ length: 400 }, (_, i) => `m${i + 1}`));
    } finally {
      runner.kill();
      await daemon.close();
    }
  });
});
