#!/usr/bin/env node
// The capture pipeline in one process with no child and no pipe: the flood's bytes, in 64 KiB chunks, through
// the line splitter, the parser, the run (ring, hub) and the SQLite store. Prints the process's CPU (all threads) per
// 1M lines for each stage added in turn, which is steadier than end-to-end wall time on a shared machine.
// Usage: node bench/pipeline-cpu.mjs [--lines N] [--repeat K] (needs `npm run build`; STAGE=name runs one stage,
// e.g. under --cpu-prof). `npm run bench` runs it as its "pipeline" section.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { createLineSplitter } = await import(path.join(root, 'dist/capture/line-splitter.js'));
const { parseLine } = await import(path.join(root, 'dist/parse/index.js'));
const { createRun } = await import(path.join(root, 'dist/runs/run.js'));
const { createHub } = await import(path.join(root, 'dist/sinks/hub.js'));
const { createStore } = await import(path.join(root, 'dist/store/index.js'));
const { emptyCounts } = await import(path.join(root, 'dist/types.js'));

const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const LINES = flag('lines', 1_000_000);
const REPEAT = flag('repeat', 5);

const input = execFileSync(process.execPath, [path.join(root, 'fixtures/modules/flood.mjs'), '--lines', String(LINES)], { maxBuffer: 1 << 30 });
const chunks = [];
for (let at = 0; at < input.length; at += 65536) chunks.push(input.subarray(at, Math.min(input.length, at + 65536)));

const newRunInfo = () => ({
  run_id: 'run_bench', module: 'flood', args: [], status: 'running', pid: null, exit_code: null, signal: null,
  created_at: new Date().toISOString(), started_at: null, finished_at: null, counts: emptyCounts(), total_lines: 0,
  pipeline_status: null, runner: null, layers: [],
});

// The flood's chunks through a run on `store`, as a local run feeds its pipes, to the run's end.
const feedRun = (store) => {
  const info = newRunInfo();
  store.insertRun?.(info);
  const run = createRun(info, { store, hub: createHub(), ringCapacity: 10_000 });
  const splitter = createLineSplitter({
    maxLineBytes: 65536,
    onLine: (text, continued, noEscapes) => run.ingestLine('stdout', text, continued, noEscapes),
  });
  for (const chunk of chunks) {
    splitter.push(chunk);
    run.commit();
  }
  splitter.end();
  run.transition('succeeded', { exit_code: 0 });
};

const cpuMs = (fn) => {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

const stages = {
  split: () => {
    let n = 0;
    const splitter = createLineSplitter({ maxLineBytes: 65536, onLine: () => n++ });
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
  },
  'split+parse': () => {
    const splitter = createLineSplitter({ maxLineBytes: 65536, onLine: (text, _continued, noEscapes) => parseLine(text, 'stdout', noEscapes) });
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
  },
  // the run's own work (records, clock, counts, layers, ring, hub) with a store that keeps nothing
  'split+parse+run': () => feedRun({ appendColumns() {}, saveRun() {}, flush() {} }),
  'split+parse+run+store': () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-cpu-'));
    const store = createStore({ path: path.join(dir, 'supervisor.db') });
    feedRun(store);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  },
};

const result = {};
const only = process.env.STAGE;
for (const [name, fn] of Object.entries(stages)) {
  if (only && name !== only) continue;
  fn(); // warm up
  const runs = Array.from({ length: REPEAT }, () => cpuMs(fn) * (1_000_000 / LINES));
  runs.sort((a, b) => a - b);
  result[name] = { median_ms_per_1m: Math.round(runs[Math.floor(runs.length / 2)]), min_ms_per_1m: Math.round(runs[0]) };
}
console.log(JSON.stringify(result, null, 2));
