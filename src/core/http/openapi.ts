import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppConfig } from '../config/schema.js';
import type { App } from '../module.js';
import { defaultScope } from './scopes.js';

/** Whether /docs and /openapi.json are served: `server.docs`, where `auto` means outside production. */
export function docsEnabled(config: Pick<AppConfig, 'env' | 'server'>): boolean {
  const docs = config.server.docs;
  return docs === 'auto' ? config.env !== 'production' : docs;
}

/**
 * OpenAPI 3.1 generated from the route schemas (always: `neptuno openapi` writes it); served at
 * /openapi.json and browsable at /docs when `serve` is true.
 */
export async function installOpenApi(app: App, publicUrl: string, serve = true) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Neptuno API',
        version: '1',
        description:
          'Errors are RFC 9457 application/problem+json with a stable `code`. Lists take `?limit=&cursor=` and answer `{ data, nextCursor }`.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'neptuno.session_token' },
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    // Each operation names the scope an API key with scopes needs (core/http/scopes.ts).
    transform: ({ schema, url, route }) => {
      const scope = route.config?.scope;
      return { schema: scope ? ({ ...schema, 'x-scope': scope } as typeof schema) : schema, url };
    },
  });
  if (!serve) return;
  // The pages of /docs act on nobody's data: scoped keys may read them like anyone.
  await app.register(async (docs) => {
    docs.addHook('onRoute', defaultScope('public'));
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      // Swagger UI sets a few inline styles (no inline scripts): allow those, nothing else.
      transformStaticCSP: (header) => header.replace(/style-src ([^;]*)/, "style-src $1 'unsafe-inline'"),
    });
  });
  app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
