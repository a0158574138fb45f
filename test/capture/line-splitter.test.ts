import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLineSplitter, type SplitLine } from '../../src/capture/line-splitter.js';

const FFFD = '\uFFFD';

// Run the splitter over the given chunks and collect what it emits.
function splitChunks(chunks: Buffer[], maxLineBytes: number): SplitLine[] {
  const out: SplitLine[] = [];
  const splitter = createLineSplitter({ maxLineBytes, onLine: (text, continued) => out.push({ text, continued }) });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return out;
}

function toBuffer(input: string | Buffer | number[]): Buffer {
  if (Buffer.isBuffer(input)) return input;
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
}

// Whole lines, written the short way: 'x' is {text:'x', continued:false}, '+x' a continued piece.
function lines(...texts: string[]): SplitLine[] {
  return texts.map((t) => (t.startsWith('+') ? { text: t.slice(1), continued: true } : { text: t, continued: false }));
}

// Cut `buf` at the given offsets.
function cutAt(buf: Buffer, offsets: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    chunks.push(buf.subarray(prev, o));
    prev = o;
  }
  chunks.push(buf.subarray(prev));
  return chunks;
}

// An independent model of the rules, over the whole input at once: terminators found byte by
// byte, long lines packed greedily character by character.
function splitReference(buf: Buffer, max: number): SplitLine[] {
  const out: SplitLine[] = [];
  let prevBareCR = false;
  const emit = (s: number, e: number, term: 'lf' | 'crlf' | 'cr' | 'eof') => {
    if (e === s) {
      if ((term === 'lf' || term === 'crlf') && !prevBareCR) out.push({ text: '', continued: false });
    } else {
      let pieceStart = s;
      let i = s;
      let continued = false;
      while (i < e) {
        const b = buf[i];
        let width = b >= 0xf0 && b <= 0xf7 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc0 && b <= 0xdf ? 2 : 1;
        let w = 1;
        while (w < width && i + w < e && (buf[i + w] & 0xc0) === 0x80) w++;
        width = w;
        if (i + width - pieceStart > max) {
          if (i > pieceStart) {
            out.push({ text: buf.toString('utf8', pieceStart, i), continued });
            continued = true;
            pieceStart = i;
          }
          if (width > max) {
            // a character wider than a whole piece (max < 4): cut through it
            out.push({ text: buf.toString('utf8', i, i + max), continued });
            continued = true;
            pieceStart = i = i + max;
            continue;
          }
        }
        i += width;
      }
      out.push({ text: buf.toString('utf8', pieceStart, e), continued });
    }
    prevBareCR = term === 'cr';
  };
  let s = 0;
  let i = 0;
  while (i < buf.length) {
    if (buf[i] === 10) {
      emit(s, i, 'lf');
      s = i = i + 1;
    } else if (buf[i] === 13) {
      if (buf[i + 1] === 10) {
        emit(s, i, 'crlf');
        s = i = i + 2;
      } else {
        emit(s, i, 'cr');
        s = i = i + 1;
      }
    } else i++;
  }
  if (s < buf.length) emit(s, buf.length, 'eof');
  return out;
}

// A small deterministic PRNG (mulberry32) so random cases replay identically.
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX = 16;

interface Case {
  name: string;
  input: string | number[];
  want: SplitLine[];
  max?: number;
}

const cases: Case[] = [
  { name: 'empty input', input: '', want: [] },
  { name: 'one line with \\n', input: 'hello\n', want: lines('hello') },
  { name: 'several lines', input: 'a\nbb\nccc\n', want: lines('a', 'bb', 'ccc') },
  { name: 'no trailing newline is flushed at end', input: 'a\nlast line', want: lines('a', 'last line') },
  { name: 'only a partial line', input: 'partial', want: lines('partial') },
  { name: '\\n\\n makes an empty line', input: 'a\n\nb\n', want: lines('a', '', 'b') },
  { name: 'a lone \\n is one empty line', input: '\n', want: lines('') },
  { name: '\\n\\n alone is two empty lines', input: '\n\n', want: lines('', '') },
  { name: 'CRLF lines', input: 'a\r\nbb\r\n', want: lines('a', 'bb') },
  { name: 'CRLF empty lines count', input: 'a\r\n\r\nb\r\n', want: lines('a', '', 'b') },
  { name: 'a lone CRLF is one empty line', input: '\r\n', want: lines('') },
  { name: 'mixed LF and CRLF', input: 'a\nb\r\nc\n', want: lines('a', 'b', 'c') },
  { name: 'bare \\r ends a line', input: 'a\rb\rc\n', want: lines('a', 'b', 'c') },
  {
    name: 'progress bar redrawn with bare \\r',
    input: '\rprogress 10%\rprogress 50%\rprogress 100%\n',
    want: lines('progress 10%', 'progress 50%', 'progress 100%'),
  },
  { name: 'consecutive bare \\r make no empty lines', input: 'a\r\r\rb\n', want: lines('a', 'b') },
  { name: 'only bare \\r', input: '\r\r\r', want: [] },
  { name: '\\r\\r\\n makes no empty line', input: 'a\r\r\nb\n', want: lines('a', 'b') },
  { name: 'trailing bare \\r ends the last line', input: 'done\r', want: lines('done') },
  { name: '\\n after a bare-\\r line is its pair', input: 'x\r\ny\n', want: lines('x', 'y') },
  { name: '\\r\\n\\n: a CRLF line then an empty line', input: 'x\r\n\n', want: lines('x', '') },
  { name: 'NUL byte stays in the text', input: 'a\u0000b\n', want: lines('a\u0000b') },
  {
    name: 'ANSI escapes pass through',
    input: '\x1b[31mERROR\x1b[0m: red\n',
    want: lines('\x1b[31mERROR\x1b[0m: red'),
    max: 64,
  },
  { name: 'multi-byte characters', input: 'café € 😀\n', want: lines('café € 😀') },
  { name: 'invalid bytes 0xff 0xfe', input: [0x61, 0xff, 0xfe, 0x62, 0x0a], want: lines(`a${FFFD}${FFFD}b`) },
  { name: 'truncated 3-byte sequence mid-line', input: [0x61, 0xe2, 0x82, 0x41, 0x0a], want: lines(`a${FFFD}A`) },
  { name: 'truncated sequence before the newline', input: [0x61, 0xe2, 0x82, 0x0a, 0x62, 0x0a], want: lines(`a${FFFD}`, 'b') },
  { name: 'truncated sequence at the end of input', input: [0x61, 0xe2, 0x82], want: lines(`a${FFFD}`) },
  { name: 'lone continuation byte', input: [0x80, 0x0a], want: lines(FFFD) },
  { name: 'line of exactly max bytes is one piece', input: `${'a'.repeat(MAX)}\n`, want: lines('a'.repeat(MAX)) },
  { name: 'max + 1 bytes makes two pieces', input: `${'a'.repeat(MAX + 1)}\n`, want: lines('a'.repeat(MAX), '+a') },
  {
    name: 'exactly 2 × max: no empty trailing piece',
    input: `${'a'.repeat(2 * MAX)}\nb\n`,
    want: lines('a'.repeat(MAX), `+${'a'.repeat(MAX)}`, 'b'),
  },
  {
    name: '3.5 × max with a 3-byte char across each cut',
    // bytes 15..17 are €, so the first cut moves back to 15; and so on.
    input: `${'a'.repeat(15)}€${'b'.repeat(12)}€${'c'.repeat(20)}\n`,
    want: lines('a'.repeat(15), `+€${'b'.repeat(12)}`, `+€${'c'.repeat(13)}`, `+${'c'.repeat(7)}`),
  },
  {
    name: 'a 4-byte char straddling the cut',
    input: `${'a'.repeat(14)}😀tail\n`,
    want: lines('a'.repeat(14), '+😀tail'),
  },
  {
    name: 'a 2-byte char ending exactly at the cut stays in the first piece',
    input: `${'a'.repeat(14)}é${'b'.repeat(4)}\n`,
    want: lines(`${'a'.repeat(14)}é`, `+${'b'.repeat(4)}`),
  },
  {
    name: 'long line without a trailing newline',
    input: 'x'.repeat(40),
    want: lines('x'.repeat(16), `+${'x'.repeat(16)}`, `+${'x'.repeat(8)}`),
  },
  {
    name: 'long line ended by a bare \\r',
    input: `${'y'.repeat(20)}\rz\n`,
    want: lines('y'.repeat(16), '+yyyy', 'z'),
  },
  {
    name: 'long line of invalid bytes is cut at max',
    input: [...new Array<number>(20).fill(0xff), 0x0a],
    want: lines(FFFD.repeat(16), `+${FFFD.repeat(4)}`),
  },
];

describe('createLineSplitter: the rules', () => {
  it.each(cases)('$name (one chunk)', ({ input, want, max }) => {
    expect(splitChunks([toBuffer(input)], max ?? MAX)).toEqual(want);
  });

  it.each(cases)('$name (cut at every byte offset)', ({ input, want, max }) => {
    const buf = toBuffer(input);
    for (let i = 0; i <= buf.length; i++) {
      expect(splitChunks(cutAt(buf, [i]), max ?? MAX), `cut at ${i}`).toEqual(want);
    }
  });

  it.each(cases)('$name (cut at every pair of offsets)', ({ input, want, max }) => {
    const buf = toBuffer(input);
    for (let i = 0; i <= buf.length; i++) {
      for (let j = i; j <= buf.length; j++) {
        expect(splitChunks(cutAt(buf, [i, j]), max ?? MAX), `cut at ${i},${j}`).toEqual(want);
      }
    }
  });

  it.each(cases)('$name (one byte per chunk)', ({ input, want, max }) => {
    const buf = toBuffer(input);
    const chunks = [...buf].map((b) => Buffer.from([b]));
    expect(splitChunks(chunks, max ?? MAX)).toEqual(want);
  });

  it.each(cases)('$name (agrees with the reference model)', ({ input, want, max }) => {
    expect(splitReference(toBuffer(input), max ?? MAX)).toEqual(want);
  });
});

describe('createLineSplitter: chunk boundaries', () => {
  it('pairs a \\r ending one chunk with a \\n opening the next', () => {
    expect(splitChunks([Buffer.from('a\r'), Buffer.from('\nb\r'), Buffer.from('\n')], MAX)).toEqual(lines('a', 'b'));
  });

  it('emits a line ended by a trailing \\r at once, before the next chunk', () => {
    const seen: string[] = [];
    const splitter = createLineSplitter({ maxLineBytes: MAX, onLine: (t) => seen.push(t) });
    splitter.push(Buffer.from('\rprogress 10%\rprogress 20%\r'));
    expect(seen).toEqual(['progress 10%', 'progress 20%']);
    splitter.push(Buffer.from('\n'));
    splitter.end();
    expect(seen).toEqual(['progress 10%', 'progress 20%']);
  });

  it('keeps an empty CRLF line split across chunks', () => {
    expect(splitChunks([Buffer.from('a\n\r'), Buffer.from('\nb\n')], MAX)).toEqual(lines('a', '', 'b'));
  });

  it('decodes a character split across chunks', () => {
    const euro = Buffer.from('€');
    const chunks = [Buffer.from('price '), euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2), Buffer.from('5\n')];
    expect(splitChunks(chunks, MAX)).toEqual(lines('price €5'));
  });

  it('does not keep a reference to a chunk the caller reuses', () => {
    const out: SplitLine[] = [];
    const splitter = createLineSplitter({ maxLineBytes: MAX, onLine: (text, continued) => out.push({ text, continued }) });
    const reused = Buffer.from('ab');
    splitter.push(reused);
    reused.write('XY');
    splitter.push(Buffer.from('c\n'));
    splitter.end();
    expect(out).toEqual(lines('abc'));
  });

  it('end() resets, so the splitter can be reused', () => {
    const out: string[] = [];
    const splitter = createLineSplitter({ maxLineBytes: MAX, onLine: (t) => out.push(t) });
    splitter.push(Buffer.from('one'));
    splitter.end();
    splitter.end();
    splitter.push(Buffer.from('\ntwo\n'));
    splitter.end();
    expect(out).toEqual(['one', '', 'two']);
  });

  it('ignores empty chunks', () => {
    expect(splitChunks([Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(0), Buffer.from('\n')], MAX)).toEqual(lines('a'));
  });
});

describe('createLineSplitter: random inputs against the reference model', () => {
  const alphabet: Buffer[] = ['a', 'b', ' ', '\n', '\r', '\r\n', 'é', '€', '😀'].map((s) => Buffer.from(s));
  alphabet.push(Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0x80]));

  it.each([1, 2, 3, 4, 5, 7, 16])('maxLineBytes %i: random inputs and random chunking', (max) => {
    const rand = seededRandom(1000 + max);
    for (let round = 0; round < 300; round++) {
      const pieces: Buffer[] = [];
      const count = Math.floor(rand() * 60);
      for (let k = 0; k < count; k++) {
        // mostly letters, so long lines happen
        pieces.push(rand() < 0.5 ? alphabet[0] : alphabet[Math.floor(rand() * alphabet.length)]);
      }
      const buf = Buffer.concat(pieces);
      const offsets: number[] = [];
      for (let o = 0; o < buf.length; o += 1 + Math.floor(rand() * 8)) offsets.push(o);
      const want = splitReference(buf, max);
      expect(splitChunks(cutAt(buf, offsets), max), JSON.stringify(buf.toString('latin1'))).toEqual(want);
      expect(splitChunks([buf], max)).toEqual(want);
    }
  });

  // Big all-ASCII chunks take the decode-once path; the lines must not differ.
  it.each([3, 64, 65_536])('maxLineBytes %i: big ASCII chunks with random cuts', (max) => {
    const ascii = ['a', 'b', 'c', ' ', '\n', '\r', '\r\n', '\n\n'].map((s) => Buffer.from(s));
    const rand = seededRandom(5000 + max);
    for (let round = 0; round < 40; round++) {
      const pieces: Buffer[] = [];
      const count = 1000 + Math.floor(rand() * 4000);
      for (let k = 0; k < count; k++) pieces.push(rand() < 0.8 ? ascii[0]! : ascii[Math.floor(rand() * ascii.length)]!);
      if (round % 4 === 0) pieces.splice(Math.floor(pieces.length / 2), 0, Buffer.from('é€😀'));
      const buf = Buffer.concat(pieces);
      const offsets: number[] = [];
      for (let o = 0; o < buf.length; o += 1 + Math.floor(rand() * 3000)) offsets.push(o);
      const want = splitReference(buf, max);
      expect(splitChunks(cutAt(buf, offsets), max)).toEqual(want);
      expect(splitChunks([buf], max)).toEqual(want);
    }
  });
});

describe('createLineSplitter: huge lines', () => {
  const max = 65_536;
  // 3.5 × max, with multi-byte characters placed right across the first cuts.
  const huge = (() => {
    const parts: string[] = [];
    parts.push('a'.repeat(max - 1), '€'); // € at bytes max-1..max+1
    parts.push('b'.repeat(max - 4), '😀'); // 😀 straddles the next cut too
    parts.push('c'.repeat(max - 3), 'é'.repeat(10), 'd'.repeat(max / 2));
    return Buffer.from(parts.join(''));
  })();
  const input = Buffer.concat([Buffer.from('before\n'), huge, Buffer.from('\nafter\n')]);

  function check(out: SplitLine[]): void {
    expect(out[0]).toEqual({ text: 'before', continued: false });
    expect(out[out.length - 1]).toEqual({ text: 'after', continued: false });
    const pieces = out.slice(1, -1);
    expect(pieces.length).toBe(4);
    expect(pieces.map((p) => p.continued)).toEqual([false, true, true, true]);
    for (const p of pieces) {
      expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(max);
      expect(p.text).not.toContain(FFFD);
    }
    expect(pieces[0].text).toBe('a'.repeat(max - 1));
    expect(pieces[1].text.startsWith('€')).toBe(true);
    expect(pieces.map((p) => p.text).join('')).toBe(huge.toString('utf8'));
  }

  it('is cut in pieces of at most maxLineBytes at character boundaries (one chunk)', () => {
    check(splitChunks([input], max));
  });

  it.each([1, 7, 4096, 65_536, 100_000])('gives the same pieces in chunks of %i bytes', (size) => {
    const chunks: Buffer[] = [];
    for (let o = 0; o < input.length; o += size) chunks.push(input.subarray(o, o + size));
    const out = splitChunks(chunks, max);
    check(out);
    expect(out).toEqual(splitChunks([input], max));
  });

  it('gives the same pieces when cut right around every character boundary', () => {
    const whole = splitChunks([input], max);
    for (const at of [max - 2, max - 1, max, max + 1, max + 2, max + 3, 2 * max - 1, 2 * max, 2 * max + 1, 3 * max]) {
      const offset = 7 + at; // 'before\n' comes first
      for (let d = -3; d <= 3; d++) {
        expect(splitChunks(cutAt(input, [offset + d]), max), `cut at ${offset + d}`).toEqual(whole);
      }
    }
  });

  it('holds at most maxLineBytes of a partial line between chunks', () => {
    let emitted = 0;
    const splitter = createLineSplitter({ maxLineBytes: max, onLine: (t) => (emitted += Buffer.byteLength(t)) });
    const chunk = Buffer.alloc(10_000, 'z');
    let pushed = 0;
    for (let i = 0; i < 2_000; i++) {
      splitter.push(chunk);
      pushed += chunk.length;
      expect(pushed - emitted).toBeLessThanOrEqual(max);
    }
    splitter.push(Buffer.from('\n'));
    expect(emitted).toBe(pushed);
  });
});

describe('createLineSplitter: options', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses maxLineBytes %s', (maxLineBytes) => {
    expect(() => createLineSplitter({ maxLineBytes, onLine: () => {} })).toThrow(RangeError);
  });

  it('splits a big buffer of short lines in order, each decoded whole', () => {
    const count = 20_000;
    const text = Array.from({ length: count }, (_, i) => `INFO: line ${String(i).padStart(6, '0')} é`).join('\n') + '\n';
    const buf = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let o = 0; o < buf.length; o += 65_536) chunks.push(buf.subarray(o, o + 65_536));
    const out = splitChunks(chunks, 65_536);
    expect(out.length).toBe(count);
    out.forEach((l, i) => expect(l.text).toBe(`INFO: line ${String(i).padStart(6, '0')} é`));
  });
});

describe('createLineSplitter: the odd-output fixture through a real pipe', () => {
  const fixture = fileURLToPath(new URL('../../fixtures/modules/odd-output.mjs', import.meta.url));

  it('yields the lines the fixture README promises', async () => {
    const out: SplitLine[] = [];
    const splitter = createLineSplitter({ maxLineBytes: 65_536, onLine: (text, continued) => out.push({ text, continued }) });
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    splitter.end();
    expect(code).toBe(0);

    const long = out.slice(1, 5);
    expect(long.map((l) => Buffer.byteLength(l.text))).toEqual([65_535, 65_534, 65_535, 3_396]);
    expect(long.map((l) => l.continued)).toEqual([false, true, true, true]);
    expect(long[0].text.startsWith('LONG LINE START ')).toBe(true);
    expect(long[1].text.startsWith('€')).toBe(true);
    expect(long[2].text.startsWith('😀')).toBe(true);
    expect(long[3].text.startsWith('é')).toBe(true);
    expect(long[3].text.endsWith(' LONG LINE END')).toBe(true);
    expect(long.map((l) => l.text).join('')).not.toContain(FFFD);

    const progress = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) => `progress ${p}%`);
    expect([out[0], ...out.slice(5)]).toEqual(
      lines(
        'INFO: odd output begins',
        `bad bytes: ${FFFD}${FFFD} truncated: ${FFFD} end`,
        'crlf line 1',
        'crlf line 2',
        ...progress,
        '\x1b[31mERROR\x1b[0m: red',
        'nul byte here:\u0000:after',
        '',
        'last line without newline',
      ),
    );
  });
});

describe('createLineSplitter: the noEscapes hint', () => {
  // Lines with their hint, from the given chunks.
  const flagged = (chunks: Buffer[], max = 1024) => {
    const out: { text: string; noEscapes: boolean }[] = [];
    const splitter = createLineSplitter({ maxLineBytes: max, onLine: (text, _continued, noEscapes) => out.push({ text, noEscapes }) });
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    return out;
  };

  it('is set for lines of a chunk with no ESC or 0x9b byte, and only for them', () => {
    const out = flagged([Buffer.from('\x1b[31mred\x1b[0m\nsame chunk\n'), Buffer.from('clean\n\nÛ has a 9b byte\n'), Buffer.from('ok ✓\n')]);
    expect(out).toEqual([
      { text: '\x1b[31mred\x1b[0m', noEscapes: false },
      { text: 'same chunk', noEscapes: false },
      { text: 'clean', noEscapes: false },
      { text: '', noEscapes: true },
      { text: 'Û has a 9b byte', noEscapes: false },
      { text: 'ok ✓', noEscapes: true },
    ]);
    // a big ASCII chunk (decoded whole) with no ESC
    expect(flagged([Buffer.from('INFO: x\n'.repeat(200))]).every((line) => line.noEscapes)).toBe(true);
  });

  it('is never set on a line holding ESC or U+009B, however the bytes are chunked', () => {
    const alphabet = ['a', ' ', '\n', '\r\n', '\x1b', '\x1b[0m', '\u009b', 'Û', 'é', '😀'].map((s) => Buffer.from(s));
    const rand = seededRandom(77);
    let set = 0;
    for (let round = 0; round < 300; round++) {
      const pieces: Buffer[] = [];
      const count = Math.floor(rand() * 80);
      for (let k = 0; k < count; k++) pieces.push(rand() < 0.6 ? alphabet[0]! : alphabet[Math.floor(rand() * alphabet.length)]!);
      const buf = Buffer.concat(pieces);
      const offsets: number[] = [];
      for (let o = 0; o < buf.length; o += 1 + Math.floor(rand() * 20)) offsets.push(o);
      for (const line of flagged(cutAt(buf, offsets), 1 + Math.floor(rand() * 40))) {
        if (line.noEscapes) {
          set++;
          expect(line.text).not.toMatch(/[\x1b\u009b]/);
        }
      }
    }
    expect(set).toBeGreaterThan(100);
  });
});
