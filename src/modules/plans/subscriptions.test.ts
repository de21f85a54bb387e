import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, settle } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { admin, PLANS, plansTestApp, user } from './testing.js';
import type { DomainEvents } from '../../core/events.js';

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.now() + days * DAY).toISOString();

type Change = DomainEvents['payment.subscription.changed'];

describe.each(targets)('plans subscriptions on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // A roomy free plan: these calls are not about the API quota.
    t = await plansTestApp(target, { plans: { ...PLANS, free: { ...PLANS.free, limits: { apiCallsPerMonth: 10_000 } } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const plans = () => t.ctx.services.plans!;
  /** What payments emits for a webhook: through the outbox, delivered to the plans handler. */
  const deliver = async (change: Partial<Change> & Pick<Change, 'providerSubscriptionId' | 'status' | 'cause'>) => {
    await t.ctx.events.emit('payment.subscription.changed', { provider: 'stripe', planKey: 'pro', owner: { tenantId: 'acme' }, ...change });
    await settle(t);
  };
  const mine = async (headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/plans/subscription', headers: { ...headers, 'accept-language': 'en' } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  it('runs trialing → active → past_due → canceled from payments events, and the plan follows', async () => {
    const events = recordEvents(t);
    const acme = user('ana', 'acme');
    const [p0, p1, p2] = [at(14), at(44), at(74)];
    expect(await mine(acme)).toMatchObject({ owner: { type: 'tenant', id: 'acme' }, plan: { key: 'free', name: 'Free' }, subscription: null });

    await deliver({ providerSubscriptionId: 'sub_1', status: 'trialing', cause: 'created', currentPeriodEnd: p0, trialEnd: p0 });
    expect(await mine(acme)).toMatchObject({ plan: { key: 'pro' }, subscription: { status: 'trialing', provider: 'stripe', providerSubscriptionId: 'sub_1', planKey: 'pro' } });
    // Another member of the same tenant shares it; the same user without the tenant does not.
    expect((await mine(user('bea', 'acme'))).plan.key).toBe('pro');
    expect((await mine(user('ana'))).plan.key).toBe('free');

    await t.ctx.events.emit('payment.subscription.trial_will_end', { provider: 'stripe', providerSubscriptionId: 'sub_1', planKey: 'pro', owner: { tenantId: 'acme' }, status: 'trialing', cause: 'trial_will_end', currentPeriodEnd: p0, trialEnd: p0 });
    await settle(t);
    await deliver({ providerSubscriptionId: 'sub_1', status: 'active', cause: 'invoice.paid', currentPeriodEnd: p1 });
    expect((await mine(acme)).subscription.status).toBe('active');
    await deliver({ providerSubscriptionId: 'sub_1', status: 'past_due', cause: 'invoice.payment_failed', currentPeriodEnd: p2 });
    // past_due keeps the plan while the provider retries (pastDueKeepsPlan).
    expect(await mine(acme)).toMatchObject({ plan: { key: 'pro' }, subscription: { status: 'past_due' } });
    await deliver({ providerSubscriptionId: 'sub_1', status: 'canceled', cause: 'deleted', currentPeriodEnd: p2 });
    expect(await mine(acme)).toMatchObject({ plan: { key: 'free' }, subscription: null });

    const changed = events.payloads('plans.subscription.changed');
    expect(changed.map((e) => [e.previousStatus, e.status])).toEqual([
      [null, 'trialing'],
      ['trialing', 'active'],
      ['active', 'past_due'],
      ['past_due', 'canceled'],
    ]);
    expect(changed[0]).toMatchObject({ ownerType: 'tenant', ownerId: 'acme', tenantId: 'acme', userId: null, planKey: 'pro', provider: 'stripe' });
    events.stop();
  });

  it('ignores out-of-order events: an older period, a trial after payment, anything after canceled', async () => {
    const owner = { tenantId: 'oo' };
    // Period ends as the provider states them: the same instant for every event of one period.
    const [p1, p2, p3] = [at(30), at(60), at(90)];
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'active', cause: 'invoice.paid', currentPeriodEnd: p2 });
    // Late: the trial and the first period's failure, both from before.
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'trialing', cause: 'created', currentPeriodEnd: p1, trialEnd: p1 });
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'past_due', cause: 'invoice.payment_failed', currentPeriodEnd: p1 });
    // Same period: a trial never follows a payment.
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'trialing', cause: 'updated', currentPeriodEnd: p2 });
    expect((await plans().subscription(owner))!.status).toBe('active');
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'canceled', cause: 'deleted', currentPeriodEnd: p2 });
    await deliver({ owner, providerSubscriptionId: 'sub_oo', status: 'active', cause: 'invoice.paid', currentPeriodEnd: p3 });
    expect(await plans().subscription(owner)).toBeNull();
    expect((await plans().currentPlan(owner))!.key).toBe('free');

    const list = await t.app.inject({ method: 'GET', url: '/v1/admin/plans/subscriptions?ownerId=oo', headers: admin });
    expect(list.statusCode).toBe(200);
    const [sub] = list.json().data;
    expect(sub).toMatchObject({ status: 'canceled', owner: { type: 'tenant', id: 'oo' } });
    const detail = await t.app.inject({ method: 'GET', url: `/v1/admin/plans/subscriptions/${sub.id}`, headers: admin });
    expect(detail.json().history.map((h: { status: string; outcome: string }) => `${h.status}:${h.outcome}`)).toEqual([
      'active:applied',
      'trialing:stale',
      'past_due:stale',
      'trialing:stale',
      'canceled:applied',
      'active:terminal',
    ]);
  });

  it('applies a replayed event once, even 20 deliveries at the same time', async () => {
    const change = {
      provider: 'stripe',
      providerSubscriptionId: 'sub_rep',
      planKey: 'business',
      owner: { tenantId: 'rep' },
      status: 'active' as const,
      currentPeriodEnd: at(365),
      cause: 'created',
      eventKey: 'evt_same',
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => plans().applySubscriptionChange(change)));
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'replay')).toHaveLength(19);
    const sub = (await plans().subscription({ tenantId: 'rep' }))!;
    expect(sub.planKey).toBe('business');
    expect(await plans().subscriptions.history(sub.id)).toHaveLength(1);
    // A later event under a new key that says the same thing changes nothing visible.
    expect((await plans().applySubscriptionChange({ ...change, eventKey: 'evt_other' })).outcome).toBe('applied');
    expect((await plans().subscription({ tenantId: 'rep' }))!.status).toBe('active');
  });

  it('a prepaid plan payment (Mercado Pago) buys one interval per payment, once per payment, per user without tenant', async () => {
    const events = recordEvents(t);
    const pay = async (paymentId: string) => {
      await t.ctx.events.emit('payment.succeeded', {
        paymentId,
        provider: 'mercadopago',
        userId: 'carla',
        tenantId: null,
        purpose: { kind: 'plan', key: 'pro' },
        amount: 2900,
        currency: 'USD',
        providerPaymentId: `mp-${paymentId}`,
      });
      await settle(t);
    };
    await pay('pay_1');
    const first = (await plans().subscription({ userId: 'carla' }))!;
    expect(first).toMatchObject({ provider: 'mercadopago', status: 'active', planKey: 'pro', owner: { type: 'user', id: 'carla' } });
    const end1 = Date.parse(first.currentPeriodEnd!);
    expect(end1 - Date.now()).toBeGreaterThan(27 * DAY);
    // The same payment again (a redelivery under another event id) buys nothing.
    await pay('pay_1');
    expect((await plans().subscription({ userId: 'carla' }))!.currentPeriodEnd).toBe(first.currentPeriodEnd);
    // A second payment extends from the end of the live period.
    await pay('pay_2');
    const end2 = Date.parse((await plans().subscription({ userId: 'carla' }))!.currentPeriodEnd!);
    expect(end2 - end1).toBeGreaterThan(27 * DAY);
    expect((await mine(user('carla'))).plan.key).toBe('pro');
    // Credit packages and Stripe payments are not periods.
    await t.ctx.events.emit('payment.succeeded', { paymentId: 'pay_pkg', provider: 'mercadopago', userId: 'dan', tenantId: null, purpose: { kind: 'package', key: 'p' }, amount: 1, currency: 'USD', providerPaymentId: 'x' });
    await t.ctx.events.emit('payment.succeeded', { paymentId: 'pay_st', provider: 'stripe', userId: 'dan', tenantId: null, purpose: { kind: 'plan', key: 'pro' }, amount: 1, currency: 'USD', providerPaymentId: 'y' });
    await settle(t);
    expect(await plans().subscription({ userId: 'dan' })).toBeNull();
    expect(events.payloads('plans.subscription.changed').filter((e) => e.ownerId === 'carla')).toHaveLength(1);
    events.stop();
  });

  it('answers 401 to anonymous callers and 403 to callers without a plan owner', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/plans/subscription' })).statusCode).toBe(401);
    const svc = await t.app.inject({ method: 'GET', url: '/v1/plans/usage', headers: admin });
    expect(svc.statusCode).toBe(403);
    expect(svc.json().code).toBe('plan_owner_required');
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans/subscriptions?status=bogus', headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans/subscriptions/nope', headers: admin })).statusCode).toBe(404);
  });
});
