// JSON lines from real loggers: pino/bunyan, structlog, winston, zap/zerolog, GCP, ECS, Serilog, loguru.
import type { Level, ParsedLine } from '../types.js';
import { normalizeLevel } from './levels.js';

// Where loggers put the level: pino/bunyan/winston/structlog/zap `level`, GCP `severity`, log15 `lvl`,
// python-json-logger `levelname`, ECS `log.level`, Serilog CLEF `@l`. The first one we understand wins.
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'levelname', 'log.level', 'loglevel', '@l'] as const;
// Where they put the message: pino/bunyan `msg`, winston/GCP/ECS/zerolog `message`, structlog `event`, CLEF `@m`.
const MESSAGE_KEYS = ['msg', 'message', 'event', '@m'] as const;

/**
 * The record of a JSON log line. A level that cannot be normalized (GCP `DEFAULT`) falls back to the
 * stream's default; no non-empty message string means the whole line is the message.
 */
export function parseJsonLogLine(data: Record<string, unknown>, line: string, fallback: Level): ParsedLine {
  let level: Level | undefined;
  for (const key of LEVEL_KEYS) {
    const value = data[key];
    if (value !== undefined && (level = normalizeLevel(value) ?? nameOf(value))) break;
  }
  let message: string | undefined;
  for (const key of MESSAGE_KEYS) {
    const value = data[key];
    if (typeof value === 'string' && value !== '') {
      message = value;
      break;
    }
  }
  if ((!level || !message) && isObject(data.record)) {
    // loguru's serialize=True: {"text": "...", "record": {"level": {"name": "WARNING"}, "message": "..."}}
    const record = data.record;
    level ??= nameOf(record.level);
    if (!message && typeof record.message === 'string' && record.message !== '') message = record.message;
  }
  return { level: level ?? fallback, message: message ?? line, data };
}

// A level given as an object with a name ({"name": "WARNING", "no": 30} from loguru).
function nameOf(value: unknown): Level | undefined {
  return isObject(value) ? normalizeLevel(value.name) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
