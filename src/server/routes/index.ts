// Every route group, registered from one place (the push routes for remote runners plug in here).
import type { FastifyInstance } from 'fastify';
import type { LiveGauges } from '../metrics.js';
import type { ServerContext } from '../server-context.js';
import { registerLogRoutes } from './log-routes.js';
import { registerPushRoutes } from './push-routes.js';
import { registerRunRoutes } from './run-routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerStaticRoutes } from './static-routes.js';
import { registerStreamRoutes } from './stream-routes.js';
import { registerSystemRoutes } from './system-routes.js';

/** Register the HTTP routes of the daemon. */
export function registerRoutes(app: FastifyInstance, ctx: ServerContext, gauges: () => LiveGauges): void {
  registerRunRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerPushRoutes(app, ctx);
  registerStreamRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerSystemRoutes(app, ctx, gauges);
  registerStaticRoutes(app, ctx);
}
