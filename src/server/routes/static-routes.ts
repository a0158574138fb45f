// The dashboard: index.html for / and /runs/<id>, files under public/assets/ with their content types.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SupervisorError } from '../../errors.js';
import type { ServerContext } from '../server-context.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pipeline-supervisor</title></head>
<body><h1>pipeline-supervisor</h1><p>The dashboard is not built (public/index.html is missing).
The API is up: try <a href="/api/runs">/api/runs</a>.</p></body></html>
`;

/** GET /, GET /runs/:runId, GET /assets/*: open routes (the page asks for the token itself). */
export function registerStaticRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const sendIndex = async (reply: FastifyReply) => {
    let html: string;
    try {
      html = await fs.promises.readFile(path.join(ctx.publicDir, 'index.html'), 'utf8');
    } catch {
      html = NOT_BUILT;
    }
    return pageHeaders(reply).type('text/html; charset=utf-8').send(html);
  };
  app.get('/', { config: { auth: 'none' } }, (_request, reply) => sendIndex(reply));
  app.get('/runs/:runId', { config: { auth: 'none' } }, (_request, reply) => sendIndex(reply));

  app.get('/assets/*', { config: { auth: 'none' } }, async (request, reply) => {
    const file = await resolveAsset(path.join(ctx.publicDir, 'assets'), (request.params as { '*': string })['*']);
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    return pageHeaders(reply).type(type).send(fs.createReadStream(file));
  });
}

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer');
}

/** The real path of an asset, only if it is a file inside the assets folder (no `..`, no symlink out). */
async function resolveAsset(assetsDir: string, relative: string): Promise<string> {
  const notFound = new SupervisorError('NOT_FOUND', `no asset ${JSON.stringify(relative)}`);
  if (!relative || relative.includes('\0')) throw notFound;
  try {
    const root = await fs.promises.realpath(assetsDir);
    const file = await fs.promises.realpath(path.resolve(root, relative));
    if (!file.startsWith(root + path.sep)) throw notFound;
    if (!(await fs.promises.stat(file)).isFile()) throw notFound;
    return file;
  } catch {
    throw notFound;
  }
}
