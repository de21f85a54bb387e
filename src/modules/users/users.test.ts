import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import auth from '../auth/module.js';
import { CookieJar, signIn, signUp, signUpAndIn, TEST_ORIGIN, uniqueEmail } from '../auth/test-helpers.js';
import guests from '../guests/module.js';
import apiKeys from '../api-keys/module.js';
import users from './module.js';

const ADMIN_TOKEN = 'admin-token-for-users-tests-0123456789';

describe.each(targets)('users on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: [auth, guests, users, apiKeys],
      config: {
        admin: { token: ADMIN_TOKEN },
        modules: {
          users: {
            customFields: {
              company: { type: 'string', max: 20 },
              age: { type: 'integer', min: 13, max: 120 },
              newsletter: { type: 'boolean' },
              shirt: { type: 'enum', values: ['S', 'M', 'L'], required: true },
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (cookie: string, url = '/v1/profile') => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const patch = (cookie: string, payload: object) =>
    t.app.inject({ method: 'PATCH', url: '/v1/profile', headers: { cookie, origin: TEST_ORIGIN }, payload });

  it('shows the profile of the signed-in user and refuses anonymous callers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/profile' })).statusCode).toBe(401);
    const u = await signUpAndIn(t.app, { name: 'Ana' });
    const res = await get(u.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: u.userId,
      email: u.email,
      name: 'Ana',
      avatarUrl: null,
      role: 'user',
      locale: null,
      timezone: null,
      custom: { company: null, age: null, newsletter: null, shirt: null },
      missingRequired: ['shirt'],
    });
  });

  it('updates name and avatar in the account and the rest in the profile', async () => {
    const u = await signUpAndIn(t.app);
    const res = await patch(u.cookie, {
      name: '  Ana García ',
      avatarUrl: 'https://cdn.example.com/a.png',
      locale: 'en',
      timezone: 'europe/madrid',
      custom: { shirt: 'M', age: 30, company: 'Acme' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Ana García',
      avatarUrl: 'https://cdn.example.com/a.png',
      locale: 'en',
      timezone: 'Europe/Madrid',
      custom: { shirt: 'M', age: 30, company: 'Acme', newsletter: null },
      missingRequired: [],
    });
    expect(await t.ctx.services.auth.getUser(u.userId)).toMatchObject({ name: 'Ana García', image: 'https://cdn.example.com/a.png' });

    // null clears; fields not given stay.
    const cleared = await patch(u.cookie, { avatarUrl: null, timezone: null, custom: { company: null } });
    expect(cleared.json()).toMatchObject({ avatarUrl: null, timezone: null, locale: 'en', custom: { company: null, shirt: 'M', age: 30 } });
  });

  it('rejects bad and unknown fields with field errors and changes nothing', async () => {
    const u = await signUpAndIn(t.app, { name: 'Before' });
    await patch(u.cookie, { locale: 'es', custom: { shirt: 'S' } });
    const before = (await get(u.cookie)).json();
    const cases: Array<[object, string]> = [
      [{ role: 'admin' }, '/body/role'],
      [{ custom: { salary: 1 } }, '/body/custom/salary'],
      [{ avatarUrl: 'javascript:alert(1)' }, '/body/avatarUrl'],
      [{ avatarUrl: 'https://user:pw@example.com/a.png' }, '/body/avatarUrl'],
      [{ timezone: 'Mars/Olympus_Mons' }, '/body/timezone'],
      [{ timezone: '+01:00' }, '/body/timezone'],
      [{ locale: 'fr' }, '/body/locale'],
      [{ name: 'bad\u0007name' }, '/body/name'],
      [{ name: 'x'.repeat(101) }, '/body/name'],
      [{ custom: { age: 200 } }, '/body/custom/age'],
      [{ custom: { age: 'old' } }, '/body/custom/age'],
      [{ custom: { shirt: 'XXL' } }, '/body/custom/shirt'],
      [{ custom: { company: 'x'.repeat(21) } }, '/body/custom/company'],
      [{ custom: { shirt: null } }, '/body/custom/shirt'],
      // A good name next to a bad field: nothing is written.
      [{ name: 'After', custom: { age: 5 } }, '/body/custom/age'],
    ];
    for (const [payload, pointer] of cases) {
      const res = await patch(u.cookie, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(payload)).toContain(pointer);
    }
    expect((await get(u.cookie)).json()).toEqual(before);
  });

  it('enforces required custom fields only when custom fields are edited', async () => {
    const u = await signUpAndIn(t.app);
    expect((await patch(u.cookie, { name: 'Just a name' })).statusCode).toBe(200);
    const missing = await patch(u.cookie, { custom: { age: 20 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([expect.objectContaining({ pointer: '/body/custom/shirt', code: 'required' })]);
    expect((await patch(u.cookie, { custom: { age: 20, shirt: 'L' } })).statusCode).toBe(200);
  });

  it('keeps concurrent edits of different custom fields', async () => {
    const u = await signUpAndIn(t.app);
    await patch(u.cookie, { custom: { shirt: 'S' } });
    const results = await Promise.all([
      patch(u.cookie, { custom: { company: 'Acme' } }),
      patch(u.cookie, { custom: { age: 44 } }),
      patch(u.cookie, { custom: { newsletter: true } }),
      patch(u.cookie, { locale: 'es' }),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await get(u.cookie)).json()).toMatchObject({ locale: 'es', custom: { shirt: 'S', company: 'Acme', age: 44, newsletter: true } });
  });

  it('answers whoami for nobody, a guest, a user, an API key and the admin token', async () => {
    const whoami = (headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: '/v1/public/whoami', headers });
    expect((await whoami()).json()).toEqual({ kind: 'anonymous' });

    const g = await t.app.inject({ method: 'POST', url: '/v1/public/guest', payload: { displayName: 'Pirata' } });
    const guestCookie = new CookieJar().store(g).header();
    expect((await whoami({ cookie: guestCookie })).json()).toEqual({
      kind: 'guest',
      id: g.json().id,
      role: null,
      tenantId: null,
      displayName: 'Pirata',
      via: 'guest',
    });

    const u = await signUpAndIn(t.app, { name: 'Lola' });
    expect((await whoami({ cookie: u.cookie })).json()).toMatchObject({ kind: 'user', id: u.userId, role: 'user', displayName: 'Lola' });

    const key = (await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: { name: 'k' } })).json();
    expect((await whoami({ 'x-api-key': key.secret })).json()).toMatchObject({ kind: 'user', id: u.userId, via: 'api_key' });
    const bad = await whoami({ 'x-api-key': `npk_${'x'.repeat(43)}` });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('invalid_api_key');

    expect((await whoami({ authorization: `Bearer ${ADMIN_TOKEN}` })).json()).toMatchObject({ kind: 'service', role: 'admin' });
  });

  it('keeps what a guest did after signing in: the guest is merged into the user', async () => {
    const email = uniqueEmail();
    expect((await signUp(t.app, { email })).statusCode).toBe(200);
    const g = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
    const jar = new CookieJar().store(g);
    const s = await signIn(t.app, { email }, jar);
    expect((await t.ctx.services.guests.get(g.json().id))?.mergedIntoUserId).toBe(s.userId);
    expect((await t.app.inject({ method: 'GET', url: '/v1/public/whoami', headers: { cookie: s.jar.header() } })).json().kind).toBe('user');
  });

  it('exports the user data of every enabled module in one document', async () => {
    const email = uniqueEmail();
    await signUp(t.app, { email, name: 'Exporter' });
    const g = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
    const s = await signIn(t.app, { email }, new CookieJar().store(g));
    await patch(s.cookie, { timezone: 'America/Bogota', custom: { shirt: 'L' } });
    await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie: s.cookie, origin: TEST_ORIGIN }, payload: { name: 'export-me' } });

    const res = await get(s.cookie, '/v1/profile/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="neptuno-export-/);
    const doc = res.json();
    expect(doc.userId).toBe(s.userId);
    expect(Object.keys(doc.modules).sort()).toEqual(['api-keys', 'auth', 'guests', 'users']);
    expect(doc.modules.users).toMatchObject({ timezone: 'America/Bogota', custom: { shirt: 'L' } });
    expect(doc.modules.guests).toEqual([expect.objectContaining({ id: g.json().id })]);
    expect(doc.modules['api-keys']).toEqual([expect.objectContaining({ name: 'export-me' })]);
    expect(JSON.stringify(doc.modules.auth)).toContain(email);
  });

  it('deletes the account: anonymized, signed out, every module erases its rows, user.deleted fired', async () => {
    const email = uniqueEmail();
    await signUp(t.app, { email, name: 'Leaving' });
    const g = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
    const s = await signIn(t.app, { email }, new CookieJar().store(g));
    await patch(s.cookie, { custom: { shirt: 'M' } });
    const key = (await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie: s.cookie, origin: TEST_ORIGIN }, payload: { name: 'k' } })).json();

    const viaKey = await t.app.inject({ method: 'DELETE', url: '/v1/profile', headers: { 'x-api-key': key.secret } });
    expect(viaKey.statusCode).toBe(403);
    expect(viaKey.json().code).toBe('profile_delete_requires_session');

    const events = recordEvents(t);
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/profile', headers: { cookie: s.cookie, origin: TEST_ORIGIN } });
    expect(res.statusCode).toBe(204);
    expect(events.payloads('user.deleted')).toEqual([{ userId: s.userId }]);
    // Every module's user.deleted handler has run.
    await events.settled();
    events.stop();

    const account = await t.ctx.services.auth.getUser(s.userId);
    expect(account?.email).not.toBe(email);
    expect(account?.name).not.toBe('Leaving');
    expect((await get(s.cookie)).statusCode).toBe(401);
    expect(await t.ctx.db.selectFrom('user_profiles').selectAll().where('user_id', '=', s.userId).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('api_keys').selectAll().where('user_id', '=', s.userId).execute()).toEqual([]);
    expect(await t.ctx.services.guests.get(g.json().id)).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/v1/public/whoami', headers: { 'x-api-key': key.secret } })).statusCode).toBe(401);
  });
});

describe.each(targets)('identity routes in the OpenAPI document on %s', (target) => {
  it('documents every route of guests, users and api-keys', async () => {
    const t = await createTestApp({ target, modules: [auth, guests, users, apiKeys] });
    try {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      for (const [path, method] of [
        ['/v1/public/guest', 'post'],
        ['/v1/admin/guests', 'get'],
        ['/v1/profile', 'get'],
        ['/v1/profile', 'patch'],
        ['/v1/profile', 'delete'],
        ['/v1/profile/export', 'get'],
        ['/v1/public/whoami', 'get'],
        ['/v1/api-keys', 'post'],
        ['/v1/api-keys', 'get'],
        ['/v1/api-keys/{id}', 'delete'],
      ]) {
        expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
    } finally {
      await t.close();
    }
  });
});

describe('users config', () => {
  it('stops start-up on a misdeclared custom field', async () => {
    await expect(
      createTestApp({
        target: targets[0],
        modules: [auth, users],
        config: { modules: { users: { customFields: { size: { type: 'enum' } } } } },
      }),
    ).rejects.toThrow(/enum needs "values"/);
  });
});
