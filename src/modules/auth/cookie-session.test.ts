import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { TABLES } from './schema.js';
import { signUpAndIn } from './test-helpers.js';

const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
});

/** The direct cookie-session reader must accept exactly what better-auth issued and nothing else. */
describe.each(targets)('cookie session reader on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // The reader itself, every request: no per-process session cache (session-cache.test.ts covers it).
    t = await createTestApp({ target, modules: [auth, probe], config: { modules: { auth: { session: { cacheSeconds: 0 } } } } });
  });
  afterAll(() => t?.close());

  const whoami = async (cookie: string) => (await t.app.inject({ url: '/v1/probe/whoami', headers: { cookie } })).json().actor;

  it('resolves the cookie better-auth set, and agrees with better-auth on the session', async () => {
    const s = await signUpAndIn(t.app);
    const actor = await whoami(s.cookie);
    expect(actor).toMatchObject({ type: 'user', id: s.userId, role: 'user', via: 'session' });
    const official = await t.app.inject({ url: '/v1/auth/get-session', headers: { cookie: s.cookie } });
    expect(official.json().session.id).toBe(actor.sessionId);
  });

  it('refuses a forged signature, a token without one, and a tampered token', async () => {
    const s = await signUpAndIn(t.app);
    const [name, value] = s.cookie.split(';').map((c) => c.trim()).find((c) => c.includes('session_token'))!.split('=');
    const decoded = decodeURIComponent(value);
    const dot = decoded.lastIndexOf('.');
    const token = decoded.slice(0, dot);
    const forged = `${name}=${encodeURIComponent(`${token}.${'A'.repeat(43)}=`)}`;
    expect(await whoami(forged)).toBeNull();
    expect(await whoami(`${name}=${encodeURIComponent(token)}`)).toBeNull();
    // A different last character (replacing it with a fixed one left the token unchanged when it already ended so: a flaky test).
    const last = token.endsWith('x') ? 'y' : 'x';
    const tampered = `${name}=${encodeURIComponent(`${token.slice(0, -1)}${last}${decoded.slice(dot)}`)}`;
    expect(await whoami(tampered)).toBeNull();
  });

  it('resolves a signature of the right length in characters but not in bytes to anonymous', async () => {
    const s = await signUpAndIn(t.app);
    const [name, value] = s.cookie.split(';').map((c) => c.trim()).find((c) => c.includes('session_token'))!.split('=');
    const decoded = decodeURIComponent(value);
    const token = decoded.slice(0, decoded.lastIndexOf('.'));
    // 44 characters ending in '=', as the reader expects, but 45 bytes in UTF-8.
    const forged = `${name}=${encodeURIComponent(`${token}.${'ñ'}${'A'.repeat(42)}=`)}`;
    const res = await t.app.inject({ url: '/v1/probe/whoami', headers: { cookie: forged } });
    expect(res.statusCode).toBe(200);
    expect(res.json().actor).toBeNull();
  });

  it('refuses an expired session at once', async () => {
    const s = await signUpAndIn(t.app);
    expect(await whoami(s.cookie)).not.toBeNull();
    const past = new Date(Date.now() - 1000);
    await t.ctx.db
      .updateTable(TABLES.sessions)
      .set({ expires_at: t.ctx.dialect === 'postgres' ? past : past.toISOString() })
      .where('user_id', '=', s.userId)
      .execute();
    expect(await whoami(s.cookie)).toBeNull();
  });
});
