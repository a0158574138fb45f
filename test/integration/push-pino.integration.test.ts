// The pino transport: a real pino app in a child process, one line of transport config, pushing to a real
// daemon. Levels map 10..60 → DEBUG..CRITICAL, msg → message, other fields (event, layer…) travel along, and
// closing at exit flushes and ends the run. Runs the built transport (dist/, made by `npm test`'s build).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord, RunInfo } from '../../src/types.js';
import { ROOT, checkSeqs, cleanupDaemons, startTestDaemon, type TestDaemon } from './helpers/daemon-harness.js';

const TRANSPORT = path.join(ROOT, 'dist/client/pino-transport.js');
let d: TestDaemon;

beforeAll(async () => {
  if (!fs.existsSync(TRANSPORT)) throw new Error(`${TRANSPORT} is missing: build first (npx tsc -p .)`);
  d = await startTestDaemon({ runners: { 'scraper-01': { apiKey: 'k1' } } });
});
afterAll(cleanupDaemons);

/** Run a pino app (an ES module body with `pino` imported) from the package root; resolves with its exit code. */
function runPinoApp(body: string): Promise<{ code: number | null; stderr: string }> {
  const source = `import { pino } from 'pino';\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`the pino app did not exit: ${stderr}`))), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

async function runOf(name: string): Promise<RunInfo> {
  const { body } = await d.json<{ runs: RunInfo[] }>(`/api/runs?runner=scraper-01&module=${name}`);
  expect(body.runs).toHaveLength(1);
  return body.runs[0]!;
}

const logsOf = async (runId: string) => (await d.json<{ logs: LogRecord[] }>(`/api/runs/${runId}/logs?after=0&limit=10000`)).body.logs;

describe('pino transport', () => {
  it('delivers real pino output and ends the run failed after a fatal entry (target: the built file)', async () => {
    const options = JSON.stringify({ url: d.url, apiKey: 'k1', name: 'pino-job', flushEvery: 25 });
    const result = await runPinoApp(`
      const logger = pino({ level: 'trace' }, pino.transport({ target: ${JSON.stringify(TRANSPORT)}, options: ${options} }));
      logger.trace('t');
      logger.debug('d');
      logger.info('hello');
      logger.warn({ sku: 'A1' }, 'slow page');
      logger.info({ event: 'layer_start', layer: 1, layer_name: 'fetch' });
      for (let i = 1; i <= 300; i++) logger.info({ i }, 'line ' + i);
      logger.info({ event: 'layer_complete', layer: 1, layer_name: 'fetch', duration_ms: 42 });
      logger.error(new Error('boom'), 'failed sku');
      logger.fatal('giving up');
    `);
    expect(result).toEqual({ code: 0, stderr: '' });
    const run = await runOf('pino-job');
    expect(run).toMatchObject({ status: 'failed', runner: 'scraper-01', total_lines: 308 });
    expect(run.layers).toMatchObject([{ layer: 1, layer_name: 'fetch', status: 'complete', duration_ms: 42 }]);
    const records = await logsOf(run.run_id);
    expect(checkSeqs(records, 308)).toBe('');
    expect(records.slice(0, 5).map((r) => [r.stream, r.level, r.message, r.event])).toEqual([
      ['push', 'DEBUG', 't', undefined],
      ['push', 'DEBUG', 'd', undefined],
      ['push', 'INFO', 'hello', undefined],
      ['push', 'WARNING', 'slow page', undefined],
      ['push', 'INFO', 'layer 1 fetch started', 'layer_start'],
    ]);
    expect(records[3]!.data).toMatchObject({ sku: 'A1', hostname: expect.any(String), pid: expect.any(Number) });
    expect(records.slice(5, 305).map((r) => r.message)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
    expect(records[306]).toMatchObject({ level: 'ERROR', message: 'failed sku', data: { err: { type: 'Error', message: 'boom' } } });
    expect(records[307]).toMatchObject({ level: 'CRITICAL', message: 'giving up' });
    // pino's own time is the entry's timestamp
    expect(Date.parse(records[0]!.data!.timestamp as string)).toBeLessThanOrEqual(Date.parse(records[0]!.timestamp));
  });

  it('resolves by package name and ends a clean run succeeded', async () => {
    const options = JSON.stringify({ url: d.url, apiKey: 'k1', name: 'pino-clean' });
    const result = await runPinoApp(`
      const logger = pino(pino.transport({ target: 'pipeline-supervisor/pino-transport', options: ${options} }));
      logger.info('only line');
      logger.debug('below the level: never sent');
    `);
    expect(result.code).toBe(0);
    const run = await runOf('pino-clean');
    expect(run).toMatchObject({ status: 'succeeded', total_lines: 1 });
    expect((await logsOf(run.run_id)).map((r) => r.message)).toEqual(['only line']);
  });
});
