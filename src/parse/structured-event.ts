// The six pipeline events: their level rules and a short human summary built from their own fields.
import { EVENT_NAMES, type EventName, type Level, type ParsedLine } from '../types.js';
import { normalizeLevel } from './levels.js';

const EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);

/** Whether a JSON object is one of the six structured events. */
export function isStructuredEvent(data: Record<string, unknown>): boolean {
  return typeof data.event === 'string' && EVENTS.has(data.event);
}

/** The record of a structured event: explicit level wins, else error/partial rules, else INFO. */
export function parseStructuredEvent(data: Record<string, unknown>): ParsedLine {
  const event = data.event as EventName;
  return { level: eventLevel(event, data), message: summarize(event, data), event, data };
}

function eventLevel(event: EventName, data: Record<string, unknown>): Level {
  const explicit = normalizeLevel(data.level);
  if (explicit) return explicit;
  const status = typeof data.status === 'string' ? data.status.toLowerCase() : '';
  if (event === 'layer_error') return 'ERROR';
  if (event === 'pipeline_complete' && (status === 'error' || status === 'failed')) return 'ERROR';
  if (event === 'pipeline_complete' && status === 'partial') return 'WARNING';
  return 'INFO';
}

function summarize(event: EventName, data: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value));
  const layer = ['layer', data.layer, data.layer_name ?? data.name].filter((p) => p !== undefined && p !== null && p !== '').map(text).join(' ');
  const duration = typeof data.duration_ms === 'number' ? formatMs(data.duration_ms) : '';
  const note = typeof data.message === 'string' ? data.message : typeof data.msg === 'string' ? data.msg : '';
  let summary: string;
  switch (event) {
    case 'pipeline_start': {
      const name = text(data.pipeline ?? data.pipeline_name ?? '');
      summary = name ? `pipeline ${name} started` : 'pipeline started';
      break;
    }
    case 'pipeline_complete':
      summary = `pipeline complete: ${text(data.status ?? 'success')}${duration ? ` in ${duration}` : ''}`;
      break;
    case 'layer_start':
      summary = `${layer} started`;
      break;
    case 'layer_complete':
      summary = `${layer} complete${duration ? ` in ${duration}` : ''}`;
      break;
    case 'layer_error': {
      const error = text(typeof data.error === 'object' && data.error !== null && 'message' in data.error ? (data.error as { message: unknown }).message : data.error);
      summary = `${layer} error${error ? `: ${error}` : ''}`;
      break;
    }
    case 'layer_skip': {
      const reason = text(data.reason ?? '');
      summary = `${layer} skipped${reason ? `: ${reason}` : ''}`;
      break;
    }
  }
  return note && event !== 'layer_error' ? `${summary} — ${note}` : summary;
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
