// One clock for every WebSocket's live flushes: connections that watch the same run flush in the same round,
// with the same batches, so they share one encoded frame; and a busy run costs one round per interval.

export interface FlushClock {
  /** run `flush` in the next round (once, however often it is asked for before then) */
  request(flush: () => void): void;
  stop(): void;
}

/** Rounds at most every `intervalMs`; an idle clock starts a round on the next check phase. */
export function createFlushClock(intervalMs: number, now: () => number = () => performance.now()): FlushClock {
  let waiting = new Set<() => void>();
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let lastRound = -Infinity;

  const round = () => {
    timer = undefined;
    lastRound = now();
    const due = waiting;
    waiting = new Set();
    for (const flush of due) flush();
  };

  return {
    request(flush) {
      waiting.add(flush);
      if (timer) return;
      const wait = lastRound + intervalMs - now();
      timer = wait <= 0 ? setImmediate(round) : setTimeout(round, wait);
    },
    stop() {
      if (timer) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      timer = undefined;
      waiting.clear();
    },
  };
}
