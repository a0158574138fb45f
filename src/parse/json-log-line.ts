// JSON lines from real loggers: pino/bunyan, structlog, winston, GCP/ECS and the common keys.
import type { Level, ParsedLine } from '../types.js';
import { normalizeLevel } from './levels.js';

const LEVEL_KEYS = ['level', 'severity', 'lvl', 'levelname', 'log.level', 'loglevel'] as const;
const MESSAGE_KEYS = ['msg', 'message', 'event'] as const;

/** The record of a JSON log line; unknown shapes keep the whole line at the stream's default level. */
export function parseJsonLogLine(data: Record<string, unknown>, line: string, fallback: Level): ParsedLine {
  let level: Level | undefined;
  for (const key of LEVEL_KEYS) {
    if (data[key] !== undefined) {
      level = normalizeLevel(data[key]);
      if (level) break;
    }
  }
  let message: string | undefined;
  for (const key of MESSAGE_KEYS) {
    const value = data[key];
    if (typeof value === 'string') {
      message = value;
      break;
    }
  }
  return { level: level ?? fallback, message: message ?? line, data };
}
