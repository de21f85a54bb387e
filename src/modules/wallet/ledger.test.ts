import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { freezeClock, type TestClock } from '../../testing/clock.js';
import { runCron } from '../../testing/cron.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { ledgerFacts, spend, user, walletTestApp } from './ledger-testing.js';

describe.each(targets)('wallet ledger on %s', (target) => {
  let t: TestApp;
  let events: EventRecorder;
  let clock: TestClock | null = null;
  const wallet = () => t.ctx.services.wallet;

  beforeAll(async () => {
    t = await walletTestApp(target, { lowBalanceThreshold: 10 });
    events = recordEvents(t);
  });
  afterAll(() => t?.close());
  afterEach(() => {
    clock?.restore();
    clock = null;
  });

  it('grants once per source, spends, and keeps balance = sum of entries', async () => {
    const owner = { userId: 'ana' };
    const first = await wallet().grant(owner, { amount: 100, kind: 'paid', source: 'payment:test:1', reason: 'Pack of 100' });
    expect(first).toMatchObject({ created: true, balance: 100 });
    const again = await wallet().grant(owner, { amount: 100, kind: 'paid', source: 'payment:test:1', reason: 'Pack of 100' });
    expect(again).toEqual({ transferId: first.transferId, created: false, balance: 100 });
    await expect(wallet().grant({ userId: 'bob' }, { amount: 100, kind: 'paid', source: 'payment:test:1', reason: 'x' })).rejects.toMatchObject({ status: 409, code: 'wallet_source_conflict' });

    const spent = await wallet().spend(owner, { amount: 30, reason: 'report' });
    expect(spent).toMatchObject({ balance: 70, available: 70, created: true });
    await expect(wallet().spend(owner, { amount: 71, reason: 'too much' })).rejects.toMatchObject({ status: 409, code: 'insufficient_credits' });
    expect(await wallet().balance(owner)).toMatchObject({ balance: 70, available: 70, held: 0, debt: 0, nextExpiry: null });
    expect(await ledgerFacts(t, 'u:ana')).toMatchObject({ balance: 70, entrySum: 70 });
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('spends the soonest-expiring grant first, then by priority, promotional before paid', async () => {
    const owner = { userId: 'order' };
    const soon = new Date(Date.now() + 86_400_000);
    const later = new Date(Date.now() + 2 * 86_400_000);
    await wallet().grant(owner, { amount: 10, kind: 'paid', source: 'o:paid', reason: 'paid' });
    await wallet().grant(owner, { amount: 10, kind: 'promotional', source: 'o:promo', reason: 'promo' });
    await wallet().grant(owner, { amount: 10, kind: 'promotional', source: 'o:later', reason: 'later', expiresAt: later });
    await wallet().grant(owner, { amount: 10, kind: 'promotional', source: 'o:soon', reason: 'soon', expiresAt: soon });
    await wallet().grant(owner, { amount: 10, kind: 'promotional', source: 'o:prio', reason: 'prio', priority: 10 });
    const order = (await wallet().balance(owner)).buckets.map((b) => b.remaining + ':' + (b.expiresAt === soon.toISOString() ? 'soon' : b.expiresAt ? 'later' : b.priority === 10 ? 'prio' : b.kind));
    expect(order).toEqual(['10:soon', '10:later', '10:prio', '10:promotional', '10:paid']);
    await wallet().spend(owner, { amount: 35, reason: 'big' });
    const left = (await wallet().balance(owner)).buckets.map((b) => [b.kind, b.remaining]);
    expect(left).toEqual([['promotional', 5], ['paid', 10]]);
  });

  it('expires what is left of a grant into the expired account, lazily and by the cron', async () => {
    const owner = { userId: 'expiring' };
    clock = freezeClock('2030-01-01T00:00:00Z');
    await wallet().grant(owner, { amount: 20, kind: 'promotional', source: 'exp:1', reason: 'gift', expiresAt: new Date('2030-01-02T00:00:00Z') });
    await wallet().grant(owner, { amount: 5, kind: 'paid', source: 'exp:2', reason: 'paid' });
    await wallet().spend(owner, { amount: 8, reason: 'use' });
    expect(await wallet().balance(owner)).toMatchObject({ balance: 17, nextExpiry: '2030-01-02T00:00:00.000Z' });
    clock.set('2030-01-03T00:00:00Z');
    // The spend sweeps first: the 12 expired credits are gone, 5 paid remain.
    await expect(wallet().spend(owner, { amount: 6, reason: 'too much now' })).rejects.toMatchObject({ code: 'insufficient_credits' });
    await runCron(t, 'wallet.expire');
    expect(await wallet().balance(owner)).toMatchObject({ balance: 5, nextExpiry: null });
    const tx = await wallet().transactions(owner, { kind: 'expire' });
    expect(tx.data.map((d) => [d.kind, d.amount, d.counterparty])).toEqual([['expire', -12, 'expired']]);
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('reverses a grant: what is left comes back, what was spent becomes an explicit debt, settled by the next grant', async () => {
    const owner = { userId: 'refunded' };
    await wallet().grant(owner, { amount: 100, kind: 'paid', source: 'pay:r1', reason: 'pack' });
    await wallet().spend(owner, { amount: 60, reason: 'use' });
    const r = await wallet().reverse('pay:r1', { reason: 'refund' });
    expect(r).toMatchObject({ reversed: 40, debt: 60 });
    expect(await wallet().reverse('pay:r1', { reason: 'refund again' })).toMatchObject({ reversed: 40, debt: 60 });
    expect(await wallet().balance(owner)).toMatchObject({ balance: 0, debt: 60 });
    await expect(wallet().reverse('pay:unknown', { reason: 'x' })).rejects.toMatchObject({ status: 404 });
    await wallet().grant(owner, { amount: 100, kind: 'paid', source: 'pay:r2', reason: 'pack' });
    expect(await wallet().balance(owner)).toMatchObject({ balance: 40, debt: 0 });
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('a reversal does not count credits of the grant that had expired as owed', async () => {
    const owner = { userId: 'half-expired' };
    clock = freezeClock('2032-01-01T00:00:00Z');
    await wallet().grant(owner, { amount: 30, kind: 'promotional', source: 'he:1', reason: 'gift', expiresAt: new Date('2032-01-02T00:00:00Z') });
    await wallet().spend(owner, { amount: 10, reason: 'use' });
    clock.set('2032-01-03T00:00:00Z');
    await runCron(t, 'wallet.expire');
    // 10 spent, 20 expired: reversing the grant owes the 10 spent, not the 20 that expired.
    expect(await wallet().reverse('he:1', { reason: 'revoked' })).toMatchObject({ reversed: 0, debt: 10 });
    expect(await wallet().balance(owner)).toMatchObject({ balance: 0, debt: 10 });
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('emits an event per movement and low_balance once per crossing', async () => {
    events.clear();
    const owner = { userId: 'low' };
    await wallet().grant(owner, { amount: 12, kind: 'paid', source: 'low:1', reason: 'x' });
    await wallet().spend(owner, { amount: 1, reason: 'a' }); // 11
    await wallet().spend(owner, { amount: 2, reason: 'b' }); // 9: crosses
    await wallet().spend(owner, { amount: 1, reason: 'c' }); // 8
    expect(events.names().filter((n) => n.startsWith('wallet.'))).toEqual(['wallet.credited', 'wallet.debited', 'wallet.debited', 'wallet.low_balance', 'wallet.debited']);
    expect(events.payloads('wallet.low_balance')).toEqual([{ ownerType: 'user', ownerId: 'low', userId: 'low', balance: 9, threshold: 10 }]);
  });

  it('POST /v1/wallet/spend answers 201 with the balance, 409 problem in Spanish when short', async () => {
    await wallet().grant({ userId: 'http' }, { amount: 5, kind: 'paid', source: 'http:1', reason: 'x' });
    const ok = await spend(t, user('http'), { amount: 3, reason: 'api' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ balance: 2, available: 2 });
    const short = await t.app.inject({ method: 'POST', url: '/v1/wallet/spend', headers: { ...user('http'), 'accept-language': 'es' }, payload: { amount: 3, reason: 'api' } });
    expect(short.statusCode).toBe(409);
    expect(short.headers['content-type']).toContain('application/problem+json');
    expect(short.json()).toMatchObject({ code: 'insufficient_credits', title: 'Créditos insuficientes', required: 3, available: 2 });
    const bal = await t.app.inject({ method: 'GET', url: '/v1/wallet/balance', headers: user('http') });
    expect(bal.json()).toMatchObject({ balance: 2, available: 2, held: 0, debt: 0 });
  });
});
