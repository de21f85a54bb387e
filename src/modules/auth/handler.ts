import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../../core/http/problem.js';
import type { I18n } from '../../core/i18n/index.js';
import { CLIENT_IP_HEADER } from './origins.js';
import { csrfRejected } from '../../core/http/csrf.js';

/**
 * Bridges Fastify and better-auth's fetch-style handler: the Fastify request becomes a Web
 * Request (URL on server.publicUrl's origin, so better-auth's baseURL matches), and the Web
 * Response goes back with its status, headers, every Set-Cookie and redirects intact. Error
 * answers become problem+json with a stable snake_case code.
 */
/** `/a/b/?q` -> `/a/b?q`: the path without trailing slashes, query kept. */
export function withoutTrailingSlash(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
  return q < 0 ? trimmed : trimmed + url.slice(q);
}

export function toWebRequest(request: FastifyRequest, origin: string): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined || key === CLIENT_IP_HEADER) continue;
    // The body is re-serialized below, so its original framing headers no longer apply.
    if (key === 'content-length' || key === 'transfer-encoding') continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.set(key, String(value));
  }
  headers.set(CLIENT_IP_HEADER, request.ip);
  let body: string | undefined;
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined && request.body !== null) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (typeof request.body !== 'string') headers.set('content-type', 'application/json');
  }
  // The router ignores a trailing slash (`/sign-in/email/` is `/sign-in/email`): better-auth gets
  // the path the route matched, never a variant its own router would read differently.
  return new Request(new URL(withoutTrailingSlash(request.url), origin), { method: request.method, headers, body });
}

/** better-auth error codes renamed to Neptuno's; the rest are lowercased as they are. */
const CODE_RENAMES: Record<string, string> = {
  INVALID_ORIGIN: 'csrf_origin_rejected',
  MISSING_OR_NULL_ORIGIN: 'csrf_origin_rejected',
  CROSS_SITE_NAVIGATION_LOGIN_BLOCKED: 'csrf_origin_rejected',
};

const BY_STATUS: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 429: 'rate_limited' };

export function problemCode(code: string | undefined, status: number): string {
  if (!code || status === 404) return BY_STATUS[status] ?? 'bad_request';
  return CODE_RENAMES[code] ?? code.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Copies a better-auth Response onto the Fastify reply; 4xx/5xx JSON answers are thrown as problems. */
export async function sendWebResponse(response: Response, reply: FastifyReply, i18n: I18n): Promise<FastifyReply> {
  const cookies = response.headers.getSetCookie();
  if (cookies.length) reply.header('set-cookie', cookies);
  const text = await response.text();
  if (response.status >= 400) {
    let parsed: { code?: string; message?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page): only the status is meaningful.
    }
    const status = response.status >= 500 ? 500 : response.status;
    // better-auth's own 5xx answers (logging.ts keeps its router from printing them).
    if (status === 500) reply.log.error({ code: parsed.code, detail: parsed.message, upstreamStatus: response.status }, 'better-auth answered an internal error');
    const code = status === 500 ? 'internal_error' : problemCode(parsed.code, status);
    const headers: Record<string, string> = {};
    const retry = response.headers.get('x-retry-after');
    if (retry) headers['retry-after'] = retry;
    // Our catalogs translate known codes; otherwise better-auth's English message is the detail.
    const detail = i18n.has('en', code) || status === 500 ? undefined : parsed.message;
    // Names the origin the request came from, as the kernel's own CSRF refusal does.
    if (code === 'csrf_origin_rejected') throw csrfRejected(reply.request);
    throw new HttpProblem(status, code, { headers, detail });
  }
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie' || key === 'content-length' || key === 'content-encoding') return;
    reply.header(key, value);
  });
  reply.code(response.status);
  return text.length ? reply.send(text) : reply.send();
}
