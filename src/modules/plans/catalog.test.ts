import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { admin, plansTestApp, user } from './testing.js';

describe.each(targets)('plans catalog on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await plansTestApp(target);
  });
  afterAll(async () => {
    await t?.close();
  });

  const catalog = async (lang: string) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/plans', headers: { 'accept-language': lang } });
    expect(res.statusCode).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read by the assertions
    return res.json().data as Array<Record<string, any>>;
  };

  it('answers the active plans to anyone, in order, with localized names and formatted prices', async () => {
    const en = await catalog('en');
    expect(en.map((p) => p.key)).toEqual(['free', 'pro', 'business']);
    expect(en[1]).toMatchObject({ key: 'pro', name: 'Pro', interval: 'month', trialDays: 14, limits: { apiCallsPerMonth: 1000, maxCustomers: 500 } });
    expect(en[1].price).toEqual({ amount: 2900, currency: 'USD', formatted: '$29.00' });
    const es = await catalog('es-CO,es;q=0.9');
    expect(es[1].name).toBe('Profesional');
    expect(es[2].price.formatted.replace(/\s/g, ' ')).toMatch(/^9\.?900,00 COP$/);
    expect(es[2]).toMatchObject({ name: 'Empresa', interval: 'year', features: ['basic', 'exports', 'sso'] });
  });

  it('getPlan answers the shape payments reads (BRIEF), undefined for an unknown key', async () => {
    const plan = await t.ctx.services.plans!.getPlan('pro');
    expect(plan).toMatchObject({
      key: 'pro',
      names: { es: 'Profesional', en: 'Pro' },
      price: { amount: 2900, currency: 'USD' },
      interval: 'month',
      trialDays: 14,
      limits: { apiCallsPerMonth: 1000, maxCustomers: 500 },
      features: ['basic', 'exports'],
      providers: { stripe: { priceId: 'price_pro_monthly' } },
    });
    expect(await t.ctx.services.plans!.getPlan('nope')).toBeUndefined();
  });

  it('admin edits override the yaml plan of the same key; deleting them brings the yaml plan back', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/admin/plans/pro',
      headers: admin,
      payload: { names: { es: 'Pro+', en: 'Pro+' }, price: { amount: 3900, currency: 'USD' }, limits: { apiCallsPerMonth: 2000 }, order: 1 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ key: 'pro', source: 'admin', interval: 'month', trialDays: 0, limits: { apiCallsPerMonth: 2000 }, active: true });
    expect((await catalog('en'))[1]).toMatchObject({ name: 'Pro+', price: { amount: 3900, formatted: '$39.00' } });
    expect((await t.ctx.services.plans!.getPlan('pro'))!.limits).toEqual({ apiCallsPerMonth: 2000 });

    // A new plan, inactive: listed for admins, hidden from the catalog, still readable by getPlan.
    const legacy = await t.app.inject({
      method: 'PUT',
      url: '/v1/admin/plans/legacy',
      headers: admin,
      payload: { names: { es: 'Antiguo', en: 'Legacy' }, price: { amount: 1000, currency: 'CLP' }, active: false },
    });
    expect(legacy.statusCode).toBe(200);
    expect((await catalog('en')).map((p) => p.key)).not.toContain('legacy');
    const list = await t.app.inject({ method: 'GET', url: '/v1/admin/plans', headers: admin });
    expect(list.json().data.map((p: { key: string }) => p.key)).toContain('legacy');
    expect(await t.ctx.services.plans!.getPlan('legacy')).toMatchObject({ active: false, price: { amount: 1000, currency: 'CLP' } });

    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/plans/pro', headers: admin })).statusCode).toBe(204);
    expect((await catalog('en'))[1]).toMatchObject({ name: 'Pro', price: { amount: 2900 } });
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/admin/plans/pro', headers: admin })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans/legacy', headers: admin })).json().source).toBe('admin');
  });

  it('refuses bad plan edits with 4xx problem+json and changes nothing', async () => {
    const cases: Array<[string, unknown, number]> = [
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'XYZ' } }, 422],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: -1, currency: 'USD' } }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1.5, currency: 'USD' } }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x' }, price: { amount: 1, currency: 'USD' } }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'USD' }, interval: 'week' }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'USD' }, limits: { 'bad name': 1 } }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'USD' }, limits: { apiCallsPerMonth: -5 } }, 400],
      ['/v1/admin/plans/pro', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'USD' }, extra: true }, 400],
      ['/v1/admin/plans/Bad%20Key', { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'USD' } }, 400],
    ];
    for (const [url, payload, status] of cases) {
      const res = await t.app.inject({ method: 'PUT', url, headers: { ...admin, 'accept-language': 'es' }, payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const invalid = await t.app.inject({ method: 'PUT', url: '/v1/admin/plans/pro', headers: { ...admin, 'accept-language': 'es' }, payload: { names: { es: 'x', en: 'x' }, price: { amount: 1, currency: 'XYZ' } } });
    expect(invalid.json()).toMatchObject({ code: 'plan_invalid_currency', detail: 'XYZ no es un código de moneda ISO 4217.' });
    expect((await t.ctx.services.plans!.getPlan('pro'))!.source).toBe('config');
    // Not an admin: no edits.
    expect((await t.app.inject({ method: 'PUT', url: '/v1/admin/plans/pro', headers: user('u1'), payload: {} })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/plans' })).statusCode).toBe(401);
  });
});
