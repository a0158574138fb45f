// The process entry of the `supervisor` command: run the CLI, then exit with its code.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { runCli } from './program.js';
import { cliHooks } from './hooks.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }, cliHooks);
process.exitCode = code;
// Nothing should keep the process alive now; if something does, do not hang the user's shell.
setTimeout(() => process.exit(code), 2000).unref();
// Exit as soon as our output is out. Left to wind down on its own, Node first frees the whole heap page by page:
// 20–60 ms after a big run, paid by every command. Writes still queued (an async pipe) are waited for; a stream
// that fails meanwhile (a reader that went away) has nothing left to wait for.
const drained = async (stream: Writable) => {
  if (stream.writableLength > 0 && !stream.destroyed) await once(stream, 'drain').catch(() => {});
};
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
