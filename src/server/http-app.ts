// The fastify app of the daemon, built without listening: limits, the error shape, guards, routes.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { SupervisorError } from '../errors.js';
import { isOwnHostHeader, isOwnOrigin } from './host-policy.js';
import { sendError, toHttpError } from './http-errors.js';
import type { LiveGauges } from './metrics.js';
import { registerRoutes } from './routes/index.js';
import type { ServerContext } from './server-context.js';

/** Who may call a route: the daemon token (when set), nobody in particular, or the token or a runner key. */
export type AuthRule = 'token' | 'none' | 'token-or-runner';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRule;
  }
}

/** Request bodies over 1 MiB are refused with 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT = 1024 * 1024;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Build the app; the caller listens. `gauges` reports the live connection counts for /metrics. */
export function buildHttpApp(ctx: ServerContext, gauges: () => LiveGauges): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Per-request lines go out at debug from the onResponse hook below, not at info for every poll.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  // An empty JSON body is no body (a POST …/cancel from a client that always sets the content type).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SupervisorError('BAD_REQUEST', 'the request body is not valid JSON'), undefined);
    }
  });

  app.addHook('onRequest', async (request) => {
    if (ctx.isClosing()) throw new SupervisorError('SHUTTING_DOWN', 'the daemon is stopping; retry against the next one');
    const bound = ctx.bound();
    if (bound && !isOwnHostHeader(request.headers.host, bound.host)) {
      throw new SupervisorError('FORBIDDEN_ORIGIN', `Host "${request.headers.host}" is not this daemon's address (DNS rebinding?)`);
    }
    // CSRF: a browser names the page's origin on cross-site POSTs; only our own pages may change state.
    if (STATE_CHANGING.has(request.method) && !isOwnOrigin(request.headers.origin, bound?.origins)) {
      throw new SupervisorError('FORBIDDEN_ORIGIN', `requests from ${request.headers.origin} may not change state here`);
    }
    const path = request.url.split('?', 1)[0]!;
    const rule: AuthRule = request.routeOptions.config?.auth ?? (path.startsWith('/api/') || path === '/api' ? 'token' : 'none');
    if (rule === 'none' || ctx.auth.check(request.headers)) return;
    if (rule === 'token-or-runner' && request.headers['x-api-key'] !== undefined) return; // the handler checks the key
    throw new SupervisorError('UNAUTHORIZED', 'this daemon needs its token: send Authorization: Bearer <token>');
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((error, request, reply) => {
    const failure = toHttpError(error);
    if (failure.status >= 500 && failure.code !== 'SHUTTING_DOWN') request.log.error({ err: error, url: request.url }, 'request failed');
    return sendError(reply, failure);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new SupervisorError('NOT_FOUND', `no route ${request.method} ${request.url.split('?', 1)[0]}`)),
  );

  registerRoutes(app, ctx, gauges);
  return app;
}
