import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { freezeClock } from '../../testing/clock.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { admin, PLANS, plansTestApp, user } from './testing.js';

// The free plan caps monthly `exports` at 100, to watch thresholds on a service metric.
const FREE = { ...PLANS.free, limits: { ...PLANS.free.limits, exportsPerMonth: 100 } };

describe.each(targets)('plans usage and limits on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await plansTestApp(target, { plans: { ...PLANS, free: FREE } });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    // Only the clock test freezes it; restoring real timers is harmless otherwise.
    freezeClock().restore();
  });

  const plans = () => t.ctx.services.plans!;
  const subscribe = (tenantId: string, planKey: string) =>
    plans().applySubscriptionChange({
      provider: 'stripe',
      providerSubscriptionId: `sub_${tenantId}`,
      planKey,
      owner: { tenantId },
      status: 'active',
      currentPeriodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      cause: 'created',
      eventKey: `evt_${tenantId}`,
    });
  const ping = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/v1/crm/ping', headers });
  const addCustomer = (headers: Record<string, string>, lang = 'en') =>
    t.app.inject({ method: 'POST', url: '/v1/crm/customers', headers: { ...headers, 'accept-language': lang }, payload: { name: 'c' } });
  const nextMonth = (d = new Date()) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();

  it('counts 200 concurrent increments exactly, and an enforced cap lets exactly the limit through', async () => {
    const owner = { tenantId: 'counter' };
    await Promise.all(Array.from({ length: 200 }, () => plans().increment(owner, 'reports', 1)));
    expect((await plans().usage(owner)).find((u) => u.metric === 'reports')).toMatchObject({ usage: 200, limit: null, period: new Date().toISOString().slice(0, 7) });

    // exportsPerMonth is 100 on the free plan: 200 concurrent enforced increments, 100 get through.
    const capped = { tenantId: 'capped' };
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => plans().increment(capped, 'exports', 1, { enforce: true })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(100);
    expect(refused[0].reason).toMatchObject({ status: 402, code: 'plan_limit_reached' });
    expect((await plans().checkLimit(capped, 'exportsPerMonth')).usage).toBe(100);
  });

  it('raises each threshold alert once per owner, metric and month, under concurrency', async () => {
    const events = recordEvents(t);
    const owner = { tenantId: 'alerts' };
    await Promise.all(Array.from({ length: 200 }, () => plans().increment(owner, 'exports', 1)));
    const alerts = events.payloads('plans.usage.threshold').filter((e) => e.ownerId === 'alerts');
    expect(alerts.map((a) => a.threshold).sort()).toEqual([100, 80]);
    expect(alerts.find((a) => a.threshold === 80)).toMatchObject({ ownerType: 'tenant', tenantId: 'alerts', metric: 'exports', limitName: 'exportsPerMonth', limit: 100, usage: 80, resetAt: nextMonth() });
    expect(alerts.find((a) => a.threshold === 100)!.usage).toBe(100);
    expect(events.payloads('plans.usage.exceeded').filter((e) => e.ownerId === 'alerts')).toHaveLength(1);
    // More usage in the same month raises nothing new.
    await Promise.all(Array.from({ length: 20 }, () => plans().increment(owner, 'exports', 1)));
    expect(events.payloads('plans.usage.threshold').filter((e) => e.ownerId === 'alerts')).toHaveLength(2);
    events.stop();
  });

  it('blocks the 501st customer on a 500-customer plan with 402 problem+json (limit, usage), even racing', async () => {
    await subscribe('shop', 'pro');
    const owner = { tenantId: 'shop' };
    await plans().increment(owner, 'customers', 499);
    const shop = user('sam', 'shop');
    expect((await addCustomer(shop)).statusCode).toBe(201);
    const over = await addCustomer(shop, 'es');
    expect(over.statusCode).toBe(402);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json()).toMatchObject({ code: 'plan_limit_reached', status: 402, limit: 500, usage: 500, limitName: 'maxCustomers', metric: 'customers', resetAt: null, title: 'Límite del plan alcanzado' });
    expect((await addCustomer(shop, 'en')).json().title).toBe('Plan limit reached');
    // A deleted customer frees a place; ten racing for it: one gets it (the enforced increment decides).
    await plans().increment(owner, 'customers', -1);
    const race = await Promise.all(Array.from({ length: 10 }, () => addCustomer(shop)));
    expect(race.map((r) => r.statusCode).sort()).toEqual([201, ...Array(9).fill(402)]);
    expect((await plans().checkLimit(owner, 'maxCustomers')).usage).toBe(500);
    // Running totals do not reset monthly.
    expect((await plans().usage(owner)).find((u) => u.metric === 'customers')).toMatchObject({ period: 'total', usage: 500, limit: 500 });
    // Bad input is refused before anything is counted.
    const bad = await t.app.inject({ method: 'POST', url: '/v1/crm/customers', headers: user('sam', 'shop2'), payload: { name: '' } });
    expect(bad.statusCode).toBe(400);
    expect((await plans().checkLimit({ tenantId: 'shop2' }, 'maxCustomers')).usage).toBe(0);
  });

  it('answers 429 with the reset time to the API call past the monthly quota; refused calls are not counted', async () => {
    const quin = user('quin');
    for (let i = 0; i < 5; i++) expect((await ping(quin)).statusCode).toBe(200);
    const res = await ping({ ...quin, 'accept-language': 'en' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const reset = nextMonth();
    expect(res.json()).toMatchObject({ code: 'plan_quota_exceeded', limit: 5, usage: 5, limitName: 'apiCallsPerMonth', metric: 'apiCalls', resetAt: reset });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil((Date.parse(reset) - Date.now()) / 1000) + 1);
    // The plan routes stay readable, and show it.
    const usage = await t.app.inject({ method: 'GET', url: '/v1/plans/usage', headers: quin });
    expect(usage.statusCode).toBe(200);
    expect(usage.json().usage.find((u: { metric: string }) => u.metric === 'apiCalls')).toMatchObject({ usage: 5, limit: 5, resetAt: reset });
    // Anonymous calls and the admin token are no plan owner's calls.
    expect((await t.app.inject({ method: 'GET', url: '/v1/plans' })).statusCode).toBe(200);

    // Twenty at once from a fresh user: exactly five served.
    const codes = await Promise.all(Array.from({ length: 20 }, () => ping(user('rush'))));
    expect(codes.filter((r) => r.statusCode === 200)).toHaveLength(5);
    expect(codes.filter((r) => r.statusCode === 429)).toHaveLength(15);
  });

  it('starts the monthly quota again on the first of the month (UTC)', async () => {
    const clock = freezeClock('2030-05-31T23:58:00Z');
    const may = user('may');
    for (let i = 0; i < 5; i++) expect((await ping(may)).statusCode).toBe(200);
    const res = await ping(may);
    expect(res.statusCode).toBe(429);
    expect(res.json().resetAt).toBe('2030-06-01T00:00:00.000Z');
    expect(res.headers['retry-after']).toBe('120');
    clock.advance(3 * 60_000);
    expect((await ping(may)).statusCode).toBe(200);
    const admins = await t.app.inject({ method: 'GET', url: '/v1/admin/plans/usage/user/may', headers: admin });
    expect(admins.json()).toMatchObject({ owner: { type: 'user', id: 'may' }, planKey: 'free' });
    expect(admins.json().usage.find((u: { metric: string }) => u.metric === 'apiCalls')).toMatchObject({ period: '2030-06', usage: 1 });
    clock.restore();
  });

  it('refuses bad admin usage queries with 400', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans/usage/team/x', headers: admin })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans/usage/user/x', headers: user('x') })).statusCode).toBe(403);
  });
});

describe.each(targets)('plans soft limits on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await plansTestApp(target, { enforcement: 'soft' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets calls and customers past the limit with a Plan-Limit-Warning header and one exceeded event', async () => {
    const events = recordEvents(t);
    const sol = user('sol');
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'GET', url: '/v1/crm/ping', headers: sol })).headers['plan-limit-warning']).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const over = await t.app.inject({ method: 'GET', url: '/v1/crm/ping', headers: sol });
      expect(over.statusCode).toBe(200);
      expect(over.headers['plan-limit-warning']).toMatch(new RegExp(`^apiCallsPerMonth; usage=${6 + i}; limit=5; reset=`));
    }
    const exceeded = events.payloads('plans.usage.exceeded').filter((e) => e.ownerId === 'sol');
    expect(exceeded).toHaveLength(1);
    expect(exceeded[0]).toMatchObject({ metric: 'apiCalls', limit: 5, usage: 6, mode: 'soft', userId: 'sol' });

    for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'POST', url: '/v1/crm/customers', headers: sol, payload: { name: 'c' } })).statusCode).toBe(201);
    const fourth = await t.app.inject({ method: 'POST', url: '/v1/crm/customers', headers: sol, payload: { name: 'c' } });
    expect(fourth.statusCode).toBe(201);
    expect(fourth.headers['plan-limit-warning']).toBe('maxCustomers; usage=4; limit=3');
    expect((await t.ctx.services.plans!.checkLimit({ userId: 'sol' }, 'maxCustomers')).usage).toBe(4);
    events.stop();
  });
});
