import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../../../testing/events.js';
import { targets } from '../../../../testing/targets.js';
import { waitFor } from '../../../../testing/wait.js';
import plansModule from '../../../plans/module.js';
import { paymentsTestApp, user, webhooksProcessed } from '../stripe/test-app.js';
import { FakeWompi } from './fake-server.js';

// A plan bought through Wompi: no subscriptions there, so one prepaid period, granted by the
// plans module on payment.succeeded, once however often Wompi's event arrives.

const PLANS = {
  free: { names: { es: 'Gratis', en: 'Free' }, price: { amount: 0, currency: 'COP' }, limits: { apiCallsPerMonth: 100_000 }, features: [] },
  business: {
    names: { es: 'Empresa', en: 'Business' },
    price: { amount: 990_000, currency: 'COP' },
    interval: 'year',
    limits: { apiCallsPerMonth: 1_000_000 },
    features: ['sso'],
  },
};

describe.each(targets)('Wompi prepaid plan on %s', (target) => {
  let wompi: FakeWompi;
  let t: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    wompi = await FakeWompi.start();
    t = await paymentsTestApp(target, { wompi }, { modules: [plansModule], config: { modules: { plans: { plans: PLANS, defaultPlan: 'free' } } } });
    events = recordEvents(t);
  });
  afterAll(async () => {
    await t?.close();
    await wompi?.close();
  });

  const mine = async () => (await t.app.inject({ method: 'GET', url: '/v1/plans/subscription', headers: { ...user('ana', 'acme'), 'accept-language': 'en' } })).json();

  it('pays one year of the plan for the tenant, once under replayed events', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/payments/checkout', headers: { ...user('ana', 'acme'), 'idempotency-key': 'plan-ana' }, payload: { provider: 'wompi', plan: 'business' } });
    expect(res.statusCode).toBe(201);
    const { paymentId, redirectUrl } = res.json();
    expect(new URL(redirectUrl).searchParams.get('amount-in-cents')).toBe('990000');
    const tx = await wompi.pay(redirectUrl, { status: 'APPROVED' });
    await Promise.all(Array.from({ length: 10 }, () => wompi.deliver(wompi.lastEvent(tx.id as string)!)));
    await webhooksProcessed(t);
    await waitFor(async () => (await mine()).subscription?.status === 'active', 'the prepaid business plan');

    const me = await mine();
    expect(me).toMatchObject({ owner: { type: 'tenant', id: 'acme' }, plan: { key: 'business' }, subscription: { status: 'active', provider: 'wompi', planKey: 'business' } });
    const days = (Date.parse(me.subscription.currentPeriodEnd) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(367);
    expect(events.payloads('payment.succeeded').filter((e) => e.paymentId === paymentId)).toMatchObject([{ purpose: { kind: 'plan', key: 'business' }, amount: 990_000, currency: 'COP' }]);
  });
});
