// Bytes → lines: a plain push splitter for a child's pipe, bounded in memory and fast on the common case.
//
// Rules (design.md "Parsing a line" rule 3):
// - `\n`, `\r\n` and a bare `\r` each end a line; the terminator is never part of the text.
//   A `\r` that is the last byte of a chunk ends its line at once (a progress bar shows up
//   without waiting); a `\n` opening the next chunk is then swallowed as the rest of `\r\n`.
// - Empty lines ended by `\n` or `\r\n` are emitted (every line counts); empty pieces that a
//   bare `\r` ends, or that directly follow a bare `\r` (`\r\r`, `\r\r\n`), are dropped.
// - A line longer than maxLineBytes goes out in pieces of at most maxLineBytes bytes, cut at
//   a UTF-8 character boundary; the first piece has continued=false, the later ones true.
//   At most ~maxLineBytes of a partial line is held between chunks.
// - Each line is decoded once as UTF-8 (invalid bytes become U+FFFD); a partial line is kept
//   as bytes, so a character split across chunks decodes whole.
// - A line is flagged `noEscapes` when its bytes are known to hold no ESC (0x1b) and no 0x9b (the
//   8-bit CSI is U+009B, bytes C2 9B): then the parser need not look for terminal codes. Only lines
//   wholly inside a chunk free of those bytes are flagged; the flag is a hint, false is always safe.
// The output depends only on the bytes, never on where the chunks were cut.

import { isAscii } from 'node:buffer';

const LF = 10;
const CR = 13;
const ESC = 0x1b;
const C1_CSI = 0x9b;
/** Chunks at least this long that are all ASCII are decoded once, whole; their lines are then substrings. */
const WHOLE_DECODE_MIN = 1024;

/** A line as the splitter hands it on, for callers that collect lines rather than stream them. */
export interface SplitLine {
  text: string;
  continued: boolean;
}

// What a splitter needs: the piece size bound and where lines go.
export interface LineSplitterOptions {
  /** the longest piece emitted, in bytes; longer lines are cut into continued pieces */
  maxLineBytes: number;
  /** called once per line (or piece), synchronously, in order */
  onLine: (text: string, continued: boolean, noEscapes: boolean) => void;
}

// A push API rather than a stream, so a 'data' handler feeds it with no stream overhead.
export interface LineSplitter {
  /** feed the next chunk; the splitter copies what it keeps, so the caller may reuse `chunk` */
  push(chunk: Buffer): void;
  /** flush a final line that had no terminator (if non-empty) and reset */
  end(): void;
}

/** Split a byte stream into lines with a push API, called straight from a pipe's 'data' handler. */
export function createLineSplitter(opts: LineSplitterOptions): LineSplitter {
  const max = opts.maxLineBytes;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`maxLineBytes must be a positive integer, got ${String(max)}`);
  }
  const onLine = opts.onLine;

  // The partial line carried between chunks: copied bytes, total length at most max.
  let parts: Buffer[] = [];
  let partsLen = 0;
  // Pieces of the current line were already emitted: the rest is continued.
  let continuing = false;
  // The last byte consumed was a `\r` that ended a line: a leading `\n` in the next chunk is its pair.
  let afterCR = false;
  // That `\r` ended an empty piece which is kept if the `\n` does follow (an empty `\r\n` line).
  let pendingEmpty = false;
  // The byte before the current piece was a bare `\r` (so an empty piece here is dropped).
  let afterBareCR = false;
  // The chunk being pushed as a string, when it is all ASCII (byte offsets are then char offsets):
  // one decode per chunk, and each line a cheap substring of it, instead of a decode per line.
  let chunkText: string | undefined;
  // The chunk being pushed has no ESC or 0x9b byte, so neither has any line wholly inside it.
  let chunkNoEscapes = false;

  // Emit buf[start, end) as pieces of at most max bytes, keeping any tail only if `keepTail`.
  const emitPieces = (buf: Buffer, start: number, end: number, keepTail: boolean): number => {
    let s = start;
    while (end - s > max) {
      const cut = findCut(buf, s, max);
      onLine(buf.toString('utf8', s, cut), continuing, false);
      continuing = true;
      s = cut;
    }
    if (keepTail) return s;
    if (end > s) onLine(buf.toString('utf8', s, end), continuing, false);
    continuing = false;
    return end;
  };

  // A line ended at chunk[end]: emit it (with any carried partial) and reset for the next line.
  const finishLine = (chunk: Buffer, start: number, end: number, emptyOk: boolean): void => {
    if (partsLen > 0) {
      parts.push(chunk.subarray(start, end));
      const whole = Buffer.concat(parts, partsLen + end - start);
      parts = [];
      partsLen = 0;
      emitPieces(whole, 0, whole.length, false);
      return;
    }
    // No carried bytes means no pieces of this line went out yet (a kept tail is never empty).
    if (end - start > max) emitPieces(chunk, start, end, false);
    else if (end > start) {
      onLine(chunkText !== undefined ? chunkText.slice(start, end) : chunk.toString('utf8', start, end), false, chunkNoEscapes);
    } else if (emptyOk) onLine('', false, true);
  };

  // Keep chunk[start, len) as the partial line, cutting pieces off while it exceeds max.
  const keepPartial = (chunk: Buffer, start: number): void => {
    const len = chunk.length;
    if (partsLen + len - start <= max) {
      parts.push(copyOf(chunk, start, len));
      partsLen += len - start;
      return;
    }
    let buf = chunk;
    let s = start;
    if (partsLen > 0) {
      parts.push(chunk.subarray(start, len));
      buf = Buffer.concat(parts, partsLen + len - start);
      s = 0;
    }
    s = emitPieces(buf, s, buf.length, true);
    parts = [copyOf(buf, s, buf.length)];
    partsLen = buf.length - s;
  };

  const push = (chunk: Buffer): void => {
    const len = chunk.length;
    if (len === 0) return;
    chunkText = len >= WHOLE_DECODE_MIN && isAscii(chunk) ? chunk.toString('latin1') : undefined;
    // one memchr over the chunk instead of two string searches per line in the parser
    chunkNoEscapes = chunk.indexOf(ESC) === -1 && (chunkText !== undefined || chunk.indexOf(C1_CSI) === -1);
    scan(chunk, len);
    chunkText = undefined; // do not keep the chunk's text alive past its lines
  };

  const scan = (chunk: Buffer, len: number): void => {
    let pos = 0;
    if (afterCR) {
      afterCR = false;
      if (chunk[0] === LF) {
        pos = 1;
        if (pendingEmpty) onLine('', false, true);
        afterBareCR = false;
      } else {
        afterBareCR = true;
      }
      pendingEmpty = false;
    }

    // Next \n and next \r at or after pos (len when none): each found once per chunk, not per line. In an ASCII
    // chunk's text (same offsets) rather than its bytes: a string search is V8's own, a Buffer's a call into C++.
    const text = chunkText;
    let lf = -1;
    let cr = -1;
    while (pos < len) {
      if (lf < pos) {
        lf = text !== undefined ? text.indexOf('\n', pos) : chunk.indexOf(LF, pos);
        if (lf === -1) lf = len;
      }
      if (cr < pos) {
        cr = text !== undefined ? text.indexOf('\r', pos) : chunk.indexOf(CR, pos);
        if (cr === -1) cr = len;
      }
      if (lf < cr) {
        finishLine(chunk, pos, lf, !afterBareCR);
        afterBareCR = false;
        pos = lf + 1;
      } else if (cr < len) {
        if (cr + 1 === len) {
          // `\r` is the chunk's last byte: end the line now, pair a leading `\n` next time.
          pendingEmpty = cr === pos && partsLen === 0 && !continuing && !afterBareCR;
          finishLine(chunk, pos, cr, false);
          afterCR = true;
          pos = len;
        } else if (chunk[cr + 1] === LF) {
          finishLine(chunk, pos, cr, !afterBareCR);
          afterBareCR = false;
          pos = cr + 2;
        } else {
          finishLine(chunk, pos, cr, false);
          afterBareCR = true;
          pos = cr + 1;
        }
      } else {
        keepPartial(chunk, pos);
        afterBareCR = false;
        pos = len;
      }
    }
  };

  const end = (): void => {
    if (partsLen > 0) {
      const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, partsLen);
      emitPieces(whole, 0, whole.length, false);
    }
    parts = [];
    partsLen = 0;
    continuing = false;
    afterCR = false;
    pendingEmpty = false;
    afterBareCR = false;
  };

  return { push, end };
}

// Where to end a piece that starts at s when more than max bytes follow: s + max, moved back
// to the start of a multi-byte character that would straddle it.
function findCut(buf: Buffer, s: number, max: number): number {
  const limit = s + max;
  let i = limit;
  // buf[limit] opens the next piece; if it is a continuation byte (10xxxxxx), find its lead.
  while (i > s && limit - i < 3 && (buf[i] & 0xc0) === 0x80) i--;
  if (i === limit || i === s) return limit; // already a boundary, or a char wider than max (max < 4)
  const lead = buf[i];
  // stray continuation bytes, or a byte that leads nothing (0xf8..0xff): no char to keep whole
  const width = lead >= 0xf8 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return i + width > limit ? i : limit;
}

// A private copy, so a kept partial line neither pins the caller's chunk nor sees it reused.
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}
