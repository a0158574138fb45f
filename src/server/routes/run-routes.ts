// Modules and runs: list, start, look up, cancel.
import type { FastifyInstance } from 'fastify';
import { _default, array, literal, maxLength, minLength, object, optional, string } from '../../zod.js';
import { SupervisorError } from '../../errors.js';
import { summarizeModules } from '../../cli/embedded-backend.js';
import { RUN_STATUSES, type RunStatus } from '../../types.js';
import { intParam, singleParam } from '../log-params.js';
import { findRun, listRuns, resolveRunId } from '../run-lookup.js';
import type { ServerContext } from '../server-context.js';

const DEFAULT_RUNS = 100;
const MAX_RUNS = 1000;

const startLocalRunBody = object({
  module: string({ error: 'module is required (a module name from the config)' }).check(minLength(1, 'module must not be empty')),
  args: _default(array(string(), { error: 'args must be an array of strings' }).check(maxLength(1000, 'at most 1000 arguments')), []),
  external: optional(literal(false)),
});

/** GET /api/modules, GET/POST /api/runs, GET /api/runs/:runId, POST /api/runs/:runId/cancel. */
export function registerRunRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/modules', async () => ({ modules: summarizeModules(ctx.config) }));

  app.get('/api/runs', async (request) => {
    const query = request.query as Record<string, unknown>;
    const status = singleParam(query, 'status');
    if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
      throw new SupervisorError('BAD_REQUEST', `status takes ${RUN_STATUSES.join(', ')}, got "${status}"`);
    }
    const limit = Math.min(intParam(query, 'limit', { min: 1 }) ?? DEFAULT_RUNS, MAX_RUNS);
    const runs = listRuns(ctx, {
      module: singleParam(query, 'module') || undefined,
      status: (status || undefined) as RunStatus | undefined,
      runner: singleParam(query, 'runner') || undefined,
      before: singleParam(query, 'before') || undefined,
      limit,
    });
    return { runs };
  });

  // Local runs need the daemon token; `"external": true` is a remote runner registering (x-api-key, push routes).
  app.post('/api/runs', { config: { auth: 'token-or-runner' } }, async (request, reply) => {
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SupervisorError('BAD_REQUEST', 'body: send a JSON object such as {"module": "demo", "args": []}');
    }
    if ((body as Record<string, unknown>).external === true) {
      if (!ctx.externalRuns) {
        throw new SupervisorError('BAD_REQUEST', 'external: runs pushed by remote runners are not supported by this daemon');
      }
      const { run, created } = await ctx.externalRuns(request, reply, body as Record<string, unknown>);
      return reply.code(created ? 201 : 200).send(run);
    }
    if (!ctx.auth.check(request.headers)) {
      throw new SupervisorError('UNAUTHORIZED', 'starting a run needs the daemon token: send Authorization: Bearer <token>');
    }
    const { module, args } = startLocalRunBody.parse(body);
    const run = ctx.manager.start(module, args);
    request.log.info({ runId: run.info.run_id, module }, 'run started');
    return reply.code(201).send(run.info);
  });

  app.get('/api/runs/:runId', async (request) => findRun(ctx, (request.params as { runId: string }).runId));

  app.post('/api/runs/:runId/cancel', async (request) => {
    const runId = resolveRunId(ctx, (request.params as { runId: string }).runId);
    const info = ctx.manager.cancel(runId);
    request.log.info({ runId }, 'run cancelled');
    return info;
  });
}
