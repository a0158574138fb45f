// Formatting of times, durations and counts for display (local time; the full ISO value goes in titles).

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
export const LEVEL_RANK = Object.fromEntries(LEVELS.map((level, i) => [level, i]));
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'lost'];
export const ACTIVE_STATUSES = new Set(['queued', 'running']);

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** Milliseconds since the epoch of an ISO timestamp (microseconds are cut to milliseconds); NaN when absent. */
export function parseTime(iso) {
  if (!iso) return NaN;
  // Date.parse wants at most 3 fraction digits everywhere; cut the rest.
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, '$1'));
}

/** HH:MM:SS.mmm, local time. */
export function formatClock(iso) {
  const ms = parseTime(iso);
  if (Number.isNaN(ms)) return '--:--:--.---';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** YYYY-MM-DD HH:MM:SS local, or today's HH:MM:SS when `short` and the date is today. */
export function formatDateTime(iso, { short = false } = {}) {
  const ms = parseTime(iso);
  if (Number.isNaN(ms)) return '—';
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (short && date === localDate(new Date())) return time;
  return `${date} ${time}`;
}

function localDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** 850 ms, 4.5 s, 2m 05s, 1h 02m. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** Duration of a run: finished − started, or now − started while it runs. */
export function runDurationMs(run, now = Date.now()) {
  const start = parseTime(run.started_at);
  if (Number.isNaN(start)) return null;
  const end = parseTime(run.finished_at);
  return (Number.isNaN(end) ? now : end) - start;
}

/** 1,234,567 */
export function formatCount(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '—';
}

/** ERROR + CRITICAL lines of a run. */
export function errorCount(run) {
  const counts = run.counts ?? {};
  return (counts.ERROR ?? 0) + (counts.CRITICAL ?? 0);
}

/** Lines of a run: total_lines, else the sum of its counts. */
export function lineCount(run) {
  if (typeof run.total_lines === 'number') return run.total_lines;
  return Object.values(run.counts ?? {}).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0);
}

/** Split an args string like a shell would, minus expansions: spaces separate, quotes group, \ escapes. */
export function splitArgs(text) {
  const args = [];
  let current = '';
  let quote = null;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote in arguments`);
  if (started) args.push(current);
  return args;
}
