// A run's records: a page (tail or after a cursor) and the whole log as a streamed text download.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { LogQuery } from '../../store/index.js';
import { formatLogChunks } from '../format-log-line.js';
import { readFilters, readLogsPageParams } from '../log-params.js';
import { resolveRunId } from '../run-lookup.js';
import type { ServerContext } from '../server-context.js';

/** GET /api/runs/:runId/logs and GET /api/runs/:runId/logs/download. */
export function registerLogRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/runs/:runId/logs', async (request) => {
    const runId = resolveRunId(ctx, (request.params as { runId: string }).runId);
    const { mode, count, query } = readLogsPageParams(request.query as Record<string, unknown>);
    // One record more than asked says whether more exist (older for a tail, newer for a cursor page).
    const page: LogQuery = mode === 'tail' ? { ...query, tail: count + 1 } : { ...query, limit: count + 1 };
    const { logs, total } = ctx.store.readLogs(runId, page);
    const truncated = logs.length > count;
    if (truncated) {
      if (mode === 'tail') logs.shift();
      else logs.pop();
    }
    return { run_id: runId, logs, total_lines: total, truncated };
  });

  app.get('/api/runs/:runId/logs/download', { exposeHeadRoute: false }, async (request, reply) => {
    const runId = resolveRunId(ctx, (request.params as { runId: string }).runId);
    const records = ctx.store.iterateLogs(runId, readFilters(request.query as Record<string, unknown>));
    return reply
      .header('content-type', 'text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${runId}.log"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(formatLogChunks(records)));
  });
}
