import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typedDb } from '../../core/db/dialect.js';
import type { KernelContext } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { signUpAndIn, TEST_ORIGIN } from '../../testing/auth.js';
import { settle } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { auth, payments } from '../index.js';
import { FakeStripe } from '../payments/providers/stripe/fake-server.js';
import plansModule from './module.js';
import { PLANS } from './testing.js';

/** Every webhook the payments inbox stored has been processed, and the events it committed delivered. */
async function drain(t: { ctx: KernelContext }): Promise<void> {
  const db = typedDb<{ payment_webhook_inbox: { processed_at: string | null } }>(t.ctx);
  await waitFor(async () => {
    const r = await db.selectFrom('payment_webhook_inbox').select((eb) => eb.fn.countAll<number>().as('n')).where('processed_at', 'is', null).executeTakeFirstOrThrow();
    return Number(r.n) === 0;
  }, 'the stored webhooks to be processed');
  await settle(t);
}

/**
 * A Stripe subscription end to end: the payments module's checkout (priced from getPlan), the
 * local fake Stripe (real SDK, real HTTP, webhooks signed as Stripe signs them) posting to
 * POST /v1/webhooks/stripe, payments' inbox and events, and this module's state machine.
 */
describe.each(targets)('plans: a Stripe subscription through payments and the fake Stripe on %s', (target) => {
  let t: TestApp;
  let fake: FakeStripe;
  const statuses: number[] = [];

  beforeAll(async () => {
    fake = await FakeStripe.start();
    t = await createTestApp({
      target,
      modules: [auth, payments, plansModule],
      workers: true,
      config: {
        modules: {
          payments: { providers: { stripe: fake.config } },
          plans: { plans: { ...PLANS, free: { ...PLANS.free, limits: { apiCallsPerMonth: 10_000 } } }, defaultPlan: 'free' },
        },
      },
    });
    fake.onWebhook(async (d) => {
      const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', headers: d.headers, payload: d.rawBody });
      statuses.push(res.statusCode);
      return { statusCode: res.statusCode, body: res.body };
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('goes trialing → active → past_due → active → canceled; replays newest first and a forged delivery change nothing', async () => {
    const olga = await signUpAndIn(t.app);
    const mine = async () => (await t.app.inject({ method: 'GET', url: '/v1/plans/subscription', headers: { cookie: olga.cookie } })).json();
    const plan = (await t.ctx.services.plans!.getPlan('pro'))!;
    fake.addPrice({ id: plan.providers!.stripe!.priceId!, unitAmount: plan.price.amount, currency: plan.price.currency.toLowerCase(), interval: plan.interval });

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/payments/checkout',
      headers: { cookie: olga.cookie, origin: TEST_ORIGIN, 'idempotency-key': 'upgrade-1' },
      payload: { provider: 'stripe', plan: 'pro' },
    });
    expect(res.statusCode).toBe(201);
    const sessionId = /\/c\/pay\/([^/?]+)/.exec(res.json().redirectUrl)![1];
    expect(fake.state.session(sessionId)).toMatchObject({ mode: 'subscription', _trialDays: 14 });
    expect((await mine()).plan.key).toBe('free');

    await fake.completeCheckout(sessionId);
    await drain(t);
    const subId = fake.state.session(sessionId).subscription as string;
    expect(await mine()).toMatchObject({ owner: { type: 'user', id: olga.userId }, plan: { key: 'pro' }, subscription: { provider: 'stripe', providerSubscriptionId: subId, status: 'trialing' } });

    const step = async (to: 'active' | 'past_due' | 'canceled') => {
      await fake.advanceSubscription(subId, to);
      await drain(t);
      return mine();
    };
    await fake.trialWillEnd(subId);
    await drain(t);
    expect((await mine()).subscription.status).toBe('trialing');
    expect((await step('active')).subscription.status).toBe('active');
    expect(await step('past_due')).toMatchObject({ plan: { key: 'pro' }, subscription: { status: 'past_due' } });
    expect((await step('active')).subscription.status).toBe('active');
    expect(await step('canceled')).toMatchObject({ plan: { key: 'free' }, subscription: null });

    const [sub] = (await t.ctx.services.plans!.subscriptions.list({ ownerId: olga.userId })).data;
    const seen = (await t.ctx.services.plans!.subscriptions.history(sub.id)).length;
    const live = (await t.ctx.services.plans!.subscriptions.history(sub.id)).filter((h) => h.outcome === 'applied').map((h) => h.status);
    expect(live[0]).toBe('trialing');
    expect(live).toEqual(expect.arrayContaining(['active', 'past_due']));
    expect(live.at(-1)).toBe('canceled');

    // Stripe's retries, newest first; payments' inbox drops the duplicates, nothing revives the subscription.
    for (const e of [...fake.events].reverse()) await fake.deliver(e);
    const forged = await fake.deliver(fake.events[0], { tamper: 'secret' });
    expect((forged as { statusCode: number }).statusCode).toBe(401);
    await drain(t);
    const after = (await t.ctx.services.plans!.subscriptions.list({ ownerId: olga.userId })).data;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ status: 'canceled', planKey: 'pro' });
    expect((await t.ctx.services.plans!.subscriptions.history(sub.id)).length).toBe(seen);
    expect((await mine()).plan.key).toBe('free');
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });
});
