// Where a data dir keeps its store, and whether that file looks usable without loading SQLite: what `run` checks
// before it starts a module, so that the store can open while the module boots.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';

/** The schema version this code reads and writes (the last of schema.ts's migrations; a test keeps them equal). */
export const SCHEMA_VERSION = 4;

/** The database file of a data dir. */
export function databasePath(config: Config): string {
  return path.join(config.dataDir, 'supervisor.db');
}

const HEADER_BYTES = 100;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** PRAGMA user_version, big-endian, in the file header: the schema version. */
const USER_VERSION_AT = 60;

/**
 * True when the file can be read and written and its header says SQLite at a schema this code knows: the ways a
 * user's store fails (a newer supervisor's file, not a database, no permission), told from 100 bytes. False only
 * says this look cannot vouch for it (a file not made yet included): then open the store before anything else.
 */
export function databaseLooksUsable(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r+');
    const header = Buffer.alloc(HEADER_BYTES);
    const read = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    return read === HEADER_BYTES && header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC) && header.readUInt32BE(USER_VERSION_AT) <= SCHEMA_VERSION;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
