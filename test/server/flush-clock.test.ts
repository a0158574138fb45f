// The shared flush clock: one call per round however often it is asked, and a new round for later requests.
import { describe, expect, it } from 'vitest';
import { createFlushClock } from '../../src/server/ws/flush-clock.js';

describe('flush clock', () => {
  it('runs each requested flush once per round, and again in a later round', async () => {
    const clock = createFlushClock(30);
    let calls = 0;
    const first = new Promise<void>((resolve) => {
      const flush = () => {
        calls++;
        resolve();
      };
      clock.request(flush);
      clock.request(flush);
      clock.request(flush);
    });
    await first;
    expect(calls).toBe(1);
    await new Promise<void>((resolve) => clock.request(resolve));
    expect(calls).toBe(1);
    clock.stop();
  });

  it('drops what was asked when stopped', async () => {
    const clock = createFlushClock(0);
    let ran = false;
    clock.request(() => (ran = true));
    clock.stop();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ran).toBe(false);
  });
});
