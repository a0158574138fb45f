// One run's state: lines become records (seq, time, level) and fan out to ring, store and hub in batches.
import { parseLine } from '../parse/index.js';
import type { RingBuffer } from '../sinks/ring-buffer.js';
import { createRingBuffer } from '../sinks/ring-buffer.js';
import type { Hub } from '../sinks/hub.js';
import type { Store } from '../store/index.js';
import {
  FINAL_STATUSES,
  type Level,
  type Layer,
  type LogRecord,
  type ParsedLine,
  type RunInfo,
  type RunStatus,
  type Stream,
} from '../types.js';
import { createLayerTracker } from './layer-tracker.js';
import { createMicrosFormatter, createRunClock, formatMicros, nowMicros } from './run-clock.js';

const ALLOWED: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'cancelled', 'failed', 'lost'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out', 'lost'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  lost: [],
};

/** How often run state (counts, layers) is saved while lines flow; status changes save at once. */
const SAVE_INTERVAL_MS = 250;

export interface RunDeps {
  store: Store;
  hub: Hub;
  ringCapacity: number;
  /** microseconds since the epoch; injectable for tests */
  now?: () => number;
  /** monotonic milliseconds, for measured durations */
  monoNow?: () => number;
}

export interface Run {
  readonly info: RunInfo;
  readonly ring: RingBuffer;
  /** queue one line of output; it reaches the sinks at the next commit() (noEscapes: see parseLine) */
  ingestLine(stream: Stream, text: string, continued: boolean, noEscapes?: boolean): void;
  /** queue an already-parsed entry (pushed by a remote runner) */
  ingestParsed(stream: Stream, parsed: ParsedLine): void;
  /** hand the queued records to ring, store and hub as one batch */
  commit(): void;
  /** move to a new status (only allowed transitions); final statuses flush and announce completion */
  transition(status: RunStatus, patch?: Partial<Pick<RunInfo, 'pid' | 'exit_code' | 'signal'>>): void;
  readonly finished: Promise<RunInfo>;
  isFinal(): boolean;
  /** save the state now and stop the save timer: the daemon stops while the run goes on (an external run) */
  persist(): void;
}

/** The time now as a run timestamp (created/started/finished times). */
export function timestampNow(now: () => number = nowMicros): string {
  return formatMicros(now());
}

/** Build a run around its info; the same code serves local and pushed (external) runs. */
export function createRun(info: RunInfo, deps: RunDeps): Run {
  const now = deps.now ?? nowMicros;
  const monoNow = deps.monoNow ?? (() => performance.now());
  const clock = createRunClock(now);
  // the ring rebuilds timestamps from µs with the clock's own format, so it need not keep the strings
  const ring = createRingBuffer(deps.ringCapacity, info.total_lines, createMicrosFormatter());
  const tracker = createLayerTracker(info.layers, info.pipeline_status);
  let seq = info.total_lines;
  let batch: LogRecord[] = [];
  // parallel to batch, for the store: timestamps as µs (it would otherwise parse each string back), and the
  // JSON text each record's data was parsed from (it would otherwise serialise the data again)
  let batchMicros: number[] = [];
  let batchDataJson: { seqs: number[]; texts: string[] } = { seqs: [], texts: [] };
  let changedLayers: Layer[] = [];
  let nDebug = 0, nInfo = 0, nWarning = 0, nError = 0, nCritical = 0;
  const lastLevel: Partial<Record<Stream, Level>> = {};
  let saveTimer: NodeJS.Timeout | undefined;
  let resolveFinished!: (info: RunInfo) => void;
  const finished = new Promise<RunInfo>((resolve) => (resolveFinished = resolve));

  const save = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    info.layers = tracker.layers;
    info.pipeline_status = tracker.pipelineStatus;
    deps.store.saveRun(info);
  };
  const saveSoon = () => {
    if (!saveTimer) {
      saveTimer = setTimeout(save, SAVE_INTERVAL_MS);
      saveTimer.unref();
    }
  };

  const add = (stream: Stream, parsed: ParsedLine, continued: boolean) => {
    // A continued piece of a long line keeps the level its first piece had.
    const level = continued ? (lastLevel[stream] ?? parsed.level) : parsed.level;
    lastLevel[stream] = level;
    // Lines of one chunk were read at one moment: one clock read per batch, then 1 µs apart.
    const timestamp = batch.length === 0 ? clock.next() : clock.nextTie();
    batchMicros.push(clock.lastMicros);
    const record: LogRecord = { seq: ++seq, timestamp, stream, level, message: parsed.message };
    if (parsed.event !== undefined) record.event = parsed.event;
    if (parsed.data !== undefined) {
      record.data = parsed.data;
      if (parsed.dataJson !== undefined) {
        batchDataJson.seqs.push(seq);
        batchDataJson.texts.push(parsed.dataJson);
      }
    }
    if (continued) record.continued = true;
    // counted in locals and added to info.counts at commit: a keyed increment per line showed in profiles
    switch (level) {
      case 'INFO': nInfo++; break;
      case 'WARNING': nWarning++; break;
      case 'ERROR': nError++; break;
      case 'DEBUG': nDebug++; break;
      default: nCritical++;
    }
    batch.push(record);
    if (parsed.event !== undefined && !continued) {
      const layer = tracker.apply(parsed.event, parsed.data ?? {}, record.timestamp, monoNow());
      if (layer && !changedLayers.includes(layer)) changedLayers.push(layer);
    }
  };

  const run: Run = {
    info,
    ring,
    ingestLine(stream, text, continued, noEscapes = false) {
      add(stream, parseLine(text, stream, noEscapes), continued);
    },
    ingestParsed(stream, parsed) {
      add(stream, parsed, false);
    },
    commit() {
      if (batch.length === 0) return;
      const records = batch;
      const micros = batchMicros;
      const hints = { micros, dataJson: batchDataJson };
      batch = [];
      batchMicros = [];
      if (hints.dataJson.seqs.length > 0) batchDataJson = { seqs: [], texts: [] };
      for (let i = 0; i < records.length; i++) ring.append(records[i]!, micros[i]);
      info.total_lines = seq;
      const counts = info.counts;
      counts.DEBUG += nDebug;
      counts.INFO += nInfo;
      counts.WARNING += nWarning;
      counts.ERROR += nError;
      counts.CRITICAL += nCritical;
      nDebug = nInfo = nWarning = nError = nCritical = 0;
      deps.store.appendRecords(info.run_id, records, hints);
      deps.hub.publishRecords(info.run_id, records);
      if (changedLayers.length > 0) {
        const layers = changedLayers;
        changedLayers = [];
        info.layers = tracker.layers;
        info.pipeline_status = tracker.pipelineStatus;
        for (const layer of layers) deps.hub.publishLayer(info.run_id, layer);
      }
      saveSoon();
    },
    transition(status, patch = {}) {
      if (!ALLOWED[info.status].includes(status)) {
        throw new Error(`run ${info.run_id}: ${info.status} → ${status} is not an allowed transition`);
      }
      run.commit();
      Object.assign(info, patch);
      info.status = status;
      const at = timestampNow(now);
      if (status === 'running') info.started_at = at;
      if (FINAL_STATUSES.has(status)) {
        info.finished_at = at;
        // A pushed run has no process of ours: its runner finished the run with this layer still open.
        const ended = info.runner ? 'the runner finished the run' : 'the process ended';
        const reason = status === 'succeeded' ? `${ended} without finishing this layer` : `run ${status}`;
        for (const layer of tracker.closeOpen(at, monoNow(), reason)) deps.hub.publishLayer(info.run_id, layer);
      }
      save();
      if (FINAL_STATUSES.has(status)) deps.store.flush(info.run_id);
      deps.hub.publishRun(info);
      if (FINAL_STATUSES.has(status)) {
        deps.hub.publishComplete(info.run_id, status, info.exit_code);
        resolveFinished(info);
      }
    },
    finished,
    isFinal() {
      return FINAL_STATUSES.has(info.status);
    },
    persist() {
      run.commit();
      save();
    },
  };
  return run;
}
