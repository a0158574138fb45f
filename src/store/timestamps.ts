// Record timestamps as integers: ISO 8601 UTC with microseconds ↔ µs since the epoch, for compact chunks and cursor math.

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/** Microseconds since the epoch for an ISO 8601 timestamp (any fraction length, `Z` or an offset; no zone means UTC); NaN when it does not parse. */
export function isoToMicros(iso: string): number {
  const m = ISO_PATTERN.exec(iso.trim());
  if (!m) return Number.NaN;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => (part === undefined ? 0 : Number(part)));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return Number.NaN;
  // Digits past the sixth are dropped (floor): for `ts > since` on integer µs that is exact.
  const fraction = Number(((m[7] ?? '') + '000000').slice(0, 6));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const hours = Number(m[10]);
    const minutes = Number(m[11] ?? 0);
    if (hours > 23 || minutes > 59) return Number.NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return date.getTime() * 1000 + fraction - offsetMinutes * 60_000_000;
}

/** ISO 8601 UTC with six fractional digits ("2025-10-31T12:00:01.123456Z") for µs since the epoch. */
export function microsToIso(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  return new Date(seconds * 1000).toISOString().slice(0, -5) + '.' + String(fraction + 1_000_000).slice(1) + 'Z';
}

/** An Error whose `code` the HTTP and CLI faces map to a 400 "bad cursor". */
export function createCursorError(message: string): Error & { code: 'SUP_ERR_BAD_CURSOR' } {
  return Object.assign(new Error(message), { code: 'SUP_ERR_BAD_CURSOR' as const });
}

/** µs for a `since`-style cursor; throws SUP_ERR_BAD_CURSOR when it is not an ISO 8601 timestamp. */
export function parseTimestampCursor(value: string): number {
  const micros = typeof value === 'string' ? isoToMicros(value) : Number.NaN;
  if (!Number.isFinite(micros)) {
    throw createCursorError(`"${String(value)}" is not an ISO 8601 timestamp (e.g. 2025-10-31T12:00:01.123456Z)`);
  }
  return micros;
}

export interface TimestampCodec {
  /** µs for any ISO timestamp (NaN when unparseable); fast for the canonical form */
  toMicros(iso: string): number;
  /** µs when `microsToIso` gives back exactly this string, else NaN (the caller keeps the string itself) */
  exactMicros(iso: string): number;
  /** canonical ISO for µs */
  toIso(micros: number): string;
}

/** Memoising converters for hot loops: consecutive records share their second, so the date math runs once a second. */
export function createTimestampCodec(): TimestampCodec {
  // The last canonical second seen by exactMicros, as the number its 14 digits spell, and its ms.
  let parsedKey = -1;
  let parsedMs = 0;
  // The last second formatted by toIso.
  let formattedSecond = Number.NaN;
  let formattedPrefix = '';

  // Reads digits with charCodeAt only: record timestamps are built by concatenation, and on such strings
  // startsWith/slice cost several times more than a few char reads (measured).
  const exactMicros = (iso: string): number => {
    if (
      iso.length !== 27 || iso.charCodeAt(26) !== 90 /* Z */ || iso.charCodeAt(19) !== 46 /* . */ ||
      iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45 || iso.charCodeAt(10) !== 84 /* T */ ||
      iso.charCodeAt(13) !== 58 || iso.charCodeAt(16) !== 58
    ) {
      return Number.NaN;
    }
    let key = 0;
    let outOfRange = 0; // goes negative if any digit is not 0–9
    for (let i = 0; i < 19; i++) {
      if (i === 4 || i === 7 || i === 10 || i === 13 || i === 16) continue;
      const digit = iso.charCodeAt(i) - 48;
      outOfRange |= digit | (9 - digit);
      key = key * 10 + digit;
    }
    let fraction = 0;
    for (let i = 20; i < 26; i++) {
      const digit = iso.charCodeAt(i) - 48;
      outOfRange |= digit | (9 - digit);
      fraction = fraction * 10 + digit;
    }
    if (outOfRange < 0) return Number.NaN;
    if (key !== parsedKey) {
      const prefix = iso.slice(0, 19);
      const ms = Date.parse(prefix + 'Z');
      // Only a second that formats back to itself (a real date) is canonical.
      if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== prefix) return Number.NaN;
      parsedKey = key;
      parsedMs = ms;
    }
    return parsedMs * 1000 + fraction;
  };

  return {
    exactMicros,
    toMicros(iso) {
      const micros = exactMicros(iso);
      return micros === micros ? micros : isoToMicros(iso);
    },
    toIso(micros) {
      const second = Math.floor(micros / 1_000_000);
      if (second !== formattedSecond) {
        formattedSecond = second;
        formattedPrefix = new Date(second * 1000).toISOString().slice(0, -5) + '.';
      }
      return formattedPrefix + String(micros - second * 1_000_000 + 1_000_000).slice(1) + 'Z';
    },
  };
}
