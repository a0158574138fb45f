// Merging what the page hears about a run from several places (list, fetch, frames) without going back in time.

const STATUS_RANK = { queued: 0, running: 1 };

/** The newer of two views of a run: a run never goes back from final to running, so a stale list never undoes a frame. */
export function mergeRun(current, incoming) {
  if (!current) return incoming;
  const a = STATUS_RANK[current.status] ?? 2;
  const b = STATUS_RANK[incoming.status] ?? 2;
  const base = b < a ? { ...incoming, ...current } : { ...current, ...incoming };
  return {
    ...base,
    counts: maxCounts(current.counts, incoming.counts),
    total_lines: Math.max(current.total_lines ?? 0, incoming.total_lines ?? 0),
  };
}

function maxCounts(a = {}, b = {}) {
  const out = { ...a };
  for (const [level, n] of Object.entries(b ?? {})) out[level] = Math.max(out[level] ?? 0, n ?? 0);
  return out;
}
