// The package folder and version are found from the module's own location, whatever depth the build put it at.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../src/package-info.js';

describe('package info', () => {
  it('is the folder of our package.json, with the CLI and the dashboard in it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(manifest.name).toBe('pipeline-supervisor');
    expect(PACKAGE_VERSION).toBe(manifest.version);
    expect(fs.existsSync(path.join(PACKAGE_ROOT, 'bin/supervisor.js'))).toBe(true);
    expect(fs.existsSync(path.join(PACKAGE_ROOT, 'public'))).toBe(true);
    expect(PACKAGE_ROOT).toBe(path.resolve(import.meta.dirname, '..'));
  });
});
