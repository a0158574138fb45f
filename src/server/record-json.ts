// Records serialized once, however many subscribers they go to: per batch (a hub batch goes to every live
// subscriber) and whole WebSocket frames (the same batches in a flush round). Nothing is cached per record:
// the ring holds records for a long time, and a JSON copy of each would double its memory.
import type { LogRecord } from '../types.js';

const batchJson = new WeakMap<readonly LogRecord[], string>();
const batchSse = new WeakMap<readonly LogRecord[], string>();
const frames = new WeakMap<readonly LogRecord[], { batches: readonly (readonly LogRecord[])[]; frame: Buffer }>();

/**
 * One record as JSON: the same text as JSON.stringify(record) for every record the engine builds (its keys
 * in this order), about a quarter cheaper, since only message, event and data need a general serializer.
 */
export function recordJson(r: LogRecord): string {
  let text = `{"seq":${r.seq},"timestamp":${JSON.stringify(r.timestamp)},"stream":"${r.stream}","level":"${r.level}","message":${JSON.stringify(r.message)}`;
  if (r.event !== undefined) text += `,"event":${JSON.stringify(r.event)}`;
  if (r.data !== undefined) text += `,"data":${JSON.stringify(r.data)}`;
  if (r.continued === true) text += ',"continued":true';
  return `${text}}`;
}

/** The records as comma-separated JSON objects (no brackets), cached per batch array. */
export function recordsJson(batch: readonly LogRecord[]): string {
  let text = batchJson.get(batch);
  if (text === undefined) {
    text = batch.map(recordJson).join(',');
    batchJson.set(batch, text);
  }
  return text;
}

/** A WebSocket `logs` frame for batches of one run, in order; the same batches give the same Buffer. */
export function logsFrame(runId: string, batches: readonly (readonly LogRecord[])[]): Buffer {
  const first = batches[0];
  const cached = first && frames.get(first);
  if (cached && cached.batches.length === batches.length && cached.batches.every((b, i) => b === batches[i])) return cached.frame;
  let body = '';
  for (const batch of batches) {
    if (batch.length === 0) continue;
    body += (body ? ',' : '') + recordsJson(batch);
  }
  const frame = Buffer.from(`{"type":"logs","run_id":${JSON.stringify(runId)},"records":[${body}]}`);
  if (first) frames.set(first, { batches: [...batches], frame });
  return frame;
}

/** The records as SSE `log` events (id = seq), cached per batch array. */
export function recordsSse(batch: readonly LogRecord[]): string {
  let text = batchSse.get(batch);
  if (text === undefined) {
    text = '';
    for (const record of batch) text += `id: ${record.seq}\nevent: log\ndata: ${recordJson(record)}\n\n`;
    batchSse.set(batch, text);
  }
  return text;
}
