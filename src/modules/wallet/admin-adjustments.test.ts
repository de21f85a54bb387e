import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { admin, balanceOf, fund, shopTestApp, user } from './catalog-testing.js';

describe.each(targets)('wallet admin adjustments and browsing on %s', (target) => {
  let t: TestApp;
  let n = 0;
  const fresh = (label: string) => `${label}-${n++}`;

  beforeAll(async () => {
    t = await shopTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  const adjust = (payload: unknown, headers: Record<string, string> = admin, key?: string) =>
    t.app.inject({ method: 'POST', url: '/v1/admin/wallet/adjustments', headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) }, payload: payload as object });
  const transfersOf = async (ownerId: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/admin/wallet/transfers?ownerType=user&ownerId=${ownerId}`, headers: admin });
    expect(res.statusCode).toBe(200);
    return res.json().data as Array<Record<string, unknown>>;
  };

  it('a positive adjustment credits the wallet from the adjustments account, recording the admin', async () => {
    const id = fresh('gift');
    const res = await adjust({ owner: { userId: id }, amount: 40, reason: 'Compensation for the outage' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ amount: 40, balance: 40 });
    expect(await balanceOf(t, { userId: id })).toBe(40);
    const bal = await t.ctx.services.wallet.balance({ userId: id });
    expect(bal.buckets).toEqual([expect.objectContaining({ kind: 'promotional', granted: 40, remaining: 40 })]);
    const [tr] = await transfersOf(id);
    expect(tr).toMatchObject({ id: body.transferId, kind: 'adjust', amount: 40, counterparty: 'adjustments', reason: 'Compensation for the outage', actorId: 'admin-token', metadata: { adminId: 'admin-token' } });
    expect(String(tr.source)).toMatch(/^adjustment:[0-9a-f-]{36}$/);
    const entries = await t.ctx.db.selectFrom('wallet_entries' as never).selectAll().where('transfer_id' as never, '=', body.transferId as never).execute() as Array<{ account_id: string; amount: number | string }>;
    expect(entries.map((e) => [e.account_id, Number(e.amount)]).sort()).toEqual([['sys:adjustments', -40], [`u:${id}`, 40]]);
  });

  it('a paid positive adjustment makes a paid bucket', async () => {
    const id = fresh('paid');
    expect((await adjust({ owner: { userId: id }, amount: 15, reason: 'Missing purchase credited', kind: 'paid' })).statusCode).toBe(201);
    expect((await t.ctx.services.wallet.balance({ userId: id })).buckets).toEqual([expect.objectContaining({ kind: 'paid', granted: 15 })]);
  });

  it('a negative adjustment debits the wallet to the adjustments account', async () => {
    const id = fresh('clawback');
    await fund(t, { userId: id }, 100);
    const res = await adjust({ owner: { userId: id }, amount: -30, reason: 'Credits granted by mistake' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ amount: -30, balance: 70 });
    expect(await balanceOf(t, { userId: id })).toBe(70);
    const [tr] = await transfersOf(id);
    expect(tr).toMatchObject({ kind: 'adjust', amount: -30, counterparty: 'adjustments', actorId: 'admin-token' });
  });

  it('a negative adjustment beyond the balance is 409 insufficient_credits and writes nothing', async () => {
    const id = fresh('poor');
    await fund(t, { userId: id }, 10);
    const before = await transfersOf(id);
    const res = await adjust({ owner: { userId: id }, amount: -11, reason: 'Too much' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'insufficient_credits', required: 11, available: 10 });
    expect(await balanceOf(t, { userId: id })).toBe(10);
    expect(await transfersOf(id)).toEqual(before);
    // A wallet that does not exist yet has nothing to take either (and none is created).
    const ghost = fresh('ghost');
    expect((await adjust({ owner: { userId: ghost }, amount: -1, reason: 'Nothing there' })).statusCode).toBe(409);
    const wallets = await t.ctx.services.wallet.wallets({ ownerType: 'user', limit: 100 });
    expect(wallets.data.some((w) => w.ownerId === ghost)).toBe(false);
  });

  it('reason is mandatory and non-empty; amount a non-zero integer; owner one of the three (400)', async () => {
    const id = fresh('bad');
    const bad: unknown[] = [
      { owner: { userId: id }, amount: 5 },
      { owner: { userId: id }, amount: 5, reason: '' },
      { owner: { userId: id }, amount: 5, reason: '   ' },
      { owner: { userId: id }, amount: 0, reason: 'zero' },
      { owner: { userId: id }, amount: 1.5, reason: 'float' },
      { owner: { userId: id }, amount: '5', reason: 'string amount' },
      { owner: { userId: id, guestId: 'g' }, amount: 5, reason: 'two owners' },
      { owner: {}, amount: 5, reason: 'no owner' },
      { owner: { userId: id }, amount: 5, reason: 'kind', kind: 'gold' },
    ];
    for (const payload of bad) {
      const res = await adjust(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await balanceOf(t, { userId: id })).toBe(0);
  });

  it('a non-admin gets 403 (and an anonymous caller 401), nothing written', async () => {
    const id = fresh('sneaky');
    const res = await adjust({ owner: { userId: id }, amount: 1000, reason: 'Free credits for me' }, user(id));
    expect(res.statusCode).toBe(403);
    const anon = await adjust({ owner: { userId: id }, amount: 1000, reason: 'Free credits' }, {});
    expect([401, 403]).toContain(anon.statusCode);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/wallet/transfers', headers: user(id) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/wallet/wallets', headers: user(id) })).statusCode).toBe(403);
    expect(await balanceOf(t, { userId: id })).toBe(0);
  });

  it('the same Idempotency-Key twice adjusts once and replays the first answer', async () => {
    const id = fresh('retry');
    const payload = { owner: { userId: id }, amount: 25, reason: 'Goodwill' };
    const first = await adjust(payload, admin, `${id}-key`);
    const again = await adjust(payload, admin, `${id}-key`);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await balanceOf(t, { userId: id })).toBe(25);
    expect(await transfersOf(id)).toHaveLength(1);
    // Concurrent duplicates also adjust once.
    const burst = await Promise.all(Array.from({ length: 10 }, () => adjust({ ...payload, amount: -5 }, admin, `${id}-burst`)));
    expect(burst.filter((r) => r.statusCode === 201).length).toBeGreaterThanOrEqual(1);
    expect(burst.every((r) => r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'idempotency_in_progress'))).toBe(true);
    expect(await balanceOf(t, { userId: id })).toBe(20);
  });

  it('adjusts guests and tenants too; browse lists show wallets (by owner type) and transfers (by kind, time), paginated', async () => {
    const guest = fresh('guest');
    const tenant = fresh('tenant');
    const start = new Date(Date.now() - 1000).toISOString();
    expect((await adjust({ owner: { guestId: guest }, amount: 3, reason: 'Guest gift' })).statusCode).toBe(201);
    expect((await adjust({ owner: { tenantId: tenant }, amount: 300, reason: 'Org migration' })).statusCode).toBe(201);

    const tenants = await t.app.inject({ method: 'GET', url: '/v1/admin/wallet/wallets?ownerType=tenant', headers: admin });
    expect(tenants.statusCode).toBe(200);
    expect(tenants.json().data).toContainEqual(expect.objectContaining({ ownerType: 'tenant', ownerId: tenant, balance: 300, accountId: `t:${tenant}` }));
    expect(tenants.json().data.every((w: { ownerType: string }) => w.ownerType === 'tenant')).toBe(true);

    // Pages of one walk every wallet exactly once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/admin/wallet/wallets?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await t.app.inject({ method: 'GET', url, headers: admin });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().data.map((w: { accountId: string }) => w.accountId));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([`g:${guest}`, `t:${tenant}`]));
    expect(seen.length).toBe((await t.ctx.services.wallet.wallets({ limit: 100 })).data.length);

    const adjustments = await t.app.inject({ method: 'GET', url: `/v1/admin/wallet/transfers?kind=adjust&from=${encodeURIComponent(start)}&limit=100`, headers: admin });
    expect(adjustments.statusCode).toBe(200);
    const data = adjustments.json().data as Array<{ kind: string; accountId: string }>;
    expect(data.every((d) => d.kind === 'adjust')).toBe(true);
    expect(data.map((d) => d.accountId)).toEqual(expect.arrayContaining([`g:${guest}`, `t:${tenant}`]));
    const past = await t.app.inject({ method: 'GET', url: `/v1/admin/wallet/transfers?kind=adjust&to=${encodeURIComponent(start)}&ownerType=tenant&ownerId=${tenant}`, headers: admin });
    expect(past.json().data).toEqual([]);
    const half = await t.app.inject({ method: 'GET', url: `/v1/admin/wallet/transfers?ownerType=tenant`, headers: admin });
    expect(half.statusCode).toBe(400);
  });

  it('the ledger verifies after all of it', async () => {
    const report = await t.ctx.services.wallet.verify();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
