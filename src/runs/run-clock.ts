// Record timestamps: ISO 8601 UTC with microseconds, strictly increasing per run (ties bumped by 1 µs).

/** Microseconds since the epoch, from the high-resolution clock. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** ISO 8601 UTC with six fractional digits for a count of microseconds since the epoch. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // 2025-10-31T12:00:01.123Z
  return `${iso.slice(0, 23)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
}

/** The time now as a run timestamp (created/started/finished times). */
export function timestampNow(now: () => number = nowMicros): string {
  return formatMicros(now());
}

export interface RunClock {
  /** the next timestamp of this run as µs since the epoch, never equal to or before the previous one */
  next(): number;
  /** the next timestamp for a line read at the same moment as the previous one (a chunk's later lines) */
  nextTie(): number;
}

/**
 * formatMicros for many timestamps in a row: the millisecond part is formatted once while it stays the same, so
 * a timestamp is then one concatenation (one small string) rather than a Date and three.
 */
export function createMicrosFormatter(): (micros: number) => string {
  let cachedMs = Number.NaN;
  let cachedPrefix = '';
  return (micros) => {
    const ms = Math.floor(micros / 1000);
    if (ms !== cachedMs) {
      cachedMs = ms;
      cachedPrefix = new Date(ms).toISOString().slice(0, 23);
    }
    const us = micros - ms * 1000;
    return cachedPrefix + (MICRO_SUFFIXES[us] ?? `${String(us).padStart(3, '0')}Z`); // the table misses only a fractional µs
  };
}

/** One run's clock (records are stamped in µs; strings are made only when a record is read); `now` is injectable so tests can pin time. */
export function createRunClock(now: () => number = nowMicros, startAfter = 0): RunClock {
  let last = startAfter;
  return {
    next() {
      const t = now();
      last = t > last ? t : last + 1;
      return last;
    },
    nextTie() {
      return ++last;
    },
  };
}

// "000Z" … "999Z": a timestamp is then one concatenation (one small string) rather than three.
const MICRO_SUFFIXES: readonly string[] = Array.from({ length: 1000 }, (_, us) => `${String(us).padStart(3, '0')}Z`);
