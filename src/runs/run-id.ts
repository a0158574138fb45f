// Run ids read well and sort by time: run_YYYYMMDD_HHMMSS_<module>_<6 base36 chars>.
import { randomInt } from 'node:crypto';

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A new run id for a module at a given time (UTC). */
export function createRunId(module: string, at: Date = new Date(), random: () => number = () => randomInt(36)): string {
  const iso = at.toISOString(); // 2025-10-31T12:00:01.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const safe = module.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 64) || 'run';
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += BASE36[random()];
  return `run_${stamp}_${safe}_${suffix}`;
}

export const RUN_ID_PATTERN = /^run_\d{8}_\d{6}_[A-Za-z0-9_.-]+_[0-9a-z]{6}$/;
