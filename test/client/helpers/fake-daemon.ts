// A tiny daemon on 127.0.0.1:0 that the test steers: it stores pushed entries (skipping client_seqs it has,
// as the real one does) and can fail, hang, refuse, or store-then-cut the next requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/** What the server does with one request. */
export type Behaviour =
  | 'ok'
  /** store the batch, then cut the connection: the client never hears the answer */
  | 'store-then-cut'
  /** cut the connection without storing */
  | 'cut'
  /** never answer */
  | 'hang'
  | { status: number; code?: string; retryAfter?: string };

export interface StoredEntry extends Record<string, unknown> {
  client_seq?: number;
}

export interface FakeDaemon {
  url: string;
  port: number;
  /** every entry stored, in order, over all runs */
  stored: StoredEntry[];
  /** every request received (path, raw body) */
  requests: { path: string; body: string }[];
  /** behaviours for the next requests to …/logs (shifted one per request; then `fallback`) */
  script: Behaviour[];
  fallback: Behaviour;
  /** the highest client_seq stored (what the daemon answers as client_seq) */
  highest: number;
  finished: { runId: string; body: Record<string, unknown> }[];
  /** resolves when `predicate` holds after some request (checked after each one) */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Start the fake on an ephemeral port. */
export async function startFakeDaemon(): Promise<FakeDaemon> {
  const sockets = new Set<Socket>();
  const watchers: { predicate: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      if (watcher.predicate()) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  };
  let runs = 0;

  const fake: FakeDaemon = {
    url: '',
    port: 0,
    stored: [],
    requests: [],
    script: [],
    fallback: 'ok',
    highest: 0,
    finished: [],
    until(predicate, what, timeoutMs = 10_000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const watcher = { predicate, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          watchers.splice(watchers.indexOf(watcher), 1);
          reject(new Error(`fake daemon: timed out waiting for ${what}`));
        }, timeoutMs);
        watchers.push(watcher);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      fake.requests.push({ path, body });
      try {
        if (path === '/api/runs') {
          runs++;
          send(res, 201, { run_id: `run_fake_${runs}`, status: 'running', runner: 'fake' });
          return;
        }
        const finish = /^\/api\/runs\/([^/]+)\/finish$/.exec(path);
        if (finish) {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          fake.finished.push({ runId: decodeURIComponent(finish[1]!), body: parsed });
          send(res, 200, { run_id: decodeURIComponent(finish[1]!), status: parsed.status, exit_code: parsed.exit_code ?? null });
          return;
        }
        if (!/^\/api\/runs\/[^/]+\/logs$/.test(path)) return send(res, 404, { error: { code: 'NOT_FOUND', message: path } });
        const behaviour = fake.script.length > 0 ? fake.script.shift()! : fake.fallback;
        if (behaviour === 'hang') return;
        if (behaviour === 'cut') return void req.socket.destroy();
        if (typeof behaviour === 'object') {
          const headers: Record<string, string> = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {};
          return send(res, behaviour.status, { error: { code: behaviour.code ?? `HTTP_${behaviour.status}`, message: 'scripted failure' } }, headers);
        }
        const logs = (JSON.parse(body) as { logs: StoredEntry[] }).logs;
        let accepted = 0;
        for (const entry of logs) {
          if (typeof entry.client_seq === 'number') {
            if (entry.client_seq <= fake.highest) continue;
            fake.highest = entry.client_seq;
          }
          fake.stored.push(entry);
          accepted++;
        }
        if (behaviour === 'store-then-cut') return void req.socket.destroy();
        send(res, 200, { accepted, skipped: logs.length - accepted, last_seq: fake.stored.length, client_seq: fake.highest });
      } finally {
        setImmediate(check);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}

/** The messages of stored entries, in order. */
export const messagesOf = (entries: StoredEntry[]) => entries.map((entry) => entry.message);

/** The client_seqs of stored entries strictly increase? '' when they do, else the first problem. */
export function checkIncreasing(entries: StoredEntry[]): string {
  for (let i = 1; i < entries.length; i++) {
    if (!((entries[i]!.client_seq ?? 0) > (entries[i - 1]!.client_seq ?? 0))) {
      return `entry ${i} has client_seq ${entries[i]!.client_seq} after ${entries[i - 1]!.client_seq}`;
    }
  }
  return '';
}
