// A real daemon on 127.0.0.1:0 in a temp data dir, with small clients for HTTP, WebSocket and SSE.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import WebSocket from 'ws';
import { validateConfig, type Config } from '../../../src/config/index.js';
import { createDaemon, type Daemon, type DaemonOptions } from '../../../src/server/index.js';
import type { LogRecord, RunInfo } from '../../../src/types.js';
import { waitFor } from './wait-for.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const fixture = (name: string) => path.join(ROOT, 'fixtures/modules', name);

/** The fixture modules most tests use; `node <fixture> …`. */
export const MODULES = {
  demo: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--delay-ms', '20'] },
  fast: { command: 'node', args: [fixture('demo-pipeline.mjs'), '--fast'] },
  flood: { command: 'node', args: [fixture('flood.mjs')] },
  slow: { command: 'node', args: [fixture('slow-lines.mjs')] },
  hang: { command: 'node', args: [fixture('hang.mjs'), '--interval-ms', '50'], killGrace: '2s' },
  crash: { command: 'node', args: [fixture('crash.mjs')] },
};

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  wsUrl: string;
  config: Config;
  dir: string;
  /** fetch relative to the daemon, with the token when one is configured (pass auth: false to omit it) */
  request(route: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  json<T = unknown>(route: string, init?: RequestInit & { auth?: boolean }): Promise<{ status: number; body: T }>;
  startRun(module: string, args?: string[]): Promise<RunInfo>;
  /** poll GET /api/runs/:id until the run is final (bounded) */
  finished(runId: string, timeoutMs?: number): Promise<RunInfo>;
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Stop every daemon and remove every temp dir made by this file's tests. */
export async function cleanupDaemons(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** A fresh temp dir, removed by cleanupDaemons. */
export function tempDir(prefix = 'sup-daemon-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A validated config in a temp data dir. */
export function testConfig(raw: Record<string, unknown> = {}, dir = tempDir()): Config {
  return validateConfig({ modules: MODULES, ...raw, dataDir: path.join(dir, 'data') }, path.join(dir, 'supervisor.config.json'), {});
}

/** Create and listen a daemon on port 0; stopped by cleanupDaemons. */
export async function startTestDaemon(
  raw: Record<string, unknown> = {},
  options: Partial<Omit<DaemonOptions, 'config'>> = {},
): Promise<TestDaemon> {
  const dir = tempDir();
  const config = testConfig(raw, dir);
  const daemon = createDaemon({ logger: pino({ level: 'silent' }), pipeGraceMs: 500, ...options, config, port: 0 });
  const { url } = await daemon.listen();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await daemon.close({ cancelRuns: true });
  };
  cleanups.push(stop);
  const token = config.daemon.token;
  const request = (route: string, init: RequestInit & { auth?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    if (token && init.auth !== false && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return fetch(new URL(route, url), { ...init, headers });
  };
  const json = async <T>(route: string, init?: RequestInit & { auth?: boolean }) => {
    const response = await request(route, init);
    return { status: response.status, body: (await response.json()) as T };
  };
  const td: TestDaemon = {
    daemon,
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/ws',
    config,
    dir,
    request,
    json,
    async startRun(module, args = []) {
      const { status, body } = await json<RunInfo>('/api/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ module, args }),
      });
      if (status !== 201) throw new Error(`POST /api/runs → ${status} ${JSON.stringify(body)}`);
      return body;
    },
    async finished(runId, timeoutMs = 20_000) {
      return waitFor(async () => {
        const { body } = await json<RunInfo>(`/api/runs/${runId}`);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      }, `run ${runId} to finish`, timeoutMs);
    },
    stop,
  };
  return td;
}

export { waitFor };

export type Frame = Record<string, any> & { type: string };

/** A WebSocket client that keeps every frame and lets a test await the next one that matches. */
export interface WsProbe {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  /** the first frame after those earlier calls took that matches; rejects after timeoutMs */
  next(match: (frame: Frame) => boolean, what: string, timeoutMs?: number): Promise<Frame>;
  /** records of `logs` frames for a run, in arrival order */
  records(runId: string): LogRecord[];
  close(): Promise<void>;
}

/** Connect to /ws; resolves once open (rejects with the HTTP status when the upgrade is refused). */
export function connectWs(url: string, options: WebSocket.ClientOptions = {}): Promise<WsProbe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const frames: Frame[] = [];
    const waiters: { match: (f: Frame) => boolean; resolve: (index: number) => void }[] = [];
    let cursor = 0; // frames before this index were taken by earlier next() calls
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      const index = frames.push(frame) - 1;
      const waiter = waiters.find((w) => w.match(frame));
      if (waiter) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(index);
      }
    });
    ws.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })));
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve({
        ws,
        frames,
        send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        next(match, what, timeoutMs = 15_000) {
          const found = frames.findIndex((f, i) => i >= cursor && match(f));
          if (found >= 0) {
            cursor = found + 1;
            return Promise.resolve(frames[found]!);
          }
          return new Promise((res, rej) => {
            const waiter = {
              match,
              resolve: (index: number) => {
                clearTimeout(timer);
                cursor = index + 1;
                res(frames[index]!);
              },
            };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rej(new Error(`timed out waiting for ${what}; last frames: ${JSON.stringify(frames.slice(-3)).slice(0, 600)}`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        records: (runId) => frames.filter((f) => f.type === 'logs' && f.run_id === runId).flatMap((f) => f.records as LogRecord[]),
        close: () =>
          new Promise<void>((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      });
    });
  });
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Read an SSE response with a raw stream reader until `until` says stop or the stream ends or breaks (bounded). */
export async function readSse(
  response: Response,
  options: { until?: (event: SseEvent, all: SseEvent[]) => boolean; timeoutMs?: number; onComment?: (text: string) => void } = {},
): Promise<SseEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  const timer = setTimeout(() => reader.cancel(new Error('SSE read timed out')).catch(() => {}), options.timeoutMs ?? 20_000);
  try {
    for (;;) {
      // A stream the daemon cut short ends the read with what arrived whole.
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = { event: 'message', data: '' };
        let isEvent = false;
        let comment: string | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) options.onComment?.((comment = line.slice(1).trim()));
          else if (line.startsWith('event: ')) (event.event = line.slice(7)), (isEvent = true);
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) (event.data += line.slice(6)), (isEvent = true);
        }
        if (isEvent) events.push(event);
        // `until` also hears comments (event ":comment"), which are not kept.
        const seen = isEvent ? event : comment !== undefined ? { event: ':comment', data: comment } : undefined;
        if (seen && options.until?.(seen, events)) {
          await reader.cancel().catch(() => {});
          return events;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Seqs 1..n exactly once, in order? Returns a description of the first problem, or '' when they are. */
export function checkSeqs(records: { seq: number }[], n: number, from = 1): string {
  if (records.length !== n - from + 1) return `expected ${n - from + 1} records, got ${records.length}`;
  for (let i = 0; i < records.length; i++) {
    if (records[i]!.seq !== from + i) return `record ${i} has seq ${records[i]!.seq}, expected ${from + i}`;
  }
  return '';
}

/** A loopback port nothing listens on right now (for a daemon that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
