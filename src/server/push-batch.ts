// A pushed batch is checked whole before anything is stored; each entry then becomes a record like a JSON log line.
import { array, int, looseObject, minimum, number, object, optional, string, union, type output } from '../zod.js';
import { SupervisorError } from '../errors.js';
import { normalizeLevel, parseLine, stripAnsi } from '../parse/index.js';
import { EVENT_NAMES, type ParsedLine } from '../types.js';

/** Entries one request may carry (bodies are also limited to 1 MiB). */
export const MAX_BATCH_ENTRIES = 10_000;
// Issues named in one 400 message; the rest are counted.
const MAX_ISSUES_SHOWN = 5;
const EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);
const TRAILING_CR = /\r+$/;

const positiveInt = (what: string) => number({ error: `expected ${what}` }).check(int({ error: `expected ${what}` }), minimum(1, { error: `expected ${what}` }));

// Only what we read is checked; every other field (timestamp, event, layer, …) is kept as is in the record's data.
const entrySchema = looseObject({
  level: optional(union([string(), number()], { error: 'expected a level name such as "info" or "WARNING", or a pino number' })),
  message: optional(string({ error: 'expected string' })),
  client_seq: optional(positiveInt('a positive integer')),
});

const batchSchema = object({
  logs: array(entrySchema, { error: 'expected an array of entries {"level", "message", "timestamp", …}' }),
});

/** One pushed entry as validated: the fields we read, and all the others. */
export type PushEntry = output<typeof entrySchema>;

/**
 * The entries of a POST /api/runs/:runId/logs body, or BAD_REQUEST naming every problem
 * (`logs[3].message: expected string`). Nothing is stored from a batch that fails.
 */
export function validateBatch(body: unknown): PushEntry[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SupervisorError('BAD_REQUEST', 'body: send a JSON object {"logs": [{"level", "message", "timestamp"}, …]}');
  }
  const logs = (body as { logs?: unknown }).logs;
  // Counted before any entry is looked at: an oversized batch costs nothing to refuse.
  if (Array.isArray(logs) && logs.length > MAX_BATCH_ENTRIES) {
    throw new SupervisorError('BAD_REQUEST', `logs: at most ${MAX_BATCH_ENTRIES} entries per batch, got ${logs.length}; split the batch`);
  }
  const parsed = batchSchema.safeParse(body);
  const issues: Issue[] = parsed.success ? [] : parsed.error.issues.map((issue) => ({ at: entryIndex(issue.path), text: `${formatPath(issue.path)}: ${issue.message}` }));
  if (Array.isArray(logs)) checkEntries(logs, issues);
  if (issues.length > 0) {
    issues.sort((a, b) => a.at - b.at); // stable: per entry, in the order found
    const shown = issues.slice(0, MAX_ISSUES_SHOWN).map((issue) => issue.text);
    const more = issues.length > MAX_ISSUES_SHOWN ? `; and ${issues.length - MAX_ISSUES_SHOWN} more` : '';
    throw new SupervisorError('BAD_REQUEST', `bad batch, nothing stored: ${shown.join('; ')}${more}`);
  }
  return parsed.data!.logs;
}

interface Issue {
  /** the entry it is about (-1: the body) */
  at: number;
  text: string;
}

// What a schema cannot say: a message unless the entry is an event, and client_seq on all entries or none,
// increasing. Read from the raw entries, so a batch with type errors is told about these too.
function checkEntries(logs: unknown[], issues: Issue[]): void {
  const seqOf = (entry: unknown) => (entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>).client_seq : undefined);
  const numbered = logs.length > 0 && seqOf(logs[0]) !== undefined;
  let previous = 0;
  for (let i = 0; i < logs.length; i++) {
    const entry = logs[i];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue; // the schema named it
    const { message, event } = entry as Record<string, unknown>;
    if (message === undefined && typeof event !== 'string') issues.push({ at: i, text: `logs[${i}].message: expected string` });
    const seq = seqOf(entry);
    if ((seq !== undefined) !== numbered) {
      issues.push({ at: i, text: `logs[${i}].client_seq: give client_seq on every entry of a batch or on none` });
    } else if (typeof seq === 'number') {
      if (seq <= previous) issues.push({ at: i, text: `logs[${i}].client_seq: must be greater than the entry before it (${previous})` });
      previous = seq;
    }
  }
}

/**
 * One entry as the parser would read it as a JSON line: a structured event (`layer_start`…) through the
 * parser itself, so its level rules and summary apply; else level from `level` (any case, synonyms, pino
 * numbers; missing or unknown: INFO), message from `message`. The data is the whole entry.
 */
export function parseEntry(entry: PushEntry): ParsedLine {
  const event = entry.event;
  if (typeof event === 'string' && EVENTS.has(event)) return parseLine(JSON.stringify(entry), 'push');
  const raw = entry.message ?? (typeof event === 'string' ? event : '');
  let message = raw.includes('\u001b') ? stripAnsi(raw) : raw;
  if (message.charCodeAt(message.length - 1) === 13 /* \r */) message = message.replace(TRAILING_CR, '');
  return { level: normalizeLevel(entry.level) ?? 'INFO', message, data: entry };
}

function entryIndex(path: readonly PropertyKey[]): number {
  return path[0] === 'logs' && typeof path[1] === 'number' ? path[1] : -1;
}

// ['logs', 3, 'message'] → logs[3].message
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}
