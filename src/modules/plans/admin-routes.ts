import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { notFound } from '../../core/http/problem.js';
import { PlanDefinitionSchema, type PlansConfig } from './config.js';
import { PlanKeyParams, PlanSchema, Problem, SubscriptionSchema, MyUsageSchema } from './api.js';
import type { PlansService } from './service.js';

const Status = Type.Union([Type.Literal('trialing'), Type.Literal('active'), Type.Literal('past_due'), Type.Literal('canceled')]);
const OwnerParams = Type.Object(
  { type: Type.Union([Type.Literal('tenant'), Type.Literal('user')]), id: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);

/** Mounted under /v1/admin/plans (admin role): the catalog's edits, subscriptions and usage. */
export async function planAdminRoutes(app: App, ctx: ModuleContext<PlansConfig>) {
  const plans = () => ctx.services.plans as PlansService;
  const tags = ['plans', 'admin'];

  app.get(
    '',
    { schema: { tags, summary: 'Every plan, inactive ones included, with its source (config or admin)', response: { 200: Type.Object({ data: Type.Array(PlanSchema) }) } } },
    async () => ({ data: await plans().listPlans() }),
  );

  app.get(
    '/:key',
    { schema: { tags, summary: 'One plan', params: PlanKeyParams, response: { 200: PlanSchema, 404: Problem } } },
    async (request) => {
      const plan = await plans().getPlan(request.params.key);
      if (!plan) throw notFound('plan_not_found');
      return plan;
    },
  );

  app.put(
    '/:key',
    {
      schema: {
        tags,
        summary: 'Create or replace a plan. A stored plan replaces the neptuno.yaml plan of the same key as a whole; DELETE brings the yaml one back',
        params: PlanKeyParams,
        body: PlanDefinitionSchema,
        response: { 200: PlanSchema, 400: Problem, 422: Problem },
      },
    },
    async (request) => plans().savePlan(request.params.key, request.body),
  );

  app.delete(
    '/:key',
    {
      schema: {
        tags,
        summary: 'Remove the admin version of a plan (the neptuno.yaml plan of that key, if any, applies again)',
        params: PlanKeyParams,
        response: { 204: Type.Null(), 404: Problem },
      },
    },
    async (request, reply) => {
      if (!(await plans().removePlan(request.params.key))) throw notFound('plan_not_found');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/subscriptions',
    {
      schema: {
        tags,
        summary: 'Subscriptions, filtered by status, plan or owner id',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            status: Type.Optional(Status),
            planKey: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            ownerId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(SubscriptionSchema), 400: Problem },
      },
    },
    async (request) => plans().subscriptions.list(request.query),
  );

  app.get(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'A subscription and every change offered to it (applied, or ignored as stale/terminal)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            subscription: SubscriptionSchema,
            history: Type.Array(
              Type.Object({
                cause: Type.String(),
                status: Type.String(),
                currentPeriodEnd: Type.Union([Type.String(), Type.Null()]),
                outcome: Type.String(),
                at: Type.String(),
              }),
            ),
          }),
          404: Problem,
        },
      },
    },
    async (request) => {
      const subscription = await plans().subscriptions.get(request.params.id);
      if (!subscription) throw notFound('subscription_not_found');
      return { subscription, history: await plans().subscriptions.history(subscription.id) };
    },
  );

  app.get(
    '/usage/:type/:id',
    {
      schema: {
        tags,
        summary: 'An owner’s (tenant or user) usage this month and running totals against its plan',
        params: OwnerParams,
        response: { 200: MyUsageSchema, 400: Problem },
      },
    },
    async (request) => {
      const { type, id } = request.params;
      const owner = type === 'tenant' ? { tenantId: id } : { userId: id };
      const [plan, usage] = await Promise.all([plans().currentPlan(owner), plans().usage(owner)]);
      return { owner: { type, id }, planKey: plan?.key ?? null, usage };
    },
  );
}
