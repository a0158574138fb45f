// The download's text lines.
import { describe, expect, it } from 'vitest';
import { formatLogChunks, formatLogLine } from '../../src/server/format-log-line.js';
import type { LogRecord } from '../../src/types.js';

const record = (seq: number, patch: Partial<LogRecord> = {}): LogRecord => ({
  seq,
  timestamp: '2025-10-31T12:00:01.123456Z',
  stream: 'stdout',
  level: 'INFO',
  message: `line ${seq}`,
  ...patch,
});

describe('download lines', () => {
  it('aligns level and stream and keeps multi-line messages readable', () => {
    expect(formatLogLine(record(1))).toBe('2025-10-31T12:00:01.123456Z INFO    stdout line 1\n');
    expect(formatLogLine(record(2, { level: 'CRITICAL', stream: 'push' }))).toBe('2025-10-31T12:00:01.123456Z CRITICAL push line 2\n');
    expect(formatLogLine(record(3, { message: 'a\r\nb' }))).toBe('2025-10-31T12:00:01.123456Z INFO    stdout a\n    b\n');
  });

  it('groups lines into chunks of about the size asked', () => {
    const chunks = [...formatLogChunks(Array.from({ length: 100 }, (_, i) => record(i + 1)), 500)];
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('').split('\n')).toHaveLength(101);
  });
});
