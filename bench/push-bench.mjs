// Push ingest (issue 5): remote runners POST batches of 500 entries to an in-process daemon (built dist/);
// entries/s for 1 and 4 concurrent runners, POST → WebSocket latency, and the RunLogger end to end. Baseline,
// measured in the same run: the same POSTs to a trivial node:http server that reads the body and answers 200.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { pino } from 'pino';

const ENTRIES = 100_000;
const BATCH = 500;
const REPEAT = 3;
const TARGET = 100_000; // entries/s

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs, p) => {
  const sorted = Float64Array.from(xs).sort();
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
};
const kps = (n, seconds) => `${(n / seconds / 1000).toFixed(0)}k entries/s`;
const wallMs = () => performance.timeOrigin + performance.now();

/** The request bodies of one runner: `count` entries numbered from 1, in batches, serialized ahead of time. */
function makeBodies(count) {
  const bodies = [];
  const started = Date.now();
  for (let first = 1; first <= count; first += BATCH) {
    const logs = [];
    for (let seq = first; seq < first + BATCH && seq <= count; seq++) {
      const level = seq % 50 === 0 ? 'warning' : 'info';
      logs.push({ level, message: `scraper/sku-${String(seq).padStart(6, '0')}: Found data (price 12.99)`, timestamp: new Date(started + seq).toISOString(), client_seq: seq });
    }
    bodies.push({ first, last: first + logs.length - 1, body: JSON.stringify({ logs }) });
  }
  return bodies;
}

async function post(url, body, key) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) throw new Error(`bench: POST ${url} → ${response.status} ${text.slice(0, 200)}`);
  return text;
}

/** Send each runner's batches in order, one request in flight per runner, runners side by side; seconds taken. */
async function pushAll(runners, onSent = () => {}) {
  const started = performance.now();
  await Promise.all(
    runners.map(async ({ url, key, bodies }) => {
      for (const batch of bodies) {
        onSent(batch);
        await post(url, batch.body, key);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** A node:http server that reads the body and answers 200: what no HTTP ingest can beat. */
async function startBaseline() {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk) => (bytes += chunk.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"accepted":${BATCH},"bytes":${bytes}}`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

// A WebSocket watcher in its own process (as a dashboard would be): prints, per record, its client_seq and
// when it arrived (epoch ms, the clock both processes share), then the last seq and whether seqs were in order.
const WATCHER = `
import WebSocket from 'ws';
const [url, runId] = process.argv.slice(-2);
const now = () => performance.timeOrigin + performance.now();
const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws');
const arrivals = [];
let last = 0, inOrder = true;
ws.on('open', () => process.stdout.write('open\\n'));
process.stdin.once('data', () => ws.send(JSON.stringify({ type: 'subscribe', run_id: runId, after: 0 })));
ws.on('message', (data) => {
  const at = now();
  const frame = JSON.parse(data);
  if (frame.type === 'logs') for (const r of frame.records) { if (r.seq !== last + 1) inOrder = false; last = r.seq; arrivals.push(r.data.client_seq, at); }
  else if (frame.type === 'complete' || frame.type === 'lagged' || frame.type === 'error') {
    process.stdout.write(JSON.stringify({ end: frame.type, last, inOrder, arrivals }) + '\\n');
    ws.close();
    process.stdin.destroy();
  }
});
`;

/** Start the watcher process; resolves once its socket is open, with subscribe() and its result. */
async function startWatcher(root, url, runId) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WATCHER, url, runId], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => reject(new Error('bench: the watcher exited early')));
    const poll = () => (out.startsWith('open\n') ? resolve() : setTimeout(poll, 5));
    poll();
  });
  const done = new Promise((resolve) => child.once('close', () => resolve(JSON.parse(out.slice('open\n'.length)))));
  return { subscribe: () => child.stdin.write('go\n'), done };
}

export async function runBench({ root, tmp, table }) {
  const { createDaemon } = await import(path.join(root, 'dist/server/index.js'));
  const { validateConfig } = await import(path.join(root, 'dist/config/index.js'));
  const { RunLogger } = await import(path.join(root, 'dist/client/index.js'));
  const dataDir = path.join(tmp, 'push-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const runners = Object.fromEntries([1, 2, 3, 4].map((n) => [`bench-${n}`, { apiKey: `key-${n}` }]));
  const config = validateConfig({ dataDir, daemon: { port: 0 }, modules: {}, runners }, path.join(tmp, 'push.config.json'), {});
  const daemon = createDaemon({ config, logger: pino({ level: 'silent' }), port: 0 });
  const { url } = await daemon.listen();
  const baseline = await startBaseline();
  const result = {};
  try {
    const register = async (n, name) => JSON.parse(await post(`${url}/api/runs`, JSON.stringify({ external: true, name }), `key-${n}`)).run_id;
    const finish = (n, runId) => post(`${url}/api/runs/${runId}/finish`, '{"status":"succeeded","exit_code":0}', `key-${n}`);
    const lastSeq = async (runId) => (await (await fetch(`${url}/api/runs/${runId}`)).json()).total_lines;
    const one = makeBodies(ENTRIES);
    const quarter = makeBodies(ENTRIES / 4);

    // 1. One runner, in order: entries/s of the daemon alone.
    const single = [];
    const raw = [];
    let stored = true;
    for (let i = 0; i < REPEAT; i++) {
      raw.push(await pushAll([{ url: `${baseline.url}/api/runs/x/logs`, key: 'k', bodies: one }]));
      const runId = await register(1, `push-1-${i}`);
      single.push(await pushAll([{ url: `${url}/api/runs/${runId}/logs`, key: 'key-1', bodies: one }]));
      await finish(1, runId);
      stored &&= (await lastSeq(runId)) === ENTRIES;
    }

    // 1b. The same with a live WebSocket watcher (its own process): entries/s, and POST sent → record received.
    const watched = [];
    const latencies = [];
    let inOrder = true;
    for (let i = 0; i < REPEAT; i++) {
      const runId = await register(1, `push-ws-${i}`);
      const watcher = await startWatcher(root, url, runId);
      watcher.subscribe();
      const sentAt = new Map();
      watched.push(await pushAll([{ url: `${url}/api/runs/${runId}/logs`, key: 'key-1', bodies: one }], (batch) => sentAt.set(Math.ceil(batch.last / BATCH), wallMs())));
      await finish(1, runId);
      const seen = await watcher.done;
      for (let k = 0; k < seen.arrivals.length; k += 2) latencies.push(seen.arrivals[k + 1] - sentAt.get(Math.ceil(seen.arrivals[k] / BATCH)));
      inOrder &&= seen.end === 'complete' && seen.inOrder && seen.last === ENTRIES;
    }

    // 2. Four runners at once, 25,000 entries each.
    const four = [];
    const rawFour = [];
    for (let i = 0; i < REPEAT; i++) {
      rawFour.push(await pushAll([1, 2, 3, 4].map(() => ({ url: `${baseline.url}/api/runs/x/logs`, key: 'k', bodies: quarter }))));
      const ids = await Promise.all([1, 2, 3, 4].map((n) => register(n, `push-4-${i}`)));
      four.push(await pushAll(ids.map((runId, k) => ({ url: `${url}/api/runs/${runId}/logs`, key: `key-${k + 1}`, bodies: quarter }))));
      await Promise.all(ids.map((runId, k) => finish(k + 1, runId)));
      for (const runId of ids) stored &&= (await lastSeq(runId)) === ENTRIES / 4;
    }

    // 3. The client library end to end: log 100k entries, finish (flushes), batches of 500.
    const logged = [];
    for (let i = 0; i < REPEAT; i++) {
      const logger = new RunLogger({ url, apiKey: 'key-1', name: `runlogger-${i}`, flushEvery: BATCH, maxBatchEntries: BATCH });
      await logger.start();
      const started = performance.now();
      for (let seq = 1; seq <= ENTRIES; seq++) {
        logger.info(`scraper/sku-${String(seq).padStart(6, '0')}: Found data (price 12.99)`);
        if (seq % BATCH === 0) await new Promise((resolve) => setImmediate(resolve)); // a runner does other work between lines
      }
      const run = await logger.finish({ status: 'succeeded', exit_code: 0 });
      logged.push((performance.now() - started) / 1000);
      stored &&= run.total_lines === ENTRIES && logger.stats().sent === ENTRIES;
    }

    const s1 = median(single);
    const r1 = median(raw);
    const s4 = median(four);
    const r4 = median(rawFour);
    const sl = median(logged);
    const sw = median(watched);
    result.push = {
      entries: ENTRIES,
      batch: BATCH,
      one_runner_entries_per_s: ENTRIES / s1,
      one_runner_raw_http_entries_per_s: ENTRIES / r1,
      one_runner_ratio_of_raw: r1 / s1,
      four_runners_entries_per_s: ENTRIES / s4,
      four_runners_raw_http_entries_per_s: ENTRIES / r4,
      four_runners_ratio_of_raw: r4 / s4,
      target_entries_per_s: TARGET,
      one_runner_with_ws_watcher_entries_per_s: ENTRIES / sw,
      ws_latency_p50_ms: percentile(latencies, 50),
      ws_latency_p99_ms: percentile(latencies, 99),
      runlogger_entries_per_s: ENTRIES / sl,
      every_entry_stored_once_in_order: stored && inOrder,
      runs: { single, raw, watched, four, raw_four: rawFour, runlogger: logged },
    };
    const meets = (seconds) => (ENTRIES / seconds >= TARGET ? 'yes' : 'NO');
    table.push(
      ['push 100k entries, 1 runner (500/batch)', kps(ENTRIES, s1), `raw http ${kps(ENTRIES, r1)}`, `${(r1 / s1).toFixed(2)}× raw http; target ≥ 100k/s: ${meets(s1)}`],
      ['push 100k entries, 4 runners at once', kps(ENTRIES, s4), `raw http ${kps(ENTRIES, r4)}`, `${(r4 / s4).toFixed(2)}× raw http; target ≥ 100k/s: ${meets(s4)}`],
      ['push, 1 runner + a WebSocket watcher', kps(ENTRIES, sw), '', `target ≥ 100k/s: ${meets(sw)}`],
      ['push POST → WebSocket latency', `p99 ${percentile(latencies, 99).toFixed(1)} ms`, `p50 ${percentile(latencies, 50).toFixed(1)} ms`, ''],
      ['RunLogger 100k entries → finish', kps(ENTRIES, sl), '', ''],
      ['every pushed entry stored once, in order', stored && inOrder ? 'yes' : 'NO', '', ''],
    );
    return result.push;
  } finally {
    await baseline.close();
    await daemon.close();
  }
}
