// Query strings of the log routes: defaults, caps, cursors and filters, and the errors for bad ones.
import { describe, expect, it } from 'vitest';
import { SupervisorError } from '../../src/errors.js';
import { MAX_LIMIT, MAX_TAIL, readLogsPageParams } from '../../src/server/log-params.js';

const codeOf = (query: Record<string, unknown>) => {
  try {
    readLogsPageParams(query);
    return 'ok';
  } catch (error) {
    return (error as SupervisorError).code;
  }
};

describe('log page params', () => {
  it('defaults to the last 500, or 1000 after a cursor, and caps both', () => {
    expect(readLogsPageParams({})).toEqual({ mode: 'tail', count: 500, query: {} });
    expect(readLogsPageParams({ tail: '20' })).toMatchObject({ mode: 'tail', count: 20 });
    expect(readLogsPageParams({ tail: '99999999' }).count).toBe(MAX_TAIL);
    expect(readLogsPageParams({ after: '7' })).toEqual({ mode: 'forward', count: 1000, query: { after: 7 } });
    expect(readLogsPageParams({ after: '7', limit: '99999' }).count).toBe(MAX_LIMIT);
    const since = '2025-10-31T12:00:01.123456Z';
    expect(readLogsPageParams({ since, limit: '5', tail: '3' })).toEqual({ mode: 'forward', count: 5, query: { since } });
  });

  it('reads level (any case, synonyms), stream, grep and before', () => {
    expect(readLogsPageParams({ level: 'warn', stream: 'stderr', grep: 'boom', before: '10' }).query).toEqual({
      minLevel: 'WARNING',
      stream: 'stderr',
      grep: 'boom',
      before: 10,
    });
    expect(readLogsPageParams({ level: 'Fatal' }).query.minLevel).toBe('CRITICAL');
  });

  it('refuses bad values: cursors with BAD_CURSOR, the rest with BAD_REQUEST', () => {
    expect(codeOf({ after: '-1' })).toBe('BAD_CURSOR');
    expect(codeOf({ after: '1e3' })).toBe('BAD_CURSOR');
    expect(codeOf({ before: '0' })).toBe('BAD_CURSOR');
    expect(codeOf({ since: 'not a time' })).toBe('BAD_CURSOR');
    expect(codeOf({ tail: '-5' })).toBe('BAD_REQUEST');
    expect(codeOf({ limit: 'lots', after: '0' })).toBe('BAD_REQUEST');
    expect(codeOf({ level: 'verbose-ish' })).toBe('BAD_REQUEST');
    expect(codeOf({ stream: 'stdin' })).toBe('BAD_REQUEST');
    expect(codeOf({ tail: ['1', '2'] })).toBe('BAD_REQUEST');
    expect(codeOf({ grep: 'x'.repeat(1001) })).toBe('BAD_REQUEST');
  });
});
