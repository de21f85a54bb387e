// A tiny static server for the landing page, for local use and for the browser tests:
//   node bin/run-ts.mjs examples/landing/serve.ts --port 3000 --api http://localhost:8000
// In production put the five files on any static host or CDN and edit the <meta name="neptuno-api">.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const DIR = dirname(fileURLToPath(import.meta.url));

// Only the page's own files: never this script, the tests or anything reached through `..`.
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/neptuno-client.js': { file: 'neptuno-client.js', type: 'text/javascript; charset=utf-8' },
  '/neptuno-realtime.js': { file: 'neptuno-realtime.js', type: 'text/javascript; charset=utf-8' },
  '/notifications-ui.js': { file: 'notifications-ui.js', type: 'text/javascript; charset=utf-8' },
  '/legal-ui.js': { file: 'legal-ui.js', type: 'text/javascript; charset=utf-8' },
  '/styles.css': { file: 'styles.css', type: 'text/css; charset=utf-8' },
};

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

// No inline script or style anywhere on the page, so the policy can be strict: the page talks
// to itself and to the API (HTTP, its websocket, its tracking script), nothing else.
const contentSecurityPolicy = (apiOrigin: string) =>
  [
    "default-src 'self'",
    // The tracking script is served by the API (docs/tracking.md).
    `script-src 'self' ${apiOrigin}`,
    `connect-src 'self' ${apiOrigin} ${apiOrigin.replace(/^http/, 'ws')}`,
    "img-src 'self' https: data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

export interface LandingServer {
  /** The page's origin, e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the landing page with `api` (the Neptuno base URL) written into its
 * <meta name="neptuno-api">. `api` may be a function, read on each request, so a test can start
 * the page first and put its origin in the API's configuration.
 */
export async function serveLanding(opts: { api: string | (() => string); port?: number; host?: string }): Promise<LandingServer> {
  const server: Server = createServer(async (req, res) => {
    const entry = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    try {
      const api = new URL(typeof opts.api === 'function' ? opts.api() : opts.api);
      const apiBase = api.href.replace(/\/+$/, '');
      let body = await readFile(join(DIR, entry.file), 'utf8');
      if (entry.file === 'index.html') {
        body = body.replace(/(<meta name="neptuno-api" content=")[^"]*(")/, `$1${escapeAttr(apiBase)}$2`);
        body = body.replace(/(<script [^>]*data-neptuno-tracking src=")[^"]*?(\/v1\/public\/tracking\/)/, `$1${escapeAttr(apiBase)}$2`);
      }
      res.writeHead(200, {
        'content-type': entry.type,
        'content-security-policy': contentSecurityPolicy(api.origin),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Cannot read the file');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser's keep-alive connections would hold close() open
      }),
  };
}

// Run as a script (not when imported by the tests).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: 'localhost' },
      api: { type: 'string', default: 'http://localhost:8000' },
    },
  });
  const landing = await serveLanding({ api: values.api, port: Number(values.port), host: values.host });
  console.log(`Landing page on ${landing.url} (API: ${values.api})`);
  console.log(`Trust ${landing.url} in neptuno.yaml: server.cors.origins and modules.auth.trustedOrigins.`);
}
