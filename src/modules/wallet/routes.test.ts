import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../core/module.js';
import type { TestApp } from '../../testing/app.js';
import { freezeClock, type TestClock } from '../../testing/clock.js';
import { runCron } from '../../testing/cron.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { ledgerFacts, user, walletTestApp } from './ledger-testing.js';

/** A module of someone else's charging for its routes, the way the docs tell it to. */
const reports = defineModule({
  name: 'reports',
  routes: (app, ctx) => {
    const charge = ctx.services.wallet.requireCredits(5);
    app.post('/export', { preHandler: [ctx.access.requireActor, charge], config: { scope: 'reports:write' } }, async (_req, reply) => reply.code(201).send({ ok: true }));
    app.post('/broken', { preHandler: [ctx.access.requireActor, charge], config: { scope: 'reports:write' } }, async () => {
      throw new Error('export failed');
    });
    app.post('/priced', { preHandler: [ctx.access.requireActor, ctx.services.wallet.requireCredits()], config: { scope: 'reports:write' } }, async () => ({ ok: true }));
  },
});

async function newGuest(t: TestApp) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw : [String(raw)]).find((c) => c.includes('neptuno_guest='))!;
  return { id: res.json().id as string, headers: { cookie: cookie.split(';')[0], origin: new URL(t.config.server.publicUrl).origin } };
}

describe.each(targets)('wallet routes on %s', (target) => {
  let t: TestApp;
  let clock: TestClock | null = null;
  const wallet = () => t.ctx.services.wallet;
  const post = (url: string, headers: Record<string, string>, payload?: unknown) => t.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    t = await walletTestApp(target, { routeCosts: { 'POST /v1/reports/priced': 3 } }, { modules: [reports] });
  });
  afterAll(() => t?.close());
  afterEach(() => {
    clock?.restore();
    clock = null;
  });

  it('a guest holds a wallet: balance, spend, transactions', async () => {
    const g = await newGuest(t);
    await wallet().grant({ guestId: g.id }, { amount: 10, kind: 'promotional', source: `welcome:${g.id}`, reason: 'Welcome gift' });
    const spent = await post('/v1/wallet/spend', g.headers, { amount: 4, reason: 'sticker' });
    expect(spent.statusCode).toBe(201);
    const bal = await get('/v1/wallet/balance', g.headers);
    expect(bal.json()).toMatchObject({ balance: 6, available: 6, held: 0, debt: 0, buckets: [{ kind: 'promotional', granted: 10, remaining: 6 }] });
    const tx = await get('/v1/wallet/transactions', g.headers);
    expect(tx.json().data.map((d: { kind: string; amount: number }) => [d.kind, d.amount])).toEqual([['spend', -4], ['grant', 10]]);
    // Another guest sees nothing of it; an anonymous caller gets 401.
    const other = await newGuest(t);
    expect((await get('/v1/wallet/balance', other.headers)).json()).toMatchObject({ balance: 0, buckets: [] });
    expect((await get('/v1/wallet/balance', {})).statusCode).toBe(401);
  });

  it('pages transactions the kernel way and filters by kind and date', async () => {
    clock = freezeClock('2031-03-01T12:00:00Z');
    for (let i = 0; i < 5; i++) await wallet().grant({ userId: 'pager' }, { amount: 10, kind: 'paid', source: `pager:${i}`, reason: `g${i}` });
    clock.set('2031-03-05T12:00:00Z');
    for (let i = 0; i < 3; i++) await wallet().spend({ userId: 'pager' }, { amount: 1, reason: `s${i}` });
    clock.restore();
    clock = null;
    const page1 = (await get('/v1/wallet/transactions?limit=3', user('pager'))).json();
    expect(page1.data.map((d: { reason: string }) => d.reason)).toEqual(['s2', 's1', 's0']);
    const page2 = (await get(`/v1/wallet/transactions?limit=3&cursor=${encodeURIComponent(page1.nextCursor)}`, user('pager'))).json();
    expect(page2.data.map((d: { reason: string }) => d.reason)).toEqual(['g4', 'g3', 'g2']);
    const grants = (await get('/v1/wallet/transactions?kind=grant&limit=100', user('pager'))).json();
    expect(grants.data).toHaveLength(5);
    const early = (await get('/v1/wallet/transactions?to=2031-03-02', user('pager'))).json();
    expect(early.data.every((d: { kind: string }) => d.kind === 'grant')).toBe(true);
    const late = (await get('/v1/wallet/transactions?from=2031-03-02T00:00:00Z', user('pager'))).json();
    expect(late.data).toHaveLength(3);
    expect((await get('/v1/wallet/transactions?cursor=forged', user('pager'))).statusCode).toBe(400);
  });

  it('holds: reserve, capture part, release, expire by themselves; replays with an Idempotency-Key', async () => {
    const events = recordEvents(t);
    await wallet().grant({ userId: 'booker' }, { amount: 30, kind: 'paid', source: 'booker:1', reason: 'pack' });
    const h = await post('/v1/wallet/holds', { ...user('booker'), 'idempotency-key': 'hold-1' }, { amount: 20, ttlSeconds: 600, reason: 'booking' });
    expect(h.statusCode).toBe(201);
    expect(h.json()).toMatchObject({ amount: 20, status: 'active', available: 10 });
    expect((await post('/v1/wallet/spend', user('booker'), { amount: 11, reason: 'x' })).json().code).toBe('insufficient_credits');
    const id = h.json().id;
    expect((await get(`/v1/wallet/holds/${id}`, user('booker'))).json()).toMatchObject({ status: 'active' });
    expect((await get(`/v1/wallet/holds/${id}`, user('someone-else'))).statusCode).toBe(404);
    expect((await post(`/v1/wallet/holds/${id}/capture`, user('someone-else'), {})).statusCode).toBe(404);
    expect((await post(`/v1/wallet/holds/${id}/capture`, user('booker'), { amount: 21 })).statusCode).toBe(422);
    const cap = await post(`/v1/wallet/holds/${id}/capture`, { ...user('booker'), 'idempotency-key': 'cap-1' }, { amount: 12 });
    expect(cap.json()).toMatchObject({ status: 'captured', captured: 12, balance: 18 });
    const replay = await post(`/v1/wallet/holds/${id}/capture`, { ...user('booker'), 'idempotency-key': 'cap-1' }, { amount: 12 });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([200, 'true', cap.body]);
    expect((await post(`/v1/wallet/holds/${id}/release`, user('booker'))).json()).toMatchObject({ code: 'wallet_hold_resolved' });
    expect(await wallet().balance({ userId: 'booker' })).toMatchObject({ balance: 18, held: 0, available: 18 });

    const r = await wallet().hold({ userId: 'booker' }, { amount: 5, ttlMs: 60_000, reason: 'maybe' });
    expect((await post(`/v1/wallet/holds/${r.id}/release`, user('booker'))).json()).toMatchObject({ status: 'released' });

    clock = freezeClock(Date.now());
    const e = await wallet().hold({ userId: 'booker' }, { amount: 8, ttlMs: 5_000, reason: 'short' });
    clock.advance(6_000);
    // Lazily: the next read releases it; the cron does the same for wallets nobody touches.
    expect(await wallet().balance({ userId: 'booker' })).toMatchObject({ held: 0, available: 18 });
    expect((await wallet().getHold(e.id))?.status).toBe('expired');
    const e2 = await wallet().hold({ userId: 'booker' }, { amount: 8, ttlMs: 5_000, reason: 'short' });
    clock.advance(6_000);
    await runCron(t, 'wallet.expire');
    expect((await wallet().getHold(e2.id))?.status).toBe('expired');
    await expect(wallet().capture(e2.id)).rejects.toMatchObject({ code: 'wallet_hold_resolved' });
    expect(events.names().filter((n) => n.startsWith('wallet.hold.'))).toEqual([
      'wallet.hold.created', 'wallet.hold.captured', 'wallet.hold.created', 'wallet.hold.released', 'wallet.hold.created', 'wallet.hold.expired', 'wallet.hold.created', 'wallet.hold.expired',
    ]);
    expect(await ledgerFacts(t, 'u:booker')).toMatchObject({ balance: 18, entrySum: 18, held: 0 });
    events.stop();
  });

  it('a tenant wallet is reached with ?wallet=tenant by its members only', async () => {
    await wallet().grant({ tenantId: 'acme' }, { amount: 50, kind: 'paid', source: 'acme:1', reason: 'team pack' });
    const res = await post('/v1/wallet/spend?wallet=tenant', user('member', 'acme'), { amount: 5, reason: 'team' });
    expect(res.json()).toMatchObject({ balance: 45 });
    expect((await post('/v1/wallet/spend?wallet=tenant', user('loner'), { amount: 5, reason: 'x' })).json().code).toBe('tenant_required');
    expect((await get('/v1/wallet/balance', user('member', 'acme'))).json().balance).toBe(0);
  });

  it('requireCredits charges a route: captured on success, released on an error, refused when short', async () => {
    await wallet().grant({ userId: 'reader' }, { amount: 12, kind: 'paid', source: 'reader:1', reason: 'pack' });
    const ok = await post('/v1/reports/export', user('reader'));
    expect(ok.statusCode).toBe(201);
    // Settled once the answer has left: a capture of the request's hold.
    await waitFor(async () => (await wallet().balance({ userId: 'reader' })).balance === 7, 'the capture of the export');
    const broken = await post('/v1/reports/broken', user('reader'));
    expect(broken.statusCode).toBe(500);
    await waitFor(async () => (await wallet().balance({ userId: 'reader' })).held === 0, 'the release after a 500');
    expect((await wallet().balance({ userId: 'reader' })).balance).toBe(7);
    // neptuno.yaml's routeCosts price the route (3), whatever its code says.
    expect((await post('/v1/reports/priced', user('reader'))).statusCode).toBe(200);
    await waitFor(async () => (await wallet().balance({ userId: 'reader' })).balance === 4, 'the configured price');
    const short = await post('/v1/reports/export', user('reader'));
    expect([short.statusCode, short.json().code]).toEqual([409, 'insufficient_credits']);
    const tx = await wallet().transactions({ userId: 'reader' });
    expect(tx.data.map((d) => [d.kind, d.amount, d.reason])).toEqual([
      ['capture', -3, 'POST /v1/reports/priced'],
      ['capture', -5, 'POST /v1/reports/export'],
      ['grant', 12, 'pack'],
    ]);
    expect(await ledgerFacts(t, 'u:reader')).toMatchObject({ balance: 4, entrySum: 4, held: 0 });
  });
});
