import type { FastifyRequest } from 'fastify';
import type { App } from '../module.js';
import { HttpProblem, type FieldError } from './problem.js';

/**
 * Input rules the kernel enforces once, before any route or library sees a request, so every
 * module (and better-auth behind /v1/auth) inherits them:
 * - JSON bodies nest at most MAX_BODY_DEPTH levels: deeper ones are refused before parsing,
 *   since recursive code further on (validation, better-auth's request conversion) would
 *   overflow the stack.
 * - Text holds no NUL (PostgreSQL refuses it in text columns, SQLite keeps it: the same input
 *   must get the same answer on both) and no lone UTF-16 surrogate (not valid Unicode; stored
 *   it would silently become U+FFFD). In JSON bodies (strings and keys), path parameters and
 *   query values alike: 400 validation_failed with a pointer to the field.
 */
export const MAX_BODY_DEPTH = 64;

/** True when JSON text opens more than `max` arrays/objects at once. One pass, no recursion. */
export function jsonTooDeep(text: string, max = MAX_BODY_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

// With the u flag a surrogate pair is one code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Why a string cannot be stored as text, or null when it can. */
export function badText(value: string): 'nul_character' | 'invalid_unicode' | null {
  if (value.includes('\u0000')) return 'nul_character';
  return LONE_SURROGATE.test(value) ? 'invalid_unicode' : null;
}

const DETAILS = {
  nul_character: 'must not contain the NUL character (\\u0000)',
  invalid_unicode: 'must be valid Unicode (no lone UTF-16 surrogates)',
  finite: 'must be a finite number',
} as const;

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Field errors for every string (and key) in a parsed value that cannot be stored as text, and
 * every number that is not finite (JSON's `1e309` parses to Infinity).
 */
export function textErrors(value: unknown, pointer: string, out: FieldError[] = []): FieldError[] {
  if (typeof value === 'string') {
    const bad = badText(value);
    if (bad) out.push({ pointer, code: bad, detail: DETAILS[bad] });
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push({ pointer, code: 'finite', detail: DETAILS.finite });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) textErrors(value[i], `${pointer}/${i}`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const bad = badText(key);
      if (bad) out.push({ pointer: `${pointer}/${escapePointer(key)}`, code: bad, detail: DETAILS[bad] });
      textErrors(item, `${pointer}/${escapePointer(key)}`, out);
    }
  }
  return out;
}

const invalid = (errors: FieldError[]) => new HttpProblem(400, 'validation_failed', { errors });

/**
 * NUL in the path or query, checked where it can only arrive: a `%00` escape (the HTTP parser
 * refuses a raw NUL; invalid UTF-8 escapes never decode into lone surrogates there). Called from
 * the kernel's onRequest hook only for URLs containing `%00`, so the hot path pays one indexOf.
 */
export function urlTextProblem(request: FastifyRequest): HttpProblem | undefined {
  const errors = [
    ...textErrors(request.params ?? {}, '/params'),
    ...textErrors(request.query ?? {}, '/querystring'),
  ];
  return errors.length ? invalid(errors) : undefined;
}

/** Field errors for every number in a (validated, so already coerced) value that is not finite. */
function finiteErrors(value: unknown, pointer: string, out: FieldError[]): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push({ pointer, code: 'finite', detail: DETAILS.finite });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) finiteErrors(value[i], `${pointer}/${i}`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) finiteErrors(item, `${pointer}/${escapePointer(key)}`, out);
  }
}

/**
 * Numbers must be finite after validation too. Ajv's type coercion turns the string "1e309" (in a
 * query, a path, a header or a JSON body) into Infinity and then skips minimum/maximum (they only
 * test finite numbers), so without this `?limit=1e309` reaches SQL. Checked only on routes that
 * declare a schema for that part.
 */
function nonFiniteProblem(request: FastifyRequest, parts: ReadonlyArray<'params' | 'querystring' | 'headers' | 'body'>): HttpProblem | undefined {
  const errors: FieldError[] = [];
  const values = { params: request.params, querystring: request.query, headers: request.headers, body: request.body };
  for (const part of parts) finiteErrors(values[part], `/${part}`, errors);
  return errors.length ? invalid(errors) : undefined;
}

/**
 * Installs the rules above: Fastify's JSON parser replaced by one that applies them (keeping its
 * refusal of __proto__ / constructor.prototype keys), and the finite-number check on every route
 * whose params, query, headers or body have a schema (routes without one, like /health/live, pay nothing).
 */
export function installInputRules(app: App): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const parts = (['params', 'querystring', 'headers', 'body'] as const).filter((part) => schema[part]);
    if (!parts.length) return;
    const check = (request: FastifyRequest, _reply: unknown, done: (err?: Error) => void) => done(nonFiniteProblem(request, parts));
    route.preHandler = [check, ...(route.preHandler ? [route.preHandler].flat() : [])] as typeof route.preHandler;
  });
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    const body = text as string;
    if (jsonTooDeep(body)) return done(new HttpProblem(400, 'body_too_deep', { params: { max: MAX_BODY_DEPTH } }), undefined);
    // Fastify's parser is synchronous (it calls back before returning); its type also allows a promise.
    void parse(request, body, (err, value) => {
      if (err) return done(err, undefined);
      const errors = textErrors(value, '/body');
      if (errors.length) return done(invalid(errors), undefined);
      done(null, value);
    });
  });
}
