// Embedded runs live in the CLI process that started them; a pid file per run lets another CLI cancel it.
import fs from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../server/daemon-file.js';

const dirOf = (dataDir: string) => path.join(dataDir, 'owners');

/** Record that this process owns a run; returns the remover. */
export function writeOwnerFile(dataDir: string, runId: string, pid = process.pid): () => void {
  fs.mkdirSync(dirOf(dataDir), { recursive: true });
  const file = path.join(dirOf(dataDir), `${runId}.pid`);
  // Written aside and renamed into place, so another CLI never reads an empty pid and takes the run for lost.
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, String(pid));
  fs.renameSync(temp, file);
  return () => fs.rmSync(file, { force: true });
}

/** The live process that owns a run, if any. */
export function readOwnerPid(dataDir: string, runId: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dirOf(dataDir), `${runId}.pid`), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && isPidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
