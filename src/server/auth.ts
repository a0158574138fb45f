// The daemon token: Bearer header or a session cookie derived from it, compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The browser session cookie's name. */
export const SESSION_COOKIE = 'supervisor_session';

/** The token rules of one daemon. */
export interface Auth {
  /** a token is configured: /api, SSE, /metrics and /ws need it */
  readonly required: boolean;
  /** does the request carry the token (Authorization: Bearer) or a valid session cookie? */
  check(headers: IncomingHttpHeaders): boolean;
  /** is this the token? (for POST /api/session) */
  tokenMatches(candidate: unknown): boolean;
  /** Set-Cookie value that opens a browser session */
  sessionCookie(): string;
  /** Set-Cookie value that ends it */
  clearedCookie(): string;
}

/** Build the token check; a null token means the daemon is open (loopback only, see listen). */
export function createAuth(token: string | null): Auth {
  // The cookie carries an HMAC of the token, never the token itself.
  const sessionValue = token === null ? '' : createHmac('sha256', token).update('supervisor-session-v1').digest('base64url');
  const cookieAttributes = 'HttpOnly; SameSite=Strict; Path=/';

  const tokenMatches = (candidate: unknown) => token !== null && typeof candidate === 'string' && safeEqual(candidate, token);

  return {
    required: token !== null,
    check(headers) {
      if (token === null) return true;
      const bearer = readBearer(headers.authorization);
      if (bearer !== undefined && tokenMatches(bearer)) return true;
      const cookie = readCookie(headers.cookie, SESSION_COOKIE);
      return cookie !== undefined && safeEqual(cookie, sessionValue);
    },
    tokenMatches,
    sessionCookie: () => `${SESSION_COOKIE}=${sessionValue}; ${cookieAttributes}`,
    clearedCookie: () => `${SESSION_COOKIE}=; ${cookieAttributes}; Max-Age=0`,
  };
}

/** The token of an `Authorization: Bearer <token>` header. */
export function readBearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// Hashing first gives equal-length buffers, so neither the content nor the length leaks through timing.
function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
