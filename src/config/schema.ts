// The shape of supervisor.config.json, with every default in one place.
import {
  _default,
  array,
  int,
  maximum,
  minimum,
  minLength,
  NEVER,
  nullable,
  number,
  pipe,
  prefault,
  record,
  regex,
  strictObject,
  string,
  transform,
  union,
  type input,
  type output,
} from '../zod.js';
import { parseDuration } from './duration.js';

const duration = (fallback: string) =>
  pipe(
    _default(union([string(), number()]), fallback),
    transform((value: string | number, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (try "10m", "5s", "250ms")`, input: value });
        return NEVER;
      }
      return ms;
    }),
  );

const integer = (min: number, max: number, fallback: number) => _default(number().check(int(), minimum(min), maximum(max)), fallback);

const moduleSchema = strictObject({
  command: string().check(minLength(1, 'command must not be empty')),
  args: _default(array(string()), []),
  cwd: _default(string(), '.'),
  env: _default(record(string(), string()), {}),
  /** 0 means no timeout */
  timeout: duration('0'),
  killGrace: duration('5s'),
  description: _default(string(), ''),
});

const runnerSchema = strictObject({
  apiKey: string().check(minLength(1, 'apiKey must not be empty')),
  staleAfter: duration('10m'),
});

export const configSchema = strictObject({
  dataDir: _default(string(), '.supervisor'),
  daemon: prefault(
    strictObject({
      host: _default(string(), '127.0.0.1'),
      port: integer(0, 65535, 7411),
      token: _default(nullable(string().check(minLength(1))), null),
    }),
    {},
  ),
  buffer: prefault(strictObject({ lines: integer(1, 10_000_000, 10_000) }), {}),
  limits: prefault(
    strictObject({
      maxLineBytes: integer(256, 64 * 1024 * 1024, 65_536),
      maxConcurrentRuns: integer(1, 1024, 8),
    }),
    {},
  ),
  retention: prefault(strictObject({ days: _default(number().check(minimum(0)), 30) }), {}),
  modules: record(string().check(regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'module names are letters, digits, _ . -')), moduleSchema),
  runners: _default(record(string().check(minLength(1, 'runner names must not be empty')), runnerSchema), {}),
});

export type ConfigInput = input<typeof configSchema>;
export type ModuleConfig = output<typeof moduleSchema>;
export type RunnerConfig = Omit<output<typeof runnerSchema>, 'apiKey'> & { apiKey: string | null };
/** The validated config; paths resolved against the config file's folder. */
export type Config = Omit<output<typeof configSchema>, 'runners'> & {
  runners: Record<string, RunnerConfig>;
  file: string;
  root: string;
  /** problems that do not stop local runs, such as a runner key missing from the environment */
  warnings: string[];
};
