// The daemon token: Bearer header, session cookie (an HMAC, not the token), and an open daemon.
import { describe, expect, it } from 'vitest';
import { createAuth, readBearer, readCookie } from '../../src/server/auth.js';

describe('auth', () => {
  it('accepts the Bearer token in any case of the scheme, nothing else', () => {
    const auth = createAuth('tok');
    expect(auth.required).toBe(true);
    expect(auth.check({ authorization: 'Bearer tok' })).toBe(true);
    expect(auth.check({ authorization: 'bearer tok' })).toBe(true);
    expect(auth.check({ authorization: 'Bearer tok2' })).toBe(false);
    expect(auth.check({ authorization: 'Basic tok' })).toBe(false);
    expect(auth.check({})).toBe(false);
    expect(auth.tokenMatches('tok')).toBe(true);
    expect(auth.tokenMatches('to')).toBe(false);
    expect(auth.tokenMatches(undefined)).toBe(false);
  });

  it('issues a session cookie that is not the token and that it accepts', () => {
    const auth = createAuth('tok');
    const cookie = auth.sessionCookie();
    expect(cookie).toMatch(/^supervisor_session=[\w-]{20,}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(cookie).not.toContain('tok;');
    const pair = cookie.split(';')[0]!;
    expect(auth.check({ cookie: `other=1; ${pair}` })).toBe(true);
    expect(auth.check({ cookie: 'supervisor_session=tok' })).toBe(false);
    expect(createAuth('other').check({ cookie: pair })).toBe(false);
    expect(auth.clearedCookie()).toContain('Max-Age=0');
  });

  it('lets everything through without a token', () => {
    const auth = createAuth(null);
    expect(auth.required).toBe(false);
    expect(auth.check({})).toBe(true);
    expect(auth.tokenMatches('anything')).toBe(false);
  });

  it('reads Bearer tokens and cookies', () => {
    expect(readBearer('Bearer  abc ')).toBe('abc');
    expect(readBearer('Bearer')).toBeUndefined();
    expect(readCookie('a=1; b = 2 ;c=3', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(readCookie(undefined, 'b')).toBeUndefined();
  });
});
