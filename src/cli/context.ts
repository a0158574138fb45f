// What every command needs: the config, the backend (daemon or embedded), output streams and colours.
import { findConfigFile, loadConfig, type Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import type { Backend } from './backend.js';
import { createEmbeddedBackend } from './embedded-backend.js';
import { createPalette, type Palette } from './render.js';

export interface GlobalOptions {
  config?: string;
}

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CommandContext {
  config: Config;
  io: CliIO;
  out: Palette;
  err: Palette;
  /** the daemon's client when one is up, else the engine in this process */
  backend(): Promise<Backend>;
  /** the engine in this process, whatever else is up */
  embedded(): ReturnType<typeof createEmbeddedBackend>;
  print(text: string): void;
  note(text: string): void;
  close(): Promise<void>;
}

/** Pick how to reach the engine: a live daemon named by daemon.json, else in-process. */
export type BackendChooser = (config: Config, io: CliIO) => Promise<Backend | undefined>;

/** Build the context for one command. */
export function createCommandContext(options: GlobalOptions, io: CliIO, chooseDaemon?: BackendChooser): CommandContext {
  const file = findConfigFile({ explicit: options.config, env: io.env, cwd: io.cwd });
  const config = loadConfig(file, io.env);
  let embedded: ReturnType<typeof createEmbeddedBackend> | undefined;
  let chosen: Backend | undefined;
  const getEmbedded = () => (embedded ??= createEmbeddedBackend(config));
  return {
    config,
    io,
    out: createPalette(io.stdout, io.env),
    err: createPalette(io.stderr, io.env),
    async backend() {
      if (!chosen) chosen = (chooseDaemon && (await chooseDaemon(config, io))) || getEmbedded();
      return chosen;
    },
    embedded: getEmbedded,
    print(text) {
      io.stdout.write(text + '\n');
    },
    note(text) {
      io.stderr.write(text + '\n');
    },
    async close() {
      await chosen?.close();
      if (embedded && embedded !== chosen) await embedded.close();
    },
  };
}

/** Parse a positive integer flag or fail as a usage error. */
export function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new SupervisorError('USAGE', `${flag} takes a whole number, got "${value}"`);
  return n;
}
