import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, ModuleContext } from '../../core/module.js';
import type { TrackingConfig } from './config.js';
import { buildScript } from './script.js';

export const SCRIPT_BASE = '/v1/public/tracking/script';

/**
 * The browser script. `/script/<hash>.js` never changes (a new script gets a new hash), so it is
 * cached for a year; `/script.js` always answers the current one, cached for five minutes.
 * Both may be loaded by pages of any site (Cross-Origin-Resource-Policy: cross-origin).
 */
export async function scriptRoutes(app: App, ctx: ModuleContext<TrackingConfig>) {
  const script = buildScript(ctx.config.heartbeatSeconds);
  ctx.services.tracking.scriptPath = `${SCRIPT_BASE}/${script.hash}.js`;

  const send = (request: FastifyRequest, reply: FastifyReply, cacheControl: string) => {
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', cacheControl)
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('etag', `"${script.hash}"`)
      .header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === `"${script.hash}"`) return reply.code(304).send();
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(script.gzip);
    return reply.send(script.source);
  };

  app.get('/script.js', { schema: { tags: ['tracking'], summary: 'The tracking script (current version, short cache)' } }, (request, reply) =>
    send(request, reply, 'public, max-age=300'),
  );
  app.get(
    '/script/:file',
    {
      schema: {
        tags: ['tracking'],
        summary: 'The tracking script at its content-hashed URL (cached for a year)',
        params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{16}\\.js$' }) }),
      },
    },
    (request, reply) => {
      // A page still naming an older script gets the current one at its own URL.
      if (request.params.file !== `${script.hash}.js`) return reply.code(302).header('cache-control', 'no-cache').redirect(`${SCRIPT_BASE}/${script.hash}.js`);
      return send(request, reply, 'public, max-age=31536000, immutable');
    },
  );
}
