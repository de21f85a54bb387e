import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { balanceOf, fund, purchase, shopTestApp, user } from './catalog-testing.js';
import { newGuest } from '../coupons/testing.js';

describe.each(targets)('wallet guest merge and privacy on %s', (target) => {
  let t: TestApp;
  let n = 0;
  const fresh = (label: string) => `${label}-${n++}`;

  beforeAll(async () => {
    t = await shopTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a guest\'s credits and purchases join the user once, buckets kept, however often the merge is delivered', async () => {
    const guest = await newGuest(t);
    const userId = fresh('signed-up');
    await fund(t, { userId }, 7);
    await fund(t, { guestId: guest.id }, 20);
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    await t.ctx.services.wallet.grant({ guestId: guest.id }, { amount: 15, kind: 'promotional', source: fresh('promo'), reason: 'welcome', expiresAt });
    const bought = await purchase(t, guest.headers, 'boost');
    expect(bought.statusCode).toBe(201);
    expect(await balanceOf(t, { guestId: guest.id })).toBe(25);

    const runs = await Promise.all(Array.from({ length: 10 }, () => t.ctx.services.wallet.lifecycle.mergeGuest(guest.id, userId)));
    expect(runs.filter(Boolean)).toHaveLength(1);
    expect(await balanceOf(t, { guestId: guest.id })).toBe(0);
    const mine = await t.ctx.services.wallet.balance({ userId });
    expect(mine.balance).toBe(7 + 25);
    // The boost (10) was paid from the promotional bucket first: 5 promotional with its expiry, 20 paid.
    expect(mine.buckets.filter((b) => b.kind === 'promotional').map((b) => [b.remaining, b.expiresAt])).toEqual([[5, expiresAt.toISOString()]]);
    const inv = await t.app.inject({ method: 'GET', url: '/v1/wallet/inventory', headers: user(userId) });
    expect(inv.json().data).toEqual([expect.objectContaining({ id: bought.json().purchase.id, ownerType: 'user', ownerId: userId })]);
    // A reward for the guest delivered after the merge lands in the user's wallet.
    await t.ctx.services.wallet.bridges.couponRedeemed({ redemptionId: fresh('late'), type: 'credits', value: 3, code: 'LATE', actorType: 'guest', actorId: guest.id });
    expect(await balanceOf(t, { userId })).toBe(35);
    expect(await balanceOf(t, { guestId: guest.id })).toBe(0);
    expect((await t.ctx.services.wallet.verify()).ok).toBe(true);
  });

  it('exports the wallet with the user\'s data and forfeits its credits on deletion, the ledger still adding up', async () => {
    const userId = fresh('leaving');
    await fund(t, { userId }, 50);
    expect((await purchase(t, user(userId), 'boost')).statusCode).toBe(201);
    const exported = (await t.ctx.privacy.exportUser(userId)).wallet as { balance: { balance: number }; transactions: unknown[]; purchases: Array<{ itemKey: string }> };
    expect(exported.balance.balance).toBe(40);
    expect(exported.transactions).toHaveLength(2);
    expect(exported.purchases.map((p) => p.itemKey)).toEqual(['boost']);

    await Promise.all(Array.from({ length: 5 }, () => t.ctx.services.wallet.lifecycle.eraseUser(userId)));
    expect(await balanceOf(t, { userId })).toBe(0);
    expect((await t.ctx.services.wallet.verify()).ok).toBe(true);
  });
});
