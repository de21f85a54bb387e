import { Type } from 'typebox';
import { Page, PageQuery } from '../../core/db/paginate.js';
import type { App, ModuleContext } from '../../core/module.js';
import { CheckoutAnswerSchema, CheckoutBody, IdParams, PaymentSchema, Problem } from './api.js';
import type { PaymentsConfig } from './config.js';

/** Mounted under /v1/payments: a signed-in person's checkouts and payments. */
export async function paymentRoutes(app: App, ctx: ModuleContext<PaymentsConfig>) {
  const payments = () => ctx.services.payments;
  const tags = ['payments'];

  app.post(
    '/checkout',
    {
      preHandler: ctx.access.requirePerson,
      config: { scope: 'payments:write', idempotent: true },
      schema: {
        tags,
        summary: 'Start a checkout for a credit package or a plan',
        description:
          'Give `package` (a credit package key) or `plan` (a plan key), not both. The price comes from the catalog, ' +
          'never from the client. Answers the payment id and the provider URL to send the payer to; the payment ' +
          'stays pending until the provider confirms it by webhook (or reconciliation). 422 ' +
          'payment_provider_not_configured, 404 payment_package_not_found / payment_plan_not_found, 429 ' +
          'checkout_rate_limited, 502 when the provider fails. Send an Idempotency-Key: a retry gets the same checkout.',
        body: CheckoutBody,
        response: { 201: CheckoutAnswerSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem, 502: Problem },
      },
    },
    async (request, reply) => {
      const actor = (await request.actor())!;
      const answer = await payments().checkout({
        actor,
        provider: request.body.provider,
        package: request.body.package,
        plan: request.body.plan,
        locale: request.locale,
        idempotency: request.idempotency,
      });
      return reply.code(201).send(answer);
    },
  );

  app.get(
    '',
    {
      preHandler: ctx.access.requirePerson,
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: "The caller's payments, newest first",
        querystring: Type.Object({ ...PageQuery.properties }, { additionalProperties: false }),
        response: { 200: Page(PaymentSchema), 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => payments().listMine((await request.actor())!, request.query),
  );

  app.get(
    '/:id',
    {
      preHandler: ctx.access.requirePerson,
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: "One of the caller's payments (a return page polls it until it is no longer pending)",
        params: IdParams,
        response: { 200: PaymentSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => payments().getMine((await request.actor())!, request.params.id),
  );
}
