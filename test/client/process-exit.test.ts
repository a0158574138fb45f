// The logger's clock never holds a runner's process open, but an awaited flush() is delivered even
// through retries. Real child processes running the built client (dist/, made by `npm test`'s build).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messagesOf, startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, 'dist/client/index.js');

beforeAll(() => {
  if (!fs.existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: build first (npx tsc -p .)`);
});

const fakes: FakeDaemon[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

/** Run an ES module body with RunLogger imported; resolves with its exit code and output. */
function runScript(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const source = `import { RunLogger } from ${JSON.stringify(CLIENT)};\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not exit: ${stdout} ${stderr}`));
    }, 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('RunLogger and the process lifetime', () => {
  it('does not keep a process alive for its flush timer', async () => {
    const fake = await startFakeDaemon();
    fakes.push(fake);
    const result = await runScript(`
      const logger = new RunLogger({ url: ${JSON.stringify(fake.url)}, apiKey: 'k', flushIntervalMs: 600000 });
      await logger.start();
      logger.info('buffered, never flushed');
      console.log('done');
    `);
    expect(result).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(fake.stored).toEqual([]);
  });

  it('keeps the process alive while an awaited flush() retries, and delivers', async () => {
    const fake = await startFakeDaemon();
    fakes.push(fake);
    fake.script.push({ status: 503 }, 'cut', { status: 500 });
    const result = await runScript(`
      const logger = new RunLogger({ url: ${JSON.stringify(fake.url)}, apiKey: 'k', retry: { baseMs: 100, maxMs: 200 } });
      await logger.start();
      logger.info('one');
      logger.info('two');
      await logger.flush();
      console.log(JSON.stringify(logger.stats()));
    `);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 2, retries: 3 });
    expect(messagesOf(fake.stored)).toEqual(['one', 'two']);
  });
});
