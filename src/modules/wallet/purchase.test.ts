import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { admin, balanceOf, fund, purchase, shopTestApp, user } from './catalog-testing.js';

describe.each(targets)('wallet purchases on %s', (target) => {
  let t: TestApp;
  let events: EventRecorder;
  let n = 0;
  const fresh = (label: string) => `${label}-${n++}`;

  beforeAll(async () => {
    t = await shopTestApp(target);
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const putItem = async (key: string, body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'PUT', url: `/v1/admin/wallet/items/${key}`, headers: admin, payload: { names: { es: key, en: key }, ...body } });
    expect(res.statusCode).toBe(201);
  };
  const soldOf = async (key: string) => Number((await t.ctx.db.selectFrom('wallet_items' as never).select('sold' as never).where('key' as never, '=', key as never).executeTakeFirstOrThrow() as { sold: number }).sold);
  const purchasesOf = (key: string) => t.ctx.db.selectFrom('wallet_purchases' as never).selectAll().where('item_key' as never, '=', key as never).execute();

  it('buys an item: credits spent, inventory holds it, the event committed with it', async () => {
    const id = fresh('buyer');
    await fund(t, { userId: id }, 100);
    const res = await purchase(t, user(id), 'boost');
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ balance: 90, purchase: { itemKey: 'boost', price: 10, status: 'owned', ownerType: 'user', ownerId: id } });
    expect(await balanceOf(t, { userId: id })).toBe(90);
    expect(events.payloads('wallet.item.purchased')).toContainEqual(expect.objectContaining({ purchaseId: body.purchase.id, itemKey: 'boost', price: 10 }));

    const inv = await t.app.inject({ method: 'GET', url: '/v1/wallet/inventory', headers: { ...user(id), 'accept-language': 'es' } });
    expect(inv.statusCode).toBe(200);
    expect(inv.json().data).toEqual([expect.objectContaining({ id: body.purchase.id, itemKey: 'boost', name: 'Impulso', status: 'owned' })]);
  });

  it('200 concurrent purchases of an item with stock 10 by 200 buyers sell exactly 10', async () => {
    const key = fresh('limited');
    await putItem(key, { price: 7, stock: 10 });
    const buyers = Array.from({ length: 200 }, (_, i) => `${key}-u${i}`);
    for (const b of buyers) await fund(t, { userId: b }, 20);
    const answers = await Promise.all(buyers.map((b) => purchase(t, user(b), key)));
    const won = answers.filter((a) => a.statusCode === 201);
    expect(won).toHaveLength(10);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'item_sold_out')).toHaveLength(190);
    expect(await soldOf(key)).toBe(10);
    expect(await purchasesOf(key)).toHaveLength(10);
    // Exactly the winners paid, once each.
    const winners = new Set(won.map((a) => a.json().purchase.ownerId as string));
    for (const b of buyers) expect(await balanceOf(t, { userId: b })).toBe(winners.has(b) ? 13 : 20);
    const items = await t.app.inject({ method: 'GET', url: '/v1/wallet/items' });
    expect(items.json().data.find((i: { key: string }) => i.key === key)).toMatchObject({ remaining: 0 });
  });

  it('a per-user limit of 3 holds under 30 concurrent purchases by one user (distinct keys)', async () => {
    const id = fresh('collector');
    await fund(t, { userId: id }, 1000);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => purchase(t, user(id), 'sticker', `${id}-k${i}`)));
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(3);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'item_limit_reached')).toHaveLength(27);
    expect(await balanceOf(t, { userId: id })).toBe(1000 - 3 * 5);
    const inv = await t.app.inject({ method: 'GET', url: '/v1/wallet/inventory?itemKey=sticker', headers: user(id) });
    expect(inv.json().data).toHaveLength(3);
  });

  it('the same Idempotency-Key sent 50 times at once buys once; every success is the first answer', async () => {
    const id = fresh('retrier');
    await fund(t, { userId: id }, 100);
    const before = events.payloads('wallet.item.purchased').length;
    const answers = await Promise.all(Array.from({ length: 50 }, () => purchase(t, user(id), 'boost', 'same-key')));
    const ok = answers.filter((a) => a.statusCode === 201);
    const busy = answers.filter((a) => a.statusCode === 409 && a.json().code === 'idempotency_in_progress');
    expect(ok.length + busy.length).toBe(50);
    expect(new Set(ok.map((a) => a.json().purchase.id)).size).toBe(1);
    const retry = await purchase(t, user(id), 'boost', 'same-key');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(ok[0].json());
    expect(await balanceOf(t, { userId: id })).toBe(90);
    expect(events.payloads('wallet.item.purchased').length - before).toBe(1);
  });

  it('without enough credits: 409 insufficient_credits, no unit taken, nothing written', async () => {
    const key = fresh('pricey');
    await putItem(key, { price: 50, stock: 1 });
    const id = fresh('broke');
    await fund(t, { userId: id }, 49);
    const res = await purchase(t, user(id), key);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('insufficient_credits');
    expect(await soldOf(key)).toBe(0);
    expect(await purchasesOf(key)).toHaveLength(0);
    expect(await balanceOf(t, { userId: id })).toBe(49);
    // The unit is still there for someone who can pay.
    const rich = fresh('rich');
    await fund(t, { userId: rich }, 50);
    expect((await purchase(t, user(rich), key)).statusCode).toBe(201);
  });

  it('bad input gets a 4xx problem and writes nothing', async () => {
    const id = fresh('fuzzer');
    await fund(t, { userId: id }, 100);
    const cases: Array<[unknown, number]> = [
      ['nope', 404],
      ['', 400],
      [12, 404],
      [null, 400],
      [{ $gt: '' }, 400],
      ['../boost', 400],
      ['x'.repeat(65), 400],
    ];
    for (const [itemKey, status] of cases) {
      const res = await purchase(t, user(id), itemKey);
      expect(res.statusCode, JSON.stringify(itemKey)).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const extra = await t.app.inject({ method: 'POST', url: '/v1/wallet/purchase', headers: user(id), payload: { itemKey: 'boost', price: 0 } });
    expect(extra.statusCode).toBe(400);
    const anon = await t.app.inject({ method: 'POST', url: '/v1/wallet/purchase', payload: { itemKey: 'boost' } });
    expect(anon.statusCode).toBe(401);
    const service = await t.app.inject({ method: 'POST', url: '/v1/wallet/purchase', headers: admin, payload: { itemKey: 'boost' } });
    expect(service.statusCode).toBe(403);
    expect(await balanceOf(t, { userId: id })).toBe(100);
    const rows = await t.ctx.db.selectFrom('wallet_purchases' as never).selectAll().where('owner_id' as never, '=', id as never).execute();
    expect(rows).toHaveLength(0);
  });

  it('lists packages on sale in the caller\'s language with the price formatted', async () => {
    const es = await t.app.inject({ method: 'GET', url: '/v1/wallet/packages', headers: { 'accept-language': 'es' } });
    expect(es.statusCode).toBe(200);
    const data = es.json().data as Array<{ key: string; name: string; credits: number; price: { amount: number; currency: string; formatted: string } }>;
    expect(data.map((p) => p.key)).toEqual(['starter', 'basic', 'pro', 'business']);
    expect(data[0]).toMatchObject({ name: 'Inicial', credits: 100, price: { amount: 1000, currency: 'ARS' } });
    expect(data[0].price.formatted.replace(/\s/g, ' ')).toBe(new Intl.NumberFormat('es', { style: 'currency', currency: 'ARS' }).format(10).replace(/\s/g, ' '));
    const en = await t.app.inject({ method: 'GET', url: '/v1/wallet/packages', headers: { 'accept-language': 'en' } });
    expect(en.json().data[3]).toMatchObject({ name: 'Business', credits: 2000, price: { amount: 15000, currency: 'ARS' } });
    expect(en.json().data[3].price.formatted).toContain('150.00');

    const pkg = await t.ctx.services.wallet.getPackage('pro');
    expect(pkg).toMatchObject({ key: 'pro', credits: 1000, price: { amount: 8000, currency: 'ARS' }, names: { es: 'Pro', en: 'Pro' }, active: true });
    expect(await t.ctx.services.wallet.getPackage('retired')).toMatchObject({ active: false });
    expect(await t.ctx.services.wallet.getPackage('future')).toMatchObject({ active: false });
    expect(await t.ctx.services.wallet.getPackage('nope')).toBeUndefined();
    expect((await t.ctx.services.wallet.listPackages()).map((p) => p.key)).toEqual(expect.arrayContaining(['starter', 'retired', 'future']));
  });
});
