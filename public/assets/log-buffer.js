// The records of one run held in the page: sorted by seq, deduplicated, capped (oldest dropped first),
// with a filtered view (minimum level, text) and the holes between held records reported for refetch.
import { LEVEL_RANK } from './format.js';

const DEFAULT_CAP = 200_000;

/**
 * Create the buffer; `cap` bounds how many records the page keeps (older ones are paged back from the API).
 * While the reader is scrolled back (`add(batch, { evict: false })`) eviction waits until `hardCap`.
 */
export function createLogBuffer({ cap = DEFAULT_CAP, hardCap = Math.floor(cap * 1.5) } = {}) {
  let records = [];
  let view = records;
  let minRank = 0;
  let needle = '';

  const matches = (r) => (LEVEL_RANK[r.level] ?? 1) >= minRank && (needle === '' || matchesText(r, needle));
  const filtering = () => minRank > 0 || needle !== '';
  const rebuildView = () => {
    view = filtering() ? records.filter(matches) : records;
  };
  const firstSeq = () => (records.length ? records[0].seq : 0);
  const lastSeq = () => (records.length ? records[records.length - 1].seq : 0);

  // Index of the first record with seq >= `seq`.
  const lowerBound = (list, seq) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // Drop the oldest records down to the cap once there are more than `limit` (so it happens in batches).
  const enforceCap = (result, limit) => {
    if (records.length <= limit) return result;
    const drop = records.length - cap;
    const boundary = records[drop].seq;
    records = records.slice(drop);
    if (filtering()) {
      const cut = lowerBound(view, boundary);
      result.droppedInView = cut;
      view = view.slice(cut);
    } else {
      result.droppedInView = drop;
      view = records;
    }
    result.appendedOnly = false;
    return result;
  };

  return {
    get size() {
      return records.length;
    },
    get cap() {
      return cap;
    },
    /** older pages may still come in (the hard cap is not reached) */
    roomForOlder: () => records.length < hardCap,
    firstSeq,
    lastSeq,
    /** the filtered records, oldest first (the same array as all records when no filter is set) */
    view: () => view,
    at: (i) => view[i],
    /** position of `seq` in the view, or -1 */
    indexOfSeq(seq) {
      const i = lowerBound(view, seq);
      return i < view.length && view[i].seq === seq ? i : -1;
    },
    /** the first view position whose seq is ≥ `seq` */
    lowerBoundInView: (seq) => lowerBound(view, seq),
    filtering,
    /** Set the filter; returns true when the view changed. */
    setFilter({ level = 'DEBUG', text = '' }) {
      const rank = LEVEL_RANK[level] ?? 0;
      const lowered = text.trim().toLowerCase();
      if (rank === minRank && lowered === needle) return false;
      minRank = rank;
      needle = lowered;
      rebuildView();
      return true;
    },
    /**
     * Add records (live, a gap fill or an older page) in any order; repeats are ignored.
     * Returns what happened: `added` (new records), `appendedOnly` (all went to the end),
     * `prependedInView` (view rows added before the old first one), `droppedInView` (oldest view rows
     * removed by the cap), `records` (the new ones) and `gaps` ([from, to] seq ranges missing between held records).
     * `evict: false` keeps the oldest records up to the hard cap (the reader is looking at them).
     */
    add(batch, { evict = true } = {}) {
      const result = { added: 0, appendedOnly: true, prependedInView: 0, droppedInView: 0, gaps: [], records: [] };
      if (!batch || batch.length === 0) return result;
      const sorted = isSorted(batch) ? batch : [...batch].sort((a, b) => a.seq - b.seq);

      // Fast path: an older page entirely before what we hold.
      if (records.length > 0 && sorted[sorted.length - 1].seq < firstSeq()) {
        const older = dedupeSorted(sorted);
        const gapTo = firstSeq() - 1;
        if (older[older.length - 1].seq < gapTo) result.gaps.push([older[older.length - 1].seq + 1, gapTo]);
        records = older.concat(records);
        result.added = older.length;
        result.records = older;
        result.appendedOnly = false;
        if (filtering()) {
          const olderView = older.filter(matches);
          result.prependedInView = olderView.length;
          view = olderView.concat(view);
        } else {
          result.prependedInView = older.length;
          view = records;
        }
        return result;
      }

      let structural = false;
      const appended = [];
      for (const record of sorted) {
        const last = lastSeq();
        if (record.seq > last) {
          if (records.length > 0 && record.seq > last + 1) result.gaps.push([last + 1, record.seq - 1]);
          records.push(record);
          appended.push(record);
          result.records.push(record);
          result.added++;
          continue;
        }
        const i = lowerBound(records, record.seq);
        if (i < records.length && records[i].seq === record.seq) continue;
        records.splice(i, 0, record);
        result.records.push(record);
        result.added++;
        structural = true;
      }
      if (structural) {
        result.appendedOnly = false;
        rebuildView();
      } else if (filtering()) {
        for (const record of appended) if (matches(record)) view.push(record);
      } else {
        view = records;
      }
      enforceCap(result, evict ? cap + Math.max(1, Math.floor(cap / 20)) : hardCap);
      return result;
    },
    clear() {
      records = [];
      rebuildView();
    },
  };
}

function matchesText(record, needle) {
  if (record.message && record.message.toLowerCase().includes(needle)) return true;
  return record.event !== undefined && record.event.toLowerCase().includes(needle);
}

function isSorted(batch) {
  for (let i = 1; i < batch.length; i++) if (batch[i].seq <= batch[i - 1].seq) return false;
  return true;
}

function dedupeSorted(sorted) {
  const out = [];
  for (const r of sorted) if (out.length === 0 || out[out.length - 1].seq !== r.seq) out.push(r);
  return out;
}
