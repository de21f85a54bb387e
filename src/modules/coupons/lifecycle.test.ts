import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { couponTestApp, createCoupon, newGuest, redeem, user } from './testing.js';
import { settle } from '../../testing/events.js';

interface Entry {
  kind: 'redemption' | 'grant';
  id: string;
  redemption?: { code: string; couponId: string };
  grant?: { code: string; status: string; source: string };
}

describe.each(targets)('coupon rewards, history, guest merge and privacy on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await couponTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  const mine = async (headers: Record<string, string>, query = ''): Promise<{ data: Entry[]; nextCursor: string | null }> => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/coupons/mine${query}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const allMine = async (headers: Record<string, string>) => {
    const out: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await mine(headers, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };

  it('grantReward issues a personal single-use code only its owner can redeem, once per source', async () => {
    const template = await createCoupon(t, { kind: 'template', type: 'free_item', itemKey: 'poster', maxRedemptions: 2, endsAt: '2099-01-01T00:00:00.000Z' });
    const coupons = t.ctx.services.coupons;
    const grant = await coupons.grantReward({ couponCode: template.code.toLowerCase(), actorType: 'user', actorId: 'winner', source: 'gamification:badge:sharer' });
    expect(grant).toMatchObject({ created: true, type: 'free_item', itemKey: 'poster', status: 'available', templateId: template.id, endsAt: '2099-01-01T00:00:00.000Z' });
    expect(grant.code).not.toBe(template.code);
    const again = await coupons.grantReward({ couponCode: template.code, actorType: 'user', actorId: 'winner', source: 'gamification:badge:sharer' });
    expect(again).toMatchObject({ created: false, id: grant.id, code: grant.code });

    expect((await redeem(t, user('thief'), grant.code)).json().code).toBe('coupon_not_found');
    const used = await redeem(t, user('winner'), grant.code);
    expect(used.statusCode).toBe(201);
    expect(used.json()).toMatchObject({ type: 'free_item', itemKey: 'poster' });
    expect((await redeem(t, user('winner'), grant.code)).json().code).toBe('coupon_already_redeemed');

    // The template's maxRedemptions is its stock of personal codes.
    await coupons.grantReward({ couponCode: template.code, actorType: 'guest', actorId: 'g-1', source: 'gamification:badge:sharer' });
    await expect(coupons.grantReward({ couponCode: template.code, actorType: 'guest', actorId: 'g-2', source: 'gamification:badge:sharer' })).rejects.toMatchObject({
      code: 'coupon_exhausted',
    });
    await expect(coupons.grantReward({ couponCode: 'NOPE', actorType: 'user', actorId: 'x', source: 's' })).rejects.toMatchObject({ code: 'coupon_not_found' });
    await expect(coupons.grantReward({ couponCode: template.code, actorType: 'user', actorId: '', source: 's' })).rejects.toMatchObject({ status: 400 });

    const history = await allMine(user('winner'));
    expect(history.map((e) => e.kind)).toEqual(['redemption', 'grant']);
    expect(history[1].grant).toMatchObject({ code: grant.code, status: 'redeemed', source: 'gamification:badge:sharer' });
  });

  it('/mine pages redemptions and grants together, newest first, and filters by kind', async () => {
    const who = user('collector');
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await createCoupon(t, { type: 'credits', value: i + 1 });
      codes.push(c.code);
      expect((await redeem(t, who, c.code)).statusCode).toBe(201);
      const tpl = await createCoupon(t, { kind: 'template', type: 'percentage', value: 5 });
      await t.ctx.services.coupons.grantReward({ couponCode: tpl.code, actorType: 'user', actorId: 'collector', source: `challenge:${i}` });
    }
    const all = await allMine(who);
    expect(all).toHaveLength(6);
    expect(all.map((e) => e.kind)).toEqual(['grant', 'redemption', 'grant', 'redemption', 'grant', 'redemption']);
    expect(all.filter((e) => e.kind === 'redemption').map((e) => e.redemption!.code)).toEqual([...codes].reverse());
    expect(new Set(all.map((e) => e.id)).size).toBe(6);
    const grants = await mine(who, '?kind=grant');
    expect(grants.data.map((e) => e.grant!.source)).toEqual(['challenge:2', 'challenge:1', 'challenge:0']);
    expect((await mine(user('nobody'))).data).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/v1/coupons/mine' })).statusCode).toBe(401);
  });

  it('moves a guest to the user on guest.merged without double counting, idempotently', async () => {
    const guest = await newGuest(t);
    const userId = `merged-${guest.id.slice(0, 8)}`;
    const once = await createCoupon(t, { type: 'credits', value: 10, perUserLimit: 1 });
    const guestOnly = await createCoupon(t, { type: 'credits', value: 20, perUserLimit: 1 });
    const tpl = await createCoupon(t, { kind: 'template', type: 'credits', value: 30 });
    const tpl2 = await createCoupon(t, { kind: 'template', type: 'credits', value: 40 });
    const coupons = t.ctx.services.coupons;

    // Both played the same coupon and earned the same reward; the guest also has its own.
    expect((await redeem(t, guest.headers, once.code)).statusCode).toBe(201);
    expect((await redeem(t, user(userId), once.code)).statusCode).toBe(201);
    expect((await redeem(t, guest.headers, guestOnly.code, 'guest-key')).statusCode).toBe(201);
    const guestDup = await coupons.grantReward({ couponCode: tpl.code, actorType: 'guest', actorId: guest.id, source: 'badge:first' });
    const userGrant = await coupons.grantReward({ couponCode: tpl.code, actorType: 'user', actorId: userId, source: 'badge:first' });
    const guestOwn = await coupons.grantReward({ couponCode: tpl2.code, actorType: 'guest', actorId: guest.id, source: 'badge:second' });

    expect(await t.ctx.services.guests.merge(guest.id, userId)).toBe(true);
    await settle(t); // guest.merged has reached every module

    const redemptions = await coupons.redemptionsOf({ type: 'user', id: userId });
    expect(redemptions.map((r) => r.couponId).sort()).toEqual([once.id, guestOnly.id, once.id].sort());
    expect(await coupons.redemptionsOf({ type: 'guest', id: guest.id })).toEqual([]);
    // Counters are unchanged: two redemptions of `once`, one of `guestOnly`.
    expect((await coupons.get(once.id))!.redemptionsCount).toBe(2);
    expect((await coupons.get(guestOnly.id))!.redemptionsCount).toBe(1);
    // The per-user limit already reached stays reached.
    expect((await redeem(t, user(userId), once.code)).json().code).toBe('coupon_already_redeemed');
    expect((await redeem(t, user(userId), guestOnly.code)).json().code).toBe('coupon_already_redeemed');

    // One grant per source: the user's stays, the guest's duplicate is withdrawn; the other moves.
    const grants = (await mine(user(userId), '?kind=grant')).data.map((e) => e.grant!);
    expect(grants.map((g) => g.source).sort()).toEqual(['badge:first', 'badge:second']);
    expect(grants.find((g) => g.source === 'badge:first')!.code).toBe(userGrant.code);
    expect((await coupons.getByCode(guestDup.code))!.active).toBe(false);
    expect((await redeem(t, user(userId), guestOwn.code)).statusCode).toBe(201);

    // A redelivered event changes nothing.
    const before = await allMine(user(userId));
    await t.ctx.events.emit('guest.merged', { guestId: guest.id, userId });
    expect(await coupons.lifecycle.mergeGuest(guest.id, userId)).toEqual({ redemptions: 0, grants: 0 });
    expect(await allMine(user(userId))).toEqual(before);
  });

  it('exports a user and forgets them on user.deleted', async () => {
    const c = await createCoupon(t, { type: 'credits', value: 3 });
    const tpl = await createCoupon(t, { kind: 'template', type: 'credits', value: 4 });
    expect((await redeem(t, user('leaving'), c.code)).statusCode).toBe(201);
    const g = await t.ctx.services.coupons.grantReward({ couponCode: tpl.code, actorType: 'user', actorId: 'leaving', source: 'bye' });

    const exported = (await t.ctx.privacy.exportUser('leaving')).coupons as { redemptions: unknown[]; grants: Array<{ code: string }> };
    expect(exported.redemptions).toHaveLength(1);
    expect(exported.grants.map((x) => x.code)).toEqual([g.code]);

    await t.ctx.events.emit('user.deleted', { userId: 'leaving' });
    expect(await t.ctx.privacy.exportUser('leaving')).toMatchObject({ coupons: { redemptions: [], grants: [] } });
    expect(await t.ctx.services.coupons.getByCode(g.code)).toBeNull();
    // Usage stays counted: a deleted account does not give a used code back.
    expect((await t.ctx.services.coupons.get(c.id))!.redemptionsCount).toBe(1);
  });
});
