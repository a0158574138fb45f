// Live numbers of the daemon (issue 3): child write → WebSocket latency, fan-out to 200 clients, and a
// client that never reads. The baseline is the same producer read straight from a pipe in this process.
import { fork, spawn } from 'node:child_process';
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
const withTimeout = (promise, ms, what) => {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`bench: ${what} took over ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
/** CPU seconds (user + system) a process used so far, and those of its reaped children, from /proc/<pid>/stat. */
const CLOCK_TICKS = 100;
const procCpu = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after "(comm)": state is field 3, so utime (14), stime (15), cutime (16), cstime (17) are at 11–14
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { self: (f[11] + f[12]) / CLOCK_TICKS, children: (f[13] + f[14]) / CLOCK_TICKS };
};

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

/** CPU seconds the whole machine spent busy and idle so far (first line of /proc/stat, all cores). */
const machineCpu = () => {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / CLOCK_TICKS, idle: (idle + iowait) / CLOCK_TICKS, softirq: softirq / CLOCK_TICKS };
};

/** Exact percentile of a histogram of 0.1 ms buckets (last bucket: ≥ its start): the bucket's upper edge (so at
 * most 0.1 ms high), the same rank as percentile() above; ranks in the overflow bucket give the maximum seen. */
function histogramPercentile(histogram, total, p, maxMs) {
  if (total === 0) return NaN;
  const rank = Math.min(total - 1, Math.floor((p / 100) * total));
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b];
    if (seen > rank) return b === histogram.length - 1 ? maxMs : Math.min((b + 1) / 10, maxMs);
  }
  return maxMs;
}

/**
 * A WebSocket that subscribes to nothing and sends {type:'ping'} again 10 ms after each {type:'pong'}: the round
 * trips show how long the daemon's event loop takes to get to a new frame while it fans out.
 */
async function pingProbe(wsUrl) {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  ws.on('error', () => {});
  await withTimeout(new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject))), 10_000, 'ping probe connect');
  const rtts = [];
  let sentAt = 0;
  let timer;
  let stopped = false;
  const ping = () => {
    sentAt = performance.now();
    ws.send('{"type":"ping"}');
  };
  ws.on('message', (data) => {
    if (stopped || !String(data).includes('"pong"')) return;
    rtts.push(performance.now() - sentAt);
    timer = setTimeout(ping, 10);
  });
  ping();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      ws.terminate();
      return rtts;
    },
  };
}

/**
 * 200 WebSocket clients on one run, spread over `processes` children running bench/fanout-client.mjs, each
 * checking that it gets every record once and in order and timing every record (receive − sent_ns). Only
 * records sent after every client subscribed + 50 ms are timed (earlier ones arrive as replay, checked for
 * order only). Also measures the CPU the daemon, the producer and the client processes used meanwhile.
 */
async function fanOut(root, daemon, { clients, lines, rate, table, joinAfterMs = 0, targetP99Ms = null, label = `fan-out ${clients} ws clients @10k lines/s` }) {
  // 2 client processes (BENCH_FANOUT_PROCS=n to try others). Measured on the 2-core box, p99: 1 process
  // ~190 ms (it alone needs most of a core, bursty), 2 processes 36–95 ms over ~20 runs, 3 ~125 ms, 4 worse:
  // past 2, the extra processes only compete with the daemon and the producer for the same two cores.
  const processes = Math.max(1, Math.min(clients, Number(process.env.BENCH_FANOUT_PROCS) || 2));
  const script = path.join(root, 'bench/fanout-client.mjs');
  const wsUrl = `${daemon.url.replace(/^http/, 'ws')}/ws`;
  const children = [];
  let probe;
  try {
    // The clients connect first, then the run starts and they all subscribe from seq 0 at once: like one
    // process opening 200 sockets, without timing how long Node takes to start the client processes.
    for (let k = 0; k < processes; k++) {
      const count = Math.floor(clients / processes) + (k < clients % processes ? 1 : 0);
      const child = fork(script, [wsUrl, String(count)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const entry = { child, count };
      const waits = {};
      for (const stage of ['connected', 'subscribed', 'result']) {
        entry[stage] = new Promise((resolve, reject) => (waits[stage] = { resolve, reject }));
        entry[stage].catch(() => {}); // each is awaited below; not unhandled when an earlier stage failed
      }
      child.on('message', (message) => waits[message?.type]?.resolve(message));
      const gone = (why) => {
        const error = new Error(`bench: fan-out client process ${k} ${why}`);
        for (const stage of Object.values(waits)) stage.reject(error);
      };
      child.on('error', (error) => gone(`failed: ${error.message}`));
      child.on('close', (code, signal) => gone(`exited (${signal ?? code}) before its result`));
      children.push(entry);
    }
    await withTimeout(Promise.all(children.map((c) => c.connected)), 30_000, 'fan-out connect');
    probe = await pingProbe(wsUrl);

    const rssBefore = rssMiB(daemon.pid);
    const cpuBefore = procCpu(daemon.pid);
    const machineBefore = machineCpu();
    const benchCpuBefore = process.cpuUsage();
    const started = performance.now();
    const fanRun = await startRun(daemon.url, ['--lines', String(lines), '--rate', String(rate)]);
    // Late joiners (a dashboard opened mid-run): the scenario is "subscribe this long after the start", so a timer.
    if (joinAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, joinAfterMs));
    for (const { child } of children) child.send({ type: 'subscribe', run_id: fanRun });
    await withTimeout(Promise.all(children.map((c) => c.subscribed)), 30_000, 'fan-out subscribe');
    // Lines written before every client had subscribed arrive as replay: count latency only after.
    const subscribedS = (performance.now() - started) / 1000;
    const countFromNs = nowNs() + 50e6;
    for (const { child } of children) child.send({ type: 'count_from', ns: countFromNs });
    const reports = await withTimeout(Promise.all(children.map((c) => c.result)), 120_000, 'fan-out');
    const seconds = (performance.now() - started) / 1000;
    const pings = probe.stop();
    const cpuAfter = procCpu(daemon.pid);
    const machineAfter = machineCpu();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const rssAfter = rssMiB(daemon.pid);

    const histogram = new Float64Array(reports[0].histogram.length);
    for (const r of reports) for (let b = 0; b < histogram.length; b++) histogram[b] += r.histogram[b];
    const timed = histogram.reduce((a, b) => a + b, 0);
    const maxMs = Math.max(...reports.map((r) => r.max_ms));
    const perClient = reports.flatMap((r) => r.clients);
    const failures = perClient.filter((c) => c.error).map((c) => c.error);
    const ok = perClient.length === clients && perClient.every((c) => c.complete && !c.error && c.in_order && c.last === lines && c.count === lines);
    const fanout = {
      clients,
      lines,
      rate,
      client_processes: processes,
      every_client_complete_in_order: ok,
      failures: failures.slice(0, 5),
      failed_clients: failures.length,
      // every record of the window is timed (not only one per frame); 0.1 ms histogram, upper bucket edge
      timed_records: timed,
      records_without_sent_ns: perClient.reduce((a, c) => a + c.no_sent_ns, 0),
      p50_ms: histogramPercentile(histogram, timed, 50, maxMs),
      p99_ms: histogramPercentile(histogram, timed, 99, maxMs),
      max_ms: maxMs,
      target_p99_ms: targetP99Ms,
      wall_s: seconds,
      // from POST /api/runs until every client had sent its subscribe (the producer writes for lines / rate s)
      subscribed_after_s: subscribedS,
      daemon_cpu_s: cpuAfter.self - cpuBefore.self,
      // the producer is the daemon's child: its CPU shows in the daemon's cutime once it is reaped
      producer_cpu_s: cpuAfter.children - cpuBefore.children,
      client_cpu_s: reports.reduce((a, r) => a + r.cpu_s, 0),
      client_cpu_s_per_process: reports.map((r) => r.cpu_s),
      client_cpu_user_s: reports.reduce((a, r) => a + r.cpu_user_s, 0),
      client_cpu_system_s: reports.reduce((a, r) => a + r.cpu_system_s, 0),
      // including Node's start and the WebSocket handshakes, before the run
      client_cpu_total_s: reports.reduce((a, r) => a + r.cpu_total_s, 0),
      bench_process_cpu_s: (benchCpu.user + benchCpu.system) / 1e6,
      // every core of the machine over the same window: how close to saturated it was (capacity: wall_s × cores)
      // and its softirq share (loopback TCP delivery, mostly; charged to whichever process it interrupted)
      machine_busy_s: machineAfter.busy - machineBefore.busy,
      machine_idle_s: machineAfter.idle - machineBefore.idle,
      machine_softirq_s: machineAfter.softirq - machineBefore.softirq,
      // where the time goes: the daemon's responsiveness (ping → pong on an idle socket of its own) and how late
      // the client processes' event loops ran (monitorEventLoopDelay: time between its 5 ms ticks, 5 = on time)
      daemon_pings: pings.length,
      daemon_ping_rtt_p50_ms: percentile(pings, 50),
      daemon_ping_rtt_p99_ms: percentile(pings, 99),
      daemon_ping_rtt_max_ms: pings.length ? Math.max(...pings) : NaN,
      client_loop_delay_p99_ms: Math.max(...reports.map((r) => r.loop_delay_p99_ms)),
      client_loop_delay_max_ms: Math.max(...reports.map((r) => r.loop_delay_max_ms)),
      daemon_rss_mib_before: rssBefore,
      daemon_rss_mib_after: rssAfter,
    };
    // busy time of none of the processes above: other work on the machine meanwhile
    fanout.unattributed_cpu_s =
      fanout.machine_busy_s - fanout.daemon_cpu_s - fanout.producer_cpu_s - fanout.client_cpu_s - fanout.bench_process_cpu_s;
    table.push([
      label,
      `p50 ${fanout.p50_ms.toFixed(1)} ms  p99 ${fanout.p99_ms.toFixed(1)} ms (every record, ${processes} client procs)`,
      `rss ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB; cpu daemon ${fanout.daemon_cpu_s.toFixed(2)} s, clients ${fanout.client_cpu_s.toFixed(2)} s, producer ${fanout.producer_cpu_s.toFixed(2)} s in ${seconds.toFixed(1)} s`,
      `all complete, in order: ${ok ? 'yes' : `NO${failures.length ? ` (${failures.length} failed: ${failures[0]})` : ''}`}; ${targetP99Ms === null ? `no target (each client first replays the backlog)` : `p99 ≤ ${targetP99Ms} ms: ${fanout.p99_ms <= targetP99Ms ? 'yes' : 'NO'}`}`,
    ]);
    return fanout;
  } finally {
    probe?.stop();
    // No stray processes: kill whatever is still running (on failure or timeout) and wait for it to go.
    await Promise.all(
      children.map(({ child }) =>
        child.exitCode !== null || child.signalCode !== null
          ? undefined
          : withTimeout(new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))), 5_000, 'killing a fan-out client').catch(() => {}),
      ),
    );
  }
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

    // 2. fan-out: 200 clients on one run writing 10,000 lines/s for 3 s. The clients live in a few child
    // processes (bench/fanout-client.mjs) that scan frames instead of JSON.parse-ing them, so the figure is
    // the daemon's, not this process's: one process parsing 200 × 30,000 records was the bottleneck before.
    result.fanout = await fanOut(root, daemon, { clients: 200, lines: 30_000, rate: 10_000, targetP99Ms: 250, table });
    // 2b. the same clients all joining 1.5 s into the run, each replaying the first ~15,000 records from seq 0
    // while the run goes on: replay pages are shared, not read and serialized once per client.
    result.fanout_late = await fanOut(root, daemon, {
      clients: 200, lines: 30_000, rate: 10_000, table, joinAfterMs: 1500, label: 'fan-out, 200 join 1.5 s into the run',
    });

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
