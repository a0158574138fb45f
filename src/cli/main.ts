// The process entry of the `supervisor` command: run the CLI, then exit with its code.
import { runCli } from './program.js';
import { cliHooks } from './hooks.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }, cliHooks);
process.exitCode = code;
// Nothing should keep the process alive now; if something does, do not hang the user's shell.
setTimeout(() => process.exit(code), 2000).unref();
