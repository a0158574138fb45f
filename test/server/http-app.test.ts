// The app without a socket (fastify inject): the error shape for every kind of failure, and the auth rules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { createDaemon, type Daemon } from '../../src/server/index.js';

const daemons: { daemon: Daemon; dir: string }[] = [];
afterEach(async () => {
  for (const { daemon, dir } of daemons.splice(0)) {
    await daemon.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function build(raw: Record<string, unknown> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-test-'));
  const config = validateConfig(
    { dataDir: path.join(dir, 'data'), modules: { echo: { command: 'node', args: ['-e', 'console.log(1)'] } }, ...raw },
    path.join(dir, 'supervisor.config.json'),
    {},
  );
  const daemon = createDaemon({ config, logger: pino({ level: 'silent' }), publicDir: path.join(dir, 'no-public') });
  daemons.push({ daemon, dir });
  return daemon.app;
}

describe('http app', () => {
  it('answers every failure as {"error": {"code", "message"}} with the code status', async () => {
    const app = build();
    const cases = [
      [{ method: 'GET', url: '/nowhere' }, 404, 'NOT_FOUND'],
      [{ method: 'DELETE', url: '/api/runs' }, 404, 'NOT_FOUND'],
      [{ method: 'GET', url: '/api/runs/run_x' }, 404, 'RUN_NOT_FOUND'],
      [{ method: 'POST', url: '/api/runs/run_x/cancel' }, 404, 'RUN_NOT_FOUND'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '{' }, 400, 'BAD_REQUEST'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '[]' }, 400, 'BAD_REQUEST'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'BAD_REQUEST'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '{"module":"x"}' }, 404, 'MODULE_NOT_FOUND'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '{"external":true,"name":"x"}' }, 401, 'BAD_API_KEY'],
      [{ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: `{"module":"${'x'.repeat(1 << 20)}"}` }, 413, 'PAYLOAD_TOO_LARGE'],
      [{ method: 'GET', url: '/api/runs?limit=0' }, 400, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/api/runs?before=yesterday' }, 400, 'BAD_CURSOR'],
    ] as const;
    for (const [request, status, code] of cases) {
      const response = await app.inject(request);
      expect({ url: request.url, status: response.statusCode, code: response.json().error?.code }).toEqual({ url: request.url, status, code });
      expect(response.headers['content-type']).toContain('application/json');
      expect(typeof response.json().error.message).toBe('string');
    }
  });

  it('names the field at fault in a bad run body', async () => {
    const app = build();
    const response = await app.inject({ method: 'POST', url: '/api/runs', payload: { module: 'echo', args: 'not-a-list' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/^args: /);
  });

  it('serves a placeholder page when the dashboard is not built', async () => {
    const response = await build().inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('dashboard is not built');
  });

  it('guards /api and /metrics with the token, leaves the session routes, / and /healthz open', async () => {
    const app = build({ daemon: { token: 't0k' } });
    for (const url of ['/api/runs', '/api/modules', '/metrics', '/api/runs/x/logs']) {
      const response = await app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode, code: response.json().error.code }).toEqual({ url, status: 401, code: 'UNAUTHORIZED' });
    }
    expect((await app.inject({ method: 'GET', url: '/api/runs', headers: { authorization: 'Bearer t0k' } })).statusCode).toBe(200);
    for (const url of ['/', '/healthz', '/api/session']) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    // A runner key gets past the guard of POST /api/runs, but a local run still needs the token.
    const local = await app.inject({ method: 'POST', url: '/api/runs', headers: { 'x-api-key': 'k' }, payload: { module: 'echo' } });
    expect(local.statusCode).toBe(401);
  });
});
