// Bytes of heap per buffered line: 10,000 parsed 100-byte lines held in a run's ring (run with --expose-gc).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRun } from '../dist/runs/run.js';
import { createHub } from '../dist/sinks/hub.js';
import { createStore } from '../dist/store/index.js';
import { emptyCounts } from '../dist/types.js';

const LINES = 10_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-ring-'));
const store = createStore({ path: path.join(tmp, 'ring.db') });
const info = {
  run_id: 'run_20250101_000000_bench_aaaaaa', module: 'bench', args: [], status: 'queued', pid: null, exit_code: null,
  signal: null, created_at: '2025-01-01T00:00:00.000000Z', started_at: null, finished_at: null, counts: emptyCounts(),
  total_lines: 0, pipeline_status: null, runner: null, layers: [],
};
store.insertRun(info);

// Lines are built fresh (not sliced from one string) so each holds its own memory, as captured output does.
const line = (i) => `INFO: line ${String(i).padStart(6, '0')} ` + `payload-${i}-`.repeat(12).slice(0, 100 - 18);

global.gc();
const before = process.memoryUsage().heapUsed;
const run = createRun(info, { store, hub: createHub(), ringCapacity: LINES });
for (let i = 0; i < LINES; i++) {
  run.ingestLine(i % 2 ? 'stdout' : 'stderr', line(i), false);
  if (i % 100 === 99) run.commit();
}
run.commit();
store.flush();
global.gc();
const after = process.memoryUsage().heapUsed;
if (run.ring.size !== LINES) throw new Error('ring did not hold every line');
store.close();
fs.rmSync(tmp, { recursive: true, force: true });
const total = after - before;
process.stdout.write(JSON.stringify({ lines: LINES, line_bytes: 100, total_bytes: total, bytes_per_line: total / LINES }) + '\n');
