// What `run` reads of the store's file before it starts a module: 100 bytes, never SQLite.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { databaseLooksUsable, SCHEMA_VERSION } from '../../src/store/database-file.js';
import { openStore, tempDir } from './helpers.js';

const withVersion = (version: number) => {
  const file = path.join(tempDir(), 'supervisor.db');
  const db = new Database(file);
  db.pragma(`user_version = ${version}`);
  db.close();
  return file;
};

describe('databaseLooksUsable', () => {
  it('vouches for a store this code made, and for one at an older schema (it migrates)', () => {
    const store = openStore();
    store.close();
    expect(databaseLooksUsable(store.path)).toBe(true);
    expect(databaseLooksUsable(withVersion(1))).toBe(true);
  });

  it('does not vouch for a newer schema, a file that is not SQLite, an empty or missing file, or one it cannot write', () => {
    expect(databaseLooksUsable(withVersion(SCHEMA_VERSION + 1))).toBe(false);
    const dir = tempDir();
    const text = path.join(dir, 'text.db');
    fs.writeFileSync(text, 'not a database at all, but long enough to have a header: '.repeat(4));
    expect(databaseLooksUsable(text)).toBe(false);
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '');
    expect(databaseLooksUsable(empty)).toBe(false);
    expect(databaseLooksUsable(path.join(dir, 'missing.db'))).toBe(false);
    const readOnly = withVersion(1);
    fs.chmodSync(readOnly, 0o444);
    // root may write anyway: then the file is usable, and that is what it says
    const writable = (() => {
      try {
        fs.accessSync(readOnly, fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    })();
    expect(databaseLooksUsable(readOnly)).toBe(writable);
  });
});
