// The package version, for /healthz and the daemon's startup log.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the package (src/server and dist/server both sit two levels below it). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let cached: string | undefined;

/** "0.1.0" from package.json, or "unknown" if it cannot be read. */
export function readPackageVersion(): string {
  if (cached === undefined) {
    try {
      cached = String((JSON.parse(fs.readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version?: string }).version ?? 'unknown');
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
