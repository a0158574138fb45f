// The shape of supervisor.config.json, with every default in one place.
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = (fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (try "10m", "5s", "250ms")` });
        return z.NEVER;
      }
      return ms;
    });

const moduleSchema = z.strictObject({
  command: z.string().min(1, 'command must not be empty'),
  args: z.array(z.string()).default([]),
  cwd: z.string().default('.'),
  env: z.record(z.string(), z.string()).default({}),
  timeout: duration('0').describe('0 means no timeout'),
  killGrace: duration('5s'),
  description: z.string().default(''),
});

const runnerSchema = z.strictObject({
  apiKey: z.string().min(1, 'apiKey must not be empty'),
  staleAfter: duration('10m'),
});

export const configSchema = z.strictObject({
  dataDir: z.string().default('.supervisor'),
  daemon: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(7411),
      token: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  buffer: z.strictObject({ lines: z.number().int().min(1).max(10_000_000).default(10_000) }).prefault({}),
  limits: z
    .strictObject({
      maxLineBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(65_536),
      maxConcurrentRuns: z.number().int().min(1).max(1024).default(8),
    })
    .prefault({}),
  retention: z.strictObject({ days: z.number().min(0).default(30) }).prefault({}),
  modules: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'module names are letters, digits, _ . -'), moduleSchema),
  runners: z.record(z.string().min(1), runnerSchema).default({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ModuleConfig = z.output<typeof moduleSchema>;
export type RunnerConfig = Omit<z.output<typeof runnerSchema>, 'apiKey'> & { apiKey: string | null };
/** The validated config; paths resolved against the config file's folder. */
export type Config = Omit<z.output<typeof configSchema>, 'runners'> & {
  runners: Record<string, RunnerConfig>;
  file: string;
  root: string;
  /** problems that do not stop local runs, such as a runner key missing from the environment */
  warnings: string[];
};
