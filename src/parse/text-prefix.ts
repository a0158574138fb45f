// The level of a plain-text line from its prefix: `INFO: x`, `[ERROR] x`, `WARNING:root:x`,
// `2025-10-31 12:00:01,123 - name - ERROR - x`, `<warn> x`, `level=warn`, glog's `E1031 …`.
//
// Conservative on purpose, since a wrong level is worse than the stream's default:
// - any case when a delimiter follows the word (`Error: ENOENT`, `warn: x`, `[info]`, `WARNING - x`);
// - a bare word followed by a space only in UPPER case, and at least 4 letters unless a timestamp
//   came first (`ERROR something failed`, `2025-… WARN x`), so "Error rates are fine" stays prose;
// - after a timestamp, up to three context tokens may come before the level: `[thread]`,
//   `{file.py:12}`, `(pid)` or a Python logger name followed by ` - `;
// - logfmt `level=`/`lvl=`/`severity=` anywhere in the line.
import type { Level } from '../types.js';
import { LEVEL_SYNONYMS } from './levels.js';

// The words a text prefix may use (a subset of the JSON synonyms: "http" or "silly" as a first word is prose).
const WORD = '(WARNING|WARN|ERROR|ERR|INFO|NOTICE|DEBUG|TRACE|CRITICAL|CRIT|FATAL|PANIC|ALERT|EMERGENCY|EMERG)';

// A leading timestamp: ISO 8601 or Go's 2025/10/31 (T or space, . or , fraction, Z or offset, maybe
// after a space as gunicorn writes it), a bare time, or syslog's "Oct 31 12:00:01"; optionally in
// brackets; then separators (`-`, `|`, `:`, blanks).
const TIMESTAMP = new RegExp(
  String.raw`\[?(?:\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?: ?(?:Z|[+-]\d\d:?\d\d))?|\d\d:\d\d:\d\d(?:[.,]\d+)?|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\]?[\s|:-]*`,
  'y',
);
// [ERROR] x, <warn> x, (INFO) x, [info     ] x
const BRACKETED = new RegExp(String.raw`[\[<(]\s*${WORD}\s*[\]>)]`, 'iy');
// Tornado/Jupyter: [I 251031 12:00:01 web:2250], [W 2025-10-31 12:00:01.123 ServerApp]
const TORNADO = /\[([DIWEC]) \d/y;
const TORNADO_LEVEL: Record<string, Level> = { D: 'DEBUG', I: 'INFO', W: 'WARNING', E: 'ERROR', C: 'CRITICAL' };
// INFO: x, info - x, ERROR | x, WARNING:root:x, [12:00:01 INFO] x (any case: a delimiter follows)
const DELIMITED = new RegExp(String.raw`${WORD}(?=\s*:|\s+-\s|\s*\||\s*\])`, 'iy');
// ERROR something failed, 2025-… WARN x, Celery's "[… ERROR/MainProcess]": upper case only
const BARE_UPPER = new RegExp(String.raw`${WORD}(?=[\s/]|$)`, 'y');
// logrus' terminal format: INFO[0000] x, ERRO[0002] x
const LOGRUS = /(INFO|WARN|ERRO|DEBU|TRAC|FATA|PANI)\[\d/y;
const LOGRUS_LEVEL: Record<string, Level> = {
  INFO: 'INFO',
  WARN: 'WARNING',
  ERRO: 'ERROR',
  DEBU: 'DEBUG',
  TRAC: 'DEBUG',
  FATA: 'CRITICAL',
  PANI: 'CRITICAL',
};
// What may sit between a timestamp and the level: [thread], {file.py:12}, (pid), or `logger.name - `
const CONTEXT = /(?:\[[^\]]{0,120}\]|\{[^}]{0,120}\}|\([^)]{0,120}\)|[^\s\-[{(][^\s]{0,120}\s+-)[\s|:-]*/y;
// logfmt anywhere: level=warn, lvl="error", severity=info
const LOGFMT = /(?:^|\s)(?:level|lvl|severity)="?([A-Za-z]+)"?(?=\s|$)/;
// glog / klog: E1031 12:00:01.123456 …
const GLOG = /([IWEF])\d{4} \d\d:\d\d:\d\d/y;
const GLOG_LEVEL: Record<string, Level> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'CRITICAL' };

// Exact-case lookup first: most prefixes are already upper case, and toUpperCase allocates.
const wordLevel = (word: string) => LEVEL_SYNONYMS.get(word) ?? LEVEL_SYNONYMS.get(word.toUpperCase());

/** The level a plain-text line announces, or undefined when it has no recognised prefix. */
export function detectTextLevel(text: string): Level | undefined {
  const common = commonPrefixLevel(text);
  if (common) return common;
  let pos = 0;
  while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
  if (pos === text.length) return undefined;

  const direct = levelAt(text, pos, false);
  if (direct) return direct;

  const c = text.charCodeAt(pos);
  if ((c >= 48 && c <= 57) || c === 91 /* [ */ || (c >= 65 && c <= 90)) {
    TIMESTAMP.lastIndex = pos;
    if (TIMESTAMP.test(text)) {
      let at = TIMESTAMP.lastIndex;
      for (let token = 0; token <= 3 && at < text.length; token++) {
        const level = levelAt(text, at, true);
        if (level) return level;
        CONTEXT.lastIndex = at;
        if (token === 3 || !CONTEXT.test(text)) break;
        at = CONTEXT.lastIndex;
      }
    }
    GLOG.lastIndex = pos;
    const glog = GLOG.exec(text);
    if (glog) return GLOG_LEVEL[glog[1]!];
  }
  if (text.indexOf('=') !== -1) {
    const logfmt = LOGFMT.exec(text);
    if (logfmt) return wordLevel(logfmt[1]!);
  }
  return undefined;
}

// The level word (or bracketed word) starting exactly at pos, if any.
function levelAt(text: string, pos: number, afterTimestamp: boolean): Level | undefined {
  const c = text.charCodeAt(pos);
  if (c === 91 /* [ */ || c === 60 /* < */ || c === 40 /* ( */) {
    BRACKETED.lastIndex = pos;
    const m = BRACKETED.exec(text);
    if (m) return wordLevel(m[1]!);
    if (c !== 91) return undefined;
    TORNADO.lastIndex = pos;
    const t = TORNADO.exec(text);
    return t ? TORNADO_LEVEL[t[1]!] : undefined;
  }
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined; // not a letter: no word here
  DELIMITED.lastIndex = pos;
  const delimited = DELIMITED.exec(text);
  if (delimited) return wordLevel(delimited[1]!);
  if (c > 90) return undefined; // lower case: only with a delimiter
  BARE_UPPER.lastIndex = pos;
  const bare = BARE_UPPER.exec(text);
  if (bare && (afterTimestamp || bare[1]!.length >= 4)) return wordLevel(bare[1]!);
  LOGRUS.lastIndex = pos;
  const logrus = LOGRUS.exec(text);
  return logrus ? LOGRUS_LEVEL[logrus[1]!] : undefined;
}

// The commonest prefixes (most captured lines have one), told apart by their first letter before any regex.
function commonPrefixLevel(text: string): Level | undefined {
  switch (text.charCodeAt(0)) {
    case 73 /* I */: return text.startsWith('INFO:') ? 'INFO' : undefined;
    case 87 /* W */: return text.startsWith('WARNING:') || text.startsWith('WARN:') ? 'WARNING' : undefined;
    case 69 /* E */: return text.startsWith('ERROR:') ? 'ERROR' : undefined;
    case 68 /* D */: return text.startsWith('DEBUG:') ? 'DEBUG' : undefined;
    case 67 /* C */: return text.startsWith('CRITICAL:') ? 'CRITICAL' : undefined;
    default: return undefined;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12 || code === 0xfeff;
}
