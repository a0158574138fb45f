// The daemon-side pieces the CLI needs (`daemon`, `status`, talking to a live daemon), joined in one place.
import type { CliHooks } from './program.js';

export const cliHooks: CliHooks = {};
