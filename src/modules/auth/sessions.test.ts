import { describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { TABLES } from './schema.js';
import { signIn, signUp, signUpAndIn, startTestSmtp, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail, useAuthTestApp } from './test-helpers.js';

/** A module that shows who the kernel thinks is calling. */
const probe = defineModule({
  name: 'probe',
  routes: async (app, ctx) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
    app.post('/mutate', { preHandler: ctx.access.requireUser }, async (request) => ({ actor: await request.actor() }));
  },
});

describe.each(targets)('auth sessions on %s', (target) => {
  let t: TestApp;

  useAuthTestApp(target, { modules: [auth, probe] }, (f) => ({ t } = f));

  const whoami = async (headers: Record<string, string>) =>
    (await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers })).json().actor;

  it('signs up without a session, then signs in with an HttpOnly, Secure, SameSite cookie', async () => {
    const email = uniqueEmail();
    const up = await signUp(t.app, { email });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ token: null, user: { email, emailVerified: false } });
    expect(up.headers['set-cookie']).toBeUndefined();

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/sign-in/email',
      headers: { origin: TEST_ORIGIN },
      payload: { email, password: TEST_PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]);
    const session = cookies.find((c) => c.startsWith('__Secure-neptuno.session_token='));
    expect(session).toBeDefined();
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(res.headers['set-auth-token']).toEqual(expect.any(String));
  });

  it('resolves the actor from the cookie and from Authorization: Bearer', async () => {
    const s = await signUpAndIn(t.app);
    expect(await whoami({ cookie: s.cookie })).toMatchObject({ type: 'user', id: s.userId, role: 'user', tenantId: null, via: 'session' });
    const byBearer = await whoami({ authorization: `Bearer ${s.token}` });
    expect(byBearer).toMatchObject({ type: 'user', id: s.userId, role: 'user', via: 'bearer' });
    expect(byBearer.sessionId).toEqual(expect.any(String));
    expect(await whoami({ authorization: 'Bearer not-a-token' })).toBeNull();
    expect(await whoami({})).toBeNull();
  });

  it('sign-out revokes the session server-side: a copied cookie stops working at once', async () => {
    const s = await signUpAndIn(t.app);
    const copied = s.cookie;
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { cookie: s.cookie, origin: TEST_ORIGIN } });
    expect(out.statusCode).toBe(200);
    expect(await whoami({ cookie: copied })).toBeNull();
    expect(await whoami({ authorization: `Bearer ${s.token}` })).toBeNull();
    const rows = await t.ctx.db.selectFrom(TABLES.sessions).select('id').where('user_id', '=', s.userId).execute();
    expect(rows).toHaveLength(0);
  });

  it('sign-out with a bearer token revokes that session', async () => {
    const s = await signUpAndIn(t.app);
    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { authorization: `Bearer ${s.token}` } });
    expect(out.statusCode).toBe(200);
    expect(await whoami({ authorization: `Bearer ${s.token}` })).toBeNull();
    expect(await whoami({ cookie: s.cookie })).toBeNull();
  });

  it('"sign out everywhere" ends every session of the user', async () => {
    const a = await signUpAndIn(t.app);
    const b = await signIn(t.app, { email: a.email });
    expect(await whoami({ cookie: b.cookie })).toMatchObject({ id: a.userId });
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/revoke-sessions', headers: { cookie: a.cookie, origin: TEST_ORIGIN } });
    expect(res.statusCode).toBe(200);
    expect(await whoami({ cookie: a.cookie })).toBeNull();
    expect(await whoami({ cookie: b.cookie })).toBeNull();
  });

  it('the service revokes sessions too (ctx.services.auth.revokeSessions)', async () => {
    const s = await signUpAndIn(t.app);
    await t.ctx.services.auth.revokeSessions(s.userId);
    expect(await whoami({ cookie: s.cookie })).toBeNull();
  });

  it('changing the password ends the other sessions and keeps the caller signed in', async () => {
    const a = await signUpAndIn(t.app);
    const other = await signIn(t.app, { email: a.email });
    const newPassword = 'a much better passphrase 42';
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/change-password',
      headers: { cookie: a.cookie, origin: TEST_ORIGIN },
      payload: { currentPassword: TEST_PASSWORD, newPassword, revokeOtherSessions: false },
    });
    expect(res.statusCode).toBe(200);
    a.jar.store(res);
    expect(await whoami({ cookie: other.cookie })).toBeNull();
    expect(await whoami({ cookie: a.jar.header() })).toMatchObject({ id: a.userId });
    await expect(signIn(t.app, { email: a.email })).rejects.toThrow(/401/);
    await signIn(t.app, { email: a.email, password: newPassword });
  });

  it('a wrong current password cannot change the password', async () => {
    const a = await signUpAndIn(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/change-password',
      headers: { cookie: a.cookie, origin: TEST_ORIGIN },
      payload: { currentPassword: 'not the password at all', newPassword: 'another good passphrase' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('invalid_password');
  });

  it('lists sessions and revokes one by token', async () => {
    const a = await signUpAndIn(t.app);
    const b = await signIn(t.app, { email: a.email });
    const list = await t.app.inject({ method: 'GET', url: '/v1/auth/list-sessions', headers: { cookie: a.cookie } });
    expect(list.statusCode).toBe(200);
    const sessions = list.json() as Array<{ token: string }>;
    expect(sessions).toHaveLength(2);
    const bRow = await t.ctx.db.selectFrom(TABLES.sessions).select('token').where('user_id', '=', a.userId).execute();
    const bToken = bRow.map((r) => r.token).find((tok) => b.token.startsWith(tok))!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/revoke-session',
      headers: { cookie: a.cookie, origin: TEST_ORIGIN },
      payload: { token: bToken },
    });
    expect(res.statusCode).toBe(200);
    expect(await whoami({ cookie: b.cookie })).toBeNull();
    expect(await whoami({ cookie: a.cookie })).toMatchObject({ id: a.userId });
  });

  it('a guard sees the user (requireUser) and anonymous callers get 401 problem+json', async () => {
    const s = await signUpAndIn(t.app);
    const ok = await t.app.inject({ method: 'POST', url: '/v1/probe/mutate', headers: { cookie: s.cookie, origin: TEST_ORIGIN } });
    expect(ok.statusCode).toBe(200);
    const anon = await t.app.inject({ method: 'POST', url: '/v1/probe/mutate', headers: { origin: TEST_ORIGIN } });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['content-type']).toMatch(/application\/problem\+json/);
  });
  it('keeps cookie and row in step: Neptuno routes never extend a cookie session silently; get-session extends both; bearer requests extend the row', async () => {
    const short = await createTestApp({
      target,
      modules: [auth, probe],
      replicaOf: t,
      config: { modules: { auth: { session: { expiresIn: 3600, updateAge: 60 } } } },
    });
    try {
      const s = await signUpAndIn(short.app);
      const row = () => short.ctx.db.selectFrom(TABLES.sessions).select('expires_at').where('user_id', '=', s.userId).executeTakeFirstOrThrow();
      const signInExpiry = (await row()).expires_at as unknown;
      const asStored = (d: Date) => (signInExpiry instanceof Date ? d : typeof signInExpiry === 'number' ? d.getTime() : d.toISOString());
      const expiry = async () => new Date((await row()).expires_at as string).getTime();
      // Age the session past updateAge: half of its hour is gone.
      const aged = Date.now() + 1800_000;
      await short.ctx.db.updateTable(TABLES.sessions).set({ expires_at: asStored(new Date(aged)) }).where('user_id', '=', s.userId).execute();

      // A cookie request to any Neptuno route: resolved, but neither the row nor the cookie moves.
      const probeRes = await short.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { cookie: s.cookie } });
      expect(probeRes.json().actor).toMatchObject({ id: s.userId, via: 'session' });
      expect(probeRes.headers['set-cookie']).toBeUndefined();
      expect(await expiry()).toBe(aged);

      // get-session extends the row and sends a cookie with the matching max-age.
      const before = Date.now();
      const refreshed = await short.app.inject({ method: 'GET', url: '/v1/auth/get-session', headers: { cookie: s.cookie } });
      expect(refreshed.statusCode).toBe(200);
      const cookie = ([] as string[]).concat(refreshed.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Secure-neptuno.session_token='));
      expect(cookie).toMatch(/Max-Age=3600/i);
      expect(await expiry()).toBeGreaterThanOrEqual(before + 3600_000 - 1000);

      // Bearer: no cookie to keep in step, so the row is extended as better-auth does.
      await short.ctx.db.updateTable(TABLES.sessions).set({ expires_at: asStored(new Date(aged)) }).where('user_id', '=', s.userId).execute();
      const bearer = await short.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { authorization: `Bearer ${s.token}` } });
      expect(bearer.json().actor).toMatchObject({ id: s.userId, via: 'bearer' });
      expect(await expiry()).toBeGreaterThan(aged);
    } finally {
      await short.close();
    }
  });

});

describe.each(targets)('auth cookies in development on %s', (target) => {
  it('uses plain cookie names (no __Secure-) without the Secure flag, and SameSite from config', async () => {
    const smtp = await startTestSmtp();
    const t = await createTestApp({
      target,
      modules: [auth],
      config: { env: 'development', mail: { url: smtp.url }, modules: { auth: { cookies: { sameSite: 'strict' } } } },
    });
    try {
      const email = uniqueEmail();
      await signUp(t.app, { email });
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/sign-in/email',
        headers: { origin: TEST_ORIGIN },
        payload: { email, password: TEST_PASSWORD },
      });
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]);
      const session = cookies.find((c) => c.startsWith('neptuno.session_token='))!;
      expect(session).toMatch(/HttpOnly/i);
      expect(session).not.toMatch(/;\s*Secure/i);
      expect(session).toMatch(/SameSite=Strict/i);
    } finally {
      await t.close();
      await smtp.close();
    }
  });
});
