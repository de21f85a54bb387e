import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../../core/events.js';
import { IdempotencyStore } from '../../core/http/idempotency-store.js';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { admin, couponTestApp, createCoupon, newGuest, redeem, user } from './testing.js';

const day = 86_400_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe.each(targets)('coupon redemption on %s', (target) => {
  let t: TestApp;
  let recorder: EventRecorder;
  const events = { filter: (f: (e: DomainEvents['coupon.redeemed']) => boolean) => recorder.payloads('coupon.redeemed').filter(f) };

  beforeAll(async () => {
    t = await couponTestApp(target);
    recorder = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const problemOf = async (res: Awaited<ReturnType<typeof redeem>>) => {
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    return [res.statusCode, res.json().code];
  };

  it('a guest redeems a code case-insensitively, gets what to apply, and the event fires once', async () => {
    const guest = await newGuest(t);
    const coupon = await createCoupon(t, { code: 'WELCOME-ARS', type: 'fixed_amount', value: 250000, currency: 'ARS' });
    const res = await redeem(t, guest.headers, '  welcome-ars ');
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ couponId: coupon.id, code: 'WELCOME-ARS', type: 'fixed_amount', value: 250000, currency: 'ARS', itemKey: null, actorType: 'guest', actorId: guest.id });
    expect(events.filter((e) => e.redemptionId === body.id)).toEqual([
      { redemptionId: body.id, couponId: coupon.id, code: 'WELCOME-ARS', type: 'fixed_amount', value: 250000, currency: 'ARS', itemKey: null, actorType: 'guest', actorId: guest.id },
    ]);
    expect(await problemOf(await redeem(t, guest.headers, 'welcome-ars'))).toEqual([409, 'coupon_already_redeemed']);
    // Another guest may still use this multi-use code.
    expect((await redeem(t, (await newGuest(t)).headers, 'WELCOME-ARS')).statusCode).toBe(201);
  });

  it('answers each unusable coupon with its problem, in Spanish or English', async () => {
    const who = user('rules-user');
    await createCoupon(t, { code: 'OLD', type: 'credits', value: 1, startsAt: iso(-10 * day), endsAt: iso(-day) });
    await createCoupon(t, { code: 'SOON', type: 'credits', value: 1, startsAt: iso(day) });
    await createCoupon(t, { code: 'ONCE', type: 'credits', value: 1, maxRedemptions: 1 });
    const off = await createCoupon(t, { code: 'WITHDRAWN', type: 'credits', value: 1 });
    await t.app.inject({ method: 'POST', url: `/v1/admin/coupons/${off.id}/deactivate`, headers: admin });
    await createCoupon(t, { code: 'TPL', kind: 'template', type: 'credits', value: 1 });
    expect((await redeem(t, user('first'), 'ONCE')).statusCode).toBe(201);

    expect(await problemOf(await redeem(t, who, 'NO-SUCH-CODE'))).toEqual([404, 'coupon_not_found']);
    expect(await problemOf(await redeem(t, who, 'OLD'))).toEqual([422, 'coupon_expired']);
    expect(await problemOf(await redeem(t, who, 'SOON'))).toEqual([422, 'coupon_not_started']);
    expect(await problemOf(await redeem(t, who, 'ONCE'))).toEqual([409, 'coupon_exhausted']);
    expect(await problemOf(await redeem(t, who, 'WITHDRAWN'))).toEqual([404, 'coupon_not_found']);
    expect(await problemOf(await redeem(t, who, 'TPL'))).toEqual([404, 'coupon_not_found']);

    const es = await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: { ...who, 'accept-language': 'es' }, payload: { code: 'OLD' } });
    expect(es.json()).toMatchObject({ title: 'Cupón vencido', status: 422 });
    const en = await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: { ...who, 'accept-language': 'en' }, payload: { code: 'OLD' } });
    expect(en.json()).toMatchObject({ title: 'Coupon expired', detail: 'The time to redeem this coupon is over.' });
  });

  it('restricts tenant coupons to that tenant without revealing them to others', async () => {
    await createCoupon(t, { code: 'ACME-ONLY', type: 'percentage', value: 10, tenantId: 'acme' });
    expect(await problemOf(await redeem(t, user('other-tenant', 'globex'), 'ACME-ONLY'))).toEqual([404, 'coupon_not_found']);
    expect(await problemOf(await redeem(t, user('no-tenant'), 'ACME-ONLY'))).toEqual([404, 'coupon_not_found']);
    expect(await problemOf(await redeem(t, (await newGuest(t)).headers, 'ACME-ONLY'))).toEqual([404, 'coupon_not_found']);
    const ok = await redeem(t, user('acme-user', 'acme'), 'acme-only');
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ type: 'percentage', value: 10 });
  });

  it('replays the stored answer for the same Idempotency-Key and refuses another body under it', async () => {
    const guest = await newGuest(t);
    const coupon = await createCoupon(t, { type: 'credits', value: 40, perUserLimit: 5 });
    const other = await createCoupon(t, { type: 'credits', value: 1 });
    const first = await redeem(t, guest.headers, coupon.code, 'order-1');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await redeem(t, guest.headers, coupon.code.toLowerCase(), 'order-1');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await problemOf(await redeem(t, guest.headers, other.code, 'order-1'))).toEqual([422, 'idempotency_key_reused']);
    // Keys belong to their actor: another guest's 'order-1' is a new request.
    const stranger = await redeem(t, (await newGuest(t)).headers, coupon.code, 'order-1');
    expect(stranger.statusCode).toBe(201);
    expect(stranger.json().id).not.toBe(first.json().id);
    // A new key is a new redemption, up to the per-user limit.
    const second = await redeem(t, guest.headers, coupon.code, 'order-2');
    expect(second.json().id).not.toBe(first.json().id);
    expect(events.filter((e) => e.couponId === coupon.id)).toHaveLength(3);
    expect(await problemOf(await redeem(t, guest.headers, coupon.code, ' '.repeat(3)))).toEqual([400, 'invalid_idempotency_key']);
    expect(await problemOf(await redeem(t, guest.headers, coupon.code, 'x'.repeat(300)))).toEqual([400, 'invalid_idempotency_key']);

    // Failures are not stored: the same key may be retried once the coupon is usable.
    const later = await createCoupon(t, { type: 'credits', value: 2, startsAt: iso(day) });
    expect(await problemOf(await redeem(t, guest.headers, later.code, 'retry-me'))).toEqual([422, 'coupon_not_started']);
    await t.app.inject({ method: 'PATCH', url: `/v1/admin/coupons/${later.id}`, headers: admin, payload: { startsAt: null } });
    expect((await redeem(t, guest.headers, later.code, 'retry-me')).statusCode).toBe(201);

    // Stored answers expire after idempotencyTtlHours (the kernel's cron prunes them).
    expect(await new IdempotencyStore(t.ctx.database).prune(Date.now() + 25 * 3_600_000)).toBeGreaterThanOrEqual(3);
  });

  it('requires an actor and a well-formed body', async () => {
    expect(await problemOf(await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', payload: { code: 'X' } }))).toEqual([401, 'authentication_required']);
    const guest = await newGuest(t);
    for (const payload of [{}, { code: '' }, { code: 'A', extra: 1 }, { code: 'x'.repeat(201) }]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: guest.headers, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(await problemOf(await redeem(t, guest.headers, '%%%'))).toEqual([404, 'coupon_not_found']);
  });

  it('emits coupon.redeemed with the redemption only: a refused redemption leaves no event', async () => {
    const coupon = await createCoupon(t, { type: 'credits', value: 7, maxRedemptions: 1 });
    const before = recorder.names().length;
    expect((await redeem(t, user('first-user'), coupon.code)).statusCode).toBe(201);
    expect((await redeem(t, user('second-user'), coupon.code)).statusCode).toBe(409);
    expect(recorder.names().slice(before)).toEqual(['coupon.redeemed']);
    expect(recorder.all().at(-1)).toMatchObject({ key: 'first-user', payload: { couponId: coupon.id, value: 7 } });
  });
});
