// `supervisor show`'s header: a local run shows its pid; a pushed run names its runner and has no pid line.
import { describe, expect, it } from 'vitest';
import { formatRunDetail, type Palette } from '../../src/cli/render.js';
import { emptyCounts, type RunInfo } from '../../src/types.js';

const plain: Palette = { enabled: false, paint: (_code, text) => text };

const run = (patch: Partial<RunInfo>): RunInfo => ({
  run_id: 'run_20261123_120000_demo_abc123',
  module: 'demo',
  args: [],
  status: 'succeeded',
  pid: null,
  exit_code: 0,
  signal: null,
  created_at: '2026-11-23T12:00:00.000000Z',
  started_at: '2026-11-23T12:00:00.000000Z',
  finished_at: '2026-11-23T12:00:01.500000Z',
  counts: { ...emptyCounts(), INFO: 3 },
  total_lines: 3,
  pipeline_status: null,
  layers: [],
  runner: null,
  ...patch,
});

describe('formatRunDetail', () => {
  it('shows the pid of a local run', () => {
    const text = formatRunDetail(run({ pid: 4242 }), plain);
    expect(text).toContain('\n  pid        4242\n');
    expect(text).not.toContain('pushed by runner');
  });

  it('names the runner of a pushed run and leaves out the pid it does not have', () => {
    const text = formatRunDetail(run({ module: 'nightly-scrape', runner: 'scraper-01' }), plain);
    expect(text).toContain('  module     nightly-scrape  (pushed by runner scraper-01)');
    expect(text).not.toMatch(/^\s*pid/m);
    expect(text).toContain('  lines      3  (3 INFO)');
  });
});
