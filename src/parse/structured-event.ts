// The six pipeline events: their level rules and a short human summary built from their own fields.
import { EVENT_NAMES, type EventName, type Level, type ParsedLine } from '../types.js';
import { normalizeLevel } from './levels.js';

const EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);
// A summary stays short: any one field shown in it is cut to this many characters (data keeps it all).
const MAX_PART = 300;

/** Whether a JSON object is one of the six structured events. */
export function isStructuredEvent(data: Record<string, unknown>): boolean {
  const event = data.event;
  return typeof event === 'string' && EVENTS.has(event);
}

/** The record of a structured event: an explicit `level` wins, else error/partial rules, else INFO. */
export function parseStructuredEvent(data: Record<string, unknown>): ParsedLine {
  const event = data.event as EventName;
  return { level: eventLevel(event, data), message: summarizeEvent(event, data), event, data };
}

function eventLevel(event: EventName, data: Record<string, unknown>): Level {
  if (data.level !== undefined) {
    const explicit = normalizeLevel(data.level); // one that cannot be normalized is ignored
    if (explicit) return explicit;
  }
  if (event === 'layer_error') return 'ERROR';
  if (event === 'pipeline_complete' && typeof data.status === 'string') {
    const status = data.status.toLowerCase();
    if (status === 'error' || status === 'failed' || status === 'failure') return 'ERROR';
    if (status === 'partial') return 'WARNING';
  }
  return 'INFO';
}

/**
 * "layer 4 opportunity_mapper complete in 4500 ms", "pipeline complete: partial in 12.3 s",
 * "layer 3 enrich error: timeout": a pure function of the event's fields; missing parts are omitted.
 * A `message`/`msg` string is the error or skip reason when those are missing, else appended.
 */
export function summarizeEvent(event: EventName, data: Record<string, unknown>): string {
  let note = showField(data.message) || showField(data.msg);
  let summary: string;
  switch (event) {
    case 'pipeline_start': {
      const name = showField(data.pipeline) || showField(data.pipeline_name);
      summary = name ? `pipeline ${name} started` : 'pipeline started';
      break;
    }
    case 'pipeline_complete': {
      const status = showField(data.status);
      summary = (status ? `pipeline complete: ${status}` : 'pipeline complete') + formatDuration(data.duration_ms);
      break;
    }
    case 'layer_start':
      summary = `${layerLabel(data)} started`;
      break;
    case 'layer_complete':
      summary = `${layerLabel(data)} complete${formatDuration(data.duration_ms)}`;
      break;
    case 'layer_error': {
      let error = showError(data.error);
      if (!error) {
        error = note;
        note = '';
      }
      summary = error ? `${layerLabel(data)} error: ${error}` : `${layerLabel(data)} error`;
      break;
    }
    case 'layer_skip': {
      let reason = showField(data.reason);
      if (!reason) {
        reason = note;
        note = '';
      }
      summary = reason ? `${layerLabel(data)} skipped: ${reason}` : `${layerLabel(data)} skipped`;
      break;
    }
    default:
      summary = String(event);
  }
  return note ? `${summary} — ${note}` : summary;
}

// "layer 4 opportunity_mapper", "layer 4", or just "layer" when the event names neither.
function layerLabel(data: Record<string, unknown>): string {
  const layer = showField(data.layer);
  const name = showField(data.layer_name);
  if (layer && name) return `layer ${layer} ${name}`;
  if (layer || name) return `layer ${layer || name}`;
  return 'layer';
}

// An error is a string, or an object whose `message` says it (a serialized Error), or anything else as JSON.
function showError(error: unknown): string {
  if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
    const message = (error as Record<string, unknown>).message;
    if (typeof message === 'string' && message !== '') return cut(message);
  }
  return showField(error);
}

// A field as short text: '' when missing, null or empty; strings as they are; the rest as JSON.
function showField(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return cut(JSON.stringify(value) ?? '');
  } catch {
    return ''; // cannot happen for parsed JSON within MAX_JSON_DEPTH; never throw anyway
  }
}

function cut(text: string): string {
  return text.length > MAX_PART ? `${text.slice(0, MAX_PART - 1)}…` : text;
}

// " in 4500 ms" under ten seconds, " in 12.3 s" from there; '' when the event gives no number.
function formatDuration(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms >= 10_000 ? ` in ${(ms / 1000).toFixed(1)} s` : ` in ${Math.round(ms)} ms`;
}
