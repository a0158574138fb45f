// Durations in config and CLI flags are written for people: "10m", "5s", "250ms", "30d".

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i;

/** Milliseconds for "10m", "5s", "250ms", "1.5h", or a bare number of milliseconds; undefined if unreadable. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms').toLowerCase();
  return Math.round(Number(match[1]) * UNITS[unit]!);
}

/** "1h 2m 3.4s"-style text for a duration in milliseconds, for tables. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s - m * 60)}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m - h * 60}m`;
}
