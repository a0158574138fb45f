// Launch a module in its own process group and report its bytes and its end; stop it group-wide.
import { execa } from 'execa';
import type { Readable } from 'node:stream';

export interface SpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** how long to wait for stdout/stderr to close after the process exits (a grandchild may hold them) */
  pipeGraceMs?: number;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  onSpawn(pid: number): void;
}

export interface ModuleExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** set when the process could not start at all */
  spawnError?: Error;
  /** true when the pipes were still open pipeGraceMs after exit and were let go */
  pipesAbandoned: boolean;
}

export interface ModuleProcess {
  readonly pid: number | undefined;
  /** resolves once the process has exited and both pipes closed (or the grace ran out) */
  readonly done: Promise<ModuleExit>;
  /** signal the whole process group; false when it is already gone */
  signal(signal: NodeJS.Signals): boolean;
}

/** Spawn a module detached into its own process group, streaming raw bytes, never buffering output. */
export function spawnModule(options: SpawnOptions): ModuleProcess {
  const child = execa(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    cleanup: false,
    windowsHide: true,
  });
  // execa's own promise is not how we learn of the end (it waits on pipes forever); keep it quiet.
  child.catch(() => {});

  const pipeGraceMs = options.pipeGraceMs ?? 2000;
  let exited = false;

  const done = new Promise<ModuleExit>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    let open = 2;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const settle = (pipesAbandoned: boolean) => {
      if (settled) return;
      settled = true;
      if (graceTimer) clearTimeout(graceTimer);
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, spawnError, pipesAbandoned });
    };
    const maybeDone = () => {
      if ((exit || spawnError) && open === 0) settle(false);
    };
    const watch = (stream: Readable | null | undefined, onData: (chunk: Buffer) => void) => {
      if (!stream) {
        open--;
        return;
      }
      stream.on('data', onData);
      stream.once('close', () => {
        open--;
        maybeDone();
      });
      stream.on('error', () => {});
    };

    watch(child.stdout as Readable, options.onStdout);
    watch(child.stderr as Readable, options.onStderr);

    child.once('spawn', () => {
      if (child.pid !== undefined) options.onSpawn(child.pid);
    });
    child.once('error', (error) => {
      if (exit) return;
      spawnError = error;
      exited = true;
      settle(false);
    });
    child.once('exit', (code, signal) => {
      exited = true;
      exit = { code, signal };
      maybeDone();
      if (!settled) {
        graceTimer = setTimeout(() => {
          (child.stdout as Readable | null)?.destroy();
          (child.stderr as Readable | null)?.destroy();
          settle(true);
        }, pipeGraceMs);
      }
    });
  });

  return {
    get pid() {
      return child.pid;
    },
    done,
    signal(signal) {
      return signalGroup(child.pid, signal, exited);
    },
  };
}

/** Signal a process group (negative pid); fall back to the leader alone if the group is gone. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals, leaderExited = false): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    if (leaderExited) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
