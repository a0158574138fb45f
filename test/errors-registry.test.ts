import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, SupervisorError, toSupervisorError } from '../src/errors.js';

describe('error registry', () => {
  it('documents every code in the README with its status', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(readme, `README lacks ${code}`).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });

  it('gives every error a code and status, keeping the cause', () => {
    const cause = new Error('disk');
    const error = new SupervisorError('RUN_NOT_FOUND', 'no run x', { cause });
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND', status: 404, cause });
    expect(toSupervisorError(Object.assign(new Error('bad since'), { code: 'SUP_ERR_BAD_CURSOR' }))).toMatchObject({ code: 'BAD_CURSOR', status: 400 });
    expect(toSupervisorError('boom')).toMatchObject({ code: 'INTERNAL', status: 500 });
  });
});
