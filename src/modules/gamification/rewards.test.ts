import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import type { TestApp } from '../../testing/app.js';
import { settle } from '../../testing/events.js';
import { admin, Client, gamificationApp } from './testing.js';

/** Stands in for the coupons module, by the contract: services.coupons.grantReward(...). */
const granted: Array<{ couponCode: string; actorType: string; actorId: string; source: string }> = [];
const fakeCoupons = defineModule({
  name: 'fake-coupons',
  services: () => ({ coupons: { grantReward: async (input: (typeof granted)[number]) => void granted.push(input) } }) as never,
});

describe.each(targets)('gamification rewards on %s', (target) => {
  let t: TestApp;
  const put = (path: string, payload: object) => t.app.inject({ method: 'PUT', url: `/v1/admin/gamification/${path}`, payload, headers: admin });

  beforeAll(async () => {
    t = await gamificationApp(target, [fakeCoupons]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts challenge steps only inside the window and grants coupon rewards once', async () => {
    expect((await put('challenges/past', { names: { en: 'Past' }, steps: [{ event: 'tap', count: 1 }], endsAt: '2000-01-01T00:00:00Z', reward: { points: 500 } })).statusCode).toBe(201);
    expect((await put('challenges/tap3', { names: { en: 'Tap 3' }, steps: [{ event: 'tap', count: 3 }], startsAt: '2000-01-01T00:00:00Z', reward: { coupon: 'TAP10' } })).statusCode).toBe(201);
    expect((await put('badges/tap_coupon', { names: { en: 'Tap coupon' }, rule: { type: 'count', event: 'tap', min: 2 }, reward: { coupon: 'BADGE5', points: 1 } })).statusCode).toBe(201);

    const c = await Client.guest(t);
    await c.post({ events: Array.from({ length: 5 }, () => ({ type: 'tap' })) });
    await c.post({ events: Array.from({ length: 5 }, () => ({ type: 'tap' })) });
    const challenges = (await c.get('/challenges')).data;
    expect(challenges.find((x: { key: string }) => x.key === 'past')).toMatchObject({ open: false, completed: false, steps: [{ count: 0, target: 1 }] });
    expect(challenges.find((x: { key: string }) => x.key === 'tap3')).toMatchObject({ open: true, completed: true, steps: [{ count: 3, target: 3 }] });
    // 10 taps + the badge's point; nothing from the closed challenge.
    expect((await c.get('/me')).points.total).toBe(11);
    // Coupon rewards travel as gamification.coupon_earned events: wait for their delivery.
    await settle(t);
    const mine = granted.filter((g) => g.actorId === c.id);
    expect(mine.map((g) => g.couponCode).sort()).toEqual(['BADGE5', 'TAP10']);
    expect(mine.map((g) => g.source).sort()).toEqual([`gamification:badge:tap_coupon:guest:${c.id}`, `gamification:challenge:tap3:guest:${c.id}`]);
  });

  it('grants a manual badge through the service, once, and refuses unknown ones', async () => {
    const c = await Client.guest(t);
    const player = { type: 'guest' as const, id: c.id };
    expect((await t.ctx.services.gamification.grantBadge(player, 'challenger')).badges).toEqual(['challenger']);
    expect((await t.ctx.services.gamification.grantBadge(player, 'challenger')).badges).toEqual([]);
    await expect(t.ctx.services.gamification.grantBadge(player, 'nope')).rejects.toMatchObject({ status: 400, code: 'unknown_badge' });
    expect((await c.get('/badges')).data.find((b: { key: string }) => b.key === 'challenger')).toMatchObject({ earned: true, progress: null });
  });
});
