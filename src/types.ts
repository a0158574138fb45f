// The types at the seams of the flow (source → parse → sinks), defined once and imported.

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

export const STREAMS = ['stdout', 'stderr', 'push'] as const;
export type Stream = (typeof STREAMS)[number];

/** Index of a level in LEVELS (also its bit in a level mask); undefined for anything else. */
export function levelCode(level: string): number | undefined {
  switch (level) {
    case 'INFO': return 1;
    case 'ERROR': return 3;
    case 'WARNING': return 2;
    case 'DEBUG': return 0;
    case 'CRITICAL': return 4;
    default: return undefined;
  }
}

/** Index of a stream in STREAMS (also its bit in a stream mask); undefined for anything else. */
export function streamCode(stream: string): number | undefined {
  switch (stream) {
    case 'stdout': return 0;
    case 'stderr': return 1;
    case 'push': return 2;
    default: return undefined;
  }
}

/**
 * A record's stream, level and continued flag as one small integer, stream | level << 2 | CODE_CONTINUED: the
 * ring's slots hold it, and the chunk format's per-record codes are it with more flag bits above.
 */
export const CODE_CONTINUED = 1 << 5;

export function recordCode(stream: number, level: number, continued: boolean): number {
  return stream | (level << 2) | (continued ? CODE_CONTINUED : 0);
}

export function streamOfCode(code: number): Stream {
  return STREAMS[code & 3]!;
}

export function levelOfCode(code: number): Level {
  return LEVELS[(code >> 2) & 7]!;
}

export const EVENT_NAMES = [
  'pipeline_start',
  'pipeline_complete',
  'layer_start',
  'layer_complete',
  'layer_error',
  'layer_skip',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** What the parser makes of one line: pure, no seq or time yet. */
export interface ParsedLine {
  level: Level;
  message: string;
  event?: EventName;
  data?: Record<string, unknown>;
  /**
   * The JSON text `data` was parsed from, when a line held it: the store keeps this text rather than serialising
   * `data` again (so `data` must not be changed once parsed). Not part of the record.
   */
  dataJson?: string;
}

/** One captured line as it flows to the sinks and over the wire. */
export interface LogRecord {
  seq: number;
  timestamp: string;
  stream: Stream;
  level: Level;
  message: string;
  event?: EventName;
  data?: Record<string, unknown>;
  continued?: true;
}

export const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'lost',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'lost',
]);

export type LayerStatus = 'pending' | 'running' | 'complete' | 'error' | 'skipped';
export type PipelineStatus = 'running' | 'success' | 'partial' | 'error';

export interface LayerTransition {
  status: LayerStatus;
  at: string;
}

export interface Layer {
  layer: number;
  layer_name: string | null;
  status: LayerStatus;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  metadata: Record<string, unknown> | null;
  history: LayerTransition[];
}

export type LevelCounts = Record<Level, number>;

/** A run as JSON: HTTP, WebSocket and every CLI --json. */
export interface RunInfo {
  run_id: string;
  module: string;
  args: string[];
  status: RunStatus;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  counts: LevelCounts;
  total_lines: number;
  pipeline_status: PipelineStatus | null;
  /** the remote runner that owns an external run; null for local runs */
  runner: string | null;
  layers: Layer[];
}

export function emptyCounts(): LevelCounts {
  return { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 };
}
