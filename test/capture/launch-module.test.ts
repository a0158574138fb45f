// A module launched before anything reads it (the CLI starts it while the engine loads): its output is held, and
// none of it is lost, whenever the reading starts. Over Node's pipes and over our output sockets alike.
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { launchModule, type LaunchOptions } from '../../src/capture/launch-module.js';
import { openOutputSockets } from '../../src/capture/output-socket.js';
import { nodeModule } from './fixture-module.js';

/** Resolve once the process is gone (or a zombie): it wrote all it will write. Bounded, for a process that hangs. */
async function exitedUnread(pid: number): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    if (stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await delay(10);
  }
  throw new Error(`process ${pid} did not exit within 10 s`);
}

const collect = (launched: ReturnType<typeof launchModule>) => {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  // a chunk is only valid during the call (a socket reuses its buffer): keep copies
  launched.process.read({ onStdout: (chunk) => out.push(Buffer.from(chunk)), onStderr: (chunk) => err.push(Buffer.from(chunk)) });
  return { stdout: () => Buffer.concat(out).toString('utf8'), stderr: () => Buffer.concat(err).toString('utf8') };
};

const TRANSPORTS = [
  ['pipes', async (options: LaunchOptions) => launchModule(options)],
  [
    'sockets',
    async (options: LaunchOptions) => {
      const sockets = await openOutputSockets();
      if (!sockets) throw new Error('could not open output sockets');
      return launchModule({ ...options, sockets });
    },
  ],
] as const;

describe.skipIf(!fs.existsSync('/proc/self/stat')).each(TRANSPORTS)('launchModule over %s', (_, launch) => {
  it('keeps what a module printed before anyone read it, after it exited, past the pipe grace', async () => {
    const launched = await launch({ runId: 'run_x', moduleName: 'flood', module: nodeModule('flood.mjs', ['--lines', '300']), args: [], pipeGraceMs: 50 });
    expect(launched.process.pid).toBeGreaterThan(0);
    await exitedUnread(launched.process.pid!);
    // Longer than the grace: counted from the exit, it would have cut the unread pipes off.
    await delay(150);
    const output = collect(launched);
    const exit = await launched.process.done;
    expect(exit).toMatchObject({ exitCode: 0, signal: null, pipesAbandoned: false });
    const lines = output.stdout().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(300);
    expect(lines[299]).toMatch(/line 000299 /);
  });

  it('holds a bounded amount unread: past it the module waits for the reader, losing nothing', async () => {
    // ~2.6 MB: more than the hold (1 MiB) and the pipes take together.
    const launched = await launch({ runId: 'run_x', moduleName: 'flood', module: nodeModule('flood.mjs', ['--lines', '30000']), args: [] });
    const pid = launched.process.pid!;
    const written = () => Number(/^wchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
    for (let waited = 0; written() < 1 << 20; waited += 10) {
      if (waited > 10_000) throw new Error('the module did not write 1 MiB within 10 s');
      await delay(10);
    }
    // Given time to write the rest, it cannot: it is blocked on a full pipe, not exited.
    await delay(300);
    expect(written()).toBeLessThan(2 << 20);
    expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).not.toMatch(/\) Z /);
    const output = collect(launched);
    expect(await launched.process.done).toMatchObject({ exitCode: 0, pipesAbandoned: false });
    const lines = output.stdout().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(30_000);
  });

  it('gives the module the run environment over the supervisor and module env', async () => {
    const launched = await launch({
      runId: 'run_20260101_000000_env_abcdef',
      moduleName: 'env',
      module: { ...nodeModule('echo-env.mjs', ['fixed']), env: { SUPERVISOR_RUN_ID: 'from-config' } },
      args: ['extra'],
      baseEnv: { PATH: process.env.PATH, SUPERVISOR_MODULE: 'from-parent' },
    });
    const output = collect(launched);
    expect(await launched.process.done).toMatchObject({ exitCode: 0 });
    const seen = JSON.parse(output.stdout()) as Record<string, unknown>;
    expect(seen).toMatchObject({ run_id: 'run_20260101_000000_env_abcdef', module: 'env', pythonunbuffered: '1', args: ['fixed', 'extra'] });
    // its own process group, so a cancel reaches everything it started
    expect(seen.pgid).toBe(launched.process.pid);
  });

  it('refuses a second reader', async () => {
    const launched = await launch({ runId: 'run_x', moduleName: 'flood', module: nodeModule('flood.mjs', ['--lines', '1']), args: [] });
    collect(launched);
    expect(() => collect(launched)).toThrow(/read\(\) called twice/);
    await launched.process.done;
  });
});
