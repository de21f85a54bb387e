import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/schema.js';
import { forbidden, type HttpProblem } from './problem.js';

/**
 * CSRF protection for every cookie-authenticated unsafe request, whichever module's cookie it is
 * (a user's session, a guest's): the request must come from a trusted origin. A browser attaches
 * cookies to a cross-site POST on its own (SameSite=None, or a form on a sibling site under Lax);
 * it never attaches an `Authorization` or `X-API-Key` header on its own, so those are exempt.
 *
 * Trusted: `server.publicUrl`'s origin, `server.cors.origins` (an origin allowed to read
 * credentialed answers could read anything a CSRF check protects), and what modules add (auth's
 * `trustedOrigins`). In development, the server's own port on loopback too (localhost,
 * 127.0.0.1, [::1]), so /docs and a local page work whichever name the browser used.
 */

/** `via` values of actors whose credential is a cookie. Resolvers of cookie credentials use one of these. */
export const COOKIE_VIAS: ReadonlySet<string> = new Set(['session', 'guest']);

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Exact origin match, or a wildcard pattern such as `https://*.example.com`. */
export function isTrustedOrigin(origin: string, trusted: readonly string[]): boolean {
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

const trim = (origin: string) => origin.replace(/\/+$/, '');

/** The kernel's trusted origins from the configuration (modules add theirs through Access.trustOrigins). */
export function configuredOrigins(config: AppConfig): string[] {
  const out = [new URL(config.server.publicUrl).origin];
  for (const o of config.server.cors.origins) if (o !== '*') out.push(trim(o));
  if (config.env === 'development' && config.server.port > 0) {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) out.push(`http://${host}:${config.server.port}`);
  }
  return [...new Set(out)];
}

/** 403 `csrf_origin_rejected`, naming the origin the request came from (or saying it named none). */
export function csrfRejected(request: FastifyRequest): HttpProblem {
  const origin = requestOrigin(request);
  return origin
    ? forbidden('csrf_origin_rejected', { params: { origin } })
    : forbidden('csrf_origin_rejected', { detailKey: 'csrf_origin_rejected.missing' });
}

/**
 * Throws 403 `csrf_origin_rejected` for an unsafe method whose Origin (or Referer) is missing or
 * untrusted. Browsers always send Origin on such requests, so a missing one is refused too.
 */
export function assertTrustedOrigin(request: FastifyRequest, trusted: readonly string[]): void {
  if (!UNSAFE.has(request.method)) return;
  const origin = requestOrigin(request);
  if (!origin || !isTrustedOrigin(origin, trusted)) throw csrfRejected(request);
}
