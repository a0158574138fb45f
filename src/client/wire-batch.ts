// Queued entries → one request body: numbered, within the daemon's limits, serialized once and resent as is.
import type { EntryQueue, QueuedEntry, WireEntry } from './entry-queue.js';

/** The daemon refuses more entries than this per request. */
export const DAEMON_MAX_ENTRIES = 10_000;
/** …and bodies over 1 MiB. */
export const DAEMON_MAX_BYTES = 1024 * 1024;
// An entry alone over the batch budget keeps at most this much of its message.
const CUT_MESSAGE_CHARS = 64 * 1024;
const BODY_OVERHEAD = '{"logs":[]}'.length;

/** A batch on its way: the exact bytes to send (and resend), and which entries they hold. */
export interface WireBatch {
  body: string;
  /** queued items in it, the gap notice included */
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** the gap notice, when the batch carries it */
  notice: QueuedEntry | undefined;
}

/** What one batch may hold, and how its entries are numbered on the wire. */
export interface BatchLimits {
  maxEntries: number;
  maxBytes: number;
  /** added to each local seq to make the client_seq on the wire (the daemon's count when the logger attached) */
  seqBase: number;
}

/** Take the oldest entries that fit the limits (always at least one) off the queue as a batch. */
export function takeBatch(queue: EntryQueue, limits: BatchLimits, notice: QueuedEntry | undefined): WireBatch {
  const max = Math.min(queue.length, limits.maxEntries);
  const parts: string[] = [];
  let bytes = BODY_OVERHEAD;
  let carried: QueuedEntry | undefined;
  while (parts.length < max) {
    const item = queue.at(parts.length);
    let text = serializeEntry(item.entry, limits.seqBase + item.seq);
    let size = Buffer.byteLength(text);
    // An entry alone over the budget keeps the start of its message: halved until it fits.
    for (let keep = CUT_MESSAGE_CHARS, from = size; size + BODY_OVERHEAD > limits.maxBytes && keep >= 16; keep >>= 1) {
      text = serializeEntry(cutEntry(item.entry, from, keep), limits.seqBase + item.seq);
      size = Buffer.byteLength(text);
    }
    if (parts.length > 0 && bytes + size + 1 > limits.maxBytes) break;
    parts.push(text);
    bytes += size + 1;
    if (item === notice) carried = item;
  }
  const items = queue.shift(parts.length);
  return {
    body: `{"logs":[${parts.join(',')}]}`,
    count: items.length,
    firstSeq: items[0]!.seq,
    lastSeq: items[items.length - 1]!.seq,
    notice: carried,
  };
}

/** The entry's JSON with its client_seq last; an entry JSON cannot express (a BigInt, a cycle) keeps its text. */
export function serializeEntry(entry: WireEntry, clientSeq: number): string {
  let json: string;
  try {
    json = JSON.stringify(entry);
  } catch (error) {
    json = JSON.stringify({
      level: typeof entry.level === 'string' ? entry.level : undefined,
      message: String(entry.message ?? ''),
      timestamp: entry.timestamp,
      unserializable: (error as Error).message,
    });
  }
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"client_seq":${clientSeq}}`;
}

// Too big for any batch: the level, time, event fields and the start of the message survive, marked as cut.
function cutEntry(entry: WireEntry, size: number, keep: number): WireEntry {
  const message = String(entry.message ?? '');
  const cut: WireEntry = {
    level: entry.level,
    message: message.length > keep ? `${message.slice(0, keep)}… [cut]` : message,
    timestamp: entry.timestamp,
    cut_from_bytes: size,
  };
  for (const key of ['event', 'layer', 'layer_name', 'status'] as const) if (entry[key] !== undefined) cut[key] = entry[key];
  return cut;
}
