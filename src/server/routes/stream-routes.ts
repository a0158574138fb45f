// SSE: GET /api/runs/:runId/logs/stream.
import type { FastifyInstance } from 'fastify';
import { intParam, seqParam } from '../log-params.js';
import { lastSeqOf, resolveRunId } from '../run-lookup.js';
import type { ServerContext } from '../server-context.js';
import { startSseStream } from '../sse-stream.js';

/** Starts after Last-Event-ID, else after `after`, else with the last `tail` records, else from the first. */
export function registerStreamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/runs/:runId/logs/stream', { exposeHeadRoute: false }, async (request, reply) => {
    const runId = resolveRunId(ctx, (request.params as { runId: string }).runId);
    const query = request.query as Record<string, unknown>;
    const lastEventId = request.headers['last-event-id'];
    const resumeAt = seqParam(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }, 'Last-Event-ID');
    const after = seqParam(query, 'after');
    const tail = intParam(query, 'tail', { min: 0 });
    let start = 0;
    if (resumeAt !== undefined) start = resumeAt;
    else if (after !== undefined) start = after;
    else if (tail !== undefined) start = Math.max(0, lastSeqOf(ctx, runId) - tail);
    startSseStream(ctx, reply, runId, start);
    return reply;
  });
}
