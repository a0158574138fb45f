// daemon.json: claimed exclusively, read only while its process lives, released only by its writer.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDaemonFile, clearStaleDaemonFile, readDaemonFile, releaseDaemonFile } from '../../src/server/daemon-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-file-'));
  dirs.push(dir);
  return dir;
};
const address = { host: '127.0.0.1', port: 1234, url: 'http://127.0.0.1:1234' };

describe('daemon.json', () => {
  it('is claimed once: a second claim, or a start while this process holds it, is refused', async () => {
    const dir = tempDir();
    const mine = claimDaemonFile(dir, address);
    expect(mine).toMatchObject({ pid: process.pid, version: 1, ...address });
    expect(readDaemonFile(dir)).toEqual({ pid: process.pid, ...address });
    expect(() => claimDaemonFile(dir, { ...address, port: 99 })).toThrow(expect.objectContaining({ code: 'DAEMON_RUNNING' }));
    await expect(clearStaleDaemonFile(dir)).rejects.toMatchObject({ code: 'DAEMON_RUNNING' });
    releaseDaemonFile(dir, mine);
    expect(fs.existsSync(path.join(dir, 'daemon.json'))).toBe(false);
  });

  it('removes a file from a dead pid, or from this pid before this process started, as stale', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'daemon.json');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(file, JSON.stringify({ pid: dead, ...address, started_at: new Date().toISOString(), version: 1 }));
    expect(readDaemonFile(dir)).toBeUndefined();
    await clearStaleDaemonFile(dir);
    expect(fs.existsSync(file)).toBe(false);

    // A container restart can hand the same pid to the next daemon: a file older than this process is not ours.
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, ...address, started_at: '2001-01-01T00:00:00Z', version: 1 }));
    await clearStaleDaemonFile(dir);
    expect(claimDaemonFile(dir, address).pid).toBe(process.pid);
  });

  it('is released only by the daemon that wrote it', async () => {
    const dir = tempDir();
    const mine = claimDaemonFile(dir, address);
    releaseDaemonFile(dir, { ...mine, started_at: '2001-01-01T00:00:00Z' });
    expect(fs.existsSync(path.join(dir, 'daemon.json'))).toBe(true);
    expect(readDaemonFile(path.join(dir, 'missing'))).toBeUndefined();
  });

  it('appears whole: a reader in another process never sees it half-written, and no temp file is left', async () => {
    const dir = tempDir();
    // Reads the file in a tight loop until its stdin closes; prints reads that parsed and reads that did not.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let whole = 0, torn = 0, open = true;
         process.stdin.on('end', () => { open = false; }).resume();
         const spin = () => {
           for (let i = 0; i < 2000; i++) {
             let text; try { text = fs.readFileSync(process.argv[1], 'utf8'); } catch { continue; }
             try { JSON.parse(text); whole++; } catch { torn++; }
           }
           if (open) setImmediate(spin); else console.log(JSON.stringify({ whole, torn }));
         };
         console.log('ready'); spin();`,
        path.join(dir, 'daemon.json'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let output = '';
    reader.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    await new Promise<void>((resolve) => reader.stdout.on('data', () => output.includes('ready') && resolve()));
    for (let i = 0; i < 300; i++) releaseDaemonFile(dir, claimDaemonFile(dir, address));
    const mine = claimDaemonFile(dir, address);
    reader.stdin.end();
    await once(reader, 'close');
    const { whole, torn } = JSON.parse(output.slice(output.indexOf('{'))) as { whole: number; torn: number };
    expect(torn).toBe(0);
    expect(whole).toBeGreaterThan(0);
    expect(fs.readdirSync(dir)).toEqual(['daemon.json']);
    releaseDaemonFile(dir, mine);
  });
});
