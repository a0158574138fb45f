// Launch a module in its own process group and report its bytes and its end; stop it group-wide.
import { execa } from 'execa';
import type { Readable } from 'node:stream';
import type { OutputSockets } from './output-socket.js';

export interface SpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** how long to wait for stdout/stderr to close after the process exits (a grandchild may hold them) */
  pipeGraceMs?: number;
  /** the module's stdout and stderr (openOutputSockets); without them, Node's own pipes */
  sockets?: OutputSockets;
}

/** Where a module's bytes go: a chunk is valid only during the call (its buffer may be reused after). */
export interface OutputHandlers {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
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
  /**
   * Start taking its output (once), what it printed so far first. Until then its output is held (up to a bound,
   * then the module waits): so a module can start while the engine that will read it is still loading.
   */
  read(handlers: OutputHandlers): void;
}

/** Output held for a module that is not read yet before its pipes pause (it then waits for the reader). */
const HOLD_BYTES = 1 << 20;

/** Spawn a module detached into its own process group, streaming raw bytes (held, up to a bound, until read()). */
export function spawnModule(options: SpawnOptions): ModuleProcess {
  const { sockets } = options;
  const child = execa(options.command, options.args, {
    ...(sockets && { stdout: sockets.stdout.childEnd, stderr: sockets.stderr.childEnd }),
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
  // Output before read() is held here, not left in the pipes: Node resumes the unread pipes of a process that
  // exits (and execa those nobody reads), dropping what they held. Past HOLD_BYTES the pipes pause, so the module
  // waits for the reader; what an exit then flushes still comes here.
  // With sockets, the child has its copies of their ends now: ours must go, or the readers never see EOF.
  sockets?.stdout.childEnd.destroy();
  sockets?.stderr.childEnd.destroy();
  const stdout: Readable | null = sockets ? sockets.stdout.reader : child.stdout;
  const stderr: Readable | null = sockets ? sockets.stderr.reader : child.stderr;
  const held: { stream: 'stdout' | 'stderr'; chunk: Buffer }[] = [];
  let heldBytes = 0;
  const hold = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    // a socket's read buffer is reused by its next read: what is held is copied
    held.push({ stream, chunk: sockets ? Buffer.from(chunk) : chunk });
    heldBytes += chunk.length;
    if (heldBytes >= HOLD_BYTES) {
      stdout?.pause();
      stderr?.pause();
    }
  };
  let onStdout: (chunk: Buffer) => void = hold('stdout');
  let onStderr: (chunk: Buffer) => void = hold('stderr');
  if (sockets) {
    sockets.stdout.setOnBytes((chunk) => onStdout(chunk));
    sockets.stderr.setOnBytes((chunk) => onStderr(chunk));
  } else {
    stdout?.on('data', (chunk: Buffer) => onStdout(chunk));
    stderr?.on('data', (chunk: Buffer) => onStderr(chunk));
  }

  const pipeGraceMs = options.pipeGraceMs ?? 2000;
  let exited = false;
  let startReading!: (handlers: OutputHandlers) => void;
  let read = false;

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
    const watch = (stream: Readable | null | undefined) => {
      if (!stream) {
        open--;
        return;
      }
      stream.once('close', () => {
        open--;
        maybeDone();
      });
      stream.on('error', () => {});
    };
    watch(stdout);
    watch(stderr);
    const startGrace = () => {
      if (settled || graceTimer) return;
      graceTimer = setTimeout(() => {
        stdout?.destroy();
        stderr?.destroy();
        settle(true);
      }, pipeGraceMs);
    };
    startReading = (handlers) => {
      for (const { stream, chunk } of held) (stream === 'stdout' ? handlers.onStdout : handlers.onStderr)(chunk);
      held.length = 0;
      ({ onStdout, onStderr } = handlers);
      stdout?.resume();
      stderr?.resume();
      // The grace for pipes a grandchild holds counts from when they are read, not from the exit.
      if (exit) startGrace();
    };

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
      if (read) startGrace();
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
    read(handlers) {
      if (read) throw new Error('spawnModule: read() called twice');
      read = true;
      startReading(handlers);
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
