import type { FastifyRequest } from 'fastify';
import { jsonTooDeep, MAX_BODY_DEPTH, textErrors } from '../../core/http/input.js';
import { HttpProblem } from '../../core/http/problem.js';

// Fastify's rule: a `__proto__` key, or `constructor` holding `prototype`.
const PROTO_KEY = /"__proto__"\s*:/;
const CONSTRUCTOR_KEY = /"constructor"\s*:/;
const PROTOTYPE_KEY = /"prototype"\s*:/;

/**
 * text/plain bodies holding JSON (what navigator.sendBeacon sends), parsed under the same rules
 * as the kernel's JSON parser: depth, `__proto__`/`constructor` keys, NUL and lone surrogates.
 */
export function parseTextJson(_request: FastifyRequest, text: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const body = String(text);
  if (jsonTooDeep(body)) return done(new HttpProblem(400, 'body_too_deep', { params: { max: MAX_BODY_DEPTH } }));
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return done(new HttpProblem(400, 'malformed_body'));
  }
  if (PROTO_KEY.test(body) || (CONSTRUCTOR_KEY.test(body) && PROTOTYPE_KEY.test(body))) return done(new HttpProblem(400, 'malformed_body'));
  const errors = textErrors(value, '/body');
  if (errors.length) return done(new HttpProblem(400, 'validation_failed', { errors }));
  done(null, value);
}
