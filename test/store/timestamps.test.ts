import { describe, expect, it } from 'vitest';
import {
  createTimestampCodec,
  isoToMicros,
  microsToIso,
  parseTimestampCursor,
} from '../../src/store/timestamps.js';

const BASE = Date.UTC(2025, 9, 31, 12, 0, 1) * 1000; // 2025-10-31T12:00:01Z in µs

describe('isoToMicros', () => {
  it('reads the canonical form to the microsecond', () => {
    expect(isoToMicros('2025-10-31T12:00:01.123456Z')).toBe(BASE + 123456);
  });

  it('accepts fewer or more fractional digits, none, a comma, lowercase z and no zone (UTC)', () => {
    expect(isoToMicros('2025-10-31T12:00:01.5Z')).toBe(BASE + 500000);
    expect(isoToMicros('2025-10-31T12:00:01.123Z')).toBe(BASE + 123000);
    expect(isoToMicros('2025-10-31T12:00:01.1234569Z')).toBe(BASE + 123456); // floored: exact for `>`
    expect(isoToMicros('2025-10-31T12:00:01Z')).toBe(BASE);
    expect(isoToMicros('2025-10-31T12:00:01,25z')).toBe(BASE + 250000);
    expect(isoToMicros('2025-10-31T12:00:01')).toBe(BASE);
    expect(isoToMicros('2025-10-31 12:00:01.000001')).toBe(BASE + 1);
    expect(isoToMicros('2025-10-31T12:00Z')).toBe(BASE - 1_000_000);
    expect(isoToMicros('2025-10-31')).toBe(Date.UTC(2025, 9, 31) * 1000);
  });

  it('applies offsets', () => {
    expect(isoToMicros('2025-10-31T14:00:01.000002+02:00')).toBe(BASE + 2);
    expect(isoToMicros('2025-10-31T06:30:01-0530')).toBe(BASE);
    expect(isoToMicros('2025-10-31T13:00:01+01')).toBe(BASE);
  });

  it('gives NaN for what is not a real ISO time', () => {
    for (const bad of ['', 'yesterday', '12345', '2025-13-01T00:00:00Z', '2025-02-30T00:00:00Z', '2025-10-31T24:00:00Z',
      '2025-10-31T12:60:00Z', '2025-10-31T12:00:00+25:00', '2025-10-31T12:00:00.Z']) {
      expect(isoToMicros(bad), bad).toBeNaN();
    }
  });
});

describe('microsToIso', () => {
  it('writes six fractional digits and Z, and round-trips', () => {
    expect(microsToIso(BASE + 123456)).toBe('2025-10-31T12:00:01.123456Z');
    expect(microsToIso(BASE + 7)).toBe('2025-10-31T12:00:01.000007Z');
    for (const us of [0, 1, BASE, BASE + 999999, -1, -1_000_001]) expect(isoToMicros(microsToIso(us))).toBe(us);
    expect(microsToIso(-1)).toBe('1969-12-31T23:59:59.999999Z');
  });
});

describe('parseTimestampCursor', () => {
  it('throws SUP_ERR_BAD_CURSOR for garbage', () => {
    expect(parseTimestampCursor('2025-10-31T12:00:01Z')).toBe(BASE);
    expect(() => parseTimestampCursor('not-a-time')).toThrow(expect.objectContaining({ code: 'SUP_ERR_BAD_CURSOR' }));
  });
});

describe('createTimestampCodec', () => {
  it('exactMicros accepts only strings that microsToIso gives back', () => {
    const codec = createTimestampCodec();
    expect(codec.exactMicros('2025-10-31T12:00:01.123456Z')).toBe(BASE + 123456);
    expect(codec.exactMicros('2025-10-31T12:00:01.123457Z')).toBe(BASE + 123457); // memoised second
    expect(codec.exactMicros('2025-10-31T12:00:02.000000Z')).toBe(BASE + 1_000_000);
    expect(codec.exactMicros('2025-10-31T12:00:01.123Z')).toBeNaN();
    expect(codec.exactMicros('2025-02-30T12:00:01.123456Z')).toBeNaN();
    expect(codec.exactMicros('2025-10-31T12:00:01.12345xZ')).toBeNaN();
    expect(codec.exactMicros('2025-10-31T12:00:01.123456+')).toBeNaN();
    expect(codec.toMicros('2025-10-31T12:00:01.5Z')).toBe(BASE + 500000);
  });

  it('toIso matches microsToIso across second boundaries', () => {
    const codec = createTimestampCodec();
    for (const us of [BASE, BASE + 1, BASE + 999_999, BASE + 1_000_000, BASE - 1, 0, -1]) {
      expect(codec.toIso(us)).toBe(microsToIso(us));
    }
  });
});
