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

/**
 * "250ms", "3.4s", "2m 5s", "1h 2m"-style text for a duration in milliseconds, for tables; whole minutes and hours
 * as people write them ("10m", "2h"). From a minute on it is rounded to the second, from an hour on to the minute.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '';
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return seconds < 3600 ? twoUnits(seconds, 'm', 's') : twoUnits(Math.round(ms / 60_000), 'h', 'm');
}

// A count of small units (60 to a big one) as "2m 5s", or "2m" when it is whole.
function twoUnits(count: number, big: string, small: string): string {
  const whole = Math.floor(count / 60);
  const rest = count % 60;
  return rest === 0 ? `${whole}${big}` : `${whole}${big} ${rest}${small}`;
}
