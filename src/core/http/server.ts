import { randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import Fastify, { LogController } from 'fastify';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppConfig } from '../config/schema.js';
import { securityHeaders } from './security-headers.js';
import { LazyRequestLogger } from './request-logger.js';
import { installInputRules, urlTextProblem } from './input.js';
import { installCookies } from './cookies.js';
import type { App } from '../module.js';

const REQUEST_ID = /^[\w\-.:@]{1,128}$/;

// Generated request ids: a random per-process prefix and a counter. Unique across replicas and
// restarts, cheaper than a UUID per request, and they sort by arrival within a process.
const bootId = randomBytes(6).toString('base64url');
let requestCount = 0;

/** Loopback, link-local and private (RFC 1918, unique local) addresses: where proxies live. */
const privateNetworks = new BlockList();
for (const [net, prefix] of [['127.0.0.0', 8], ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16], ['100.64.0.0', 10]] as const) {
  privateNetworks.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) privateNetworks.addSubnet(net, prefix, 'ipv6');

function isPrivateAddress(addr: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped) return privateNetworks.check(mapped[1], 'ipv4');
  return isIP(addr) === 4 ? privateNetworks.check(addr, 'ipv4') : isIP(addr) === 6 && privateNetworks.check(addr, 'ipv6');
}

type TrustFn = (addr: string, hop: number) => boolean;

/**
 * Fastify's trustProxy from config: a comma-separated string becomes a list of addresses/CIDRs.
 * A hop count n trusts the n nearest hops of X-Forwarded-For, provided the connection itself comes
 * from a private or loopback address. Fastify (5.12) now ignores a bare hop count altogether
 * (it cannot tell a proxy from a client sending a forged header), which silently turned every
 * client behind the documented `TRUST_PROXY=1` into the proxy's address: one rate-limit bucket
 * for everyone. Proxies and load balancers reach the replicas over private networks, and a client
 * on the internet connecting directly can no longer forge its address.
 */
export function trustProxy(value: AppConfig['server']['trustProxy']): boolean | string[] | TrustFn {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof value === 'number') return value > 0 && ((addr, hop) => hop < value && (hop > 0 || isPrivateAddress(addr)));
  return value;
}

/** The Fastify instance with the kernel's cross-cutting behaviour; routes come later. */
export async function createServer(config: AppConfig, logger: Logger, secret: string): Promise<App> {
  const app = Fastify({
    loggerInstance: logger,
    // X-Request-ID is accepted when well-formed (so a proxy's id follows the request), generated otherwise.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${bootId}-${(++requestCount).toString(36)}`;
    },
    childLoggerFactory: (parent, bindings, options) => new LazyRequestLogger(parent as Logger, bindings, options) as unknown as Logger,
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    trustProxy: trustProxy(config.server.trustProxy),
    bodyLimit: config.server.bodyLimit,
    requestTimeout: config.server.requestTimeoutMs,
    return503OnClosing: true,
    // One rule for every path: `/v1/x/` is `/v1/x`. Routes are registered without a trailing
    // slash (a group's root is '' under its prefix), so the OpenAPI document lists none.
    routerOptions: { ignoreTrailingSlash: true },
    // A path that is not valid percent-encoding or has an over-long parameter: the router answers
    // before any route, so without this its plain JSON would bypass our problem+json handler.
    frameworkErrors: (err, request, reply) => reply.server.errorHandler(err, request, reply),
    ajv: {
      customOptions: {
        // Unknown body fields are rejected by the schemas (additionalProperties: false), not dropped.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: true,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The headers OWASP's REST cheat sheet asks of a JSON API. helmet's legacy browser headers
  // (X-XSS-Protection, X-Download-Options, X-DNS-Prefetch-Control, Flash policies) protect
  // nothing here and cost bytes on every response.
  const headers = securityHeaders({
    // Swagger UI (/docs) sets its own CSP; everything else is JSON and takes the strictest one.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  // Hot path: plain callback hooks, no per-request allocation beyond the log line.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    // NUL can only reach params and query as `%00`: one indexOf here, the full check only then.
    done(request.url.includes('%00') ? urlTextProblem(request) : undefined);
  });
  installInputRules(app as unknown as App);
  const logAll = config.log.requests === 'all' || (config.log.requests === 'auto' && config.env !== 'production');
  const slowMs = config.log.slowRequestMs;
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime;
    if (logAll || ms >= slowMs) {
      request.log[ms >= slowMs ? 'warn' : 'info'](
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms * 100) / 100 },
        ms >= slowMs ? 'slow request' : 'request',
      );
    }
    done();
  });

  const origins = config.server.cors.origins;
  // No origins configured: no cross-site browser access, and no CORS hook on every request.
  if (origins.length) {
    await app.register(cors, {
      origin: origins.includes('*') ? true : origins,
      credentials: config.server.cors.credentials,
      // @fastify/cors 11 allows only GET, HEAD and POST by default: a trusted front-end's
      // PATCH /v1/profile or DELETE would fail its preflight.
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['x-request-id', 'retry-after', 'location', 'idempotent-replayed'],
      maxAge: 600,
    });
  }
  // @fastify/cookie's API, parsed on demand: no cookie hook on every request (cookies.ts).
  installCookies(app as unknown as App, secret);
  return app as unknown as App;
}
