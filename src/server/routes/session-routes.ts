// Browser sessions: EventSource and WebSocket cannot send headers, so the dashboard trades the token for a cookie.
import type { FastifyInstance } from 'fastify';
import { SupervisorError } from '../../errors.js';
import { readBearer } from '../auth.js';
import type { ServerContext } from '../server-context.js';

/** GET/POST/DELETE /api/session. */
export function registerSessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Whether the dashboard must ask for the token, and whether this browser already has a session.
  app.get('/api/session', { config: { auth: 'none' } }, async (request) => ({
    auth_required: ctx.auth.required,
    authenticated: ctx.auth.check(request.headers),
  }));

  app.post('/api/session', { config: { auth: 'none' } }, async (request, reply) => {
    if (!ctx.auth.required) return { auth_required: false, authenticated: true };
    const body = request.body as { token?: unknown } | undefined;
    const candidate = (body && typeof body === 'object' ? body.token : undefined) ?? readBearer(request.headers.authorization);
    if (!ctx.auth.tokenMatches(candidate)) {
      throw new SupervisorError('UNAUTHORIZED', 'wrong token: send {"token": "<daemon.token>"}');
    }
    reply.header('set-cookie', ctx.auth.sessionCookie());
    return { auth_required: true, authenticated: true };
  });

  app.delete('/api/session', { config: { auth: 'none' } }, async (_request, reply) => {
    reply.header('set-cookie', ctx.auth.clearedCookie());
    return { auth_required: ctx.auth.required, authenticated: !ctx.auth.required };
  });
}
