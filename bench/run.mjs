#!/usr/bin/env node
// `npm run bench`: the product's numbers, each beside a baseline measured in the same run (ratios,
// since these machines are noisy). Prints a human table on stderr and a JSON summary on stdout.
// Sections: capture (issue 2), live/fan-out (issue 3), push (issue 5). Pick with --only capture,live,push.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
};
const only = new Set(String(flag('only', 'capture,pipeline,memory,live,push')).split(','));
const LINES = Number(flag('lines', 1_000_000));
const REPEAT = Number(flag('repeat', 5));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-bench-'));
const configFile = path.join(tmp, 'supervisor.config.json');
fs.writeFileSync(
  configFile,
  JSON.stringify({
    dataDir: path.join(tmp, 'data'),
    modules: {
      flood: { command: 'node', args: [path.join(root, 'fixtures/modules/flood.mjs')] },
      slow: { command: 'node', args: [path.join(root, 'fixtures/modules/slow-lines.mjs')] },
    },
  }),
);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = { machine: { cpus: os.cpus().length, node: process.version }, lines: LINES };
const table = [];

/** Wall time (s), peak RSS (KiB) and CPU seconds (user + system, all its processes) of a shell command, via GNU time. */
function timed(command) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'bash', '-c', command], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, SUPERVISOR_EMBEDDED: '1' } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`bench command failed (${result.status}): ${command}\n${result.stderr}`);
  const [rssKiB, user, system] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, rssKiB, cpuSeconds: user + system, stdout: result.stdout };
}

function captureSection() {
  const cli = `node ${path.join(root, 'bin/supervisor.js')} --config ${configFile}`;
  const flood = `node ${path.join(root, 'fixtures/modules/flood.mjs')} --lines ${LINES}`;
  const raw = [];
  const sup = [];
  const rss = [];
  const rawCpu = [];
  const supCpu = [];
  const fixed = [];
  for (let i = 0; i < REPEAT; i++) {
    const pipe = timed(`${flood} | cat > ${path.join(tmp, 'raw.out')}`);
    raw.push(pipe.seconds);
    rawCpu.push(pipe.cpuSeconds);
    // The same command for one line: what every run pays whatever its size (Node start, imports, SQLite open, spawn).
    // Before the big run, so `latest:flood` below is a 1M-line run.
    fixed.push(timed(`${cli} run flood --quiet -- --lines 1`).seconds);
    const run = timed(`${cli} run flood --quiet -- --lines ${LINES}`);
    sup.push(run.seconds);
    supCpu.push(run.cpuSeconds);
    rss.push(run.rssKiB);
  }
  const last = JSON.parse(timed(`${cli} logs latest:flood -n 1 --json`).stdout.trim());
  const show = JSON.parse(timed(`${cli} show latest:flood --json`).stdout);
  const diskBytesPerLine = storedBytesPerLine(cli);
  const noisy = variantCapture(cli, flood, 'noisy', '--noisy 1');
  const json = variantCapture(cli, flood, 'json', '--json 1');
  const rawS = median(raw);
  const supS = median(sup);
  // each run over the raw pipe measured just before it: when the machine's load drifts during the bench, a pair
  // shares the drift that the ratio of the two medians does not
  const paired = sup.map((s, i) => s / raw[i]).sort((a, b) => a - b);
  summary.capture = {
    raw_pipe_s: rawS,
    supervisor_s: supS,
    ratio: supS / rawS,
    paired_ratio: median(paired),
    paired_ratio_range: [paired[0], paired[paired.length - 1]],
    // fastest run of each over the fastest raw pipe: the least disturbed pair on a shared machine (the median is the headline)
    ratio_of_fastest: Math.min(...sup) / Math.min(...raw),
    target_ratio: 2.0,
    lines_per_s: LINES / supS,
    raw_lines_per_s: LINES / rawS,
    peak_rss_mib: median(rss) / 1024,
    last_seq: last.seq,
    total_lines: show.total_lines,
    every_line_accounted: last.seq === LINES && show.total_lines === LINES,
    // CPU seconds of each command (the flood included in both): on a 2-core box the run is CPU-bound
    raw_pipe_cpu_s: median(rawCpu),
    supervisor_cpu_s: median(supCpu),
    // wall time of a 1-line run (startup and teardown), and the run's wall time without it
    supervisor_fixed_s: median(fixed),
    supervisor_streaming_s: supS - median(fixed),
    // the SQLite file (chunk bodies compressed) over every line of every run so far
    disk_bytes_per_line: diskBytesPerLine,
    // the same with random base64 padding (--noisy): text that compresses ~2× rather than ~14×
    noisy: noisy,
    // the same with every line a pino-style JSON log line (--json): the JSON parse path
    json: json,
    runs: { raw, supervisor: sup, supervisor_fixed: fixed },
  };
  table.push(
    ['capture 1M lines → SQLite', `${(LINES / supS / 1000).toFixed(0)}k lines/s`, `raw pipe ${(LINES / rawS / 1000).toFixed(0)}k lines/s`, `${(supS / rawS).toFixed(2)}× (target ≤ 2.0×; per round ${paired[0].toFixed(2)}–${paired[paired.length - 1].toFixed(2)}×, median ${median(paired).toFixed(2)}×; fastest runs ${summary.capture.ratio_of_fastest.toFixed(2)}×)`],
    ['peak RSS of supervisor run', `${(median(rss) / 1024).toFixed(0)} MiB`, '', ''],
    ['CPU (user+sys, with the flood)', `${median(supCpu).toFixed(2)} s`, `raw pipe ${median(rawCpu).toFixed(2)} s`, ''],
    ['fixed cost (1-line run)', `${median(fixed).toFixed(2)} s`, `streaming ${(supS - median(fixed)).toFixed(2)} s`, ''],
    ['every line accounted for', `last seq ${last.seq}`, `written ${LINES}`, summary.capture.every_line_accounted ? 'yes' : 'NO'],
    ['SQLite file per line (86-byte lines)', `${diskBytesPerLine.toFixed(1)} B`, '', ''],
    [
      'capture, random base64 padding',
      `${(LINES / noisy.supervisor_s / 1000).toFixed(0)}k lines/s`,
      `raw pipe ${(LINES / noisy.raw_pipe_s / 1000).toFixed(0)}k lines/s`,
      `${noisy.ratio.toFixed(2)}×, file ${noisy.disk_bytes_per_line.toFixed(1)} B/line`,
    ],
    [
      'capture, pino-style JSON lines',
      `${(LINES / json.supervisor_s / 1000).toFixed(0)}k lines/s`,
      `raw pipe ${(LINES / json.raw_pipe_s / 1000).toFixed(0)}k lines/s`,
      `${json.ratio.toFixed(2)}×, file ${json.disk_bytes_per_line.toFixed(1)} B/line`,
    ],
  );
}

/** Bytes of the SQLite file per stored line, over all runs in the data dir (the CLI closed it: no WAL left). */
function storedBytesPerLine(cli, dataDir = path.join(tmp, 'data')) {
  const runs = JSON.parse(timed(`${cli} runs --json --limit 1000`).stdout);
  const lines = runs.reduce((sum, run) => sum + run.total_lines, 0);
  return fs.statSync(path.join(dataDir, 'supervisor.db')).size / lines;
}

/** The capture comparison again for another kind of output (flood flags, e.g. `--noisy 1`), in a data dir of its own. */
function variantCapture(cli, flood, name, floodFlags) {
  const variantConfig = path.join(tmp, `${name}.config.json`);
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(variantConfig, JSON.stringify({ ...config, dataDir: path.join(tmp, `${name}-data`) }));
  const variantCli = cli.replace(configFile, variantConfig);
  const raw = [];
  const sup = [];
  for (let i = 0; i < REPEAT; i++) {
    raw.push(timed(`${flood} ${floodFlags} | cat > ${path.join(tmp, 'raw.out')}`).seconds);
    sup.push(timed(`${variantCli} run flood --quiet -- --lines ${LINES} ${floodFlags}`).seconds);
  }
  return {
    raw_pipe_s: median(raw),
    supervisor_s: median(sup),
    ratio: median(sup) / median(raw),
    disk_bytes_per_line: storedBytesPerLine(variantCli, path.join(tmp, `${name}-data`)),
  };
}

/** CPU per 1M lines of each pipeline stage, in one process with no child: steadier than wall time here. */
function pipelineSection() {
  const result = spawnSync(process.execPath, [path.join(root, 'bench/pipeline-cpu.mjs'), '--lines', String(Math.min(LINES, 1_000_000))], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`pipeline bench failed: ${result.stderr}`);
  const stages = JSON.parse(result.stdout);
  summary.pipeline_cpu_ms_per_1m_lines = stages;
  let previous = 0;
  for (const [name, { median_ms_per_1m: ms }] of Object.entries(stages)) {
    table.push([`CPU per 1M lines: ${name}`, `${ms} ms`, previous ? `+${ms - previous} ms for the last stage` : '', '']);
    previous = ms;
  }
}

function memorySection() {
  const script = path.join(root, 'bench/ring-memory.mjs');
  const result = spawnSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ring memory bench failed: ${result.stderr}`);
  const memory = JSON.parse(result.stdout);
  summary.memory = memory;
  table.push([
    'ring buffer, 10,000 × 100-byte lines',
    `${(memory.bytes_per_line).toFixed(0)} B/line`,
    `${(memory.total_bytes / 1024 / 1024).toFixed(2)} MB`,
    `target ≤ 4 MB: ${memory.total_bytes <= 4 * 1024 * 1024 ? 'yes' : 'NO'}`,
  ]);
}

async function optionalSection(name, file) {
  if (!fs.existsSync(path.join(root, 'bench', file))) return;
  const { runBench } = await import(path.join(root, 'bench', file));
  const result = await runBench({ root, tmp, table });
  summary[name] = result;
}

try {
  if (only.has('capture')) captureSection();
  if (only.has('pipeline')) pipelineSection();
  if (only.has('memory')) memorySection();
  if (only.has('live')) await optionalSection('live', 'live-bench.mjs');
  if (only.has('push')) await optionalSection('push', 'push-bench.mjs');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => String(row[i]).length)));
process.stderr.write(table.map((row) => row.map((cell, i) => String(cell).padEnd(widths[i])).join('  ')).join('\n') + '\n');
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
