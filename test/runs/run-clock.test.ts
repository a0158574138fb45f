import { describe, expect, it } from 'vitest';
import { createMicrosFormatter, createRunClock, formatMicros } from '../../src/runs/run-clock.js';

describe('run clock', () => {
  it('formats microseconds as ISO 8601 UTC with six digits', () => {
    expect(formatMicros(Date.UTC(2025, 9, 31, 12, 0, 1, 123) * 1000 + 456)).toBe('2025-10-31T12:00:01.123456Z');
    expect(formatMicros(Date.UTC(2025, 9, 31, 12, 0, 1, 0) * 1000 + 7)).toBe('2025-10-31T12:00:01.000007Z');
  });

  it('formats exactly as formatMicros with its cached millisecond part, in any order of times', () => {
    const format = createMicrosFormatter();
    const base = Date.UTC(2025, 9, 31, 23, 59, 59, 998) * 1000;
    const times = [base, base + 1, base + 999, base + 1000, base + 2_500, base - 7, base + 0.5, base + 86_400_000_000, base];
    for (const micros of times) expect(format(micros)).toBe(formatMicros(micros));
  });

  it('bumps ties and clock steps backwards by 1 µs so timestamps strictly increase', () => {
    const base = Date.UTC(2025, 9, 31, 12, 0, 0) * 1000;
    const times = [base, base, base, base - 5_000_000, base + 999, base + 999];
    let i = 0;
    const clock = createRunClock(() => times[i++]!);
    const stamps = times.map(() => formatMicros(clock.next()));
    expect(stamps).toEqual([
      '2025-10-31T12:00:00.000000Z',
      '2025-10-31T12:00:00.000001Z',
      '2025-10-31T12:00:00.000002Z',
      '2025-10-31T12:00:00.000003Z',
      '2025-10-31T12:00:00.000999Z',
      '2025-10-31T12:00:00.001000Z',
    ]);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('crosses a millisecond boundary correctly from the cache', () => {
    const base = Date.UTC(2025, 0, 1) * 1000 + 999;
    const times = [base, base + 1, base + 1001];
    let i = 0;
    const clock = createRunClock(() => times[i++]!);
    expect([clock.next(), clock.next(), clock.next()].map(formatMicros)).toEqual([
      '2025-01-01T00:00:00.000999Z',
      '2025-01-01T00:00:00.001000Z',
      '2025-01-01T00:00:00.002000Z',
    ]);
  });
});

describe('run clock ties within a chunk', () => {
  it('nextTie steps 1 µs without reading the clock, and next never goes back', () => {
    let reads = 0;
    const base = Date.UTC(2025, 0, 1) * 1000;
    const clock = createRunClock(() => (reads++, base));
    expect(formatMicros(clock.next())).toBe('2025-01-01T00:00:00.000000Z');
    expect(formatMicros(clock.nextTie())).toBe('2025-01-01T00:00:00.000001Z');
    expect(formatMicros(clock.nextTie())).toBe('2025-01-01T00:00:00.000002Z');
    expect(reads).toBe(1);
    expect(formatMicros(clock.next())).toBe('2025-01-01T00:00:00.000003Z');
  });
});
