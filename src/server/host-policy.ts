// Which hosts the daemon may bind without a token, and which Origin/Host headers count as the daemon's own.
import net from 'node:net';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host.trim().toLowerCase());
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** A wildcard bind (0.0.0.0, ::) listens on every interface. */
export function isWildcardHost(host: string): boolean {
  return WILDCARDS.has(host.trim().toLowerCase());
}

/** The host a local client should dial for a bound address (a wildcard bind is reached on loopback). */
export function dialHost(host: string): string {
  if (isWildcardHost(host)) return host.includes(':') ? '::1' : '127.0.0.1';
  return host;
}

/** http://host:port with IPv6 hosts bracketed. */
export function formatUrl(host: string, port: number): string {
  const h = stripBrackets(host);
  return `http://${net.isIPv6(h) ? `[${h}]` : h}:${port}`;
}

/** The Origins of pages served by this daemon: its own host and the loopback names, on its port. */
export function ownOrigins(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1'];
  if (!isWildcardHost(host)) names.push(host);
  const origins = new Set<string>();
  for (const name of names) {
    try {
      origins.add(new URL(formatUrl(name, port)).origin);
    } catch {
      // a host that makes no URL adds no origin
    }
  }
  return origins;
}

/** Does an Origin header name one of our own origins? (undefined: no header, a non-browser client) */
export function isOwnOrigin(origin: string | undefined, own: ReadonlySet<string> | undefined): boolean {
  if (origin === undefined) return true;
  if (!own) return true; // not listening yet (inject): no port to compare
  try {
    return own.has(new URL(origin).origin);
  } catch {
    return false;
  }
}

/** A Host header a browser sends only to this daemon: guards a loopback daemon against DNS rebinding. */
export function isOwnHostHeader(hostHeader: string | undefined, boundHost: string): boolean {
  if (hostHeader === undefined || hostHeader === '') return true;
  if (!isLoopbackHost(boundHost)) return true; // a token guards non-loopback binds
  let name: string;
  try {
    name = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(name) || stripBrackets(name) === stripBrackets(boundHost.toLowerCase());
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
