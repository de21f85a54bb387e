import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { I18n, Locale } from '../i18n/index.js';
import { HttpProblem, type FieldError } from './problem.js';
import { unavailableDependency } from '../drivers/unavailable.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** es or en, from Accept-Language. */
    locale: Locale;
  }
}

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  503: 'service_unavailable',
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Ajv errors -> field errors with JSON pointers into the request part (/body/email). */
function fieldErrors(context: string, errors: AjvError[]): FieldError[] {
  return errors.map((e) => {
    let path = e.instancePath;
    if (e.keyword === 'required') path += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') path += `/${String(e.params.additionalProperty)}`;
    return { pointer: `/${context}${path}`, code: e.keyword, detail: e.message ?? 'invalid' };
  });
}

/** Translates any error thrown in a request into an HttpProblem. */
export function toProblem(err: FastifyError | HttpProblem | Error): HttpProblem {
  if (HttpProblem.is(err)) return err;
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string; code?: string };
  if (fe.validation) {
    return new HttpProblem(400, 'validation_failed', { errors: fieldErrors(fe.validationContext ?? 'body', fe.validation) });
  }
  // Errors carrying a stable code of ours from lower layers (e.g. pagination cursors).
  if (fe.code === 'invalid_cursor') return new HttpProblem(400, 'invalid_cursor');
  // Redis or the database unreachable: nothing was wrong with the request; ask to retry.
  if (unavailableDependency(err)) return new HttpProblem(503, 'dependency_unavailable', { headers: { 'retry-after': '5' } });
  const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status === 500) return new HttpProblem(500, 'internal_error');
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpProblem(413, 'payload_too_large');
  if (fe.code === 'FST_ERR_BAD_URL') return new HttpProblem(400, 'malformed_url');
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH') return new HttpProblem(414, 'uri_too_long');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpProblem(415, 'unsupported_media_type');
  if (status === 400 && (err instanceof SyntaxError || /JSON|body/i.test(fe.code ?? '') || /JSON/.test(fe.message))) {
    return new HttpProblem(400, 'malformed_body');
  }
  // Other Fastify 4xx (bad content-length, empty body…): keep the library's English message as detail.
  return new HttpProblem(status, STATUS_CODES[status] ?? 'bad_request', { detail: fe.message });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, p: HttpProblem, i18n: I18n) {
  const locale = request.locale ?? i18n.defaultLocale;
  const params = { requestId: request.id, ...p.opts.params };
  const body: Record<string, unknown> = {
    type: `https://neptuno.dev/problems/${p.code.replace(/_/g, '-')}`,
    title: i18n.t(locale, p.code, params) ?? i18n.t(locale, STATUS_CODES[p.status] ?? 'bad_request', params),
    status: p.status,
    detail: p.opts.detail ?? i18n.t(locale, p.opts.detailKey ?? `${p.code}.detail`, params) ?? undefined,
    code: p.code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...p.opts.extra,
  };
  if (p.opts.errors?.length) body.errors = p.opts.errors;
  if (p.opts.headers) reply.headers(p.opts.headers);
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(body);
}

/** problem+json for every error, 404 and 405, in the caller's language; no internals on 5xx. */
export function installErrorHandling(app: FastifyInstance, i18n: I18n, onServerError?: (err: Error, request: FastifyRequest, status: number) => void) {
  // Negotiated on first use: most requests never produce a translated message.
  app.decorateRequest('locale', {
    getter(this: FastifyRequest) {
      return i18n.negotiate(this.headers['accept-language']);
    },
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const p = toProblem(err);
    if (p.status >= 500) request.log.error({ err }, 'request failed');
    // Unexpected errors only: a 503 dependency_unavailable is an outage the metrics show, not a bug.
    if (p.status === 500) onServerError?.(err, request, p.status);
    else if (!HttpProblem.is(err)) request.log.info({ code: p.code, err: err.message }, 'request rejected');
    return sendProblem(reply, request, p, i18n);
  });

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0];
    const allowed = METHODS.filter((m) => m !== request.method && app.findRoute({ method: m, url }));
    if (allowed.length) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, request, new HttpProblem(405, 'method_not_allowed', { params: { method: request.method, url } }), i18n);
    }
    return sendProblem(reply, request, new HttpProblem(404, 'route_not_found', { params: { method: request.method, url } }), i18n);
  });
}
