import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../../../testing/events.js';
import { targets } from '../../../../testing/targets.js';
import { waitFor } from '../../../../testing/wait.js';
import plansModule from '../../../plans/module.js';
import { countRows } from '../../test-helpers.js';
import { FakeStripe } from './fake-server.js';
import { paymentsTestApp, user, webhooksProcessed } from './test-app.js';

// A Stripe subscription end to end: plan checkout → fake Stripe Billing → signed webhooks →
// payment.subscription.changed → the plans module's state, through trial, renewal, a failed
// renewal and cancellation.

const PLANS = {
  free: { names: { es: 'Gratis', en: 'Free' }, price: { amount: 0, currency: 'USD' }, limits: { apiCallsPerMonth: 100_000 }, features: [] },
  pro: {
    names: { es: 'Profesional', en: 'Pro' },
    price: { amount: 2900, currency: 'USD' },
    trialDays: 14,
    limits: { apiCallsPerMonth: 1_000_000 },
    features: ['exports'],
    providers: { stripe: { priceId: 'price_pro_monthly' } },
  },
};

describe.each(targets)('Stripe subscription on %s', (target) => {
  let stripe: FakeStripe;
  let t: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    stripe.addPrice({ id: 'price_pro_monthly', unitAmount: 2900, currency: 'usd', interval: 'month' });
    t = await paymentsTestApp(target, { stripe }, { modules: [plansModule], config: { modules: { plans: { plans: PLANS, defaultPlan: 'free' } } } });
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
    await stripe?.close();
  });

  const mine = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/plans/subscription', headers: { ...user('ana', 'acme'), 'accept-language': 'en' } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  /** The webhooks processed, then the plans module's handler of what they emitted (the outbox delivers it after). */
  const planShows = async (status: string | null) => {
    await webhooksProcessed(t);
    await waitFor(async () => ((await mine()).subscription?.status ?? null) === status, `the plan's subscription ${status}`);
    return mine();
  };
  /** The caller's payments as GET /v1/payments lists them. */
  const listed = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/payments', headers: user('ana', 'acme') });
    expect(res.statusCode).toBe(200);
    return (res.json() as { data: Array<Record<string, unknown>> }).data;
  };
  const changes = (subId: string) =>
    events
      .payloads('payment.subscription.changed')
      .filter((e) => e.providerSubscriptionId === subId)
      .map((e) => [e.cause, e.status]);

  it('goes trialing → active → past_due → active → canceled, each webhook once, and the plan follows', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { ...user('ana', 'acme'), 'idempotency-key': 'sub-ana' }, payload: { provider: 'stripe', plan: 'pro' } });
    expect(res.statusCode).toBe(201);
    const { paymentId, redirectUrl } = res.json();
    const sessionId = new URL(redirectUrl).pathname.split('/').at(-1)!;
    expect(stripe.state.session(sessionId)).toMatchObject({ mode: 'subscription', _trialDays: 14, _subscriptionMetadata: { paymentId, planKey: 'pro', userId: 'ana', tenantId: 'acme' } });

    await stripe.completeCheckout(sessionId);
    const subId = stripe.state.session(sessionId).subscription as string;
    expect(await planShows('trialing')).toMatchObject({ plan: { key: 'pro' }, subscription: { status: 'trialing', provider: 'stripe', providerSubscriptionId: subId, planKey: 'pro' } });
    const first = events.payloads('payment.subscription.changed').find((e) => e.providerSubscriptionId === subId)!;
    expect(first).toMatchObject({ provider: 'stripe', planKey: 'pro', owner: { userId: 'ana', tenantId: 'acme' }, status: 'trialing' });
    expect(Date.parse(first.trialEnd!) - Date.now()).toBeGreaterThan(13 * 86_400_000);

    // The checkout's payment is approved once the subscription is live; a trial charged nothing.
    expect(await listed()).toEqual(expect.arrayContaining([expect.objectContaining({ id: paymentId, status: 'approved', provider: 'stripe', purpose: { kind: 'plan', key: 'pro' }, amount: 2900, providerPaymentId: subId })]));
    const succeeded = () => events.payloads('payment.succeeded').filter((e) => e.paymentId === paymentId);
    expect(succeeded()).toEqual([expect.objectContaining({ provider: 'stripe', purpose: { kind: 'plan', key: 'pro' }, amount: 0, currency: 'USD', providerPaymentId: subId })]);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId, to_status: 'approved', provider_status: 'subscription_trialing' })).toBe(1);
    const history = await countRows(t, 'payment_history', { payment_id: paymentId });
    // The checkout's completion, replayed and delivered in parallel, changes nothing.
    const completed = stripe.events.find((e) => e.type === 'checkout.session.completed' && (e.data.object as { id: string }).id === sessionId)!;
    await Promise.all([stripe.deliver(completed), stripe.deliver(completed), stripe.deliver(completed)]);
    await webhooksProcessed(t);
    expect(succeeded()).toHaveLength(1);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId })).toBe(history);

    await stripe.trialWillEnd(subId);
    await webhooksProcessed(t);
    expect(events.payloads('payment.subscription.trial_will_end').filter((e) => e.providerSubscriptionId === subId)).toHaveLength(1);

    await stripe.advanceSubscription(subId, 'active');
    expect((await planShows('active')).plan.key).toBe('pro');
    await stripe.advanceSubscription(subId, 'past_due');
    expect((await planShows('past_due')).plan.key).toBe('pro');
    await stripe.advanceSubscription(subId, 'active');
    expect((await planShows('active')).plan.key).toBe('pro');

    // Replays of the whole history change nothing: the inbox keeps one row per Stripe event.
    const before = changes(subId).length;
    await Promise.all(stripe.events.filter((e) => e.type.startsWith('customer.subscription') || e.type.startsWith('invoice.')).map((e) => stripe.deliver(e)));
    await webhooksProcessed(t);
    expect(changes(subId)).toHaveLength(before);
    expect(succeeded()).toHaveLength(1);
    expect(await countRows(t, 'payment_history', { payment_id: paymentId })).toBe(history);
    expect((await listed()).find((p) => p.id === paymentId)).toMatchObject({ status: 'approved' });

    await stripe.advanceSubscription(subId, 'canceled');
    expect(await planShows(null)).toMatchObject({ plan: { key: 'free' }, subscription: null });
    // Webhook jobs run concurrently, so the emission order within a step may vary: compare as a set.
    expect(changes(subId).map((c) => c.join(' ')).sort()).toEqual(
      [
        'created trialing',
        'invoice.paid trialing',
        'created trialing',
        'trial_will_end trialing',
        'invoice.paid active',
        'updated active',
        'invoice.payment_failed past_due',
        'updated past_due',
        'invoice.paid active',
        'updated active',
        'deleted canceled',
      ].sort(),
    );
  });

  it('a bad signature on a subscription event changes nothing', async () => {
    const event = stripe.lastEvent('customer.subscription.updated')!;
    const before = events.payloads('payment.subscription.changed').length;
    const res = (await stripe.deliver(event, { tamper: 'body' })) as { statusCode: number };
    expect(res.statusCode).toBe(401);
    await webhooksProcessed(t);
    expect(events.payloads('payment.subscription.changed')).toHaveLength(before);
  });
});
