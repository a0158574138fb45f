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

/** A level from a name in any case, a synonym, or a pino/bunyan number (10 trace … 60 fatal). */
export function normalizeLevel(value: unknown): Level | undefined {
  if (typeof value === 'string') {
    const direct = LEVEL_SYNONYMS.get(value.trim().toUpperCase());
    if (direct) return direct;
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? levelFromNumber(n) : undefined;
  }
  if (typeof value === 'number') return levelFromNumber(value);
  return undefined;
}

/** pino/bunyan numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
function levelFromNumber(n: number): Level | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
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
