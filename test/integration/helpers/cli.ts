// Run the real `supervisor` binary against a temp config and data dir.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin/supervisor.js');
export const fixture = (name: string) => path.join(ROOT, 'fixtures/modules', name);

export interface Sandbox {
  dir: string;
  configFile: string;
  dataDir: string;
  cli(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<CliResult>;
  spawnCli(args: string[], options?: { env?: NodeJS.ProcessEnv }): ChildProcess;
  remove(): void;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp folder with a supervisor.config.json built from `config` (dataDir defaults inside it). */
export function createSandbox(config: Record<string, unknown>): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-cli-'));
  const configFile = path.join(dir, 'supervisor.config.json');
  const dataDir = path.join(dir, 'data');
  fs.writeFileSync(configFile, JSON.stringify({ dataDir, ...config }, null, 2));
  const baseEnv = { ...process.env, NO_COLOR: '1', SUPERVISOR_CONFIG: '', SUPERVISOR_EMBEDDED: '' };
  return {
    dir,
    configFile,
    dataDir,
    cli(args, options = {}) {
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { cwd: options.cwd ?? dir, env: { ...baseEnv, ...options.env }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    spawnCli(args, options = {}) {
      return spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...baseEnv, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { waitFor };

/** Resolve with the exit code of a spawned process, and its output. */
export function exited(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

/** Resolve once a spawned process has printed text matching `pattern` on stdout or stderr. */
export function printed(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; saw:\n${seen}`)), timeoutMs);
    const check = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
  });
}
