import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findConfigFile, formatDuration, loadConfig, parseDuration, validateConfig } from '../../src/config/index.js';
import { SupervisorError } from '../../src/errors.js';

const dirs: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sup-config-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const minimal = { modules: { demo: { command: 'node', args: ['x.mjs'] } } };

describe('config', () => {
  it('fills every default and resolves paths against the file', () => {
    const config = validateConfig(minimal, '/srv/app/supervisor.config.json', {});
    expect(config.dataDir).toBe('/srv/app/.supervisor');
    expect(config.daemon).toEqual({ host: '127.0.0.1', port: 7411, token: null });
    expect(config.buffer.lines).toBe(10_000);
    expect(config.limits).toEqual({ maxLineBytes: 65_536, maxConcurrentRuns: 8 });
    expect(config.retention.days).toBe(30);
    expect(config.modules.demo).toMatchObject({ cwd: '/srv/app', timeout: 0, killGrace: 5000, env: {} });
  });

  it('names every problem by its JSON path', () => {
    const bad = {
      daemon: { port: 'x' },
      limits: { maxLineBytes: 10 },
      modules: { demo: { args: [1], timeout: 'soon' }, 'bad name!': { command: 'x' } },
      extra: true,
    };
    let error: SupervisorError | undefined;
    try {
      validateConfig(bad, 'c.json', {});
    } catch (e) {
      error = e as SupervisorError;
    }
    expect(error?.code).toBe('SUP_ERR_CONFIG_INVALID');
    const text = error!.message;
    for (const where of ['$.daemon.port', '$.limits.maxLineBytes', '$.modules.demo.command', '$.modules.demo.args[0]', '$.modules.demo.timeout', '$.modules["bad name!"]']) {
      expect(text).toContain(where);
    }
    expect(text).toMatch(/extra/);
    // a bad module name says what names may be
    expect(text).toContain('$.modules["bad name!"]: Invalid key in record: module names are letters, digits, _ . -');
    // zod's own messages are in English
    expect(text).toContain('$.daemon.port: Invalid input: expected number, received string');
  });

  it('takes secrets from the environment with env:NAME', () => {
    const raw = { ...minimal, daemon: { token: 'env:SUP_TOKEN' }, runners: { r1: { apiKey: 'env:R1_KEY' }, r2: { apiKey: 'literal' } } };
    const config = validateConfig(raw, 'c.json', { SUP_TOKEN: 's3cret', R1_KEY: 'k1' });
    expect(config.daemon.token).toBe('s3cret');
    expect(config.runners.r1!.apiKey).toBe('k1');
    expect(config.runners.r2!.apiKey).toBe('literal');
    expect(config.runners.r1!.staleAfter).toBe(600_000);
    expect(() => validateConfig(raw, 'c.json', { R1_KEY: 'k1' })).toThrow(/SUP_TOKEN is not set/);
    // a missing runner key disables that runner with a warning, local runs still work
    const partial = validateConfig({ ...minimal, runners: { r1: { apiKey: 'env:R1_KEY' } } }, 'c.json', {});
    expect(partial.runners.r1!.apiKey).toBeNull();
    expect(partial.warnings[0]).toMatch(/R1_KEY/);
  });

  it('finds the config: --config, then $SUPERVISOR_CONFIG, then the nearest file upward', () => {
    const root = tmp();
    const nested = path.join(root, 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(root, 'supervisor.config.json'), JSON.stringify(minimal));
    fs.writeFileSync(path.join(root, 'other.json'), JSON.stringify(minimal));
    expect(findConfigFile({ cwd: nested, env: {} })).toBe(path.join(root, 'supervisor.config.json'));
    expect(findConfigFile({ cwd: nested, env: { SUPERVISOR_CONFIG: path.join(root, 'other.json') } })).toBe(path.join(root, 'other.json'));
    expect(findConfigFile({ cwd: nested, env: { SUPERVISOR_CONFIG: 'nope.json' }, explicit: path.join(root, 'other.json') })).toBe(path.join(root, 'other.json'));
    expect(() => findConfigFile({ cwd: nested, env: {}, explicit: 'missing.json' })).toThrow(/not found/);
  });

  it('refuses a file that is not JSON with a clear error', () => {
    const dir = tmp();
    const file = path.join(dir, 'supervisor.config.json');
    fs.writeFileSync(file, '{ "modules": ');
    expect(() => loadConfig(file, {})).toThrow(/not valid JSON/);
  });

  it('reads durations as people write them', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration(42)).toBe(42);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });

  it('writes durations back as people write them, never a 60 in a minute or hour', () => {
    const cases: [number | null, string][] = [
      [null, ''], [0, '0ms'], [250, '250ms'], [999.4, '999ms'], [999.6, '1.0s'], [5000, '5.0s'], [30_000, '30.0s'],
      [59_940, '59.9s'], [59_960, '1m'], [60_000, '1m'], [119_600, '2m'], [125_000, '2m 5s'], [600_000, '10m'],
      [3_599_600, '1h'], [3_600_000, '1h'], [5_400_000, '1h 30m'], [7_170_000, '2h'], [90_000_000, '25h'],
    ];
    for (const [ms, text] of cases) expect([ms, formatDuration(ms)]).toEqual([ms, text]);
    for (const text of ['10m', '2m 5s', '1h 30m', '250ms']) {
      const total = text.split(' ').reduce((sum, part) => sum + parseDuration(part)!, 0);
      expect(formatDuration(total)).toBe(text);
    }
  });
});
