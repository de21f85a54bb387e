import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { authRuntime } from './runtime.js';
import { TABLES } from './schema.js';
import { signUpAndIn, TEST_ORIGIN } from './test-helpers.js';
import { SessionCache } from './session-cache.js';

const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
});

const BOUND_MS = 1_000;

it('a cached session never outlives the cache lifetime, even when the event loop is busy', () => {
  const cache = new SessionCache({ ttlMs: 100 });
  const actor = Object.freeze({ type: 'user', id: 'u1' }) as never;
  cache.remember('cookie', actor, Date.now() + 60_000, cache.stamp);
  expect(cache.get('cookie')).toBe(actor);
  // No timer can run during this busy wait (lru-cache's TTL clock is only refreshed by one).
  const start = performance.now();
  while (performance.now() - start <= 100);
  expect(cache.get('cookie')).toBeUndefined();
});

describe.each(targets)('session cache across replicas on %s', (target) => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await createTestApp({ target, modules: [auth, probe] });
    b = await createTestApp({ target, modules: [auth, probe], replicaOf: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const whoami = async (on: TestApp, cookie: string) =>
    (await on.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie } })).json().actor;
  const cached = (on: TestApp, cookie: string) =>
    authRuntime(on.ctx as never).sessions.get(decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1).split(';')[0]));

  /** Polls replica `on` until the cookie resolves to nobody, for at most BOUND_MS after `since`. */
  const refusedWithinBound = async (on: TestApp, cookie: string, since: number) => {
    for (;;) {
      if ((await whoami(on, cookie)) === null) return true;
      if (Date.now() - since > BOUND_MS) return (await whoami(on, cookie)) === null;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('keeps a verified session cookie in memory after its first request', async () => {
    const s = await signUpAndIn(a.app);
    expect(await whoami(b, s.cookie)).toMatchObject({ type: 'user', id: s.userId, via: 'session' });
    expect(cached(b, s.cookie)).toMatchObject({ id: s.userId });
    expect(Object.isFrozen(cached(b, s.cookie))).toBe(true);
  });

  it('a sign-out on one replica refuses the session on the other within a second', async () => {
    const s = await signUpAndIn(a.app);
    expect(await whoami(b, s.cookie)).toMatchObject({ id: s.userId });
    expect(await whoami(a, s.cookie)).toMatchObject({ id: s.userId });
    const out = await a.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie: s.cookie, origin: TEST_ORIGIN } });
    expect(out.statusCode).toBe(200);
    const since = Date.now();
    // The replica that served the sign-out forgot before answering.
    expect(await whoami(a, s.cookie)).toBeNull();
    expect(await refusedWithinBound(b, s.cookie, since)).toBe(true);
  });

  it('revoking every session through the service (admin action) refuses them on both replicas', async () => {
    const s = await signUpAndIn(a.app);
    expect(await whoami(b, s.cookie)).toMatchObject({ id: s.userId });
    expect(await whoami(a, s.cookie)).toMatchObject({ id: s.userId });
    await a.ctx.services.auth.revokeSessions(s.userId);
    const since = Date.now();
    expect(await whoami(a, s.cookie)).toBeNull();
    expect(await refusedWithinBound(b, s.cookie, since)).toBe(true);
  });

  it('a role change is seen on the other replica within a second', async () => {
    const s = await signUpAndIn(a.app);
    expect(await whoami(b, s.cookie)).toMatchObject({ role: 'user' });
    await a.ctx.services.auth.setRole(s.userId, 'admin');
    const since = Date.now();
    for (;;) {
      const role = (await whoami(b, s.cookie))?.role;
      if (role === 'admin' || Date.now() - since > BOUND_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await whoami(b, s.cookie))?.role).toBe('admin');
  });

  it('a session deleted behind better-auth\'s back still ends within the cache lifetime', async () => {
    const s = await signUpAndIn(a.app);
    expect(await whoami(b, s.cookie)).toMatchObject({ id: s.userId });
    await a.ctx.db.deleteFrom(TABLES.sessions).where('user_id', '=', s.userId).execute();
    expect(await refusedWithinBound(b, s.cookie, Date.now())).toBe(true);
  });
});
