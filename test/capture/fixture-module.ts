// A fixture script as a module's config, for tests that launch modules without a config file.
import path from 'node:path';
import type { ModuleConfig } from '../../src/config/index.js';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/modules');

/** The config of a module that runs fixtures/modules/<script> with node. */
export const nodeModule = (script: string, args: string[] = []): ModuleConfig => ({
  command: process.execPath,
  args: [path.join(FIXTURES, script), ...args],
  cwd: FIXTURES,
  env: {},
  timeout: 0,
  killGrace: 2000,
  description: '',
});
