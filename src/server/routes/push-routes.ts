// Remote runners over HTTP: POST /api/runs {"external": true} (through the run routes), …/logs and …/finish.
import type { FastifyInstance } from 'fastify';
import { createPushService, type PushService } from '../push-service.js';
import type { ServerContext } from '../server-context.js';

/** What the push routes need of the daemon; `externalRuns` is set here for POST /api/runs. */
export type PushContext = Pick<ServerContext, 'config' | 'manager' | 'store' | 'logger' | 'externalRuns'>;

/**
 * Register the push routes. A runner's x-api-key is its credential: with daemon.token set these routes
 * still let a request that carries a key through the token guard (auth rule `token-or-runner`), and the
 * key is checked here. Staleness timers start for the runs a previous daemon left (onReady) and stop on close.
 */
export function registerPushRoutes(app: FastifyInstance, ctx: PushContext): PushService {
  const service = createPushService(ctx);
  const runner = { config: { auth: 'token-or-runner' as const } };

  ctx.externalRuns = async (request, _reply, body) => service.register(request.headers, body);

  app.post('/api/runs/:runId/logs', runner, async (request) =>
    service.push(request.headers, (request.params as { runId: string }).runId, request.body),
  );

  app.post('/api/runs/:runId/finish', runner, async (request) =>
    service.finish(request.headers, (request.params as { runId: string }).runId, request.body),
  );

  app.addHook('onReady', async () => {
    const armed = service.armExternalRuns();
    if (armed > 0) ctx.logger.info({ runs: armed }, 'watching external runs left running by a previous daemon');
  });
  app.addHook('onClose', async () => service.close());
  return service;
}
