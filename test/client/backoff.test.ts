// Retry pacing: exponential, capped, jittered, and a server's Retry-After honoured up to the cap.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/client/index.js';

const options = { baseMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it('doubles per attempt between half and all of base × 2^(n−1)', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options, undefined, () => 0))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options, undefined, () => 1))).toEqual([100, 200, 400, 800]);
  });

  it('never waits more than maxMs, however many attempts', () => {
    for (const attempt of [5, 10, 100, 10_000]) {
      expect(backoffDelay(attempt, options, undefined, () => 1)).toBe(1000);
      expect(backoffDelay(attempt, options, undefined, () => 0)).toBe(500);
    }
  });

  it('waits at least what Retry-After asks, up to the cap', () => {
    expect(backoffDelay(1, options, 700, () => 0)).toBe(700);
    expect(backoffDelay(1, options, 60_000, () => 0)).toBe(1000);
    expect(backoffDelay(3, options, 10, () => 0)).toBe(200);
  });
});
