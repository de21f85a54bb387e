import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { settle } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { admin, balanceOf, fund, purchase, shopTestApp, user } from './catalog-testing.js';

describe.each(targets)('wallet shop admin and bridges on %s', (target) => {
  let t: TestApp;
  let n = 0;
  const fresh = (label: string) => `${label}-${n++}`;

  beforeAll(async () => {
    t = await shopTestApp(target, { rewards: { badges: { first_share: 25 } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a credits coupon grants promotional credits once, however often the event is delivered', async () => {
    const id = fresh('redeemer');
    const created = await t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: admin, payload: { type: 'credits', value: 40, code: fresh('CREDITS40').toUpperCase() } });
    expect(created.statusCode).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: '/v1/coupons/redeem', headers: user(id), payload: { code: created.json().code } });
    expect(res.statusCode).toBe(201);
    await settle(t);
    expect(await balanceOf(t, { userId: id })).toBe(40);
    // Replays of the same event (redeliveries), in parallel: still 40.
    const e = { redemptionId: res.json().id, type: 'credits', value: 40, code: created.json().code, actorType: 'user', actorId: id };
    await Promise.all(Array.from({ length: 20 }, () => t.ctx.services.wallet.bridges.couponRedeemed(e)));
    expect(await balanceOf(t, { userId: id })).toBe(40);
    const tx = await t.ctx.services.wallet.transactions({ userId: id });
    expect(tx.data).toHaveLength(1);
    // Other coupon types credit nothing.
    await t.ctx.services.wallet.bridges.couponRedeemed({ ...e, redemptionId: 'other', type: 'percentage', value: 10 });
    expect(await balanceOf(t, { userId: id })).toBe(40);
  });

  it('a configured badge grants credits once per holder; unconfigured achievements grant nothing', async () => {
    const id = fresh('player');
    await Promise.all(Array.from({ length: 10 }, () => t.ctx.services.wallet.bridges.achievement('badge', 'first_share', { actorType: 'user', actorId: id })));
    expect(await balanceOf(t, { userId: id })).toBe(25);
    await t.ctx.services.wallet.bridges.achievement('badge', 'ambassador', { actorType: 'user', actorId: id });
    await t.ctx.services.wallet.bridges.achievement('level', 'gold', { actorType: 'user', actorId: id });
    expect(await balanceOf(t, { userId: id })).toBe(25);
  });

  it('an admin refunds a purchase once: credits back, unit back to stock, inventory shows it refunded', async () => {
    const key = fresh('refundable');
    expect((await t.app.inject({ method: 'PUT', url: `/v1/admin/wallet/items/${key}`, headers: admin, payload: { price: 30, stock: 1, names: { es: 'R', en: 'R' } } })).statusCode).toBe(201);
    const id = fresh('buyer');
    await fund(t, { userId: id }, 30);
    const bought = await purchase(t, user(id), key);
    expect(bought.statusCode).toBe(201);
    expect(await balanceOf(t, { userId: id })).toBe(0);
    const purchaseId = bought.json().purchase.id;

    const noReason = await t.app.inject({ method: 'POST', url: `/v1/admin/wallet/purchases/${purchaseId}/refund`, headers: admin, payload: {} });
    expect(noReason.statusCode).toBe(400);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.app.inject({ method: 'POST', url: `/v1/admin/wallet/purchases/${purchaseId}/refund`, headers: admin, payload: { reason: 'customer complaint' } })),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'purchase_already_refunded')).toHaveLength(9);
    expect(answers.find((a) => a.statusCode === 200)!.json()).toMatchObject({ balance: 30, purchase: { status: 'refunded', refundedBy: 'admin-token', refundReason: 'customer complaint' } });
    expect(await balanceOf(t, { userId: id })).toBe(30);
    const inv = await t.app.inject({ method: 'GET', url: '/v1/wallet/inventory?status=refunded', headers: user(id) });
    expect(inv.json().data).toEqual([expect.objectContaining({ id: purchaseId, status: 'refunded' })]);
    // The unit is for sale again.
    const again = fresh('second');
    await fund(t, { userId: again }, 30);
    expect((await purchase(t, user(again), key)).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/wallet/purchases/nope/refund', headers: admin, payload: { reason: 'x'.repeat(5) } })).statusCode).toBe(404);
  });

  it('admins edit the catalog: their edits win over yaml, stock cannot drop below units sold, bad bodies are 400', async () => {
    const put = (key: string, body: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: `/v1/admin/wallet/packages/${key}`, headers: admin, payload: body });
    const ok = await put('starter', { credits: 120, price: { amount: 1000, currency: 'ARS' }, names: { es: 'Inicial+', en: 'Starter+' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ credits: 120, source: 'admin' });
    await t.ctx.services.wallet.shop.seed(); // a restart: yaml no longer changes an admin's key
    expect(await t.ctx.services.wallet.getPackage('starter')).toMatchObject({ credits: 120, source: 'admin' });
    expect((await put('bad', { credits: 1, price: { amount: 100, currency: 'XXY' }, names: { es: 'a', en: 'a' } })).statusCode).toBe(400);
    expect((await put('bad', { credits: -1, price: { amount: 100, currency: 'ARS' }, names: { es: 'a', en: 'a' } })).statusCode).toBe(400);
    expect((await put('bad', { credits: 1, price: { amount: 100, currency: 'ARS' }, names: { es: 'a' } })).statusCode).toBe(400);
    expect((await put('bad', { credits: 1, price: { amount: 100, currency: 'ARS' }, names: { es: 'a', en: 'a' }, startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' })).statusCode).toBe(400);
    expect(await t.ctx.services.wallet.getPackage('bad')).toBeUndefined();
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/wallet/packages/basic', headers: admin })).statusCode).toBe(204);
    await t.ctx.services.wallet.shop.seed();
    expect(await t.ctx.services.wallet.getPackage('basic')).toBeUndefined();

    const key = fresh('stocked');
    const putItem = (body: Record<string, unknown>) => t.app.inject({ method: 'PUT', url: `/v1/admin/wallet/items/${key}`, headers: admin, payload: { price: 1, names: { es: 'S', en: 'S' }, ...body } });
    expect((await putItem({ stock: 2 })).statusCode).toBe(201);
    const id = fresh('stock-buyer');
    await fund(t, { userId: id }, 5);
    expect((await purchase(t, user(id), key)).statusCode).toBe(201);
    const low = await putItem({ stock: 0 });
    expect(low.statusCode).toBe(409);
    expect(low.json().code).toBe('item_stock_below_sold');
    expect((await putItem({ stock: 1 })).json()).toMatchObject({ stock: 1, sold: 1, remaining: 0 });
    const list = await t.app.inject({ method: 'GET', url: `/v1/admin/wallet/purchases?itemKey=${key}`, headers: admin });
    expect(list.json().data).toHaveLength(1);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/wallet/items', headers: user(id) })).statusCode).toBe(403);
  });
});
