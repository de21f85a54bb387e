import type { FastifyRequest } from 'fastify';
import type { ModuleContext } from '../../core/module.js';
import { forbidden } from '../../core/http/problem.js';
import type { AuthConfig } from './config.js';

/** Header carrying Fastify's request.ip to better-auth; client-sent values are dropped. */
export const CLIENT_IP_HEADER = 'x-neptuno-client-ip';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** server.publicUrl's origin plus modules.auth.trustedOrigins. */
export function trustedOrigins(ctx: ModuleContext<AuthConfig>): string[] {
  return [new URL(ctx.appConfig.server.publicUrl).origin, ...ctx.config.trustedOrigins.map((o) => o.replace(/\/+$/, ''))];
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Exact origin match, or a wildcard pattern such as `https://*.example.com`. */
export function isTrustedOrigin(origin: string, trusted: string[]): boolean {
  return trusted.some((t) => (t.includes('*') ? patternToRegExp(t).test(origin) : t.toLowerCase() === origin.toLowerCase()));
}

/** The origin a browser says a request came from: Origin, else the Referer's origin. */
export function requestOrigin(request: FastifyRequest): string | null {
  const origin = request.headers.origin;
  if (origin && origin !== 'null') return origin;
  const referer = request.headers.referer;
  if (referer) {
    try {
      return new URL(referer).origin;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * CSRF protection for cookie-authenticated requests on every route: an unsafe method (POST,
 * PUT, PATCH, DELETE) must come from a trusted origin. Browsers always send Origin on such
 * requests, so a missing Origin/Referer is refused too (as better-auth does); SDKs and servers
 * use Authorization: Bearer, which a browser never adds on its own and so needs no check.
 */
export function assertSameOriginForCookie(request: FastifyRequest, trusted: string[]): void {
  if (!UNSAFE.has(request.method)) return;
  const origin = requestOrigin(request);
  if (!origin || !isTrustedOrigin(origin, trusted)) {
    throw forbidden('csrf_origin_rejected', { params: { origin: origin ?? '-' } });
  }
}
