// One child process of the fan-out bench (bench/live-bench.mjs): holds `count` WebSocket clients on one run,
// all subscribed from seq 0, so the clients' own work is spread over a few processes instead of one.
//
// Started with child_process.fork(file, [wsUrl, count], { serialization: 'advanced' }). IPC:
//   child → parent  { type: 'connected' }         every client of this process has its WebSocket open
//   parent → child  { type: 'subscribe', run_id } every client subscribes to the run from seq 0 (after: 0)
//   child → parent  { type: 'subscribed' }        every client of this process has sent its subscribe
//   parent → child  { type: 'count_from', ns }    records with sent_ns ≥ ns count toward latency (earlier: order only)
//   child → parent  { type: 'result', ... }       once every client got `complete` or failed (see report())
// The process exits after the result, or as soon as the parent goes away.
//
// Each client stays exact but cheap: instead of JSON.parse it scans the raw frame Buffer. A `logs` frame is
// built by the daemon (src/server/record-json.ts) as
//   {"type":"logs","run_id":"…","records":[{"seq":1,"timestamp":…,"data":{…,"sent_ns":"<ns>"}},{"seq":2,…}]}
// (JSON.stringify of each record: `seq` is its first key, so every record starts with `{"seq":`; a `"` inside a
// string is escaped, so the pattern cannot come from a string value). For EVERY record the client reads seq
// (checked: each is the previous + 1, over all frames) and its own sent_ns, and times it: latency = the time the
// frame's `message` event fired − sent_ns. Other frames (run, complete, lagged, error) are rare and JSON.parse-d.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!process.send || !url || !(count > 0)) {
  process.stderr.write('fanout-client: fork me with [wsUrl, count] and an IPC channel\n');
  process.exit(2);
}

const nowNs = () => (performance.timeOrigin + performance.now()) * 1e6;

/** Latency histogram: 0.1 ms buckets from 0 to 10 s, the last bucket holds everything at or over 10 s. */
const BUCKETS = 100_000;
const histogram = new Uint32Array(BUCKETS + 1);
let maxMs = 0;
const addLatency = (ms) => {
  if (ms > maxMs) maxMs = ms;
  const bucket = Math.floor(ms * 10);
  histogram[bucket < 0 ? 0 : bucket > BUCKETS ? BUCKETS : bucket]++;
};

// The latency window: the parent sends count_from (all clients of all processes subscribed + 50 ms) a moment
// after this process subscribed. Records that arrive in between and were sent after this process's own
// subscription are held, then kept or dropped once count_from is known, so no record of the window is missed.
let countFromNs = Infinity;
let holdFromNs = Infinity;
let heldSent = [];
let heldMs = [];
const time = (sentNs, atNs) => {
  if (sentNs >= countFromNs) addLatency((atNs - sentNs) / 1e6);
  else if (countFromNs === Infinity && sentNs >= holdFromNs) {
    heldSent.push(sentNs);
    heldMs.push((atNs - sentNs) / 1e6);
  }
};

const SEQ = Buffer.from('{"seq":');
const SENT = Buffer.from('"sent_ns":"');
const COMMA = 0x2c;
const LOGS = Buffer.from('{"type":"logs"');
const isLogs = (data) => data.length > LOGS.length && data.compare(LOGS, 0, LOGS.length, 0, LOGS.length) === 0;

/** Digits at data[from…] as a Number (sent_ns ~1.8e18 rounds to ~1 µs, plenty for ms latencies); -1 if none. */
const digitsAt = (data, from) => {
  let value = 0;
  let j = from;
  for (let c = data[j]; c >= 48 && c <= 57; c = data[++j]) value = value * 10 + (c - 48);
  return j === from ? -1 : value;
};

/** Bytes of `pattern` at data[p…]. */
const matchAt = (data, p, pattern) => {
  if (p < 0 || p + pattern.length > data.length) return false;
  for (let k = 0; k < pattern.length; k++) if (data[p + k] !== pattern[k]) return false;
  return true;
};

// Buffer.indexOf for every record was most of a client's CPU (two native calls, ~0.4 µs a record). Records of
// one run look alike, so first try where the last record had them: the next `{"seq":` one record length on,
// preceded by the `,` between records, and `"sent_ns":"` at the same offset from the record's start, inside
// the record. A guess is used only if those exact bytes are there (a `"` in a string is escaped, so they cannot
// come from a value); else indexOf finds them and the guesses are updated. A wrong record boundary would
// break the seq continuity, and so fail the run, not go unnoticed.
let stride = 0;
let sentOffset = 0;

/** Every record of a `logs` frame: seq continuity, count, and latency (receive time `at` − its sent_ns). */
function scanLogs(data, at, state) {
  let i = data.indexOf(SEQ);
  while (i !== -1) {
    const seqAt = i + SEQ.length;
    const seq = digitsAt(data, seqAt);
    if (seq !== state.last + 1) state.inOrder = false;
    state.last = seq;
    state.count++;
    let next = i + stride;
    if (!(stride > 0 && data[next - 1] === COMMA && matchAt(data, next, SEQ))) {
      next = data.indexOf(SEQ, seqAt);
      if (next !== -1) stride = next - i;
    }
    const end = next === -1 ? data.length : next;
    let sent = i + sentOffset;
    if (!(sentOffset > 0 && sent + SENT.length < end && matchAt(data, sent, SENT))) {
      sent = data.indexOf(SENT, seqAt);
      if (sent !== -1 && sent < end) sentOffset = sent - i;
      else sent = -1;
    }
    const sentNs = sent === -1 ? -1 : digitsAt(data, sent + SENT.length);
    if (sentNs > 0) time(sentNs, at);
    else state.noSentNs++;
    i = next;
  }
}

const results = [];
const sockets = [];
let cpuAtSubscribe;
// How late this process's event loop ran (busy, or not scheduled) from the subscribe on: if this stays small
// while latencies are high, the delay is not in the clients.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
let finished = 0;
let opened = 0;

function client(index) {
  const state = { index, last: 0, count: 0, inOrder: true, noSentNs: 0, complete: false, error: undefined };
  results.push(state);
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  let done = false;
  const finish = (error) => {
    if (done) return;
    done = true;
    if (error) state.error = error;
    ws.close();
    if (++finished === count) report();
  };

  sockets.push(ws);
  ws.on('open', () => ++opened === count && process.send({ type: 'connected' }));
  ws.on('message', (data) => {
    const at = nowNs();
    if (isLogs(data)) return scanLogs(data, at, state);
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return finish(`unparsable frame: ${String(data).slice(0, 200)}`);
    }
    if (frame.type === 'complete') {
      state.complete = true;
      finish();
    } else if (frame.type === 'lagged' || frame.type === 'error') finish(`got ${String(data).slice(0, 300)}`);
  });
  ws.on('error', (error) => finish(`socket error: ${error.message}`));
  ws.on('close', (code) => finish(`closed (${code}) before complete`));
}

function report() {
  loopDelay.disable();
  const total = process.cpuUsage();
  const cpu = process.cpuUsage(cpuAtSubscribe);
  // Held records never matched a count_from (the parent gave up first): nothing to add.
  process.send(
    {
      type: 'result',
      clients: results.map(({ index, last, count: n, inOrder, noSentNs, complete, error }) => ({
        index,
        last,
        count: n,
        in_order: inOrder,
        no_sent_ns: noSentNs,
        complete,
        ...(error ? { error } : {}),
      })),
      histogram,
      max_ms: maxMs,
      // from the subscribe on (the window in which the parent measures the daemon), and over the whole process
      cpu_s: (cpu.user + cpu.system) / 1e6,
      cpu_user_s: cpu.user / 1e6,
      cpu_system_s: cpu.system / 1e6,
      cpu_total_s: (total.user + total.system) / 1e6,
      loop_delay_p99_ms: loopDelay.percentile(99) / 1e6,
      loop_delay_max_ms: loopDelay.max / 1e6,
    },
    () => process.exit(0),
  );
}

process.on('message', (message) => {
  if (message?.type === 'subscribe') {
    const frame = JSON.stringify({ type: 'subscribe', run_id: message.run_id, after: 0 });
    cpuAtSubscribe = process.cpuUsage();
    loopDelay.enable();
    for (const ws of sockets) ws.send(frame);
    holdFromNs = nowNs();
    process.send({ type: 'subscribed' });
    return;
  }
  if (message?.type !== 'count_from') return;
  countFromNs = message.ns;
  for (let k = 0; k < heldSent.length; k++) if (heldSent[k] >= countFromNs) addLatency(heldMs[k]);
  heldSent = heldMs = [];
});
process.on('disconnect', () => process.exit(1));

for (let k = 0; k < count; k++) client(k);
