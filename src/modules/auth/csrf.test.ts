import { describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import auth from './module.js';
import { signUpAndIn, TEST_ORIGIN, useAuthTestApp } from './test-helpers.js';

/** Any Neptuno route, not one of better-auth's: the check lives in the actor resolver. */
const probe = defineModule({
  name: 'probe',
  routes: async (app, ctx) => {
    app.post('/mutate', { preHandler: ctx.access.requireUser }, async (request) => ({ actor: await request.actor() }));
    app.get('/read', async (request) => ({ actor: await request.actor() }));
    app.post('/public-mutate', async () => ({ ok: true }));
  },
});

const EVIL = 'https://evil.example';
const FRONTEND = 'https://app.example.com';

describe.each(targets)('CSRF protection of cookie sessions on %s', (target) => {
  let t: TestApp;

  useAuthTestApp(
    target,
    { modules: [auth, probe], config: { modules: { auth: { trustedOrigins: [FRONTEND, 'https://*.preview.example.com'] } } } },
    (f) => ({ t } = f),
  );

  const post = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'POST', url, headers });

  it('refuses a cookie-authenticated POST from an untrusted origin with 403 problem+json', async () => {
    const s = await signUpAndIn(t.app);
    const res = await post('/v1/probe/mutate', { cookie: s.cookie, origin: EVIL });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 403, code: 'csrf_origin_rejected' });
  });

  it('accepts the public URL, configured origins and wildcard origins', async () => {
    const s = await signUpAndIn(t.app);
    for (const origin of [TEST_ORIGIN, FRONTEND, 'https://pr-7.preview.example.com']) {
      const res = await post('/v1/probe/mutate', { cookie: s.cookie, origin });
      expect(res.statusCode, origin).toBe(200);
      expect(res.json().actor).toMatchObject({ id: s.userId, via: 'session' });
    }
  });

  it('falls back to the Referer, and refuses a cookie POST with neither Origin nor Referer', async () => {
    const s = await signUpAndIn(t.app);
    expect((await post('/v1/probe/mutate', { cookie: s.cookie, referer: `${FRONTEND}/checkout?x=1` })).statusCode).toBe(200);
    expect((await post('/v1/probe/mutate', { cookie: s.cookie, referer: `${EVIL}/page` })).statusCode).toBe(403);
    expect((await post('/v1/probe/mutate', { cookie: s.cookie })).statusCode).toBe(403);
  });

  it('lets safe methods through from any origin (they must not change state)', async () => {
    const s = await signUpAndIn(t.app);
    const res = await t.app.inject({ method: 'GET', url: '/v1/probe/read', headers: { cookie: s.cookie, origin: EVIL } });
    expect(res.statusCode).toBe(200);
    expect(res.json().actor).toMatchObject({ id: s.userId });
  });

  it('does not apply without a session cookie: bearer tokens and anonymous calls', async () => {
    const s = await signUpAndIn(t.app);
    const bearer = await post('/v1/probe/mutate', { authorization: `Bearer ${s.token}`, origin: EVIL });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json().actor).toMatchObject({ via: 'bearer' });
    expect((await post('/v1/probe/public-mutate', { origin: EVIL })).statusCode).toBe(200);
    // Anonymous on a guarded route: not a CSRF matter, just unauthenticated.
    expect((await post('/v1/probe/mutate', { origin: EVIL })).statusCode).toBe(401);
  });

  it("covers better-auth's own endpoints: sign-out from an untrusted origin keeps the session", async () => {
    const s = await signUpAndIn(t.app);
    const res = await post('/v1/auth/sign-out', { cookie: s.cookie, origin: EVIL });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('csrf_origin_rejected');
    const read = await t.app.inject({ method: 'GET', url: '/v1/probe/read', headers: { cookie: s.cookie } });
    expect(read.json().actor).toMatchObject({ id: s.userId });
  });

  it('refuses a redirect target on an untrusted origin', async () => {
    const s = await signUpAndIn(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/send-verification-email',
      headers: { origin: TEST_ORIGIN },
      payload: { email: s.email, callbackURL: `${EVIL}/phish` },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('invalid_callback_url');
  });
});
