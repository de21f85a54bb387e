import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { settle } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { StripeProvider } from '../payments/providers/stripe/adapter.js';
import { FakeStripe, type SignedDelivery } from '../payments/providers/stripe/fake-server.js';
import { WebhookSignatureError } from '../payments/providers/contract.js';
import { PLANS, plansTestApp, user } from './testing.js';

/**
 * A Stripe subscription end to end through the local fake Stripe (real SDK, real HTTP, webhooks
 * signed as Stripe signs them) and the payments module's Stripe adapter. The payments module's
 * webhook route is not on main yet, so `toPayments` below does its part as the BRIEF fixes it:
 * verify the signature, then emit `payment.subscription.changed` / `…trial_will_end` in a
 * transaction. Everything after that is the plans module as it runs.
 */
describe.each(targets)('plans: a Stripe subscription through the fake Stripe on %s', (target) => {
  let t: TestApp;
  let fake: FakeStripe;
  let stripe: StripeProvider;
  let refused = 0;

  const toPayments = async (d: SignedDelivery) => {
    let event;
    try {
      event = await stripe.verifyWebhook({ rawBody: d.rawBody, headers: d.headers, query: {} });
    } catch (err) {
      if (err instanceof WebhookSignatureError) return void refused++;
      throw err;
    }
    const sub = event.subscription;
    if (event.kind !== 'subscription' || !sub || !event.subscriptionEvent) return;
    const payload = {
      provider: 'stripe' as const,
      providerSubscriptionId: sub.providerSubscriptionId,
      planKey: sub.planKey ?? null,
      owner: { userId: sub.owner?.userId, tenantId: sub.owner?.tenantId ?? null },
      status: sub.status,
      currentPeriodEnd: sub.currentPeriodEnd,
      trialEnd: sub.trialEnd,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      cause: event.subscriptionEvent,
    };
    await t.ctx.tx(async (trx) => {
      trx.emit(event.subscriptionEvent === 'trial_will_end' ? 'payment.subscription.trial_will_end' : 'payment.subscription.changed', payload);
    });
    await settle(t);
  };

  beforeAll(async () => {
    t = await plansTestApp(target, { plans: { ...PLANS, free: { ...PLANS.free, limits: { apiCallsPerMonth: 10_000 } } } });
    fake = await FakeStripe.start();
    stripe = new StripeProvider({ config: fake.config, timeoutMs: 5000 });
    fake.onWebhook(toPayments);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
  });

  const mine = async () => (await t.app.inject({ method: 'GET', url: '/v1/plans/subscription', headers: user('olga', 'org-stripe') })).json();

  it('goes trialing → active → past_due → active → canceled, ignores replays in reverse order and bad signatures', async () => {
    // Payments builds the checkout from getPlan (BRIEF): price, trial and the Stripe price id.
    const plan = (await t.ctx.services.plans!.getPlan('pro'))!;
    const priceId = plan.providers!.stripe!.priceId!;
    fake.addPrice({ id: priceId, unitAmount: plan.price.amount, currency: plan.price.currency.toLowerCase(), interval: plan.interval });
    const { providerCheckoutId } = await stripe.createCheckout({
      paymentId: 'pay_plan_1',
      purpose: { kind: 'plan', key: plan.key },
      title: plan.names.en,
      amount: plan.price.amount,
      currency: plan.price.currency,
      payer: { email: 'olga@example.com', userId: 'olga', tenantId: 'org-stripe' },
      successUrl: 'http://localhost:8000/ok',
      cancelUrl: 'http://localhost:8000/cancel',
      recurring: { interval: plan.interval, trialDays: plan.trialDays, providerPriceId: priceId },
    });
    expect((await mine()).plan.key).toBe('free');

    await fake.completeCheckout(providerCheckoutId);
    const subId = fake.state.session(providerCheckoutId).subscription as string;
    expect(await mine()).toMatchObject({ owner: { type: 'tenant', id: 'org-stripe' }, plan: { key: 'pro' }, subscription: { provider: 'stripe', providerSubscriptionId: subId, status: 'trialing' } });
    expect(Date.parse((await mine()).subscription.trialEnd) - Date.now()).toBeGreaterThan(13 * 86_400_000);

    await fake.trialWillEnd(subId);
    expect((await mine()).subscription.status).toBe('trialing');
    await fake.advanceSubscription(subId, 'active');
    expect((await mine()).subscription.status).toBe('active');
    await fake.advanceSubscription(subId, 'past_due');
    expect(await mine()).toMatchObject({ plan: { key: 'pro' }, subscription: { status: 'past_due' } });
    await fake.advanceSubscription(subId, 'active');
    expect((await mine()).subscription.status).toBe('active');

    await fake.advanceSubscription(subId, 'canceled');
    expect(await mine()).toMatchObject({ plan: { key: 'free' }, subscription: null });
    const before = (await t.ctx.services.plans!.subscriptions.list({ ownerId: 'org-stripe' })).data[0];
    expect(before.status).toBe('canceled');
    const seen = (await t.ctx.services.plans!.subscriptions.history(before.id)).length;

    // Stripe retries: every event again, newest first (out of order), plus a forged one.
    const events = [...fake.events].reverse();
    for (const e of events) await fake.deliver(e);
    await fake.deliver(events[events.length - 1], { tamper: 'secret' });
    expect(refused).toBe(1);
    const after = (await t.ctx.services.plans!.subscriptions.list({ ownerId: 'org-stripe' })).data;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: 'canceled', planKey: 'pro' });
    expect((await mine()).plan.key).toBe('free');
    const history = await t.ctx.services.plans!.subscriptions.history(after[0].id);
    const live = history.slice(0, seen).filter((h) => h.outcome === 'applied').map((h) => h.status);
    expect(live[0]).toBe('trialing');
    expect(live).toContain('past_due');
    expect(live.at(-1)).toBe('canceled');
    // The replays: recorded, none of them revived the subscription (only 'canceled' again may apply).
    const replays = history.slice(seen);
    expect(replays.length).toBeGreaterThan(5);
    expect(replays.every((h) => h.outcome === 'terminal' || h.status === 'canceled')).toBe(true);
  });
});
