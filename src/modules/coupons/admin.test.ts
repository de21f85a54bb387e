import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { CODE_ALPHABET, normalizeCode } from './codes.js';
import { admin, couponTestApp, createCoupon, user } from './testing.js';

describe.each(targets)('coupons admin CRUD on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await couponTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: admin, payload: payload as object });

  it('creates each type, normalizes chosen codes and generates unambiguous ones', async () => {
    const pct = await createCoupon(t, { code: '  summer24 ', type: 'percentage', value: 20 });
    expect(pct).toMatchObject({ code: 'SUMMER24', kind: 'code', type: 'percentage', value: 20, perUserLimit: 1, maxRedemptions: null, active: true });
    const fixed = await createCoupon(t, { type: 'fixed_amount', value: 150000, currency: 'cop', maxRedemptions: 1 });
    expect(fixed).toMatchObject({ type: 'fixed_amount', value: 150000, currency: 'COP', maxRedemptions: 1 });
    expect(fixed.code).toHaveLength(10);
    expect([...fixed.code].every((c) => CODE_ALPHABET.includes(c))).toBe(true);
    expect(await createCoupon(t, { type: 'credits', value: 300, perUserLimit: null })).toMatchObject({ perUserLimit: null });
    expect(await createCoupon(t, { type: 'free_item', itemKey: 'tshirt-m' })).toMatchObject({ itemKey: 'tshirt-m', value: null });
    expect(normalizeCode(' ｓｕｍｍｅｒ ２４ ')).toBe('SUMMER24');

    const dup = await post({ code: 'Summer24', type: 'credits', value: 1 });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('coupon_code_taken');
  });

  it('rejects bad input with 400 problem+json field errors and writes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'credits', value: -5 }, '/body/value'],
      [{ type: 'credits', value: 0 }, '/body/value'],
      [{ type: 'credits', value: 1.5 }, '/body/value'],
      [{ type: 'percentage', value: 101 }, '/body/value'],
      [{ type: 'percentage' }, '/body/value'],
      [{ type: 'fixed_amount', value: 100 }, '/body/currency'],
      [{ type: 'fixed_amount', value: 100, currency: 'XYZ' }, '/body/currency'],
      [{ type: 'fixed_amount', value: 100, currency: 'US' }, '/body/currency'],
      [{ type: 'fixed_amount', value: 100, currency: 'U$D' }, '/body/currency'],
      [{ type: 'credits', value: 10, currency: 'USD' }, '/body/currency'],
      [{ type: 'free_item' }, '/body/itemKey'],
      [{ type: 'credits', value: 1, startsAt: '2030-02-01T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }, '/body/endsAt'],
      [{ type: 'credits', value: 1, endsAt: 'tomorrow' }, '/body/endsAt'],
      [{ type: 'credits', value: 1, maxRedemptions: -1 }, '/body/maxRedemptions'],
      [{ type: 'credits', value: 1, perUserLimit: 0 }, '/body/perUserLimit'],
      [{ type: 'credits', value: 1, code: 'a b!' }, '/body/code'],
      [{ type: 'coins', value: 1 }, '/body/type'],
      [{ type: 'credits', value: 1, owner: 'x' }, '/body/owner'],
    ];
    const before = (await t.ctx.db.selectFrom('coupons').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n;
    for (const [body, pointer] of cases) {
      const res = await post(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().code).toBe('validation_failed');
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(body)).toContain(pointer);
    }
    const after = (await t.ctx.db.selectFrom('coupons').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n;
    expect(Number(after)).toBe(Number(before));
    const es = await t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: { ...admin, 'accept-language': 'es' }, payload: { type: 'percentage', value: 120 } });
    expect(es.json().title).toBe(t.ctx.i18n.t('es', 'validation_failed'));
    expect(es.json().title).not.toBe(t.ctx.i18n.t('en', 'validation_failed'));
  });

  it('lists with filters and cursor pagination, gets, patches and deactivates', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createCoupon(t, { code: `PAGE-${i}`, type: 'credits', value: 10 + i, tenantId: 'acme' }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: '2', tenantId: 'acme', codePrefix: 'page-' });
      if (cursor) q.set('cursor', cursor);
      const res = await t.app.inject({ method: 'GET', url: `/v1/admin/coupons?${q}`, headers: admin });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().data.map((c: { code: string }) => c.code));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['PAGE-4', 'PAGE-3', 'PAGE-2', 'PAGE-1', 'PAGE-0']);
    const byType = await t.app.inject({ method: 'GET', url: '/v1/admin/coupons?type=free_item&limit=100', headers: admin });
    expect(byType.json().data.every((c: { type: string }) => c.type === 'free_item')).toBe(true);

    const id = made[0].id;
    const got = await t.app.inject({ method: 'GET', url: `/v1/admin/coupons/${id}`, headers: admin });
    expect(got.json()).toMatchObject({ code: 'PAGE-0', value: 10 });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/coupons/${id}`,
      headers: admin,
      payload: { maxRedemptions: 5, endsAt: '2031-01-01T00:00:00.000Z', description: 'Launch' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ maxRedemptions: 5, endsAt: '2031-01-01T00:00:00.000Z', description: 'Launch' });
    const badWindow = await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${id}`, headers: admin, payload: { startsAt: '2032-01-01T00:00:00Z' } });
    expect(badWindow.statusCode).toBe(400);
    expect(badWindow.json().errors[0].pointer).toBe('/body/endsAt');
    const immutable = await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${id}`, headers: admin, payload: { value: 99 } });
    expect(immutable.statusCode).toBe(400);

    const off = await t.app.inject({ method: 'POST', url: `/v1/admin/coupons/${id}/deactivate`, headers: admin });
    expect(off.json().active).toBe(false);
    const inactive = await t.app.inject({ method: 'GET', url: '/v1/admin/coupons?active=false&codePrefix=PAGE', headers: admin });
    expect(inactive.json().data.map((c: { id: string }) => c.id)).toEqual([id]);

    const missing = await t.app.inject({ method: 'GET', url: '/v1/admin/coupons/nope', headers: admin });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('coupon_not_found');
    const badCursor = await t.app.inject({ method: 'GET', url: '/v1/admin/coupons?cursor=zzz', headers: admin });
    expect(badCursor.json().code).toBe('invalid_cursor');
  });

  it('deletes unused coupons, refuses used ones, and refuses a cap below what was redeemed', async () => {
    const unused = await createCoupon(t, { type: 'credits', value: 1 });
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/admin/coupons/${unused.id}`, headers: admin });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/coupons/${unused.id}`, headers: admin })).statusCode).toBe(404);

    const used = await createCoupon(t, { type: 'credits', value: 1, perUserLimit: null });
    for (const id of ['u1', 'u2']) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: user(id), payload: { code: used.code } });
      expect(r.statusCode).toBe(201);
    }
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/admin/coupons/${used.id}`, headers: admin });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('coupon_in_use');
    const low = await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${used.id}`, headers: admin, payload: { maxRedemptions: 1 } });
    expect(low.statusCode).toBe(409);
    expect(low.json().code).toBe('coupon_max_below_count');
    const exact = await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${used.id}`, headers: admin, payload: { maxRedemptions: 2 } });
    expect(exact.json()).toMatchObject({ maxRedemptions: 2, redemptionsCount: 2 });
  });

  it('is for admins only', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/coupons' })).statusCode).toBe(401);
    const asUser = await t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: user('plain'), payload: { type: 'credits', value: 1 } });
    expect(asUser.statusCode).toBe(403);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    for (const p of ['/v1/coupons/redeem', '/v1/coupons/mine', '/v1/admin/coupons', '/v1/admin/coupons/{id}']) expect(paths).toContain(p);
    expect(res.json().paths['/v1/coupons/redeem'].post.requestBody).toBeDefined();
  });
});
