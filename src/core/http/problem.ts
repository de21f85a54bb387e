/** A field error inside a problem: `pointer` is a JSON pointer into the request (e.g. /body/email). */
export interface FieldError {
  pointer: string;
  code: string;
  detail: string;
}

export interface ProblemOptions {
  /** Overrides the catalog's detail (already translated, or safe to show as is). */
  detail?: string;
  /** Catalog key of the detail when it is not `<code>.detail` (one code, several explanations). */
  detailKey?: string;
  /** Values interpolated into the catalog's title and detail ({name}). */
  params?: Record<string, string | number>;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members added to the problem document (RFC 9457 extensions). */
  extra?: Record<string, unknown>;
}

/**
 * An error that becomes an RFC 9457 problem+json answer. `code` is stable snake_case and keys
 * the i18n catalogs for title and detail, so the same throw answers in Spanish or English.
 */
const BRAND = Symbol.for('neptuno.http-problem');

export class HttpProblem extends Error {
  /**
   * Recognised by brand, not only by class: a module loaded through another copy of this file
   * (a user module importing the sources while the server runs the build) still answers its
   * own status instead of a 500.
   */
  static is(err: unknown): err is HttpProblem {
    return err instanceof HttpProblem || (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true);
  }

  readonly [BRAND] = true;
  readonly status: number;
  readonly code: string;
  readonly opts: ProblemOptions;

  constructor(status: number, code: string, opts: ProblemOptions = {}) {
    super(opts.detail ?? code);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.opts = opts;
  }
}

export const problem = (status: number, code: string, opts?: ProblemOptions) => new HttpProblem(status, code, opts);

export const badRequest = (code = 'bad_request', opts?: ProblemOptions) => problem(400, code, opts);
export const unauthorized = (code = 'unauthorized', opts?: ProblemOptions) => problem(401, code, opts);
export const forbidden = (code = 'forbidden', opts?: ProblemOptions) => problem(403, code, opts);
export const notFound = (code = 'not_found', opts?: ProblemOptions) => problem(404, code, opts);
export const conflict = (code = 'conflict', opts?: ProblemOptions) => problem(409, code, opts);
export const unprocessable = (code = 'unprocessable', opts?: ProblemOptions) => problem(422, code, opts);
export const tooManyRequests = (retryAfterMs: number, code = 'rate_limited', opts: ProblemOptions = {}) =>
  problem(429, code, {
    ...opts,
    headers: { ...opts.headers, 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
