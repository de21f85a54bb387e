import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, payments, wallet } from '../index.js';
import { createAdmin, createTestApp, freezeClock, recordEvents, runCron, signUpAndIn, targets, TEST_ORIGIN, type TestApp, type TestClock } from '../../testing/index.js';
import { FakeMercadoPago, injectMercadoPago } from './testing/index.js';
import { simulatePurchase } from './testing/simulate.js';
import { countRows, drain, expectProblem, paymentRow, SPARTAN_PACKS } from './test-helpers.js';

describe.each(targets)('Mercado Pago purchase of a credit pack on %s', (target) => {
  let t: TestApp;
  let fake: FakeMercadoPago;
  let clock: TestClock | undefined;

  beforeAll(async () => {
    fake = await FakeMercadoPago.start();
    t = await createTestApp({
      target,
      modules: [auth, wallet, payments],
      workers: true,
      config: {
        modules: {
          // Spartan Market's packs, sold through the wallet's catalog (docs/payments.md).
          wallet: { packages: Object.fromEntries(SPARTAN_PACKS.map((p, i) => [p.key, { credits: p.credits, price: p.price, names: p.names, sort: i + 1 }])) },
          payments: { providers: { mercadopago: fake.config } },
        },
      },
    });
    fake.onWebhook(injectMercadoPago(t.app));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  afterEach(() => {
    clock?.restore();
    clock = undefined;
    fake.autoDeliver = true;
  });

  const balance = async (userId: string) => (await t.ctx.services.wallet.balance({ userId })).balance;

  async function checkout(cookie: string, pack = 'pack-100', key?: string) {
    return t.app.inject({
      method: 'POST',
      url: '/v1/payments/checkout',
      headers: { cookie, origin: TEST_ORIGIN, ...(key ? { 'idempotency-key': key } : {}) },
      payload: { provider: 'mercadopago', package: pack },
    });
  }

  it('buys a pack: checkout, pay, signed webhook, credits once; replays and other event ids change nothing', async () => {
    const ana = await signUpAndIn(t.app);
    const events = recordEvents(t);
    const res = await checkout(ana.cookie, 'pack-500', 'buy-500');
    expect(res.statusCode).toBe(201);
    const { paymentId, redirectUrl } = res.json() as { paymentId: string; redirectUrl: string };
    // TEST- credentials: the sandbox checkout.
    expect(redirectUrl).toContain('sandbox=1');
    const pref = fake.preference(redirectUrl);
    expect(pref).toMatchObject({ external_reference: paymentId, items: [{ unit_price: 45, currency_id: 'ARS', quantity: 1 }] });
    expect(String(pref.notification_url)).toBe('http://localhost:8000/v1/webhooks/mercadopago?source_news=webhooks');
    // The same Idempotency-Key answers the same checkout, without a second preference.
    const again = await checkout(ana.cookie, 'pack-500', 'buy-500');
    expect(again.json()).toEqual({ paymentId, redirectUrl });
    expect(fake.preferences.size).toBe(1);

    const mp = await fake.pay(redirectUrl, { status: 'approved' });
    await drain(t);
    expect(await balance(ana.userId)).toBe(500);
    const row = await paymentRow(t, paymentId);
    expect(row).toMatchObject({ status: 'approved', provider_payment_id: String(mp.id) });
    expect(events.payloads('payment.succeeded')).toEqual([
      expect.objectContaining({ paymentId, provider: 'mercadopago', userId: ana.userId, purpose: { kind: 'package', key: 'pack-500' }, amount: 4500, currency: 'ARS', providerPaymentId: String(mp.id) }),
    ]);

    // The same delivery again: stored once (duplicate), nothing processed twice.
    const first = fake.lastNotification(mp.id)!;
    for (let i = 0; i < 3; i++) {
      const r = (await fake.deliver(first)) as { statusCode: number; body: string };
      expect(r.statusCode).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ received: true, duplicate: true });
    }
    // Another notification (new event id) about the same payment: processed, no second credit.
    await fake.notify(mp, 'payment.updated');
    await drain(t);
    expect(await balance(ana.userId)).toBe(500);
    expect(events.payloads('payment.succeeded')).toHaveLength(1);
    expect(await countRows(t, 'payment_webhook_inbox')).toBeGreaterThanOrEqual(2);

    const list = await t.app.inject({ method: 'GET', url: '/v1/payments', headers: { cookie: ana.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ data: [{ id: paymentId, status: 'approved', credits: 500, amount: 4500, currency: 'ARS', redirectUrl: null }], nextCursor: null });
    events.stop();
  });

  it('credits once when the payment arrives 50 times in parallel, under the same and under different event ids', async () => {
    const ben = await signUpAndIn(t.app);
    const { redirectUrl, paymentId } = (await checkout(ben.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    fake.autoDeliver = false;
    const mp = await fake.pay(redirectUrl, { status: 'approved' });
    const created = fake.lastNotification(mp.id)!;
    const others = await Promise.all(Array.from({ length: 24 }, () => fake.notify(mp, 'payment.updated')));
    const deliveries = [...Array.from({ length: 26 }, () => created), ...others];
    const answers = (await Promise.all(deliveries.map((n) => fake.deliver(n)))) as Array<{ statusCode: number }>;
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    await drain(t);
    expect(await balance(ben.userId)).toBe(100);
    expect(await countRows(t, 'payment_effects', { payment_id: paymentId })).toBe(1);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId, to_status: 'approved' })).toBe(1);
    // 25 distinct notifications stored, each once.
    expect(await countRows(t, 'payment_webhook_inbox', { event_id: String(created.id) })).toBe(1);
  });

  it('ignores an older state arriving after a newer one (out of order)', async () => {
    const cai = await signUpAndIn(t.app);
    const { redirectUrl, paymentId } = (await checkout(cai.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    fake.autoDeliver = false;
    const mp = await fake.pay(redirectUrl, { status: 'in_process' });
    const older = fake.lastNotification(mp.id)!;
    await fake.setStatus(mp.id, 'approved');
    await fake.deliver(fake.lastNotification(mp.id)!);
    await drain(t);
    expect((await paymentRow(t, paymentId)).status).toBe('approved');
    // The older notification comes last, and Mercado Pago's read answers the older state (a lagging replica).
    mp.status = 'in_process';
    await fake.deliver(older);
    await drain(t);
    mp.status = 'approved';
    expect((await paymentRow(t, paymentId)).status).toBe('approved');
    expect(await balance(cai.userId)).toBe(100);
  });

  it('answers 401 problem+json to bad signatures and changes nothing', async () => {
    const dan = await signUpAndIn(t.app);
    const { redirectUrl, paymentId } = (await checkout(dan.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    fake.autoDeliver = false;
    const mp = await fake.pay(redirectUrl, { status: 'approved' });
    const n = fake.lastNotification(mp.id)!;
    const inbox = await countRows(t, 'payment_webhook_inbox');
    for (const tamper of ['secret', 'stale', 'swap', 'unsigned'] as const) {
      const d = fake.signed(n, tamper);
      const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks/mercadopago', query: d.query, headers: d.headers, payload: d.rawBody });
      expectProblem(res, 401, 'webhook_signature_invalid');
    }
    await drain(t);
    expect(await countRows(t, 'payment_webhook_inbox')).toBe(inbox);
    expect((await paymentRow(t, paymentId)).status).toBe('pending');
    expect(await balance(dan.userId)).toBe(0);
    // The id upper-cased in the URL is still Mercado Pago's signature (it signs the lowered id).
    const ok = (await fake.deliver(n, 'uppercase')) as { statusCode: number };
    expect(ok.statusCode).toBe(200);
    await drain(t);
    expect(await balance(dan.userId)).toBe(100);
  });

  it('a rejected card then an approved one: payment.failed, then credits once', async () => {
    const eva = await signUpAndIn(t.app);
    const events = recordEvents(t);
    const { redirectUrl, paymentId } = (await checkout(eva.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    await fake.pay(redirectUrl, { status: 'rejected' });
    await drain(t);
    expect((await paymentRow(t, paymentId)).status).toBe('rejected');
    await fake.pay(redirectUrl, { status: 'approved' });
    await drain(t);
    expect((await paymentRow(t, paymentId)).status).toBe('approved');
    expect(await balance(eva.userId)).toBe(100);
    expect(events.names().filter((n) => n.startsWith('payment.'))).toEqual(['payment.failed', 'payment.succeeded']);
    events.stop();
  });

  it('an admin refund claws the credits back, as a debt when they were spent; a chargeback too', async () => {
    const admin = await createAdmin(t);
    const fay = await signUpAndIn(t.app);
    const { redirectUrl, paymentId } = (await checkout(fay.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    await fake.pay(redirectUrl, { status: 'approved' });
    await drain(t);
    await t.ctx.services.wallet.spend({ userId: fay.userId }, { amount: 60, reason: 'a sword' });
    const events = recordEvents(t);
    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/payments/${paymentId}/refund`, headers: { cookie: admin.cookie, origin: TEST_ORIGIN, 'idempotency-key': `refund-${paymentId}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ payment: { id: paymentId, status: 'refunded' }, refund: { status: 'succeeded' } });
    await drain(t);
    const after = await t.ctx.services.wallet.balance({ userId: fay.userId });
    expect(after.balance).toBe(0);
    expect(after.debt).toBe(60);
    expect(events.payloads('payment.refunded')).toEqual([expect.objectContaining({ paymentId, reason: 'refund' })]);
    // Refunding again: nothing left to refund.
    const twice = await t.app.inject({ method: 'POST', url: `/v1/admin/payments/${paymentId}/refund`, headers: { cookie: admin.cookie, origin: TEST_ORIGIN } });
    expectProblem(twice, 409, 'payment_not_refundable');
    const detail = await t.app.inject({ method: 'GET', url: `/v1/admin/payments/${paymentId}`, headers: { cookie: admin.cookie } });
    expect((detail.json() as { history: Array<{ to: string; cause: string }> }).history.map((h) => `${h.to}:${h.cause}`)).toEqual(['pending:checkout', 'approved:webhook', 'refunded:admin_refund']);

    // A chargeback through the webhook.
    const gus = await signUpAndIn(t.app);
    const c2 = (await checkout(gus.cookie, 'pack-100')).json() as { paymentId: string; redirectUrl: string };
    const mp = await fake.pay(c2.redirectUrl, { status: 'approved' });
    await drain(t);
    expect(await balance(gus.userId)).toBe(100);
    await fake.setStatus(mp.id, 'charged_back');
    await drain(t);
    expect((await paymentRow(t, c2.paymentId)).status).toBe('charged_back');
    expect(await balance(gus.userId)).toBe(0);
    expect(events.payloads('payment.refunded').map((e) => e.reason)).toEqual(['refund', 'chargeback']);
    events.stop();
  });

  it('reconciliation credits a payment whose webhook never came, and logs it in the history', async () => {
    const hal = await signUpAndIn(t.app);
    const { redirectUrl, paymentId } = (await checkout(hal.cookie, 'pack-1000')).json() as { paymentId: string; redirectUrl: string };
    fake.autoDeliver = false;
    await fake.pay(redirectUrl, { status: 'approved' });
    // Too young: left to its webhook.
    await runCron(t, 'payments.reconcile');
    expect((await paymentRow(t, paymentId)).status).toBe('pending');
    clock = freezeClock(Date.now() + 11 * 60_000);
    await runCron(t, 'payments.reconcile');
    await drain(t);
    expect((await paymentRow(t, paymentId)).status).toBe('approved');
    expect(await balance(hal.userId)).toBe(1000);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId, cause: 'reconciliation' })).toBe(1);
    // The webhook that finally arrives changes nothing.
    await fake.deliver(fake.lastNotification()!);
    await drain(t);
    expect(await balance(hal.userId)).toBe(1000);
    // The inbox forgets processed events (the daily cron keeps 30 days); one redelivered then still changes nothing.
    clock.advance(1000);
    await t.ctx.services.payments.pruneInbox(0);
    expect(await countRows(t, 'payment_webhook_inbox')).toBe(0);
    await fake.deliver(fake.lastNotification()!);
    await drain(t);
    expect(await balance(hal.userId)).toBe(1000);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId })).toBe(2);
  });

  it('simulates a whole purchase (neptuno payments simulate), replays and a forged delivery included', async () => {
    const jon = await signUpAndIn(t.app);
    const lines: string[] = [];
    const r = await simulatePurchase({ app: { server: t.app, ctx: t.ctx }, fake, userId: jon.userId, package: 'pack-2000', replays: 2, forged: true, print: (l) => lines.push(l) });
    fake.onWebhook(injectMercadoPago(t.app));
    expect(r).toMatchObject({ status: 'approved', balance: 2000, webhookAnswers: [200, 200, 200, 401] });
    expect(await balance(jon.userId)).toBe(2000);
    expect(lines.at(-1)).toBe(`payment ${r.paymentId}: approved; wallet balance 2000 credits`);
  });

  it('refuses what it cannot sell, and unknown providers', async () => {
    const ivy = await signUpAndIn(t.app);
    expectProblem(await checkout(ivy.cookie, 'pack-nope'), 404, 'payment_package_not_found');
    const stripe = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { cookie: ivy.cookie, origin: TEST_ORIGIN }, payload: { provider: 'stripe', package: 'pack-100' } });
    expectProblem(stripe, 422, 'payment_provider_not_configured');
    const both = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { cookie: ivy.cookie, origin: TEST_ORIGIN }, payload: { provider: 'mercadopago', package: 'pack-100', plan: 'pro' } });
    expectProblem(both, 400, 'payment_purpose_required');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/webhooks/wompi', payload: '{}', headers: { 'content-type': 'application/json' } }), 404, 'webhook_provider_unknown');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/payments/00000000-0000-0000-0000-000000000000', headers: { cookie: ivy.cookie } }), 404, 'payment_not_found');
  });
});
