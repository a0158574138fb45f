export { findConfigFile, loadConfig, validateConfig, moduleConfig, resolveSecret, CONFIG_FILE } from './load-config.js';
export { parseDuration, formatDuration } from './duration.js';
export type { Config, ModuleConfig, RunnerConfig } from './schema.js';
