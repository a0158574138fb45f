// Plain, tidy terminal output: records, tables, the layer timeline; colours only on a TTY without NO_COLOR.
import { formatDuration } from '../config/duration.js';
import type { Layer, LayerStatus, Level, LogRecord, RunInfo, RunStatus } from '../types.js';

export interface Palette {
  enabled: boolean;
  paint(code: string, text: string): string;
}

/** Colours for a stream: on a TTY, never with NO_COLOR, always with FORCE_COLOR. */
export function createPalette(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Palette {
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const enabled = !('NO_COLOR' in env && env.NO_COLOR !== '') && (force || Boolean(stream.isTTY));
  return { enabled, paint: (code, text) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text) };
}

const LEVEL_COLOUR: Record<Level, string> = {
  DEBUG: '2',
  INFO: '36',
  WARNING: '33',
  ERROR: '31',
  CRITICAL: '1;41;97',
};

const STATUS_COLOUR: Record<RunStatus | LayerStatus, string> = {
  queued: '2',
  running: '36',
  succeeded: '32',
  failed: '31',
  cancelled: '33',
  timed_out: '35',
  lost: '2;31',
  pending: '2',
  complete: '32',
  error: '31',
  skipped: '33',
};

const STREAM_TAG = { stdout: 'out', stderr: 'err', push: 'push' } as const;

/** One record as a terminal line: time, level, stream, message. */
export function formatRecord(record: LogRecord, palette: Palette): string {
  const time = record.timestamp.slice(11, 23);
  const level = palette.paint(LEVEL_COLOUR[record.level], record.level.padEnd(8));
  const stream = palette.paint('2', STREAM_TAG[record.stream].padEnd(4));
  const message = record.event ? palette.paint('1', `◆ ${record.message}`) : record.message;
  const more = record.continued ? palette.paint('2', '↳ ') : '';
  return `${palette.paint('2', time)} ${level} ${stream} ${more}${message}`;
}

/** A status word, coloured. */
export function paintStatus(status: RunStatus | LayerStatus, palette: Palette): string {
  return palette.paint(STATUS_COLOUR[status], status);
}

/** Left-aligned columns with a header; widths ignore colour codes. */
export function formatTable(header: string[], rows: string[][]): string {
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((row) => visible(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Milliseconds between two run timestamps, or up to now while still running. */
export function runDurationMs(run: Pick<RunInfo, 'started_at' | 'finished_at'>, now = Date.now()): number | null {
  if (!run.started_at) return null;
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  return end - Date.parse(run.started_at);
}

/** A local, readable form of a run timestamp. */
export function formatTime(iso: string | null): string {
  if (!iso) return '';
  return iso.slice(0, 19).replace('T', ' ');
}

/** The runs table, newest first. */
export function formatRunsTable(runs: RunInfo[], palette: Palette): string {
  if (runs.length === 0) return 'no runs yet: start one with `supervisor run <module>`';
  const withRunner = runs.some((run) => run.runner);
  const header = ['RUN ID', 'MODULE', 'STATUS', 'STARTED (UTC)', 'DURATION', 'LINES', 'ERRORS'];
  if (withRunner) header.push('RUNNER');
  const rows = runs.map((run) => {
    const errors = run.counts.ERROR + run.counts.CRITICAL;
    const row = [
      run.run_id,
      run.module,
      paintStatus(run.status, palette),
      formatTime(run.started_at ?? run.created_at),
      formatDuration(runDurationMs(run)),
      String(run.total_lines),
      errors > 0 ? palette.paint('31', String(errors)) : '0',
    ];
    if (withRunner) row.push(run.runner ?? '');
    return row;
  });
  return formatTable(header, rows);
}

/** `supervisor show`: status, times, counts and the layer timeline. */
export function formatRunDetail(run: RunInfo, palette: Palette): string {
  const lines = [
    `${palette.paint('1', run.run_id)}`,
    `  module     ${run.module}${run.args.length ? ' ' + run.args.join(' ') : ''}${run.runner ? `  (pushed by runner ${run.runner})` : ''}`,
    `  status     ${paintStatus(run.status, palette)}${run.exit_code !== null ? `  exit ${run.exit_code}` : ''}${run.signal ? `  signal ${run.signal}` : ''}${run.pipeline_status ? `  pipeline ${run.pipeline_status}` : ''}`,
    // a pushed run has no process here; a queued one none yet
    ...(run.pid === null ? [] : [`  pid        ${run.pid}`]),
    `  created    ${formatTime(run.created_at)}`,
    `  started    ${formatTime(run.started_at)}`,
    `  finished   ${formatTime(run.finished_at)}`,
    `  duration   ${formatDuration(runDurationMs(run))}`,
    `  lines      ${run.total_lines}  (${formatCounts(run)})`,
  ];
  if (run.layers.length > 0) {
    lines.push('', formatLayers(run.layers, palette));
  }
  return lines.join('\n');
}

/** The layer timeline as a table. */
export function formatLayers(layers: Layer[], palette: Palette): string {
  return formatTable(
    ['LAYER', 'NAME', 'STATUS', 'STARTED', 'DURATION', 'DETAIL'],
    layers.map((layer) => [
      String(layer.layer),
      layer.layer_name ?? '',
      paintStatus(layer.status, palette),
      layer.started_at ? layer.started_at.slice(11, 23) : '',
      formatDuration(layer.duration_ms),
      layer.error ?? (layer.metadata ? JSON.stringify(layer.metadata) : ''),
    ]),
  );
}

/** "12 INFO, 3 WARNING, 1 ERROR": the non-zero level counts. */
export function formatCounts(run: Pick<RunInfo, 'counts'>): string {
  const parts = Object.entries(run.counts)
    .filter(([, n]) => n > 0)
    .map(([level, n]) => `${n} ${level}`);
  return parts.length ? parts.join(', ') : 'no lines';
}
