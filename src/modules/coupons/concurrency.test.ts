import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { couponTestApp, createCoupon, newGuest, redeem, user } from './testing.js';

const count = (codes: string[], code: string) => codes.filter((c) => c === code).length;

describe.each(targets)('coupon redemption under concurrency on %s', (target) => {
  let t: TestApp;
  let events: EventRecorder;
  const redeemed = { get length() { return events.payloads('coupon.redeemed').length; } };

  beforeAll(async () => {
    t = await couponTestApp(target);
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const rowsOf = async (couponId: string) => {
    const rows = await t.ctx.db.selectFrom('coupon_redemptions').selectAll().where('coupon_id', '=', couponId).execute();
    const coupon = await t.ctx.db.selectFrom('coupons').select('redemptions_count').where('id', '=', couponId).executeTakeFirstOrThrow();
    return { rows, counted: Number(coupon.redemptions_count) };
  };

  it('a single-use coupon redeemed by 50 different guests at once succeeds exactly once', async () => {
    const coupon = await createCoupon(t, { type: 'credits', value: 100, maxRedemptions: 1 });
    const guests = await Promise.all(Array.from({ length: 50 }, () => newGuest(t)));
    const before = redeemed.length;
    const answers = await Promise.all(guests.map((g) => redeem(t, g.headers, coupon.code.toLowerCase())));
    const statuses = answers.map((a) => a.statusCode);
    expect(count(statuses.map(String), '201')).toBe(1);
    expect(answers.filter((a) => a.statusCode !== 201).map((a) => [a.statusCode, a.json().code])).toEqual(
      Array.from({ length: 49 }, () => [409, 'coupon_exhausted']),
    );
    const { rows, counted } = await rowsOf(coupon.id);
    expect(rows).toHaveLength(1);
    expect(counted).toBe(1);
    expect(redeemed.length - before).toBe(1);
    const winner = answers.find((a) => a.statusCode === 201)!.json();
    expect(winner).toMatchObject({ type: 'credits', value: 100, code: coupon.code, actorType: 'guest' });
  });

  it('50 concurrent redemptions by the same guest succeed once (single-use and multi-use with a per-user limit of 1)', async () => {
    const guest = await newGuest(t);
    for (const maxRedemptions of [1, null]) {
      const coupon = await createCoupon(t, { type: 'percentage', value: 15, maxRedemptions, perUserLimit: 1 });
      const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(t, guest.headers, coupon.code)));
      expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
      for (const a of answers.filter((x) => x.statusCode !== 201)) {
        expect(a.statusCode).toBe(409);
        expect(['coupon_already_redeemed', 'coupon_exhausted']).toContain(a.json().code);
      }
      const { rows, counted } = await rowsOf(coupon.id);
      expect(rows).toHaveLength(1);
      expect(counted).toBe(1);
    }
  });

  it('50 concurrent requests with the same Idempotency-Key make one redemption; each gets it or 409 in progress', async () => {
    const guest = await newGuest(t);
    const coupon = await createCoupon(t, { type: 'credits', value: 5, perUserLimit: 10 });
    const before = redeemed.length;
    const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(t, guest.headers, coupon.code, 'same-key-1')));
    const ok = answers.filter((a) => a.statusCode === 201);
    const busy = answers.filter((a) => a.statusCode === 409 && a.json().code === 'idempotency_in_progress');
    expect(ok.length + busy.length).toBe(50);
    expect(new Set(ok.map((a) => a.json().id)).size).toBe(1);
    expect(ok.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    // Once the first has answered, every retry gets the same redemption.
    const retry = await redeem(t, guest.headers, coupon.code, 'same-key-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(ok[0].json().id);
    expect((await rowsOf(coupon.id)).rows).toHaveLength(1);
    expect(redeemed.length - before).toBe(1);
  });

  it('a multi-use coupon capped at 10 gives exactly 10 of 50 concurrent users; a per-user limit of 3 holds for one user', async () => {
    const capped = await createCoupon(t, { type: 'fixed_amount', value: 500, currency: 'ARS', maxRedemptions: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(t, user(`cap-user-${i}`), capped.code)));
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(10);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'coupon_exhausted')).toHaveLength(40);
    expect(await rowsOf(capped.id)).toMatchObject({ counted: 10 });

    const triple = await createCoupon(t, { type: 'free_item', itemKey: 'sticker', perUserLimit: 3 });
    const mine = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(t, user('triple-user'), triple.code, `k-${i}`)));
    expect(mine.filter((a) => a.statusCode === 201)).toHaveLength(3);
    expect(mine.filter((a) => a.statusCode === 409 && a.json().code === 'coupon_already_redeemed')).toHaveLength(47);
    const { rows, counted } = await rowsOf(triple.id);
    expect(rows.map((r) => Number(r.seq)).sort()).toEqual([1, 2, 3]);
    expect(counted).toBe(3);
  });

  it('20 concurrent grants for the same (source, actor) issue one personal coupon', async () => {
    const template = await createCoupon(t, { kind: 'template', type: 'credits', value: 50 });
    const grants = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.ctx.services.coupons.grantReward({ couponCode: template.code, actorType: 'user', actorId: 'granted-user', source: 'test:race' }),
      ),
    );
    expect(new Set(grants.map((g) => g.code)).size).toBe(1);
    expect(grants.filter((g) => g.created)).toHaveLength(1);
    const personal = await t.ctx.db.selectFrom('coupons').selectAll().where('template_id', '=', template.id).execute();
    expect(personal).toHaveLength(1);
    const tpl = await t.ctx.db.selectFrom('coupons').select('redemptions_count').where('id', '=', template.id).executeTakeFirstOrThrow();
    expect(Number(tpl.redemptions_count)).toBe(1);
  });
});
