// Auth and origins: the token on /api, SSE, /metrics and /ws; the session cookie; foreign Origins refused;
// no non-loopback listen without a token; Host headers of other names refused (DNS rebinding).
import net from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SupervisorError } from '../../src/errors.js';
import { createDaemon } from '../../src/server/index.js';
import { cleanupDaemons, connectWs, readSse, startTestDaemon, testConfig, type TestDaemon } from './helpers/daemon-harness.js';

const TOKEN = 's3cret-token-for-tests';

/** Send a raw request (fetch will not let a test set Host) and return the status line's code. */
function rawStatus(url: string, request: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
  });
}

describe('with daemon.token', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon({ daemon: { token: TOKEN } });
  });
  afterAll(cleanupDaemons);

  it('answers 401 without the token or with a wrong one, 200 with the Bearer token', async () => {
    for (const route of ['/api/runs', '/api/modules', '/api/runs/latest', '/metrics', '/api/nothing']) {
      const none = await d.json<{ error: { code: string } }>(route, { auth: false });
      expect({ route, status: none.status, code: none.body.error?.code }).toEqual({ route, status: 401, code: 'UNAUTHORIZED' });
      const wrong = await d.request(route, { headers: { authorization: 'Bearer nope' } });
      expect({ route, status: wrong.status }).toEqual({ route, status: 401 });
    }
    expect((await d.request('/api/runs')).status).toBe(200);
    expect((await d.request('/api/modules', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    const post = await d.request('/api/runs', { method: 'POST', auth: false, headers: { 'content-type': 'application/json' }, body: '{"module":"fast"}' });
    expect(post.status).toBe(401);
    const sse = await d.request('/api/runs/latest/logs/stream', { auth: false });
    expect(sse.status).toBe(401);
  });

  it('keeps /, /assets/* and /healthz open', async () => {
    expect((await d.request('/', { auth: false })).status).toBe(200);
    expect((await d.request('/healthz', { auth: false })).status).toBe(200);
    expect((await d.request('/assets/nothing.js', { auth: false })).status).toBe(404);
    expect((await d.json('/api/session', { auth: false })).body).toEqual({ auth_required: true, authenticated: false });
  });

  it('refuses WebSocket upgrades without the token and accepts the Bearer header', async () => {
    await expect(connectWs(d.wsUrl)).rejects.toMatchObject({ status: 401 });
    await expect(connectWs(d.wsUrl, { headers: { authorization: 'Bearer wrong' } })).rejects.toMatchObject({ status: 401 });
    const probe = await connectWs(d.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    probe.send({ type: 'ping' });
    await probe.next((f) => f.type === 'pong', 'pong');
    await probe.close();
  });

  it('trades the token for an HttpOnly session cookie that works for HTTP, SSE and WebSocket', async () => {
    const wrong = await d.request('/api/session', { method: 'POST', auth: false, headers: { 'content-type': 'application/json' }, body: '{"token":"no"}' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const login = await d.request('/api/session', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json', origin: d.url },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^supervisor_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;

    expect((await d.request('/api/runs', { auth: false, headers: { cookie } })).status).toBe(200);
    expect((await d.request('/api/runs', { auth: false, headers: { cookie: 'supervisor_session=forged' } })).status).toBe(401);
    expect((await d.json('/api/session', { auth: false, headers: { cookie } })).body).toEqual({ auth_required: true, authenticated: true });

    const run = await d.startRun('fast');
    const events = await readSse(await d.request(`/api/runs/${run.run_id}/logs/stream`, { auth: false, headers: { cookie } }), {
      until: (e) => e.event === 'complete',
    });
    expect(events.at(-1)?.event).toBe('complete');

    const probe = await connectWs(d.wsUrl, { headers: { cookie, origin: d.url } });
    probe.send({ type: 'subscribe', run_id: run.run_id, after: 0 });
    expect(await probe.next((f) => f.type === 'complete', 'complete over the cookie session')).toMatchObject({ run_id: run.run_id });
    await probe.close();

    const logout = await d.request('/api/session', { method: 'DELETE', auth: false, headers: { cookie } });
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0');
  });
});

describe('origins and hosts', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon();
  });
  afterAll(cleanupDaemons);

  it('refuses WebSocket upgrades from a foreign Origin with 403 and accepts its own origins and none', async () => {
    await expect(connectWs(d.wsUrl, { headers: { origin: 'http://evil.example' } })).rejects.toMatchObject({ status: 403 });
    await expect(connectWs(d.wsUrl, { headers: { origin: 'http://127.0.0.1:1' } })).rejects.toMatchObject({ status: 403 });
    await expect(connectWs(d.wsUrl, { headers: { origin: 'null' } })).rejects.toMatchObject({ status: 403 });
    const port = new URL(d.url).port;
    for (const origin of [d.url, `http://localhost:${port}`, `http://[::1]:${port}`, undefined]) {
      const probe = await connectWs(d.wsUrl, origin ? { headers: { origin } } : {});
      await probe.close();
    }
  });

  it('refuses state-changing requests from a foreign Origin (CSRF), allows reads and its own origin', async () => {
    const evil = { origin: 'http://evil.example', 'content-type': 'application/json' };
    const start = await d.json<{ error: { code: string } }>('/api/runs', { method: 'POST', headers: evil, body: '{"module":"fast"}' });
    expect(start).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_ORIGIN' } } });
    const textPlain = await d.request('/api/runs', { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: '{"module":"fast"}' });
    expect(textPlain.status).toBe(403);
    expect((await d.request('/api/runs/latest/cancel', { method: 'POST', headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await d.request('/api/runs', { headers: { origin: 'http://evil.example' } })).status).toBe(200);
    const own = await d.request('/api/runs', { method: 'POST', headers: { origin: d.url, 'content-type': 'application/json' }, body: '{"module":"fast"}' });
    expect(own.status).toBe(201);
  });

  it('refuses a Host header that names another site (DNS rebinding) on HTTP and WebSocket', async () => {
    const { port } = new URL(d.url);
    expect(await rawStatus(d.url, `GET /api/runs HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`)).toBe(403);
    expect(await rawStatus(d.url, `GET /api/runs HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`)).toBe(200);
    const upgrade = (host: string) =>
      `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    expect(await rawStatus(d.url, upgrade(`evil.example:${port}`))).toBe(403);
    expect(await rawStatus(d.url, upgrade(`127.0.0.1:${port}`))).toBe(101);
    expect(await rawStatus(d.url, upgrade(`127.0.0.1:${port}`).replace('GET /ws', 'GET /other'))).toBe(404);
  });
});

describe('listening', () => {
  afterAll(cleanupDaemons);

  it('refuses a non-loopback host without a token', async () => {
    const daemon = createDaemon({ config: testConfig(), host: '0.0.0.0', port: 0, logger: pino({ level: 'silent' }) });
    try {
      const error = await daemon.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SupervisorError);
      expect(error).toMatchObject({ code: 'DAEMON_INSECURE_HOST' });
      expect((error as Error).message).toContain('daemon.token');
    } finally {
      await daemon.close();
    }
  });

  it('listens on a wildcard host with a token, and still demands it', async () => {
    const d = await startTestDaemon({ daemon: { host: '0.0.0.0', token: TOKEN } });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await d.request('/api/runs', { auth: false })).status).toBe(401);
    expect((await d.request('/api/runs')).status).toBe(200);
  });
});
