import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../../testing/app.js';
import { runCron } from '../../../../testing/cron.js';
import { recordEvents, type EventRecorder } from '../../../../testing/events.js';
import { targets } from '../../../../testing/targets.js';
import { waitFor } from '../../../../testing/wait.js';
import { FakeStripe } from './fake-server.js';
import { admin, balanceOf, paymentOf, paymentsTestApp, user, webhooksProcessed } from './test-app.js';

// A credit pack bought through Stripe, end to end: checkout route → fake Stripe Checkout →
// signed webhooks → inbox → job → wallet. Credits land exactly once whatever the deliveries do.

describe.each(targets)('Stripe credit-pack purchase on %s', (target) => {
  let stripe: FakeStripe;
  let t: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    t = await paymentsTestApp(target, { stripe });
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
  });

  async function buy(userId: string, key = 'pack-100'): Promise<{ paymentId: string; sessionId: string }> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { ...user(userId, 'acme'), 'idempotency-key': `buy-${userId}-${key}` }, payload: { provider: 'stripe', package: key } });
    expect(res.statusCode).toBe(201);
    const { paymentId, redirectUrl } = res.json();
    const sessionId = new URL(redirectUrl).pathname.split('/').at(-1)!;
    expect(stripe.state.session(sessionId)).toMatchObject({ client_reference_id: paymentId, amount_total: 4990, currency: 'usd', metadata: { paymentId, userId, tenantId: 'acme' } });
    return { paymentId, sessionId };
  }

  it('credits once under replays, parallel deliveries, another event id for the same payment, disorder and bad signatures', async () => {
    const { paymentId, sessionId } = await buy('ana');
    stripe.autoDeliver = false;
    const [charge, succeeded, completed] = await stripe.completeCheckout(sessionId);
    stripe.autoDeliver = true;

    // Bad signatures first: 401, nothing stored, nothing credited.
    for (const tamper of ['secret', 'body', 'stale', 'missing'] as const) {
      const res = (await stripe.deliver(completed, { tamper })) as { statusCode: number; json(): { code: string } };
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('webhook_signature_invalid');
    }
    expect((await paymentOf(t, 'ana', paymentId)).status).toBe('pending');

    // Then, out of order (completed before the intent), 20 parallel copies of each, plus the charge.
    const answers = (await Promise.all([
      ...Array.from({ length: 20 }, () => stripe.deliver(completed)),
      ...Array.from({ length: 20 }, () => stripe.deliver(succeeded)),
      stripe.deliver(charge),
    ])) as Array<{ statusCode: number; json(): { duplicate: boolean } }>;
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers.filter((a) => !a.json().duplicate)).toHaveLength(3); // one stored per Stripe event id
    await webhooksProcessed(t);

    expect(await balanceOf(t, 'ana')).toMatchObject({ balance: 100 });
    const payment = await paymentOf(t, 'ana', paymentId);
    expect(payment).toMatchObject({ status: 'approved', provider: 'stripe' });
    expect(events.payloads('payment.succeeded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);

    // A late replay of each changes nothing.
    await stripe.deliver(completed);
    await stripe.deliver(succeeded);
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'ana')).toMatchObject({ balance: 100 });
  });

  it('an admin refund claws the credits back once; a refund webhook replayed does nothing more', async () => {
    const { paymentId, sessionId } = await buy('bea');
    await stripe.completeCheckout(sessionId);
    await webhooksProcessed(t);
    await waitFor(async () => (await balanceOf(t, 'bea')).balance === 100, 'credits of bea');

    const res = await t.app.inject({ method: 'POST', url: `/v1/admin/payments/${paymentId}/refund`, headers: { ...admin, 'idempotency-key': `refund-${paymentId}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ payment: { status: 'refunded' }, refund: { status: 'succeeded' } });
    await webhooksProcessed(t);
    const pi = stripe.state.session(sessionId).payment_intent as string;
    const refunded = stripe.lastEvent('charge.refunded', stripe.state.chargeOf(pi).id as string)!;
    await Promise.all(Array.from({ length: 5 }, () => stripe.deliver(refunded)));
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'bea')).toMatchObject({ balance: 0 });
    expect(events.payloads('payment.refunded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);
    expect((await paymentOf(t, 'bea', paymentId)).status).toBe('refunded');
  });

  it('a dispute after the credits were spent leaves a debt', async () => {
    const { paymentId, sessionId } = await buy('cai');
    await stripe.completeCheckout(sessionId);
    await webhooksProcessed(t);
    await waitFor(async () => (await balanceOf(t, 'cai')).balance === 100, 'credits of cai');
    await t.ctx.services.wallet!.spend({ userId: 'cai' }, { amount: 60, reason: 'test spend' });

    await stripe.dispute(stripe.state.session(sessionId).payment_intent as string);
    await webhooksProcessed(t);
    expect((await paymentOf(t, 'cai', paymentId)).status).toBe('charged_back');
    expect(await balanceOf(t, 'cai')).toMatchObject({ balance: 0, debt: 60 });
    expect(events.payloads('payment.refunded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);
  });

  it('reconciliation credits a payment whose webhooks never came, once', async () => {
    const { paymentId, sessionId } = await buy('eva');
    stripe.autoDeliver = false;
    await stripe.completeCheckout(sessionId);
    stripe.autoDeliver = true;
    expect((await paymentOf(t, 'eva', paymentId)).status).toBe('pending');
    await runCron(t, 'payments.reconcile');
    await runCron(t, 'payments.reconcile');
    expect((await paymentOf(t, 'eva', paymentId)).status).toBe('approved');
    expect(await balanceOf(t, 'eva')).toMatchObject({ balance: 100 });
    // The webhooks arriving after all change nothing.
    await Promise.all(stripe.events.filter((e) => e.data.object.id === sessionId || e.data.object.id === stripe.state.session(sessionId).payment_intent).map((e) => stripe.deliver(e)));
    await webhooksProcessed(t);
    expect(await balanceOf(t, 'eva')).toMatchObject({ balance: 100 });
    expect(events.payloads('payment.succeeded').filter((e) => e.paymentId === paymentId)).toHaveLength(1);
  });

  it('two replicas receiving the same events at once credit once', async () => {
    const replica = await paymentsTestApp(target, { stripe }, { replicaOf: t });
    try {
      const { paymentId, sessionId } = await buy('fay');
      stripe.autoDeliver = false;
      const [, succeeded, completed] = await stripe.completeCheckout(sessionId);
      stripe.autoDeliver = true;
      const post = (app: TestApp, e: typeof completed) => {
        const d = stripe.signed(e);
        return app.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', headers: d.headers, payload: d.rawBody });
      };
      const answers = await Promise.all([t, replica, t, replica].flatMap((app) => Array.from({ length: 5 }, () => [post(app, completed), post(app, succeeded)])).flat());
      expect(answers.every((a) => a.statusCode === 200)).toBe(true);
      await webhooksProcessed(t);
      expect(await balanceOf(t, 'fay')).toMatchObject({ balance: 100 });
      expect(await balanceOf(replica, 'fay')).toMatchObject({ balance: 100 });
      expect((await paymentOf(replica, 'fay', paymentId)).status).toBe('approved');
    } finally {
      await replica.close();
    }
  });

  it('a declined card fails the payment without credits', async () => {
    const { paymentId, sessionId } = await buy('dan');
    await stripe.completeCheckout(sessionId, 'failed');
    await webhooksProcessed(t);
    expect((await paymentOf(t, 'dan', paymentId)).status).toBe('rejected');
    expect(await balanceOf(t, 'dan')).toMatchObject({ balance: 0 });
  });
});
