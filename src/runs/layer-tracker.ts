// Structured events move layers pending → running → complete | error | skipped, and set the pipeline status.
import type { EventName, Layer, LayerStatus, PipelineStatus } from '../types.js';

const LAYER_STATUS_FOR: Partial<Record<EventName, LayerStatus>> = {
  layer_start: 'running',
  layer_complete: 'complete',
  layer_error: 'error',
  layer_skip: 'skipped',
};

/** Transitions kept per layer: a layer that retries all day must not grow the run without bound. */
export const MAX_LAYER_HISTORY = 50;

const PIPELINE_STATUSES: ReadonlySet<string> = new Set(['running', 'success', 'partial', 'error']);

export interface LayerTracker {
  /** the layers by number, each history at most MAX_LAYER_HISTORY long */
  readonly layers: Layer[];
  readonly pipelineStatus: PipelineStatus | null;
  /** apply one structured event; returns the layer it changed, if any (its history is bounded once `layers` is read) */
  apply(event: EventName, data: Record<string, unknown>, at: string, monoMs: number): Layer | undefined;
  /** layers still running when the run ends become error (the process died under them) */
  closeOpen(at: string, monoMs: number, reason: string): Layer[];
}

/** Track one run's layers and pipeline status; durations come from the event, else a monotonic clock. */
export function createLayerTracker(initial: Layer[] = [], initialPipeline: PipelineStatus | null = null): LayerTracker {
  const byNumber = new Map<number, Layer>(initial.map((layer) => [layer.layer, layer]));
  const startedMono = new Map<number, number>();
  let sorted = [...byNumber.values()].sort((a, b) => a.layer - b.layer);
  let pipelineStatus = initialPipeline;
  // Past the bound, a layer's oldest transitions go when the layers are read (a run does once per batch), not per
  // event: dropping the first of 51 entries on every event was most of what an event cost (~300 ns of ~400).
  const overfull = new Set<Layer>();
  const bounded = () => {
    for (const layer of overfull) layer.history.splice(0, layer.history.length - MAX_LAYER_HISTORY);
    overfull.clear();
    return sorted;
  };

  const layerFor = (number: number, name: string | null): Layer => {
    let layer = byNumber.get(number);
    if (!layer) {
      layer = {
        layer: number,
        layer_name: name,
        status: 'pending',
        started_at: null,
        finished_at: null,
        duration_ms: null,
        error: null,
        metadata: null,
        history: [],
      };
      byNumber.set(number, layer);
      sorted = [...byNumber.values()].sort((a, b) => a.layer - b.layer);
    }
    if (name) layer.layer_name = name;
    return layer;
  };

  const transition = (layer: Layer, status: LayerStatus, data: Record<string, unknown>, at: string, monoMs: number) => {
    layer.status = status;
    if (layer.history.push({ status, at }) > MAX_LAYER_HISTORY) overfull.add(layer);
    if (status === 'running') {
      layer.started_at = at;
      layer.finished_at = null;
      layer.duration_ms = null;
      layer.error = null;
      startedMono.set(layer.layer, monoMs);
      return;
    }
    layer.finished_at = at;
    const given = toNumber(data.duration_ms);
    const began = startedMono.get(layer.layer);
    layer.duration_ms = given ?? (began === undefined ? null : Math.round(monoMs - began));
    if (status === 'error') layer.error = describeError(data.error ?? data.message ?? data.msg) ?? 'error';
    if (status === 'skipped') layer.error = null;
    if (isObject(data.metadata)) layer.metadata = data.metadata;
  };

  return {
    get layers() {
      return bounded();
    },
    get pipelineStatus() {
      return pipelineStatus;
    },
    apply(event, data, at, monoMs) {
      if (event === 'pipeline_start') {
        pipelineStatus = 'running';
        return undefined;
      }
      if (event === 'pipeline_complete') {
        const status = String(data.status ?? 'success').toLowerCase();
        pipelineStatus = (PIPELINE_STATUSES.has(status) ? status : 'success') as PipelineStatus;
        return undefined;
      }
      const status = LAYER_STATUS_FOR[event];
      const number = toNumber(data.layer);
      if (!status || number === undefined) return undefined;
      const name = typeof data.layer_name === 'string' ? data.layer_name : typeof data.name === 'string' ? data.name : null;
      const layer = layerFor(number, name);
      transition(layer, status, data, at, monoMs);
      return layer;
    },
    closeOpen(at, monoMs, reason) {
      const closed: Layer[] = [];
      for (const layer of sorted) {
        if (layer.status !== 'running') continue;
        transition(layer, 'error', { error: reason }, at, monoMs);
        closed.push(layer);
      }
      bounded();
      return closed;
    },
  };
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(value: unknown): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.message === 'string') return value.message;
  return JSON.stringify(value);
}
