// One line → one record: a structured event, a JSON log line, or plain text with a level prefix. Never throws.
import type { Level, ParsedLine, Stream } from '../types.js';
import { isBlank, jsonObjectText, parseJsonObject } from './json-object.js';
import { parseJsonLogLine } from './json-log-line.js';
import { defaultLevelFor } from './levels.js';
import { stripAnsi } from './strip-ansi.js';
import { isStructuredEvent, parseStructuredEvent } from './structured-event.js';
import { detectTextLevel } from './text-prefix.js';

const TRAILING_CR = /\r+$/;

/**
 * Parse one captured line (already decoded, without its newline) from a stream. The message is
 * the line without ANSI codes and trailing `\r` (level prefix and timestamp kept) for plain text
 * and unknown JSON shapes, the logger's message for JSON log lines, a summary for events.
 * `noEscapes` says the caller knows the line holds no ESC or U+009B, so there are no terminal codes to look for.
 */
export function parseLine(raw: string, stream: Stream, noEscapes = false): ParsedLine {
  const plain = plainLineLevel(raw, stream, noEscapes);
  if (plain !== undefined) return { level: plain, message: raw };
  // ANSI first: stripping "x\r\x1b[0m" exposes a trailing \r that must go too
  let text = noEscapes ? raw : stripAnsi(raw);
  if (text.charCodeAt(text.length - 1) === 13 /* \r */) text = text.replace(TRAILING_CR, '');

  let first = 0;
  while (first < text.length && isBlank(text.charCodeAt(first))) first++;
  if (text.charCodeAt(first) === 123 /* { */) {
    const json = jsonObjectText(text, first);
    const data = json === undefined ? undefined : parseJsonObject(json);
    if (data) {
      const parsed = isStructuredEvent(data) ? parseStructuredEvent(data) : parseJsonLogLine(data, text, defaultLevelFor(stream));
      parsed.dataJson = json;
      return parsed;
    }
  }
  return { level: detectTextLevel(text) ?? defaultLevelFor(stream), message: text };
}

/**
 * The level of a line that parseLine keeps whole as its message, as plain text (no terminal codes, as `noEscapes`
 * vouches; no trailing `\r`; not a JSON object), or undefined when the line needs parseLine. Most captured lines
 * are such lines: a caller can take them without a ParsedLine made for each.
 */
export function plainLineLevel(raw: string, stream: Stream, noEscapes: boolean): Level | undefined {
  if (!noEscapes || raw.charCodeAt(raw.length - 1) === 13 /* \r */) return undefined;
  const first = raw.charCodeAt(0);
  if (first === 123 /* { */ || isBlank(first)) return undefined; // a JSON object may start here or after blanks
  return detectTextLevel(raw) ?? defaultLevelFor(stream);
}
