// What every command needs: the config, the backend (daemon or embedded), output streams and colours.
import { findConfigFile, loadConfig, type Config } from '../config/index.js';
import { SupervisorError } from '../errors.js';
import type { Backend } from './backend.js';
import type { EmbeddedBackend } from './embedded-backend.js';
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
  /** the daemon's client when one is up */
  daemon(): Promise<Backend | undefined>;
  /** the engine in this process, whatever else is up (loaded on first use) */
  embedded(): Promise<EmbeddedBackend>;
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
  let embedded: EmbeddedBackend | undefined;
  let daemon: Promise<Backend | undefined> | undefined;
  let chosen: Backend | undefined;
  const getEmbedded = async () => {
    const { createEmbeddedBackend } = await import('./embedded-backend.js');
    return (embedded ??= createEmbeddedBackend(config));
  };
  const getDaemon = () => (daemon ??= chooseDaemon ? chooseDaemon(config, io) : Promise.resolve(undefined));
  return {
    config,
    io,
    out: createPalette(io.stdout, io.env),
    err: createPalette(io.stderr, io.env),
    async backend() {
      chosen ??= (await getDaemon()) ?? (await getEmbedded());
      return chosen;
    },
    daemon: getDaemon,
    embedded: getEmbedded,
    print(text) {
      io.stdout.write(text + '\n');
    },
    note(text) {
      io.stderr.write(text + '\n');
    },
    async close() {
      const reached = await daemon?.catch(() => undefined);
      await reached?.close();
      if (embedded) await embedded.close();
    },
  };
}

/** Parse a positive integer flag or fail as a usage error. */
export function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new SupervisorError('USAGE', `${flag} takes a whole number, got "${value}"`);
  return n;
}
