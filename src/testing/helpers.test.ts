import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../core/module.js';
import { auth, guests } from '../modules/index.js';
import { createTestApp, type TestApp } from './app.js';
import { CookieJar, TEST_ORIGIN, createAdmin, signUpAndIn } from './auth.js';
import { freezeClock, type TestClock } from './clock.js';
import { runCron } from './cron.js';
import { targets } from './targets.js';

const ADMIN_TOKEN = 'helpers-admin-token-helpers-admin-token-01';

/** Records what its cron and its guarded routes saw. */
const seen: Array<{ at: string }> = [];
const probe = defineModule({
  name: 'probe',
  crons: [
    {
      name: 'stamp',
      schedule: '0 0 1 1 *', // once a year: only runCron makes it run in a test
      run: async () => {
        seen.push({ at: new Date().toISOString() });
      },
    },
    {
      name: 'fail',
      schedule: '0 0 1 1 *',
      run: async () => {
        throw new Error('cron failed on purpose');
      },
    },
  ],
  routes: async (app, ctx) => {
    app.get('/person', { onRequest: ctx.access.requirePerson }, async (req) => ({ id: (await req.actor())!.id }));
    app.get('/user', { onRequest: ctx.access.requireUser }, async (req) => ({ id: (await req.actor())!.id }));
  },
});

describe.each(targets)('neptuno/testing helpers on %s', (target) => {
  let t: TestApp;
  let clock: TestClock | undefined;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, guests, probe], config: { admin: { token: ADMIN_TOKEN } } });
  });
  afterAll(() => t?.close());
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  it('runCron runs a cron now, on the frozen clock, and throws its error', async () => {
    clock = freezeClock('2031-02-03T04:05:06Z');
    await runCron(t, 'probe.stamp');
    clock.advance(60_000);
    await runCron(t, 'probe.stamp');
    expect(seen.slice(-2)).toEqual([{ at: '2031-02-03T04:05:06.000Z' }, { at: '2031-02-03T04:06:06.000Z' }]);
    await expect(runCron(t, 'probe.fail')).rejects.toThrow('cron failed on purpose');
    await expect(runCron(t, 'probe.nope')).rejects.toThrow(/No cron named "probe.nope" \(crons: .*probe\.stamp/);
  });

  it('restores real time', async () => {
    clock = freezeClock('2001-01-01T00:00:00Z');
    clock.restore();
    expect(Date.now()).toBeGreaterThan(Date.parse('2025-01-01T00:00:00Z'));
  });

  it('requirePerson admits users only; requireUser also admits the admin token', async () => {
    const ana = await signUpAndIn(t.app);
    const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url: `/v1/probe${url}`, headers });
    expect((await get('/person', { cookie: ana.cookie })).json()).toEqual({ id: ana.userId });
    expect((await get('/person', { authorization: `Bearer ${ana.token}` })).json()).toEqual({ id: ana.userId });
    const service = await get('/person', { authorization: `Bearer ${ADMIN_TOKEN}`, 'accept-language': 'en' });
    expect(service.statusCode).toBe(403);
    expect(service.json()).toMatchObject({ code: 'person_required', title: 'Signed-in user required' });
    expect((await get('/user', { authorization: `Bearer ${ADMIN_TOKEN}` })).json()).toEqual({ id: 'admin-token' });
    const jar = new CookieJar().store(await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } }));
    expect((await get('/person', { cookie: jar.header() })).statusCode).toBe(401);
    expect((await get('/person')).statusCode).toBe(401);
  });

  it('createAdmin signs in a verified administrator', async () => {
    const admin = await createAdmin(t);
    expect(await t.ctx.services.auth.getUser(admin.userId)).toMatchObject({ email: admin.email, role: 'admin', emailVerified: true });
    expect((await t.app.inject({ url: '/v1/admin/settings', headers: { cookie: admin.cookie } })).statusCode).toBe(200);
  });
});
