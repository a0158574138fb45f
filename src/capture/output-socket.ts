// A module's stdout and stderr as connected unix socket pairs whose read ends read into one reused buffer each.
//
// Node reads a pipe it made for a child (stdio 'pipe') into a new 64 KiB allocation per read, trims it to what came
// and wraps it in a Buffer and a stream chunk: for a module that prints fast, allocating, faulting in and collecting
// that memory cost ~100 ms of CPU per 86 MB read here, about what splitting its lines costs. A socket we connect
// ourselves reads into one buffer (net's `onread`), and the child gets the other end as it would get Node's own
// pipe (libuv makes those with socketpair() too). The pairs are made through a listening socket in a private (0700)
// directory that is removed as soon as they exist, so nothing else can connect in between. When any of it fails
// (a TMPDIR too long for a socket path, no room for the directory) the caller falls back to Node's pipes.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The bytes of one read: valid only during the call (the buffer is reused by the next read). */
export type OnBytes = (bytes: Buffer) => void;

export interface OutputSocket {
  /** the end the child writes to: give it to the child, then destroy it here (else the reader never sees EOF) */
  readonly childEnd: net.Socket;
  /** our end: a Readable that emits no data (reads go to the onBytes callback) and 'close' at EOF */
  readonly reader: net.Socket;
  /** where reads go from now on */
  setOnBytes(onBytes: OnBytes): void;
}

/** A module's two output streams. */
export interface OutputSockets {
  stdout: OutputSocket;
  stderr: OutputSocket;
  /** let both pairs go (for sockets that were never given to a child) */
  close(): void;
}

/** Bytes per read: what Node reads from its own pipes at most (120 KiB measured no better; 256 KiB worse, as each
 * chunk's text is then a large object of its own). */
const READ_BYTES = 64 * 1024;
/**
 * The longest socket path every unix takes (sun_path is 104 bytes on macOS, 108 on Linux, with its NUL). A longer
 * one is not refused but cut short, which would put the socket outside the private directory.
 */
const MAX_SOCKET_PATH_BYTES = 103;

/** Open the socket pairs for a module's stdout and stderr; undefined when they cannot be made (use pipes then). */
export async function openOutputSockets(): Promise<OutputSockets | undefined> {
  let dir: string | undefined;
  const server = net.createServer({ pauseOnConnect: true });
  const made: OutputSocket[] = [];
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
    const address = path.join(dir, 'out.sock');
    if (Buffer.byteLength(address) > MAX_SOCKET_PATH_BYTES) return undefined;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, resolve);
    });
    // one after the other, so each accepted end is known to be the one the reader just connected to
    made.push(await connectPair(server, address));
    made.push(await connectPair(server, address));
    const [stdout, stderr] = made as [OutputSocket, OutputSocket];
    return { stdout, stderr, close: () => closeAll(made) };
  } catch {
    closeAll(made);
    return undefined;
  } finally {
    server.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function connectPair(server: net.Server, address: string): Promise<OutputSocket> {
  let onBytes: OnBytes = () => {};
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const reader = net.connect({
    path: address,
    onread: {
      buffer: Buffer.allocUnsafe(READ_BYTES),
      callback: (nread: number, buffer: Uint8Array) => {
        onBytes((buffer as Buffer).subarray(0, nread));
        return true;
      },
    },
  });
  const failed = new Promise<never>((_, reject) => reader.once('error', reject));
  // accepted paused (pauseOnConnect): the child's end is only written by the child, never read here
  const childEnd = await Promise.race([accepted, failed]);
  // after the race, a socket error (a reader torn down early, a reset) ends in its close, which the run watches
  reader.on('error', () => {});
  childEnd.on('error', () => {});
  return {
    childEnd,
    reader,
    setOnBytes(next) {
      onBytes = next;
    },
  };
}

function closeAll(sockets: readonly OutputSocket[]): void {
  for (const { reader, childEnd } of sockets) {
    reader.destroy();
    childEnd.destroy();
  }
}

/** Output sockets opened ahead, for callers that must start a module at once (the daemon's run manager). */
export interface OutputSocketPool {
  /** a ready pair (then another is opened behind it), or undefined while none is ready: use pipes then */
  take(): OutputSockets | undefined;
  /** let the spare pair go; take() gives nothing afterwards */
  close(): void;
  /** resolves once the pair being opened is ready (true) or could not be made (false) */
  ready(): Promise<boolean>;
}

/** Keep one pair of output sockets ready. A spare pair holds no process open (its sockets are unref'd). */
export function createOutputSocketPool(): OutputSocketPool {
  let spare: OutputSockets | undefined;
  let opening: Promise<boolean> | undefined;
  let closed = false;
  const refill = () => {
    if (opening || closed || spare) return;
    opening = openOutputSockets().then((sockets) => {
      opening = undefined;
      if (closed) sockets?.close();
      // none could be made (every run then uses pipes): tried again at the next take()
      if (closed || !sockets) return false;
      for (const { reader, childEnd } of [sockets.stdout, sockets.stderr]) {
        reader.unref();
        childEnd.unref();
      }
      spare = sockets;
      return true;
    });
  };
  refill();
  return {
    take() {
      const taken = spare;
      spare = undefined;
      if (taken) for (const { reader } of [taken.stdout, taken.stderr]) reader.ref();
      refill();
      return taken;
    },
    close() {
      closed = true;
      spare?.close();
      spare = undefined;
    },
    ready() {
      return opening ?? Promise.resolve(spare !== undefined);
    },
  };
}
