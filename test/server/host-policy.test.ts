// Which hosts are loopback, which Origins and Host headers are the daemon's own.
import { describe, expect, it } from 'vitest';
import { dialHost, formatUrl, isLoopbackHost, isOwnHostHeader, isOwnOrigin, ownOrigins } from '../../src/server/host-policy.js';

describe('host policy', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost']) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1', 'localhost.example.com', '']) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
    }
  });

  it('formats URLs and dials wildcard binds on loopback', () => {
    expect(formatUrl('127.0.0.1', 7411)).toBe('http://127.0.0.1:7411');
    expect(formatUrl('::1', 7411)).toBe('http://[::1]:7411');
    expect(dialHost('0.0.0.0')).toBe('127.0.0.1');
    expect(dialHost('::')).toBe('::1');
    expect(dialHost('10.1.2.3')).toBe('10.1.2.3');
  });

  it('accepts its own origins on its port, and no Origin at all', () => {
    const own = ownOrigins('127.0.0.1', 7411);
    for (const origin of ['http://127.0.0.1:7411', 'http://localhost:7411', 'http://[::1]:7411', 'HTTP://LOCALHOST:7411', undefined]) {
      expect({ origin, ok: isOwnOrigin(origin, own) }).toEqual({ origin, ok: true });
    }
    for (const origin of ['http://127.0.0.1:7412', 'https://127.0.0.1:7411', 'http://evil.example', 'null', 'garbage']) {
      expect({ origin, ok: isOwnOrigin(origin, own) }).toEqual({ origin, ok: false });
    }
    expect(isOwnOrigin('http://10.0.0.5:80', ownOrigins('10.0.0.5', 80))).toBe(true);
  });

  it('refuses Host headers of other names on a loopback bind (DNS rebinding), not on others', () => {
    expect(isOwnHostHeader('127.0.0.1:7411', '127.0.0.1')).toBe(true);
    expect(isOwnHostHeader('localhost:7411', '127.0.0.1')).toBe(true);
    expect(isOwnHostHeader('[::1]:7411', '127.0.0.1')).toBe(true);
    expect(isOwnHostHeader(undefined, '127.0.0.1')).toBe(true);
    expect(isOwnHostHeader('evil.example:7411', '127.0.0.1')).toBe(false);
    expect(isOwnHostHeader('evil.example', '0.0.0.0')).toBe(true);
  });
});
