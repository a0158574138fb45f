// Query strings of the log routes, checked: cursors, counts, level, stream, grep.
import { SupervisorError, type ErrorCode } from '../errors.js';
import { normalizeLevel } from '../parse/index.js';
import type { LogQuery } from '../store/index.js';
import { parseTimestampCursor } from '../store/index.js';
import { STREAMS, type Stream } from '../types.js';

// Page sizes of the design (tail 500, limit 1000 up to 10,000); a bigger tail is capped, not refused.
export const DEFAULT_TAIL = 500;
export const MAX_TAIL = 100_000;
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;
const MAX_GREP = 1000;

type Query = Record<string, unknown>;

/** A single query value, or undefined; repeated keys are refused. */
export function singleParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new SupervisorError('BAD_REQUEST', `${name} is given more than once`);
  return String(value);
}

/** A whole number ≥ min from a query value; `code` says whether a bad one is a cursor or a plain bad request. */
export function intParam(query: Query, name: string, options: { min: number; code?: ErrorCode }): number | undefined {
  const raw = singleParam(query, name);
  if (raw === undefined) return undefined;
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < options.min) {
    throw new SupervisorError(options.code ?? 'BAD_REQUEST', `${name} takes a whole number ≥ ${options.min}, got "${raw}"`);
  }
  return value;
}

/** A sequence cursor (after, before, Last-Event-ID). */
export function seqParam(query: Query, name: string, min = 0): number | undefined {
  return intParam(query, name, { min, code: 'BAD_CURSOR' });
}

/** The filters shared by the page, stream and download routes. */
export function readFilters(query: Query): Pick<LogQuery, 'minLevel' | 'stream' | 'grep'> {
  const filters: Pick<LogQuery, 'minLevel' | 'stream' | 'grep'> = {};
  const level = singleParam(query, 'level');
  if (level !== undefined && level !== '') {
    const minLevel = normalizeLevel(level);
    if (!minLevel) throw new SupervisorError('BAD_REQUEST', `level takes DEBUG, INFO, WARNING, ERROR or CRITICAL (any case), got "${level}"`);
    filters.minLevel = minLevel;
  }
  const stream = singleParam(query, 'stream');
  if (stream !== undefined && stream !== '') {
    if (!STREAMS.includes(stream as Stream)) throw new SupervisorError('BAD_REQUEST', `stream takes ${STREAMS.join(', ')}, got "${stream}"`);
    filters.stream = stream as Stream;
  }
  const grep = singleParam(query, 'grep');
  if (grep !== undefined && grep !== '') {
    if (grep.length > MAX_GREP) throw new SupervisorError('BAD_REQUEST', `grep takes at most ${MAX_GREP} characters`);
    filters.grep = grep;
  }
  return filters;
}

/** What a logs page reads, and how many records it returns at most. */
export interface LogsPageParams {
  /** 'tail': the last `count` records; 'forward': up to `count` records after the cursor */
  mode: 'tail' | 'forward';
  count: number;
  query: LogQuery;
}

/** GET /api/runs/{id}/logs: without a cursor the last `tail` (500); with since/after up to `limit` (1000, max 10,000). */
export function readLogsPageParams(query: Query): LogsPageParams {
  const base: LogQuery = readFilters(query);
  const after = seqParam(query, 'after');
  const before = seqParam(query, 'before', 1);
  const since = singleParam(query, 'since');
  if (since !== undefined) {
    try {
      parseTimestampCursor(since);
    } catch (error) {
      throw new SupervisorError('BAD_CURSOR', `since: ${(error as Error).message}`);
    }
  }
  if (before !== undefined) base.before = before;
  const tail = intParam(query, 'tail', { min: 0 });
  const limit = intParam(query, 'limit', { min: 0 });
  if (after === undefined && since === undefined) {
    return { mode: 'tail', count: Math.min(tail ?? DEFAULT_TAIL, MAX_TAIL), query: base };
  }
  if (after !== undefined) base.after = after;
  if (since !== undefined) base.since = since;
  return { mode: 'forward', count: Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT), query: base };
}
