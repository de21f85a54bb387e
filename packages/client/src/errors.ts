/** A field error of a problem: where (`/body/email`), a stable code and a message. */
export interface FieldError {
  pointer: string;
  code?: string;
  detail: string;
}

/** An RFC 9457 problem as Neptuno answers it (application/problem+json). */
export interface Problem {
  type?: string;
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  requestId?: string;
  [extra: string]: unknown;
}

/**
 * Every failed call throws this: `status` and a stable `code` to branch on, `title`/`detail` in
 * the request's language to show, `errors` per field for forms. A network failure (or a CORS
 * refusal, which a browser cannot tell apart) has status 0 and code `network_error`.
 * @example
 *   try { await neptuno.auth.signUp(form) } catch (e) {
 *     if (e instanceof NeptunoError && e.code === 'validation_failed') showFieldErrors(e.fieldErrors());
 *   }
 */
export class NeptunoError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors: FieldError[];
  readonly requestId?: string;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'NeptunoError';
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }

  /** Field errors keyed by field name (`/body/email` → `email`), for a form. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) out[e.pointer.replace(/^\/(body|query|params)\//, '').replace(/\//g, '.')] = e.detail;
    return out;
  }

  /** A retry may succeed: network failures, 429, 503 and other 5xx. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  static network(cause: unknown): NeptunoError {
    return new NeptunoError({ status: 0, code: 'network_error', title: String((cause as Error)?.message ?? cause) });
  }

  /** The error for a non-2xx response (a problem body, or whatever the server or a proxy sent). */
  static async fromResponse(response: Response): Promise<NeptunoError> {
    const text = await response.text().catch(() => '');
    let body: Partial<Problem> = {};
    try {
      body = JSON.parse(text) as Partial<Problem>;
    } catch {
      // not JSON: a proxy's HTML error page, say
    }
    return new NeptunoError({
      ...body,
      status: response.status,
      code: typeof body.code === 'string' ? body.code : `http_${response.status}`,
      title: typeof body.title === 'string' ? body.title : response.statusText || `HTTP ${response.status}`,
    });
  }
}
