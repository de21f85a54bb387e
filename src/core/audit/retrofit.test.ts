import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { headerUsers } from '../../testing/header-users.js';
import { signUpAndIn, TEST_ORIGIN, uniqueEmail } from '../../testing/auth.js';
import { admin, fund, shopTestApp } from '../../modules/wallet/catalog-testing.js';
import { apiKeys, auth, coupons, guests, wallet } from '../../modules/index.js';
import type { AuditRecord } from './types.js';
import type { AnyModule } from '../module.js';

/** The shipped modules record their admin and security actions in the audit log (docs/audit.md). */
describe.each(targets)('audit entries of the shipped modules on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await shopTestApp(target, {}, [auth, guests, coupons, wallet, apiKeys, headerUsers] as AnyModule[]);
  });
  afterAll(async () => {
    await t?.close();
  });
  const entries = async (q: Record<string, string>): Promise<AuditRecord[]> => (await t.ctx.audit.list(q)).data;

  it('users: created and role changed, in the transaction (an unknown user leaves no entry)', async () => {
    const { id } = await t.ctx.services.auth.createUser({ email: uniqueEmail('audited'), password: 'a long enough passphrase 42', name: 'Ana Audit' });
    const [created] = await entries({ action: 'users.created', target: `user:${id}` });
    expect(created).toMatchObject({ actor: { type: 'system', id: null }, after: { role: 'user', emailVerified: false } });
    expect(JSON.stringify(created)).not.toMatch(/@|Ana/);
    await t.ctx.services.auth.setRole(id, 'admin');
    expect((await entries({ action: 'users.role_changed', target: `user:${id}` }))[0]).toMatchObject({ before: { role: 'user' }, after: { role: 'admin' } });
    await expect(t.ctx.services.auth.setRole('no-such-user', 'admin')).rejects.toMatchObject({ code: 'user_not_found' });
    expect(await entries({ target: 'user:no-such-user' })).toEqual([]);
  });

  it('sign-ins (success and failure, ids only) and session revocation', async () => {
    const s = await signUpAndIn(t.app);
    const [ok] = await entries({ action: 'auth.signed_in', actor: s.userId });
    expect(ok).toMatchObject({ actor: { type: 'user', id: s.userId }, target: { type: 'user', id: s.userId }, ip: '127.0.0.1' });
    const bad = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in/email', headers: { origin: TEST_ORIGIN }, payload: { email: s.email, password: 'wrong password entirely' } });
    expect(bad.statusCode).toBe(401);
    const [failed] = await entries({ action: 'auth.sign_in_failed', target: `user:${s.userId}` });
    expect(failed).toMatchObject({ actor: { type: 'anonymous', id: null }, ip: '127.0.0.1' });
    expect(JSON.stringify(failed)).not.toContain(s.email);
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-in/email', headers: { origin: TEST_ORIGIN }, payload: { email: uniqueEmail('nobody'), password: 'wrong password entirely' } });
    expect(unknown.statusCode).toBe(401);
    expect((await entries({ action: 'auth.sign_in_failed' })).some((e) => e.target === null)).toBe(true);
    await t.ctx.services.auth.revokeSessions(s.userId);
    expect((await entries({ action: 'auth.sessions_revoked', target: `user:${s.userId}` }))[0].after).toEqual({ sessions: 1 });
  });

  it('api keys: created and revoked', async () => {
    const s = await signUpAndIn(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${s.token}` }, payload: { name: 'ci', scopes: ['coupons:read'] } });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    expect((await entries({ action: 'api_keys.created', target: `api_key:${id}` }))[0]).toMatchObject({ actor: { type: 'user', id: s.userId }, after: { ownerId: s.userId, scopes: ['coupons:read'] } });
    expect(JSON.stringify(await entries({ target: `api_key:${id}` }))).not.toContain(res.json().secret);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: { authorization: `Bearer ${s.token}` } })).statusCode).toBe(204);
    expect(await entries({ action: 'api_keys.revoked', target: `api_key:${id}` })).toHaveLength(1);
  });

  it('wallet adjustments: recorded with the admin; a refused one (409) leaves no entry', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/v1/admin/wallet/adjustments', headers: admin, payload: { owner: { userId: 'audit-w1' }, amount: 25, reason: 'Sorry for the outage, ana@example.com' } });
    expect(ok.statusCode).toBe(201);
    const [e] = await entries({ action: 'wallet.adjusted', target: 'wallet:u:audit-w1' });
    expect(e).toMatchObject({ actor: { type: 'service', id: 'admin-token' }, after: { ownerType: 'user', ownerId: 'audit-w1', amount: 25, balance: 25, transferId: ok.json().transferId } });
    expect(JSON.stringify(e)).not.toContain('ana@');
    await fund(t, { userId: 'audit-w2' }, 5);
    const refused = await t.app.inject({ method: 'POST', url: '/v1/admin/wallet/adjustments', headers: admin, payload: { owner: { userId: 'audit-w2' }, amount: -50, reason: 'too much' } });
    expect(refused.statusCode).toBe(409);
    expect(await entries({ action: 'wallet.adjusted', target: 'wallet:u:audit-w2' })).toEqual([]);
  });

  it('coupons: created, updated (a refused update leaves no entry), deleted', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: admin, payload: { type: 'credits', value: 10, maxRedemptions: 5 } });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    expect((await entries({ action: 'coupons.created', target: `coupon:${id}` }))[0]).toMatchObject({ actor: { id: 'admin-token' }, after: { type: 'credits', value: 10, maxRedemptions: 5 } });
    expect((await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${id}`, headers: admin, payload: { active: false } })).statusCode).toBe(200);
    expect((await entries({ action: 'coupons.updated', target: `coupon:${id}` }))[0].after).toEqual({ active: 0 });
    const missing = await t.app.inject({ method: 'PATCH', url: '/v1/admin/coupons/00000000000000000000000000000000', headers: admin, payload: { active: true } });
    expect(missing.statusCode).toBe(404);
    expect(await entries({ action: 'coupons.updated', target: 'coupon:00000000000000000000000000000000' })).toEqual([]);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/coupons/${id}`, headers: admin })).statusCode).toBe(204);
    expect(await entries({ action: 'coupons.deleted', target: `coupon:${id}` })).toHaveLength(1);
  });
});
