// Live numbers of the daemon (issue 3): child write → WebSocket latency, fan-out to 200 clients, and a
// client that never reads. The baseline is the same producer read straight from a pipe in this process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

const nowNs = () => (performance.timeOrigin + performance.now()) * 1e6;
const percentile = (xs, p) => {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const rssMiB = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
};
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`bench: ${what} took over ${ms} ms`)), ms))]);

/** Latency of the producer's lines read straight from its pipe: what no supervisor can beat. */
function pipeBaseline(root, lines, rate) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'fixtures/modules/slow-lines.mjs'), '--lines', String(lines), '--rate', String(rate)]);
    const latencies = [];
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      const at = nowNs();
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const line of parts) latencies.push((at - Number(JSON.parse(line).sent_ns)) / 1e6);
    });
    child.on('error', reject);
    child.on('close', () => resolve(latencies));
  });
}

async function startDaemon(root, tmp) {
  const dataDir = path.join(tmp, 'live-data');
  const configFile = path.join(tmp, 'live.config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      daemon: { port: 0 },
      modules: { slow: { command: 'node', args: [path.join(root, 'fixtures/modules/slow-lines.mjs')] } },
    }),
  );
  const child = spawn(process.execPath, [path.join(root, 'bin/supervisor.js'), 'daemon', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const daemonFile = path.join(dataDir, 'daemon.json');
  const deadline = Date.now() + 20_000;
  // daemon.json may exist a moment before it is complete: read until it parses.
  let url;
  while (!url) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('bench: the daemon did not start');
    try {
      url = JSON.parse(fs.readFileSync(daemonFile, 'utf8')).url;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return { url, pid: child.pid, stop: () => new Promise((resolve) => (child.once('close', resolve), child.kill('SIGTERM'))) };
}

async function startRun(url, args) {
  const response = await fetch(`${url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ module: 'slow', args }),
  });
  if (response.status !== 201) throw new Error(`bench: POST /api/runs → ${response.status}`);
  return (await response.json()).run_id;
}

/** A WebSocket client that subscribes to a run from seq 0 and checks order; resolves on complete. */
function watch(url, runId, options = {}) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  const latencies = [];
  let last = 0;
  let inOrder = true;
  const done = new Promise((resolve, reject) => {
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', run_id: runId, after: 0 }));
      options.onOpen?.();
    });
    ws.on('message', (data) => {
      const at = nowNs();
      const frame = JSON.parse(data);
      if (frame.type === 'logs') {
        for (const record of frame.records) {
          if (record.seq !== last + 1) inOrder = false;
          last = record.seq;
          const sent = Number(record.data?.sent_ns);
          if (sent && sent >= (options.countFromNs ?? 0)) latencies.push((at - sent) / 1e6);
        }
      } else if (frame.type === 'complete') {
        ws.close();
        resolve({ latencies, last, inOrder });
      } else if (frame.type === 'lagged' || frame.type === 'error') {
        ws.close();
        reject(new Error(`bench: watcher got ${data}`));
      }
    });
    ws.on('error', reject);
  });
  return { ws, done };
}

/** A client that upgrades to WebSocket, subscribes, and then never reads a byte. */
function stalledClient(url, runId) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  // A masked client text frame carrying the subscribe message, then stop reading.
  const payload = Buffer.from(JSON.stringify({ type: 'subscribe', run_id: runId, after: 0 }));
  const mask = Buffer.from([1, 2, 3, 4]);
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
  socket.once('data', () => {
    socket.write(frame);
    socket.pause();
  });
  return socket;
}

export async function runBench({ root, tmp, table }) {
  const result = {};
  const daemon = await startDaemon(root, tmp);
  try {
    // 1. latency at 1,000 lines/s, one watcher
    const baseline = await pipeBaseline(root, 3000, 1000);
    const runId = await startRun(daemon.url, ['--lines', '3000', '--rate', '1000']);
    const one = await withTimeout(watch(daemon.url, runId).done, 30_000, 'latency run');
    result.latency = {
      rate: 1000,
      lines: one.last,
      in_order: one.inOrder,
      p50_ms: percentile(one.latencies, 50),
      p99_ms: percentile(one.latencies, 99),
      pipe_p50_ms: percentile(baseline, 50),
      pipe_p99_ms: percentile(baseline, 99),
      target_p99_ms: 50,
    };
    table.push([
      'live latency @1k lines/s (ws)',
      `p50 ${result.latency.p50_ms.toFixed(2)} ms  p99 ${result.latency.p99_ms.toFixed(2)} ms`,
      `pipe p50 ${result.latency.pipe_p50_ms.toFixed(2)} ms  p99 ${result.latency.pipe_p99_ms.toFixed(2)} ms`,
      `target p99 ≤ 50 ms: ${result.latency.p99_ms <= 50 ? 'yes' : 'NO'}`,
    ]);

    // 2. fan-out: 200 clients on one run writing 10,000 lines/s for 3 s
    const clients = 200;
    const lines = 30_000;
    const rssBefore = rssMiB(daemon.pid);
    const fanRun = await startRun(daemon.url, ['--lines', String(lines), '--rate', '10000']);
    // Lines written before every client had subscribed arrive as replay: count latency only after.
    let opened = 0;
    let allOpen;
    const subscribed = new Promise((resolve) => (allOpen = resolve));
    const onOpen = () => ++opened === clients && allOpen();
    const countFrom = { value: Infinity };
    const watchers = Array.from({ length: clients }, () => watch(daemon.url, fanRun, { onOpen, get countFromNs() { return countFrom.value; } }));
    await withTimeout(subscribed, 30_000, 'fan-out subscribe');
    countFrom.value = nowNs() + 50e6;
    const results = await withTimeout(Promise.all(watchers.map((w) => w.done)), 120_000, 'fan-out');
    const rssAfter = rssMiB(daemon.pid);
    const all = results.flatMap((r) => r.latencies);
    result.fanout = {
      clients,
      lines,
      every_client_complete_in_order: results.every((r) => r.inOrder && r.last === lines),
      p50_ms: percentile(all, 50),
      p99_ms: percentile(all, 99),
      target_p99_ms: 250,
      daemon_rss_mib_before: rssBefore,
      daemon_rss_mib_after: rssAfter,
    };
    table.push([
      `fan-out ${clients} ws clients @10k lines/s`,
      `p50 ${result.fanout.p50_ms.toFixed(1)} ms  p99 ${result.fanout.p99_ms.toFixed(1)} ms`,
      `rss ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB`,
      `all complete, in order: ${result.fanout.every_client_complete_in_order ? 'yes' : 'NO'}; p99 ≤ 250 ms: ${result.fanout.p99_ms <= 250 ? 'yes' : 'NO'}`,
    ]);

    // 3. a client that never reads beside a normal one
    const slowRun = await startRun(daemon.url, ['--lines', '20000', '--rate', '5000']);
    const stalled = stalledClient(daemon.url, slowRun);
    const normal = await withTimeout(watch(daemon.url, slowRun).done, 60_000, 'slow-client run');
    const rssWithStalled = rssMiB(daemon.pid);
    stalled.destroy();
    result.slow_client = {
      normal_client_complete: normal.inOrder && normal.last === 20000,
      normal_p99_ms: percentile(normal.latencies, 99),
      daemon_rss_mib: rssWithStalled,
    };
    table.push([
      'normal client beside a stalled one',
      `p99 ${result.slow_client.normal_p99_ms.toFixed(1)} ms`,
      `rss ${rssWithStalled.toFixed(0)} MiB`,
      `normal client complete: ${result.slow_client.normal_client_complete ? 'yes' : 'NO'}`,
    ]);
  } finally {
    await daemon.stop();
  }
  return result;
}
