// One run's state: lines become records (seq, time, level) and fan out to ring, store and hub in batches.
import { parseLine, plainLineLevel } from '../parse/index.js';
import { clearColumns, createColumns, pushRow } from '../record-columns.js';
import type { RingBuffer } from '../sinks/ring-buffer.js';
import { createRingBuffer } from '../sinks/ring-buffer.js';
import type { Hub } from '../sinks/hub.js';
import type { Store } from '../store/index.js';
import {
  FINAL_STATUSES,
  LEVELS,
  levelCode,
  type Level,
  recordCode,
  streamCode,
  type Layer,
  type ParsedLine,
  type RunInfo,
  type RunStatus,
  type Stream,
} from '../types.js';
import { createLayerTracker } from './layer-tracker.js';
import { createMicrosFormatter, createRunClock, formatMicros, nowMicros, timestampNow } from './run-clock.js';

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
  transition(status: RunStatus, patch?: Partial<Pick<RunInfo, 'pid' | 'exit_code' | 'signal' | 'started_at'>>): void;
  readonly finished: Promise<RunInfo>;
  isFinal(): boolean;
  /** save the state now and stop the save timer: the daemon stops while the run goes on (an external run) */
  persist(): void;
}


/** Build a run around its info; the same code serves local and pushed (external) runs. */
export function createRun(info: RunInfo, deps: RunDeps): Run {
  const now = deps.now ?? nowMicros;
  const monoNow = deps.monoNow ?? (() => performance.now());
  const clock = createRunClock(now);
  // records carry µs: the ring (and the layer tracker, for an event's time) format them when they need strings
  const format = createMicrosFormatter();
  const ring = createRingBuffer(deps.ringCapacity, info.total_lines, format);
  const tracker = createLayerTracker(info.layers, info.pipeline_status);
  // the records since the last commit, as columns (reused: ring, store and hub copy what they keep); its lastSeq is
  // the run's last seq
  const batch = createColumns(info.total_lines + 1);
  let changedLayers: Layer[] = [];
  // lines per level code since the last commit (added to info.counts then: a keyed increment per line showed in profiles)
  const levelCounts = new Uint32Array(LEVELS.length);
  // per stream code, the level code of its last line (-1: none yet)
  const lastLevel = [-1, -1, -1];
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

  // One line into the batch: its level and message, and the parse result when it has more (an event, data).
  const add = (stream: Stream, level: Level, message: string, parsed: ParsedLine | undefined, continued: boolean) => {
    const streamNo = streamCode(stream)!;
    // A continued piece of a long line keeps the level its first piece had.
    const levelNo = continued && lastLevel[streamNo]! >= 0 ? lastLevel[streamNo]! : levelCode(level)!;
    lastLevel[streamNo] = levelNo;
    levelCounts[levelNo]++;
    // Lines of one chunk were read at one moment: one clock read per batch, then 1 µs apart.
    const micros = batch.end === 0 ? clock.next() : clock.nextTie();
    const event = parsed?.event;
    const data = parsed?.data;
    pushRow(
      batch,
      micros,
      recordCode(streamNo, levelNo, continued),
      message,
      event !== undefined || data !== undefined
        ? { event, data, dataJson: data !== undefined ? parsed!.dataJson : undefined }
        : undefined,
    );
    if (event !== undefined && !continued) {
      const layer = tracker.apply(event, data ?? {}, format(micros), monoNow());
      if (layer && !changedLayers.includes(layer)) changedLayers.push(layer);
    }
  };

  const run: Run = {
    info,
    ring,
    ingestLine(stream, text, continued, noEscapes = false) {
      // most lines are plain text kept whole: they need no parse result of their own
      const plain = plainLineLevel(text, stream, noEscapes);
      if (plain !== undefined) add(stream, plain, text, undefined, continued);
      else {
        const parsed = parseLine(text, stream, noEscapes);
        add(stream, parsed.level, parsed.message, parsed, continued);
      }
    },
    ingestParsed(stream, parsed) {
      add(stream, parsed.level, parsed.message, parsed, false);
    },
    commit() {
      if (batch.end === 0) return;
      ring.append(batch);
      info.total_lines = batch.lastSeq;
      for (let level = 0; level < LEVELS.length; level++) info.counts[LEVELS[level]!] += levelCounts[level]!;
      levelCounts.fill(0);
      deps.store.appendColumns(info.run_id, batch);
      deps.hub.publishRecords(info.run_id, batch);
      clearColumns(batch, batch.lastSeq + 1);
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
      if (status === 'running' && !patch.started_at) info.started_at = at;
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
