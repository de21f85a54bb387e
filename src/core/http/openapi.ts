import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { AppConfig } from '../config/schema.js';
import type { App } from '../module.js';

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
  });
  if (!serve) return;
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI sets a few inline styles (no inline scripts): allow those, nothing else.
    transformStaticCSP: (header) => header.replace(/style-src ([^;]*)/, "style-src $1 'unsafe-inline'"),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
