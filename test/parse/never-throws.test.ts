import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseLine, plainLineLevel, stripAnsi } from '../../src/parse/index.js';
import { EVENT_NAMES, LEVELS, STREAMS, type ParsedLine } from '../../src/types.js';

// mulberry32: a small seeded PRNG, so a failing input reproduces from its seed.
function createRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '{', '}', '[', ']', '"', ':', ',', ' ', '\t', '\\', '\\u', '\\ud800', 'null', 'true', '1e999', '-0',
  '"level"', '"msg"', '"event"', '"severity"', '"record"', '"layer_start"', '"layer_error"', '"pipeline_complete"',
  'ERROR', 'INFO:', 'warn', '[ERROR]', '<error>', 'level=', 'lvl="', 'ERRO[', '[I ', 'E1031 ',
  '2025-10-31 ', '2025/10/31 ', '12:00:01,1', 'T12:00:01Z', ' - ', '|', 'Oct 31 ',
  '\x1b', '\x1b[', '\x1b[31m', '\x1b]', '\x1b]0;t\x07', '\x1bP', '\x1b\\', '\x9b', '\r', '\n', '\u0000', '\u0007',
  '\uFFFD', '\uFEFF', '\uD800', '\uDFFF', '\uDBFF\uDFFF', '😀', '完了',
];
const EVENTS_AND_JUNK = [...EVENT_NAMES, 'layer_started', '', 'toString', '__proto__'];
const VALUES: unknown[] = [
  null, true, false, 0, -1, 5, 30, 50, 1e308, -1e-308, 4500, 12_300, '', 'x', 'warn', 'ERROR', 'DEFAULT', 'partial',
  'error', 'success', '\uD800', '\u0000', [], [1, [2]], {}, { message: 'm' }, { message: 7 }, { name: 'WARNING' },
];
const KEYS = ['event', 'level', 'severity', 'lvl', 'levelname', 'log.level', '@l', 'msg', 'message', '@m', 'status',
  'layer', 'layer_name', 'error', 'reason', 'duration_ms', 'pipeline', 'record', '__proto__', 'constructor', 'toString'];

function randomLine(random: () => number): string {
  let line = '';
  const n = Math.floor(random() * 40);
  for (let j = 0; j < n; j++) {
    const r = random();
    if (r < 0.45) line += PIECES[Math.floor(random() * PIECES.length)];
    else if (r < 0.9) line += String.fromCharCode(Math.floor(random() * 0x10000)); // any UTF-16 unit, lone surrogates too
    else line += String.fromCodePoint(Math.floor(random() * 0x110000) & ~0x800 /* dodge the surrogate range */);
  }
  return line;
}

function randomObjectLine(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const fields: Record<string, unknown> = {};
  if (random() < 0.7) fields.event = pick(EVENTS_AND_JUNK);
  const n = Math.floor(random() * 6);
  for (let i = 0; i < n; i++) fields[pick(KEYS)] = random() < 0.2 ? pick(EVENTS_AND_JUNK) : pick(VALUES);
  if (random() < 0.2) fields.record = { level: pick(VALUES), message: pick(VALUES) };
  const json = JSON.stringify(fields);
  return random() < 0.2 ? json.slice(0, Math.floor(random() * json.length)) : json; // sometimes cut short
}

// What every record must be, whatever the line.
function expectValidRecord(parsed: ParsedLine, line: string): void {
  expect(LEVELS).toContain(parsed.level);
  expect(typeof parsed.message).toBe('string');
  if (parsed.event !== undefined) {
    expect(EVENT_NAMES).toContain(parsed.event);
    expect(parsed.data?.event).toBe(parsed.event);
  }
  if (parsed.data !== undefined) {
    expect(typeof parsed.data).toBe('object');
    expect(Array.isArray(parsed.data)).toBe(false);
    expect(() => JSON.stringify(parsed.data)).not.toThrow(); // the store and the wire will do this
  } else {
    // plain text: the message is the line without ANSI codes and trailing \r
    expect(parsed.message.includes('\x1b')).toBe(false);
    expect(parsed.message.endsWith('\r')).toBe(false);
    expect(parsed.message).toBe(stripAnsi(line).replace(/\r+$/, ''));
  }
}

describe('parseLine never throws', () => {
  it('returns a valid record for thousands of random lines (seed 42)', () => {
    const random = createRandom(42);
    for (let i = 0; i < 4000; i++) {
      const line = randomLine(random);
      for (const stream of STREAMS) expectValidRecord(parseLine(line, stream), line);
    }
  });

  it('returns a valid record for thousands of random JSON objects and their truncations (seed 7)', () => {
    const random = createRandom(7);
    let objects = 0;
    let events = 0;
    for (let i = 0; i < 4000; i++) {
      const line = randomObjectLine(random);
      const parsed = parseLine(line, i % 2 ? 'stderr' : 'stdout');
      expectValidRecord(parsed, line);
      if (parsed.data) objects++;
      if (parsed.event) events++;
    }
    // the generator really reaches both JSON paths
    expect(objects).toBeGreaterThan(1000);
    expect(events).toBeGreaterThan(500);
  });

  it('takes a line as plain text by the fast path only when the full parse would (seed 11)', () => {
    const random = createRandom(11);
    let taken = 0;
    for (let i = 0; i < 6000; i++) {
      // lines without terminal codes, as the splitter vouches for with noEscapes
      const line = (i % 3 ? randomLine(random) : randomObjectLine(random)).replace(/[\x1b\x9b]/g, '');
      for (const stream of STREAMS) {
        const level = plainLineLevel(line, stream, true);
        if (level === undefined) continue;
        taken++;
        // the full parse, made to look for codes, keeps the same line whole at the same level
        expect(parseLine(line, stream, false)).toEqual({ level, message: line });
      }
      expect(plainLineLevel(line, 'stdout', false)).toBeUndefined();
    }
    expect(taken).toBeGreaterThan(5000);
  });

  it('survives absurd nesting: parsed when shallow enough to serialize, plain text beyond', () => {
    const nested = (depth: number) => '{"a":' + '['.repeat(depth - 1) + ']'.repeat(depth - 1) + '}';
    expect(parseLine(nested(MAX_JSON_DEPTH), 'stdout').data).toBeDefined();
    expect(parseLine(nested(MAX_JSON_DEPTH + 1), 'stdout')).toEqual({ level: 'INFO', message: nested(MAX_JSON_DEPTH + 1) });
    expect(parseLine(nested(200_000), 'stderr').level).toBe('ERROR');
    // brackets inside strings do not count as nesting
    const brackets = `{"msg":"${'['.repeat(5000)}","level":"warn"}`;
    expect(parseLine(brackets, 'stdout')).toMatchObject({ level: 'WARNING', message: '['.repeat(5000) });
    // unbalanced and cut-short monsters
    expect(parseLine('{"a":' + '['.repeat(200_000) + '}', 'stdout').level).toBe('INFO');
    expect(parseLine('{' + '"a":{'.repeat(100_000) + '}', 'stderr').level).toBe('ERROR');
    expect(parseLine('['.repeat(100_000), 'stdout').level).toBe('INFO');
    expect(parseLine('{'.repeat(100_000) + '}'.repeat(100_000), 'stdout').data).toBeUndefined();
  });

  it('survives binary garbage, control characters and lone surrogates', () => {
    let bytes = '';
    for (let c = 0; c < 0x100; c++) bytes += String.fromCharCode(c);
    for (const line of [bytes, '\uFFFD'.repeat(1000), '\uD800\uD800\uDC00', '\u0000{"a":1}', '\x1b'.repeat(10_000), '\r'.repeat(10_000)]) {
      for (const stream of STREAMS) expectValidRecord(parseLine(line, stream), line);
    }
  });
});
