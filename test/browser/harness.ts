// What the browser tests share: a real daemon in-process on a loopback port, Chromium, page helpers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { validateConfig } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/server/index.js';
import type { RunInfo } from '../../src/types.js';

/** Chromium from Debian's package; BROWSER_TEST_CHROMIUM points elsewhere (or at nothing, to try the skip). */
export const CHROMIUM = process.env.BROWSER_TEST_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '../artifacts');
/** a module under fixtures/modules/ */
export const fixture = (name: string) => path.resolve(here, '../../fixtures/modules', name);
/** a module of our own under test/browser/fixtures/ */
export const browserFixture = (name: string) => path.resolve(here, 'fixtures', name);

export interface TestDaemon {
  url: string;
  daemon: Daemon;
  /** call the API from the test (with the token when there is one) */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  startRun(module: string, args?: string[]): Promise<RunInfo>;
  /** POST as a remote runner (x-api-key) */
  push<T = unknown>(apiKey: string, route: string, body: unknown): Promise<T>;
  /** cut every WebSocket connection on the server side, as a network failure would */
  dropServerSockets(): number;
  close(): Promise<void>;
}

/** Start a daemon on 127.0.0.1, port 0, over a fresh data dir. */
export async function startDaemon(options: {
  modules: Record<string, unknown>;
  token?: string;
  /** remote runners and their keys, for pushed runs */
  runners?: Record<string, { apiKey: string }>;
}): Promise<TestDaemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supervisor-browser-'));
  const config = validateConfig(
    {
      dataDir: path.join(dir, 'data'),
      daemon: { host: '127.0.0.1', port: 0, token: options.token ?? null },
      modules: options.modules,
      runners: options.runners ?? {},
    },
    path.join(dir, 'supervisor.config.json'),
    {},
  );
  const daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port: 0 });
  // The gateway handles 'upgrade' first; we only keep the sockets to cut them later.
  const sockets = new Set<Duplex>();
  daemon.app.server.on('upgrade', (_request: unknown, socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { url } = await daemon.listen();

  const api = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const payload = await response.json();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(payload)}`);
    return payload as T;
  };

  return {
    url,
    daemon,
    api,
    startRun: (module, args = []) => api<RunInfo>('POST', '/api/runs', { module, args }),
    async push<T>(apiKey: string, route: string, body: unknown): Promise<T> {
      const response = await fetch(url + route, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) });
      const payload = await response.json();
      if (!response.ok) throw new Error(`POST ${route}: ${response.status} ${JSON.stringify(payload)}`);
      return payload as T;
    },
    dropServerSockets() {
      const n = sockets.size;
      for (const socket of sockets) socket.destroy();
      return n;
    },
    async close() {
      await daemon.close({ cancelRuns: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** uncaught errors and console errors seen in the page */
  errors: string[];
}

/** A fresh context (no cookies, no sessionStorage) and page that records layer status changes. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<TestPage> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 401 as a console error; the token prompt expects those.
    if (message.type() === 'error' && !/Failed to load resource: .* 401 \(Unauthorized\)/.test(message.text())) {
      errors.push(`console: ${message.text()}`);
    }
  });
  // Every data-status a layer button shows, in order, per layer number (window.__layerHistory).
  await page.addInitScript(() => {
    const history: Record<string, string[]> = {};
    (window as unknown as { __layerHistory: typeof history }).__layerHistory = history;
    const note = (el: Element) => {
      if (!(el instanceof HTMLElement) || el.dataset.layer === undefined || !el.dataset.status) return;
      const list = (history[el.dataset.layer] ??= []);
      if (list[list.length - 1] !== el.dataset.status) list.push(el.dataset.status);
    };
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === 'attributes') note(m.target as Element);
        for (const node of m.addedNodes) {
          if (!(node instanceof Element)) continue;
          note(node);
          node.querySelectorAll('[data-layer]').forEach(note);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
  return { context, page, errors };
}

/** Wait until the dashboard finished starting (auth checked, socket started, first view mounted). */
export async function dashboardReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __supervisorDebug?: { ready?: boolean } }).__supervisorDebug?.ready === true, null, {
    timeout: 10_000,
  });
}

/** Evaluate a debug hook of the page (window.__supervisorDebug). */
export type DebugHooks = {
  ready?: boolean;
  dropSocket(): void;
  socketState(): string;
  socketStats(): { opens: number; closes: number; lagged: number; frames: number };
  runView?: { runId: string; seqs(): number[]; bufferSize(): number; rowCount(): number; follow(): boolean };
};

export function screenshotPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
