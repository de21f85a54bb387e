import type { App, ModuleContext } from '../../core/module.js';
import { Type } from 'typebox';
import { forbidden } from '../../core/http/problem.js';
import { CatalogPlanSchema, MySubscriptionSchema, MyUsageSchema, Problem } from './api.js';
import { localizePlan } from './catalog.js';
import type { PlansConfig } from './config.js';
import { ownerKey, ownerOfActor } from './owner.js';
import type { PlansService } from './service.js';

/** Mounted under /v1/plans: the public catalog, and the caller's subscription and usage. */
export async function planRoutes(app: App, ctx: ModuleContext<PlansConfig>) {
  const plans = () => ctx.services.plans as PlansService;
  const locale = (header: string | undefined) => ctx.i18n.negotiate(header);

  app.get(
    '',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['plans'],
        summary: 'The plan catalog (active plans, names and prices in the caller’s language)',
        response: { 200: Type.Object({ data: Type.Array(CatalogPlanSchema) }) },
      },
    },
    async (request) => {
      const lang = locale(request.headers['accept-language']);
      return { data: (await plans().listPlans({ activeOnly: true })).map((p) => localizePlan(p, lang)) };
    },
  );

  const ownerOf = async (request: { actor(): Promise<Parameters<typeof ownerOfActor>[0]> }) => {
    const owner = ownerOfActor(await request.actor());
    if (!owner) throw forbidden('plan_owner_required');
    return owner;
  };

  app.get(
    '/subscription',
    {
      preHandler: ctx.access.requireUser,
      config: { scope: 'plans:read' },
      schema: {
        tags: ['plans'],
        summary: 'The caller’s plan (their tenant’s, when tenants are on) and the subscription behind it (null: the default plan)',
        response: { 200: MySubscriptionSchema, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      const owner = await ownerOf(request);
      const [plan, subscription] = await Promise.all([plans().currentPlan(owner), plans().subscription(owner)]);
      return { owner: ownerKey(owner), plan: plan ? localizePlan(plan, locale(request.headers['accept-language'])) : null, subscription };
    },
  );

  app.get(
    '/usage',
    {
      preHandler: ctx.access.requireUser,
      config: { scope: 'plans:read' },
      schema: {
        tags: ['plans'],
        summary: 'The caller’s usage this month (and running totals) against their plan’s limits',
        response: { 200: MyUsageSchema, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      const owner = await ownerOf(request);
      const [plan, usage] = await Promise.all([plans().currentPlan(owner), plans().usage(owner)]);
      return { owner: ownerKey(owner), planKey: plan?.key ?? null, usage };
    },
  );
}
