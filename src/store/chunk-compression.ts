// Chunk bodies as stored: brotli at its fastest setting, since SQLite's cost of a write (pages, WAL frames and
// their checksums, the checkpoint's copy) is per byte and log text shrinks 4–16× at well over 500 MB/s. A body
// that does not shrink (random or already compressed output) is stored as it is, and for a while the run's
// next chunks are not even tried, so such output costs little more than before.
import zlib from 'node:zlib';

/** How a chunk row's body is stored (the `codec` column). */
export const CODEC_PLAIN = 0;
export const CODEC_BROTLI = 1;
export type BodyCodec = typeof CODEC_PLAIN | typeof CODEC_BROTLI;

/** Bodies smaller than this are stored plain: too little to gain. */
const MIN_BYTES = 1024;
/** A compressed body is kept only at or under this share of the plain one. */
const WORTH_RATIO = 0.9;
/** After a body that did not shrink enough, this many bodies of the run are stored plain without trying. */
const SKIP_AFTER_POOR = 16;

const BROTLI_OPTIONS = (size: number): zlib.BrotliOptions => ({
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 0,
    // a 256 KiB window covers a chunk; the default 4 MiB one costs set-up time per chunk for nothing
    [zlib.constants.BROTLI_PARAM_LGWIN]: 18,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  },
});

export interface PackedBody {
  codec: BodyCodec;
  bytes: Buffer;
}

/** Packs one run's chunk bodies; it remembers when the run's output does not compress. */
export interface BodyPacker {
  pack(plain: Buffer): PackedBody;
}

export function createBodyPacker(): BodyPacker {
  let skip = 0;
  return {
    pack(plain) {
      if (plain.length < MIN_BYTES) return { codec: CODEC_PLAIN, bytes: plain };
      if (skip > 0) {
        skip--;
        return { codec: CODEC_PLAIN, bytes: plain };
      }
      const packed = zlib.brotliCompressSync(plain, BROTLI_OPTIONS(plain.length));
      if (packed.length <= plain.length * WORTH_RATIO) return { codec: CODEC_BROTLI, bytes: packed };
      skip = SKIP_AFTER_POOR;
      return { codec: CODEC_PLAIN, bytes: plain };
    },
  };
}

/** The plain body of a stored chunk. */
export function unpackBody(codec: number, bytes: Buffer): Buffer {
  if (codec === CODEC_PLAIN) return bytes;
  if (codec === CODEC_BROTLI) return zlib.brotliDecompressSync(bytes);
  throw new Error(`a chunk body in an unknown format (codec ${codec}): was the database written by a newer supervisor?`);
}
