// Find, read and validate supervisor.config.json; refuse a bad one with every problem named by its JSON path.
import fs from 'node:fs';
import path from 'node:path';
import { SupervisorError } from '../errors.js';
import { configSchema, type Config, type ModuleConfig } from './schema.js';

export const CONFIG_FILE = 'supervisor.config.json';

/** The config file to use: --config, else $SUPERVISOR_CONFIG, else the nearest one from cwd upward. */
export function findConfigFile(options: { explicit?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.explicit ?? env.SUPERVISOR_CONFIG;
  if (named) {
    const file = path.resolve(cwd, named);
    if (!fs.existsSync(file)) throw new SupervisorError('SUP_ERR_CONFIG_NOT_FOUND', `config file not found: ${file}`);
    return file;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, CONFIG_FILE);
    if (fs.existsSync(file)) return file;
    if (path.dirname(dir) === dir) break;
  }
  throw new SupervisorError(
    'SUP_ERR_CONFIG_NOT_FOUND',
    `no ${CONFIG_FILE} in ${cwd} or any folder above it; create one or pass --config PATH`,
  );
}

/** Read and validate a config file; the error names every problem by its JSON path. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SupervisorError('SUP_ERR_CONFIG_INVALID', `${file}: not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return validateConfig(raw, file, env);
}

/** Validate a parsed config object (exported for tests and for configs built in code). */
export function validateConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue) }));
    const problems = issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    throw new SupervisorError('SUP_ERR_CONFIG_INVALID', `${file}: invalid config:\n${problems.join('\n')}`, { details: issues });
  }
  const root = path.dirname(path.resolve(file));
  const config: Config = { ...result.data, file: path.resolve(file), root, warnings: [] };
  config.dataDir = path.resolve(root, config.dataDir);
  config.daemon.token = resolveSecret(config.daemon.token, '$.daemon.token', env);
  // A runner whose key is missing from the environment is disabled, not fatal: local runs still work.
  for (const [name, runner] of Object.entries(config.runners)) {
    try {
      runner.apiKey = resolveSecret(runner.apiKey, `$.runners.${name}.apiKey`, env);
    } catch (error) {
      runner.apiKey = null;
      config.warnings.push(`${(error as Error).message}; runner ${name} cannot push until it is`);
    }
  }
  for (const mod of Object.values(config.modules)) mod.cwd = path.resolve(root, mod.cwd);
  return config;
}

/** A configured module by name, or MODULE_NOT_FOUND naming the ones there are. */
export function moduleConfig(config: Config, name: string): ModuleConfig {
  const mod = Object.hasOwn(config.modules, name) ? config.modules[name] : undefined;
  if (!mod) {
    const known = Object.keys(config.modules).join(', ') || 'none';
    throw new SupervisorError('MODULE_NOT_FOUND', `unknown module "${name}" (configured: ${known})`);
  }
  return mod;
}

/** `env:NAME` takes a secret from the environment; anything else is the value itself. */
export function resolveSecret(value: string | null, where: string, env: NodeJS.ProcessEnv): string | null {
  if (value === null || !value.startsWith('env:')) return value;
  const name = value.slice(4);
  const secret = env[name];
  if (!secret) {
    throw new SupervisorError(
      'SUP_ERR_CONFIG_SECRET_MISSING',
      `${where}: environment variable ${name} is not set (the config says "${value}")`,
    );
  }
  return secret;
}

// A bad record key ("Invalid key in record") says why: the key's own problem is nested in the issue.
function describeIssue(issue: { message: string; code?: string; issues?: readonly { message: string }[] }): string {
  if (issue.code !== 'invalid_key' || !issue.issues?.length) return issue.message;
  return `${issue.message}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
}

function formatPath(parts: readonly PropertyKey[]): string {
  let out = '$';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part))) out += `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}
