// A tiny, dependency-free browser client for a Neptuno API. No build step: import it as an ES
// module (`import { createClient } from './neptuno-client.js'`).
//
// Browsers authenticate with HttpOnly cookies the page cannot read, so every request goes out
// with `credentials: 'include'`. For that to work from another origin the API must list the
// page's origin in `server.cors.origins` (CORS, so the page may read answers) and in
// `modules.auth.trustedOrigins` (the CSRF check for cookie-authenticated POSTs).

/** An RFC 9457 problem answered by the API (or a network failure, status 0). */
export class NeptunoError extends Error {
  /**
   * @param {{ status: number, code: string, title: string, detail?: string, errors?: Array<{ pointer?: string, code?: string, detail?: string }>, requestId?: string }} problem
   */
  constructor(problem) {
    super(problem.detail || problem.title);
    this.name = 'NeptunoError';
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
    /** For 428 `consent_required`: the legal documents to accept (legal-ui.js). */
    this.documents = problem.documents ?? [];
  }
}

/**
 * @param {{ baseUrl: string, locale?: string }} options
 *   baseUrl: the API origin, e.g. `https://api.example.com`;
 *   locale: `es` or `en`, sent as Accept-Language so titles and names come in that language.
 */
export function createClient({ baseUrl, locale } = { baseUrl: '' }) {
  const base = baseUrl.replace(/\/+$/, '');

  async function request(method, path, body) {
    const headers = { accept: 'application/json, application/problem+json' };
    if (locale) headers['accept-language'] = locale;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'include',
      });
    } catch (err) {
      // fetch rejects without a status when the network fails or CORS forbids reading the
      // answer (an origin the API does not trust): the page cannot tell the two apart.
      throw new NeptunoError({ status: 0, code: 'network_error', title: String(err?.message ?? err) });
    }
    const type = response.headers.get('content-type') ?? '';
    const data = response.status === 204 ? null : type.includes('json') ? await response.json() : await response.text();
    if (!response.ok) {
      const p = data && typeof data === 'object' ? data : {};
      throw new NeptunoError({
        status: response.status,
        code: p.code ?? 'http_' + response.status,
        title: p.title ?? response.statusText,
        detail: p.detail,
        errors: p.errors,
        requestId: p.requestId ?? response.headers.get('x-request-id') ?? undefined,
        documents: p.documents,
      });
    }
    return data;
  }

  return {
    request,
    /** Becomes (or stays) a guest: `{ id, displayName, createdAt, created }`. 409 `already_signed_in` for users. */
    guest: (displayName) => request('POST', '/v1/public/guest', displayName ? { displayName } : {}),
    /** `{ kind: 'anonymous' | 'guest' | 'user', id?, displayName?, role? }`. */
    whoami: () => request('GET', '/v1/public/whoami'),
    /** Records a gamification event; `id` makes retries award once. */
    track: (type, id) => request('POST', '/v1/gamification/events', id ? { type, id } : { type }),
    /** Points, level, badges, streak and open challenges of the caller (guest or user). */
    me: () => request('GET', '/v1/gamification/me'),
    /** Top of a period (`all`, `weekly`, `monthly`) with the caller's own rank: `{ period, periodKey, data: [{ rank, displayName, points, isMe }], me }`. */
    leaderboard: (period = 'all') => request('GET', `/v1/gamification/leaderboard?period=${encodeURIComponent(period)}`),
    /** Creates an account. Never signs in (the answer is the same for a taken email): call signIn next. */
    signUp: ({ email, password, name }) => request('POST', '/v1/auth/sign-up/email', { email, password, name }),
    /** Starts a cookie session; what the visitor earned as a guest moves to the account. */
    signIn: ({ email, password }) => request('POST', '/v1/auth/sign-in/email', { email, password }),
    signOut: () => request('POST', '/v1/auth/sign-out', {}),
    /** What the visitor must accept now (legal module): `{ data: [{ slug, version, title, url, required }] }`. */
    pendingDocuments: () => request('GET', '/v1/legal/pending'),
    /** Accepts the current version of a legal document. */
    acceptDocument: (slug, version) => request('POST', '/v1/legal/accept', { slug, version }),
  };
}
