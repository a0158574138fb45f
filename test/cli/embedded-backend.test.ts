// The engine in the CLI's own process, following a run that is not (or no longer) running here: from SQLite.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedBackend } from '../../src/cli/embedded-backend.js';
import { validateConfig } from '../../src/config/index.js';
import type { Layer, LogRecord } from '../../src/types.js';
import { makeRecords, makeRun, openStore, tempDir } from '../store/helpers.js';

// A data dir holding one run that ended with `lines` records, written by another process's store.
function finishedRun(lines: number) {
  const dataDir = tempDir();
  const store = openStore({ path: path.join(dataDir, 'supervisor.db') });
  const run = makeRun('run_20251031_120000_demo_abcdef');
  store.insertRun(run);
  store.appendRecords(run.run_id, makeRecords(lines));
  store.saveRun({ ...run, status: 'succeeded', exit_code: 0, finished_at: '2025-10-31T12:00:01.000000Z', total_lines: lines });
  store.flush();
  const config = validateConfig({ dataDir, modules: {} }, path.join(dataDir, 'supervisor.config.json'), {});
  return { backend: createEmbeddedBackend(config), runId: run.run_id };
}

describe('embedded backend: follow', () => {
  it('hands over every record of an ended run once, then resolves with it', async () => {
    const { backend, runId } = finishedRun(7000);
    const seen: LogRecord[] = [];
    const layers: Layer[] = [];
    const run = await backend.follow(runId, 0, { onRecords: (records) => seen.push(...records), onLayer: (layer) => layers.push(layer) });
    expect(run.status).toBe('succeeded');
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 7000 }, (_, i) => i + 1));
    await backend.close();
  });

  it('resolves for an ended run when no records are wanted (run --quiet), whatever the cursor', async () => {
    const { backend, runId } = finishedRun(3);
    await expect(backend.follow(runId, 0, {})).resolves.toMatchObject({ status: 'succeeded', total_lines: 3 });
    await backend.close();
  });
});
