import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';
import { NeptunoError } from './errors.js';
import { idempotent, type RetryOptions } from './idempotency.js';
import { RealtimeClient, type RealtimeOptions } from './realtime.js';
import { sendTrackingEvents, type TrackEvent } from './tracking.js';

export interface NeptunoOptions {
  /** The API's base URL, e.g. https://api.example.com (no trailing /v1). */
  baseUrl: string;
  /** `es` or `en`: problem titles, guest names and emails come in that language. */
  locale?: 'es' | 'en';
  /**
   * Server-side use (SSR, scripts): `Authorization: Bearer <token>` or an API key. In browsers
   * leave both out: the HttpOnly session cookie is sent with `credentials: 'include'`.
   */
  token?: string;
  apiKey?: string;
  /**
   * Server-side calls that forward a browser's cookie (SSR) must say which page origin they act
   * for: Neptuno refuses cookie-authenticated unsafe requests without a trusted Origin (CSRF).
   * Browsers set Origin themselves and ignore this.
   */
  origin?: string;
  /** Extra headers on every request (e.g. `{ cookie }` forwarded by an SSR framework). */
  headers?: Record<string, string>;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Options of the websocket client (`WebSocket` for Node 20, `onReset`, backoff). */
  realtime?: Omit<RealtimeOptions, 'url'> & { url?: string };
}

/** A page of a Neptuno list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Every list route (GET with a `{ data, nextCursor }` answer) of the API. */
type ListPath = {
  [P in keyof paths]: paths[P] extends { get: { responses: { 200: { content: { 'application/json': { data: unknown[]; nextCursor: unknown } } } } } } ? P : never;
}[keyof paths];
type ItemOf<P extends ListPath> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': { data: (infer I)[] } } } } } } ? I : never;
type QueryOf<P extends ListPath> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? Q : never;
type PathParamsOf<P extends ListPath> = paths[P] extends { get: { parameters: { path: infer A } } } ? A : never;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Turns every non-2xx answer into a thrown NeptunoError, so `data` is there when a call returns. */
const throwProblems: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await NeptunoError.fromResponse(response.clone());
    return undefined;
  },
  onError({ error }) {
    return error instanceof NeptunoError ? error : NeptunoError.network(error);
  },
};

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role?: string;
  emailVerified: boolean;
}

/**
 * A typed Neptuno client: `api` is the generated layer (every route, its parameters and answers
 * typed from the server's OpenAPI document), the rest are the helpers every front-end needs.
 * Works in browsers, Node 20+ and SSR frameworks.
 * @example
 *   const neptuno = createNeptuno({ baseUrl: 'https://api.example.com', locale: 'es' });
 *   await neptuno.guest();                                   // play before signing up
 *   const { data } = await neptuno.api.GET('/v1/gamification/me');
 *   for await (const entry of neptuno.paginate('/v1/notifications')) console.log(entry);
 */
export function createNeptuno(options: NeptunoOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const headers: Record<string, string> = { ...options.headers };
  if (options.locale) headers['accept-language'] = options.locale;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey) headers['x-api-key'] = options.apiKey;

  const api: Client<paths> = createClient<paths>({ baseUrl, headers, credentials: 'include', fetch: fetchImpl as typeof fetch });
  if (options.origin) {
    const origin = options.origin;
    api.use({
      onRequest({ request }) {
        if (UNSAFE.has(request.method) && !request.headers.has('origin')) request.headers.set('origin', origin);
        return request;
      },
    });
  }
  api.use(throwProblems);

  /** better-auth's endpoints (/v1/auth/*), called through the same client so errors are NeptunoErrors. */
  const auth = {
    async signUp(input: SignUpInput): Promise<{ user: SessionUser; signedIn: boolean }> {
      const { data } = await api.POST('/v1/auth/sign-up/email' as never, { body: input } as never);
      const answer = data as unknown as { user: SessionUser; token: string | null };
      // With modules.auth.requireEmailVerification there is no session until the email is verified.
      return { user: answer.user, signedIn: answer.token !== null };
    },
    async signIn(input: { email: string; password: string }): Promise<{ user: SessionUser; token: string }> {
      const { data } = await api.POST('/v1/auth/sign-in/email' as never, { body: input } as never);
      return data as unknown as { user: SessionUser; token: string };
    },
    /** Sign-up, then sign-in when the server allows a session at once: the landing page's one form. */
    async signUpAndIn(input: SignUpInput): Promise<{ user: SessionUser; signedIn: boolean }> {
      const up = await auth.signUp(input);
      if (up.signedIn) return up;
      try {
        const { user } = await auth.signIn({ email: input.email, password: input.password });
        return { user, signedIn: true };
      } catch (err) {
        if (err instanceof NeptunoError && err.status === 403) return up; // email not verified yet
        throw err;
      }
    },
    async signOut(): Promise<void> {
      await api.POST('/v1/auth/sign-out' as never, { body: {} } as never);
    },
    /** The signed-in user, or null. */
    async session(): Promise<SessionUser | null> {
      const { data } = await api.GET('/v1/auth/get-session' as never, {} as never);
      return (data as unknown as { user?: SessionUser } | null)?.user ?? null;
    },
  };

  let realtime: RealtimeClient | null = null;

  return {
    api,
    auth,
    /**
     * The current guest, created on first use (a signed HttpOnly cookie keeps it): points and
     * badges earned before signing up move to the account at sign-up.
     */
    async guest(displayName?: string) {
      const { data } = await api.POST('/v1/public/guest', { body: displayName ? { displayName } : {} });
      return data;
    },
    /**
     * Every item of a paginated list, fetching pages of `limit` as the loop goes.
     * @example for await (const n of neptuno.paginate('/v1/notifications', { query: { limit: 50 } })) …
     */
    async *paginate<P extends ListPath>(path: P, init: { query?: QueryOf<P>; path?: PathParamsOf<P> } = {}): AsyncGenerator<ItemOf<P>> {
      let cursor: string | null = null;
      do {
        const query = { ...(init.query as object), ...(cursor ? { cursor } : {}) };
        const { data } = await (api.GET as (p: string, i: object) => Promise<{ data?: Page<ItemOf<P>> }>)(path, { params: { query, path: init.path } });
        for (const item of data!.data) yield item;
        cursor = data!.nextCursor;
      } while (cursor);
    },
    /** One Idempotency-Key for a money/credit/point call and its retries (see idempotent()). */
    idempotent<T>(call: (key: string) => Promise<T>, opts?: RetryOptions): Promise<T> {
      return idempotent(call, opts);
    },
    /** Tracking events by sendBeacon (browsers) or fetch keepalive. */
    track(events: TrackEvent | TrackEvent[]): Promise<boolean> {
      return sendTrackingEvents(baseUrl, Array.isArray(events) ? events : [events], options.fetch);
    },
    /** The websocket client (created and connected on first subscribe). */
    get realtime(): RealtimeClient {
      realtime ??= new RealtimeClient({ url: options.realtime?.url ?? `${baseUrl.replace(/^http/, 'ws')}/ws`, ...options.realtime });
      return realtime;
    },
  };
}

export type Neptuno = ReturnType<typeof createNeptuno>;
