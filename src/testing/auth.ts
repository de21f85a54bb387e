import type { LightMyRequestResponse } from 'fastify';
import type { App, KernelContext } from '../core/module.js';

/**
 * Helpers for tests behind a signed-in user, over the shipped auth module's HTTP API: a cookie
 * jar for app.inject, sign-up / sign-in shortcuts and an administrator. The app under test must
 * run the `auth` module (`createTestApp({ modules: [auth, …] })`).
 *
 * @example
 *   const ana = await signUpAndIn(t.app);
 *   await t.app.inject({ method: 'POST', url: '/v1/booking/bookings', headers: { cookie: ana.cookie, origin: TEST_ORIGIN }, payload });
 */

export const TEST_ORIGIN = 'http://localhost:8000'; // server.publicUrl's default
export const TEST_PASSWORD = 'correct horse battery staple';

/** Cookies from Set-Cookie headers, replayed as a Cookie header. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: LightMyRequestResponse): this {
    const raw = res.headers['set-cookie'];
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [k, v] of this.cookies) copy.cookies.set(k, v);
    return copy;
  }
}

export interface Credentials {
  email: string;
  password?: string;
  name?: string;
}

let counter = 0;
/** A fresh address per call, so tests never collide on the unique email. */
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${Date.now().toString(36)}.${counter++}@example.com`;

export async function signUp(app: App, c: Credentials): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/sign-up/email',
    headers: { origin: TEST_ORIGIN },
    payload: { email: c.email, password: c.password ?? TEST_PASSWORD, name: c.name ?? 'Test User' },
  });
}

export interface SignedIn {
  jar: CookieJar;
  /** Cookie header value for app.inject. */
  cookie: string;
  /** Session token for Authorization: Bearer. */
  token: string;
  userId: string;
}

/** Signs in (the account must exist) and returns the cookie jar and bearer token. */
export async function signIn(app: App, c: Credentials, jar = new CookieJar()): Promise<SignedIn> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/sign-in/email',
    headers: { origin: TEST_ORIGIN, ...(jar.header() ? { cookie: jar.header() } : {}) },
    payload: { email: c.email, password: c.password ?? TEST_PASSWORD },
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  jar.store(res);
  const body = res.json() as { token: string; user: { id: string } };
  return { jar, cookie: jar.header(), token: res.headers['set-auth-token'] as string, userId: body.user.id };
}

/** Sign-up then sign-in: a user with a live session. */
export async function signUpAndIn(app: App, c: Partial<Credentials> = {}): Promise<SignedIn & { email: string }> {
  const email = c.email ?? uniqueEmail();
  const res = await signUp(app, { ...c, email });
  if (res.statusCode !== 200) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  return { ...(await signIn(app, { ...c, email })), email };
}

/**
 * An administrator account (role `admin`, email verified), signed in. Created through the auth
 * service, the way `neptuno create-admin` does, since sign-up never grants a role.
 */
export async function createAdmin(
  t: { app: App; ctx: Pick<KernelContext, 'services'> },
  c: Partial<Credentials> = {},
): Promise<SignedIn & { email: string }> {
  const auth = t.ctx.services.auth;
  if (!auth) throw new Error('createAdmin needs the auth module: createTestApp({ modules: [auth, …] })');
  const email = c.email ?? uniqueEmail('admin');
  await auth.createUser({ email, password: c.password ?? TEST_PASSWORD, name: c.name ?? 'Test Admin', role: 'admin', emailVerified: true });
  return { ...(await signIn(t.app, { ...c, email })), email };
}
