import { Type } from 'typebox';
import { defineModule } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import plansModule from './module.js';
import { ownerOfActor } from './owner.js';

/** Test helpers shared by the plans suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-plans-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * `Authorization: Test <userId>[@<tenantId>]` is a signed-in user (an Authorization header, so
 * the kernel's API-call hook meters it like a real bearer token).
 */
const testUsers = defineModule({
  name: 'test-users',
  start: (ctx) => {
    ctx.access.addResolver((req) => {
      const h = req.headers.authorization;
      if (!h?.startsWith('Test ')) return null;
      const [id, tenant] = h.slice(5).split('@');
      return { type: 'user', id, role: 'user', tenantId: tenant || null, via: 'test' };
    }, 5);
  },
});

export const user = (id: string, tenant?: string): Record<string, string> => ({ authorization: `Test ${id}${tenant ? `@${tenant}` : ''}` });

/**
 * A customer-management module as an app would write it: the guard answers early, the enforced
 * increment in the creating transaction is the exact cap (rolled back with the creation).
 */
const crm = defineModule({
  name: 'crm',
  routes: (app, ctx) => {
    app.post(
      '/customers',
      {
        config: { scope: 'crm:write' },
        preHandler: [ctx.access.requireUser, ctx.services.plans!.requireWithinLimit('maxCustomers')],
        schema: { body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }) }, { additionalProperties: false }) },
      },
      async (request, reply) => {
        const owner = ownerOfActor(await request.actor())!;
        await ctx.tx(async () => {
          await ctx.services.plans!.increment(owner, 'customers', 1, { enforce: true });
        });
        return reply.code(201).send({ name: request.body.name });
      },
    );
    app.get('/ping', { config: { scope: 'crm:read' }, preHandler: ctx.access.requireUser }, async () => ({ ok: true }));
  },
});

/** Three plans, small limits so tests reach them. */
export const PLANS = {
  free: {
    names: { es: 'Gratis', en: 'Free' },
    price: { amount: 0, currency: 'USD' },
    limits: { apiCallsPerMonth: 5, maxCustomers: 3 },
    features: ['basic'],
    order: 0,
  },
  pro: {
    names: { es: 'Profesional', en: 'Pro' },
    price: { amount: 2900, currency: 'USD' },
    trialDays: 14,
    limits: { apiCallsPerMonth: 1000, maxCustomers: 500 },
    features: ['basic', 'exports'],
    providers: { stripe: { priceId: 'price_pro_monthly' } },
    order: 1,
  },
  business: {
    names: { es: 'Empresa', en: 'Business' },
    price: { amount: 990000, currency: 'COP' },
    interval: 'year',
    limits: { apiCallsPerMonth: 100000, maxCustomers: 10000 },
    features: ['basic', 'exports', 'sso'],
    providers: { stripe: { priceId: 'price_business_yearly' } },
    order: 2,
  },
};

export async function plansTestApp(target: TestTarget, plans: Record<string, unknown> = {}, opts: { workers?: boolean; modules?: Parameters<typeof createTestApp>[0]['modules'] } = {}): Promise<TestApp> {
  return createTestApp({
    target,
    modules: [plansModule, testUsers, crm, ...(opts.modules ?? [])],
    workers: opts.workers,
    config: { admin: { token: ADMIN_TOKEN }, modules: { plans: { plans: PLANS, defaultPlan: 'free', ...plans } } },
  });
}
