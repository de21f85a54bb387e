import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { builtinModules } from '../index.js';
import { signUpAndIn, TEST_ORIGIN } from '../auth/test-helpers.js';

/** With every shipped module: a key does what its scopes name, and nothing else. */
const ADMIN_TOKEN = 'least-privilege-admin-token-0123456789abcdef';

describe.each(targets)('API key least privilege over the shipped modules on %s', (target) => {
  let t: TestApp;
  let cookie: string;
  let couponCode: string;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: builtinModules, config: { admin: { token: ADMIN_TOKEN } } });
    cookie = (await signUpAndIn(t.app)).cookie;
    const coupon = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { type: 'credits', value: 5, perUserLimit: 10 },
    });
    expect(coupon.statusCode).toBe(201);
    couponCode = coupon.json().code;
  });
  afterAll(async () => {
    await t?.close();
  });

  const keyWith = async (scopes: string[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie, origin: TEST_ORIGIN }, payload: { name: 'k', scopes } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().secret as string;
  };
  const calls = () => [
    { scope: 'profile:write', method: 'PATCH' as const, url: '/v1/profile', payload: { name: 'Changed by key' } },
    { scope: 'profile:export', method: 'GET' as const, url: '/v1/profile/export' },
    { scope: 'profile:read', method: 'GET' as const, url: '/v1/profile' },
    { scope: 'gamification:events:write', method: 'POST' as const, url: '/v1/gamification/events', payload: { type: 'share' } },
    { scope: 'gamification:read', method: 'GET' as const, url: '/v1/gamification/me' },
    { scope: 'coupons:redeem', method: 'POST' as const, url: '/v1/coupons/redeem', payload: { code: couponCode } },
    { scope: 'coupons:read', method: 'GET' as const, url: '/v1/coupons/mine' },
  ];

  it('a key with scopes: [] can do none of it: 403 insufficient_scope naming the scope, nothing changed', async () => {
    const secret = await keyWith([]);
    for (const c of calls()) {
      const res = await t.app.inject({ method: c.method, url: c.url, headers: { 'x-api-key': secret }, payload: c.payload });
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'insufficient_scope', scope: c.scope });
    }
    const profile = await t.app.inject({ method: 'GET', url: '/v1/profile', headers: { cookie } });
    expect(profile.json().name).not.toBe('Changed by key');
    // Public routes stay open to it, as to anyone.
    expect((await t.app.inject({ method: 'GET', url: '/v1/gamification/event-types', headers: { 'x-api-key': secret } })).statusCode).toBe(200);
  });

  it('each scope opens its own routes and no other', async () => {
    for (const c of calls()) {
      const secret = await keyWith([c.scope]);
      const res = await t.app.inject({ method: c.method, url: c.url, headers: { 'x-api-key': secret }, payload: c.payload });
      expect(res.statusCode, `${c.method} ${c.url}: ${res.body}`).toBeLessThan(300);
      for (const other of calls().filter((o) => o.scope !== c.scope)) {
        const refused = await t.app.inject({ method: other.method, url: other.url, headers: { 'x-api-key': secret }, payload: other.payload });
        expect(refused.statusCode, `${c.scope} -> ${other.method} ${other.url}`).toBe(403);
      }
    }
  });

  it('no scope opens account deletion, key management or admin routes for a user', async () => {
    const all = await keyWith(['profile:*', 'gamification:*', 'coupons:*']);
    const del = await t.app.inject({ method: 'DELETE', url: '/v1/profile', headers: { 'x-api-key': all } });
    expect(del.json().code).toBe('insufficient_scope');
    const keys = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: { 'x-api-key': all } });
    expect(keys.statusCode).toBe(403);
    const adminScope = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { cookie, origin: TEST_ORIGIN }, payload: { name: 'k', scopes: ['admin'] } });
    expect(adminScope.json().errors?.[0]).toMatchObject({ code: 'exceeds_role' });
  });
});
