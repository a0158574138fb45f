// <dataDir>/daemon.json: how the CLI finds a live daemon, and the lock that keeps two off one data dir.
import fs from 'node:fs';
import path from 'node:path';
import { SupervisorError } from '../errors.js';

/** The file's name inside the data dir. */
export const DAEMON_FILE = 'daemon.json';

/** Where the CLI finds a live daemon. */
export interface DaemonAddress {
  pid: number;
  host: string;
  port: number;
  url: string;
}

/** daemon.json as written (version: the file format). */
export interface DaemonFile extends DaemonAddress {
  started_at: string;
  version: 1;
}

/** The daemon named by <dataDir>/daemon.json, or undefined when there is none or its pid is dead. */
export function readDaemonFile(dataDir: string): DaemonAddress | undefined {
  const file = readRaw(dataDir);
  if (!file || !isPidAlive(file.pid)) return undefined;
  return { pid: file.pid, host: file.host, port: file.port, url: file.url };
}

/** Is a daemon up for this data dir (daemon.json names a live process)? */
export function isDaemonAlive(dataDir: string): boolean {
  return readDaemonFile(dataDir) !== undefined;
}

/** Before binding: refuse when daemon.json names another daemon that is up; remove a stale one. */
export async function clearStaleDaemonFile(dataDir: string): Promise<void> {
  const other = readRaw(dataDir);
  if (other && (await isOtherDaemonUp(other))) {
    throw new SupervisorError(
      'DAEMON_RUNNING',
      `a daemon (pid ${other.pid}) already serves ${dataDir} at ${other.url}: stop it (kill ${other.pid}) or let the CLI use it`,
    );
  }
  if (other) fs.rmSync(path.join(dataDir, DAEMON_FILE), { force: true });
}

/** After binding: write daemon.json for this process, exclusively (a daemon that got there first wins). */
export function claimDaemonFile(dataDir: string, address: Omit<DaemonAddress, 'pid'>): DaemonFile {
  const file = path.join(dataDir, DAEMON_FILE);
  const content: DaemonFile = { pid: process.pid, ...address, started_at: new Date().toISOString(), version: 1 };
  // Written whole to a private temp file, then hard-linked into place: the link appears atomically
  // (a reader never sees a half-written file) and fails if the name exists (two daemons, one winner).
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
    fs.linkSync(temp, file);
    return content;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const other = readRaw(dataDir);
    throw new SupervisorError(
      'DAEMON_RUNNING',
      `another daemon${other ? ` (pid ${other.pid}, ${other.url})` : ''} started on ${dataDir} at the same time; use that one`,
    );
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Remove daemon.json if it is still the one this daemon wrote. */
export function releaseDaemonFile(dataDir: string, mine: DaemonFile): void {
  const current = readRaw(dataDir);
  if (current && current.pid === mine.pid && current.url === mine.url && current.started_at === mine.started_at) {
    fs.rmSync(path.join(dataDir, DAEMON_FILE), { force: true });
  }
}

function readRaw(dataDir: string): DaemonFile | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(path.join(dataDir, DAEMON_FILE), 'utf8')) as Partial<DaemonFile>;
    if (!Number.isInteger(value.pid) || typeof value.url !== 'string') return undefined;
    return value as DaemonFile;
  } catch {
    return undefined;
  }
}

// The pid alone can lie: after a crash and a container restart the same pid may belong to someone else
// (or to us). Our own pid counts only if the file was written after this process started; another live
// pid counts unless its url refuses connections (a daemon writes daemon.json only once it listens).
async function isOtherDaemonUp(other: DaemonFile): Promise<boolean> {
  if (other.pid === process.pid) {
    const processStart = Date.now() - process.uptime() * 1000;
    return Date.parse(other.started_at) >= processStart - 1000;
  }
  if (!isPidAlive(other.pid)) return false;
  try {
    await fetch(new URL('/healthz', other.url), { signal: AbortSignal.timeout(2000) });
    return true;
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    return code !== 'ECONNREFUSED';
  }
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
