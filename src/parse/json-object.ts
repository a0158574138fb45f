// A line that may be a JSON object: parsed safely, or undefined so it is treated as plain text.

/**
 * Deepest nesting we accept. JSON.parse takes any depth, but JSON.stringify (the store, the
 * wire) throws a RangeError past a few thousand levels, so deeper lines stay plain text.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * The JSON text of the object a line may hold from `start` (its `{`) to its last `}`, or undefined when it cannot
 * be one or nests too deep. Cheap checks only: the text may still not parse.
 */
export function jsonObjectText(text: string, start: number): string | undefined {
  let end = text.length - 1;
  while (end > start && isBlank(text.charCodeAt(end))) end--;
  if (text.charCodeAt(end) !== 125 /* } */) return undefined; // cheap reject before JSON.parse
  // depth d needs at least 2d characters, so short lines skip the scan
  if (end - start >= 2 * MAX_JSON_DEPTH && exceedsDepth(text, start, end)) return undefined;
  return start === 0 && end === text.length - 1 ? text : text.slice(start, end + 1);
}

/** The object a JSON text holds, or undefined: not JSON, or not an object. */
export function parseJsonObject(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // SyntaxError for bad JSON; RangeError is possible on absurd input too
  }
}

/** Spaces, tabs, \v, \f, \r and a byte-order mark: blank around a JSON line. */
export function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12 || code === 13 || code === 0xfeff;
}

// Whether brackets outside strings nest deeper than MAX_JSON_DEPTH.
function exceedsDepth(text: string, start: number, end: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = start; i <= end; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}
