// A module's output through our own socket pairs: every byte in order, EOF when the module is done, nothing left
// on disk, and no sockets at all (so Node's pipes) when they cannot be made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { launchModule } from '../../src/capture/launch-module.js';
import { createOutputSocketPool, openOutputSockets, type OutputSockets } from '../../src/capture/output-socket.js';
import { nodeModule } from './fixture-module.js';

let tmp: string;
let savedTmpdir: string | undefined;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'output-socket-test-'));
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const open = async (): Promise<OutputSockets> => {
  const sockets = await openOutputSockets();
  if (!sockets) throw new Error('could not open output sockets');
  return sockets;
};

describe('createOutputSocketPool', () => {
  const pipesKeepingAlive = () => process.getActiveResourcesInfo().filter((type) => type === 'PipeWrap').length;

  it('keeps one pair ready without holding the process open, and opens the next when it is taken', async () => {
    // first in this file: no socket of another test is still closing
    const before = pipesKeepingAlive();
    const pool = createOutputSocketPool();
    expect(await pool.ready()).toBe(true);
    // once the listening socket's close completes, nothing of the spare pair keeps the process alive
    await vi.waitFor(() => expect(pipesKeepingAlive()).toBe(before), { timeout: 2000 });
    const sockets = pool.take()!;
    expect(sockets).toBeDefined();
    // the next pair is opened behind it
    expect(await pool.ready()).toBe(true);
    const next = pool.take()!;
    expect(next).toBeDefined();
    expect(next).not.toBe(sockets);
    // taken pairs' readers keep the process alive until the module's output ends; the new spare's do not
    expect(await pool.ready()).toBe(true);
    await vi.waitFor(() => expect(pipesKeepingAlive()).toBe(before + 4), { timeout: 2000 });
    sockets.close();
    next.close();
    pool.close();
    expect(pool.take()).toBeUndefined();
  });

  it('gives none (pipes then) where sockets cannot be made', async () => {
    const deep = path.join(tmp, 'x'.repeat(120));
    fs.mkdirSync(deep);
    process.env.TMPDIR = deep;
    const pool = createOutputSocketPool();
    expect(await pool.ready()).toBe(false);
    expect(pool.take()).toBeUndefined();
    pool.close();
  });
});

describe('openOutputSockets', () => {
  it('carries both streams of a module byte for byte, and ends when it exits', async () => {
    const sockets = await open();
    // the listening socket and its private directory are gone once the pairs exist
    expect(fs.readdirSync(tmp)).toEqual([]);
    // every 7th line to stderr: both streams interleave, each must arrive whole and in order
    const launched = launchModule({ runId: 'run_x', moduleName: 'flood', module: nodeModule('flood.mjs', ['--lines', '20000', '--stderr-every', '7']), args: [], sockets });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    launched.process.read({ onStdout: (chunk) => out.push(Buffer.from(chunk)), onStderr: (chunk) => err.push(Buffer.from(chunk)) });
    expect(await launched.process.done).toMatchObject({ exitCode: 0, pipesAbandoned: false });
    const index = (line: string) => Number(/line (\d{6}) |"i":(\d+)/.exec(line)!.slice(1).find(Boolean));
    const outLines = Buffer.concat(out).toString('utf8').split('\n');
    const errLines = Buffer.concat(err).toString('utf8').split('\n');
    expect(outLines.pop()).toBe('');
    expect(errLines.pop()).toBe('');
    expect(errLines.map(index)).toEqual(Array.from({ length: 2857 }, (_, k) => 7 * k + 6));
    expect(outLines).toHaveLength(20_000 - 2857);
    expect(outLines.map(index).every((i, k, all) => i % 7 !== 6 && (k === 0 || i > all[k - 1]!))).toBe(true);
  });

  it('gives the module sockets for stdout and stderr, not its parent\'s streams', async () => {
    const sockets = await open();
    const script = "const fs = require('node:fs'); process.stdout.write(String(fs.fstatSync(1).isSocket() && fs.fstatSync(2).isSocket()));";
    const launched = launchModule({ runId: 'run_x', moduleName: 'probe', module: { ...nodeModule('flood.mjs'), args: ['-e', script] }, args: [], sockets });
    const out: Buffer[] = [];
    launched.process.read({ onStdout: (chunk) => out.push(Buffer.from(chunk)), onStderr: () => {} });
    expect(await launched.process.done).toMatchObject({ exitCode: 0 });
    expect(Buffer.concat(out).toString()).toBe('true');
  });

  it('ends the run after the grace when a grandchild keeps the sockets open', async () => {
    const sockets = await open();
    const module = nodeModule('hang.mjs', ['--grandchild', '--parent-exits', '--grandchild-ms', '20000']);
    const launched = launchModule({ runId: 'run_x', moduleName: 'orphan', module, args: [], sockets, pipeGraceMs: 200 });
    launched.process.read({ onStdout: () => {}, onStderr: () => {} });
    expect(await launched.process.done).toMatchObject({ exitCode: 0, pipesAbandoned: true });
    process.kill(-launched.process.pid!, 'SIGKILL');
  });

  it('takes an error on either socket of a made pair quietly: the run sees the reader close', async () => {
    const sockets = await open();
    // an 'error' nobody listens to would be an uncaught exception, failing this test run
    sockets.stderr.childEnd.destroy(new Error('broken pipe'));
    sockets.stdout.reader.destroy(new Error('connection reset'));
    await new Promise((resolve) => sockets.stdout.reader.once('close', resolve));
    expect(sockets.stdout.reader.destroyed).toBe(true);
    sockets.close();
  });

  it('lets an unused pair go', async () => {
    const sockets = await open();
    sockets.close();
    for (const { reader, childEnd } of [sockets.stdout, sockets.stderr]) {
      expect(reader.destroyed).toBe(true);
      expect(childEnd.destroyed).toBe(true);
    }
  });

  it('makes none where a socket path cannot be (the caller then uses pipes), leaving nothing behind', async () => {
    // a unix socket path holds at most ~107 bytes
    const deep = path.join(tmp, 'x'.repeat(120));
    fs.mkdirSync(deep);
    process.env.TMPDIR = deep;
    expect(await openOutputSockets()).toBeUndefined();
    expect(fs.readdirSync(deep)).toEqual([]);
  });
});
