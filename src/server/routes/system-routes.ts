// Liveness and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { LiveGauges } from '../metrics.js';
import type { ServerContext } from '../server-context.js';

/** GET /healthz (open) and GET /metrics (token when set). */
export function registerSystemRoutes(app: FastifyInstance, ctx: ServerContext, gauges: () => LiveGauges): void {
  app.get('/healthz', { config: { auth: 'none' } }, async () => ({
    status: ctx.isClosing() ? 'stopping' : 'ok',
    uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000),
    version: ctx.version,
  }));

  app.get('/metrics', { config: { auth: 'token' } }, async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(ctx.metrics.render(gauges())),
  );
}
