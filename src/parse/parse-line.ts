// One line → one record: a structured event, a JSON log line, or plain text with a level prefix. Never throws.
import type { ParsedLine, Stream } from '../types.js';
import { parseJsonLogLine } from './json-log-line.js';
import { defaultLevelFor } from './levels.js';
import { stripAnsi } from './strip-ansi.js';
import { isStructuredEvent, parseStructuredEvent } from './structured-event.js';
import { detectTextLevel } from './text-prefix.js';

/** Parse one captured line (without its newline) from a stream. */
export function parseLine(raw: string, stream: Stream): ParsedLine {
  let text = raw;
  if (text.charCodeAt(text.length - 1) === 13) text = text.replace(/\r+$/, '');
  text = stripAnsi(text);
  const fallback = defaultLevelFor(stream);

  const first = firstNonBlank(text);
  if (first >= 0 && text.charCodeAt(first) === 123 /* { */) {
    const data = parseObject(text);
    if (data) return isStructuredEvent(data) ? parseStructuredEvent(data) : parseJsonLogLine(data, text, fallback);
  }
  return { level: detectTextLevel(text) ?? fallback, message: text };
}

function firstNonBlank(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return i;
  }
  return -1;
}

// JSON.parse throws on bad JSON and RangeError on absurd nesting: both mean "plain text".
function parseObject(text: string): Record<string, unknown> | undefined {
  let end = text.length - 1;
  while (end > 0 && (text.charCodeAt(end) === 32 || text.charCodeAt(end) === 9)) end--;
  if (text.charCodeAt(end) !== 125 /* } */) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
