// The package's own folder (package.json, bin/, public/) and version, from wherever this code was loaded: src/
// under the tests, dist/ as tsc emits it, dist/bundle/ as the CLI runs it. Found by walking up to our
// package.json, so no module has to know how deep the build put it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'pipeline-supervisor';

function findPackage(start: string): { root: string; version: string } {
  for (let dir = start; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === PACKAGE_NAME) return { root: dir, version: String(manifest.version ?? 'unknown') };
    } catch {
      // no package.json here, or not ours: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json of ours above ${start}`);
  }
}

const found = findPackage(path.dirname(fileURLToPath(import.meta.url)));

/** The package folder, without a trailing slash. */
export const PACKAGE_ROOT = found.root;
/** "0.1.0", from our package.json: for --version, /healthz and the daemon's start-up log. */
export const PACKAGE_VERSION = found.version;
