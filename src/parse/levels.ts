// Level names, synonyms and numbers from real loggers, mapped onto our five levels.
import type { Level, Stream } from '../types.js';

/** Every spelling we accept for a level, upper-cased, mapped to the level it means. */
export const LEVEL_SYNONYMS: ReadonlyMap<string, Level> = new Map<string, Level>([
  ['DEBUG', 'DEBUG'],
  ['TRACE', 'DEBUG'],
  ['DBG', 'DEBUG'],
  ['VERBOSE', 'DEBUG'],
  ['SILLY', 'DEBUG'],
  ['INFO', 'INFO'],
  ['NOTICE', 'INFO'],
  ['INF', 'INFO'],
  ['INFORMATION', 'INFO'],
  ['HTTP', 'INFO'],
  ['WARNING', 'WARNING'],
  ['WARN', 'WARNING'],
  ['WRN', 'WARNING'],
  ['ERROR', 'ERROR'],
  ['ERR', 'ERROR'],
  ['CRITICAL', 'CRITICAL'],
  ['CRIT', 'CRITICAL'],
  ['FATAL', 'CRITICAL'],
  ['ALERT', 'CRITICAL'],
  ['EMERGENCY', 'CRITICAL'],
  ['EMERG', 'CRITICAL'],
  ['PANIC', 'CRITICAL'],
]);

const RANK: Record<Level, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 };
const DIGITS = /^\d+$/;

/**
 * A level from a name in any case or a synonym (`warn`, `Fatal`, GCP `EMERGENCY`), or a
 * pino/bunyan number (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; also as a
 * digit string). Anything else (GCP `DEFAULT`, numbers below 10, booleans…) is undefined.
 */
export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === 'string') {
    // Exact match first: most values are already upper case, and trim/toUpperCase allocate.
    const exact = LEVEL_SYNONYMS.get(value);
    if (exact) return exact;
    const word = value.trim();
    if (word.length > 11) return undefined; // longer than any name: not a level, skip the work
    const named = LEVEL_SYNONYMS.get(word.toUpperCase());
    if (named) return named;
    return DIGITS.test(word) ? levelFromNumber(Number(word)) : undefined;
  }
  if (typeof value === 'number') return levelFromNumber(value);
  return undefined;
}

// pino/bunyan numbers; below 10 is not theirs (it may be a syslog priority), so we do not guess.
function levelFromNumber(n: number): Level | undefined {
  if (!(n >= 10) || n === Infinity) return undefined;
  if (n < 30) return 'DEBUG';
  if (n < 40) return 'INFO';
  if (n < 50) return 'WARNING';
  if (n < 60) return 'ERROR';
  return 'CRITICAL';
}

/** 0 (DEBUG) to 4 (CRITICAL), for minimum-level filters. */
export function levelRank(level: Level): number {
  return RANK[level];
}

/** What a line without a level says: stdout INFO, stderr ERROR, pushed INFO. */
export function defaultLevelFor(stream: Stream): Level {
  return stream === 'stderr' ? 'ERROR' : 'INFO';
}
