// The level of a plain-text line from its prefix: `INFO: x`, `[ERROR] x`, `WARNING:root:x`,
// `2025-10-31 12:00:01,123 - name - ERROR - x`, `<warn> x`, `level=warn`, glog's `E1031 …`.
import type { Level } from '../types.js';
import { LEVEL_SYNONYMS } from './levels.js';

// The words a text prefix may use (a subset of the JSON synonyms: "http" or "silly" as a first word is prose).
const WORD = '(WARNING|WARN|ERROR|ERR|INFO|NOTICE|DEBUG|TRACE|CRITICAL|CRIT|FATAL|PANIC|ALERT|EMERGENCY|EMERG)';

// An optional leading timestamp: ISO 8601 (T or space, . or , fraction, Z or offset), a bare time,
// or syslog's "Oct 31 12:00:01"; optionally in brackets; then separators.
const TIMESTAMP = new RegExp(
  String.raw`\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?|\d\d:\d\d:\d\d(?:[.,]\d+)?|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\]?[\s|-]*`,
  'y',
);
// [ERROR] x, <warn> x, (INFO) x, [info     ] x
const BRACKETED = new RegExp(String.raw`[\[<(]\s*${WORD}\s*[\]>)]`, 'iy');
// INFO: x, info - x, ERROR | x, WARNING:root:x (any case: a delimiter follows)
const DELIMITED = new RegExp(String.raw`${WORD}(?=\s*:|\s+-\s|\s*\||\s*\])`, 'iy');
// ERROR something failed, 2025-… WARN x: upper case only, so "Error rates are fine" stays prose
const BARE_UPPER = new RegExp(String.raw`${WORD}(?=\s|$)`, 'y');
// Python's "%(asctime)s - %(name)s - %(levelname)s - %(message)s": the logger name before the level
const LOGGER_NAME = /[^\s\-][^\s]*\s+-\s+/y;
// logfmt anywhere: level=warn, lvl="error", severity=info
const LOGFMT = /(?:^|\s)(?:level|lvl|severity)="?([A-Za-z]+)"?(?=\s|$)/;
// glog / klog: E1031 12:00:01.123456 …
const GLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const GLOG_LEVEL: Record<string, Level> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'CRITICAL' };

// Exact-case lookup first: most prefixes are already upper case, and toUpperCase allocates.
const wordLevel = (word: string) => LEVEL_SYNONYMS.get(word) ?? LEVEL_SYNONYMS.get(word.toUpperCase());

// The commonest prefixes, checked with startsWith before any regex (most captured lines are these).
const COMMON: readonly [string, Level][] = [
  ['INFO:', 'INFO'],
  ['WARNING:', 'WARNING'],
  ['ERROR:', 'ERROR'],
  ['DEBUG:', 'DEBUG'],
  ['WARN:', 'WARNING'],
  ['CRITICAL:', 'CRITICAL'],
];

/** The level a plain-text line announces, or undefined when it has no recognised prefix. */
export function detectTextLevel(text: string): Level | undefined {
  for (const [prefix, level] of COMMON) if (text.startsWith(prefix)) return level;
  let pos = 0;
  while (pos < text.length && (text.charCodeAt(pos) === 32 || text.charCodeAt(pos) === 9)) pos++;
  if (pos === text.length) return undefined;

  const direct = levelAt(text, pos);
  if (direct) return direct;

  TIMESTAMP.lastIndex = pos;
  if (TIMESTAMP.exec(text)) {
    const after = TIMESTAMP.lastIndex;
    const level = levelAt(text, after, true);
    if (level) return level;
    LOGGER_NAME.lastIndex = after;
    if (LOGGER_NAME.exec(text)) {
      const named = levelAt(text, LOGGER_NAME.lastIndex, true);
      if (named) return named;
    }
  }

  const glog = GLOG.exec(text);
  if (glog) return GLOG_LEVEL[glog[1]!];
  if (text.indexOf('=') !== -1) {
    const logfmt = LOGFMT.exec(text);
    if (logfmt) return wordLevel(logfmt[1]!);
  }
  return undefined;
}

function levelAt(text: string, pos: number, afterTimestamp = false): Level | undefined {
  const c = text.charCodeAt(pos);
  if (c === 91 /* [ */ || c === 60 /* < */ || c === 40 /* ( */) {
    BRACKETED.lastIndex = pos;
    const m = BRACKETED.exec(text);
    return m ? wordLevel(m[1]!) : undefined;
  }
  DELIMITED.lastIndex = pos;
  const delimited = DELIMITED.exec(text);
  if (delimited) return wordLevel(delimited[1]!);
  BARE_UPPER.lastIndex = pos;
  const bare = BARE_UPPER.exec(text);
  if (bare && (afterTimestamp || bare[1]!.length >= 4)) return wordLevel(bare[1]!);
  return undefined;
}
