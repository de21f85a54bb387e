import { Type } from 'typebox';
import { Page, PageQuery } from '../../core/db/paginate.js';
import type { App, ModuleContext } from '../../core/module.js';
import { AdminPaymentDetailSchema, AdminPaymentSchema, IdParams, Problem, ProviderSchema, RefundAnswerSchema, StatusSchema } from './api.js';
import type { PaymentsConfig } from './config.js';

/** Mounted under /v1/admin/payments; the kernel requires the admin role on every route. */
export async function paymentAdminRoutes(app: App, ctx: ModuleContext<PaymentsConfig>) {
  const payments = () => ctx.services.payments;
  const tags = ['payments', 'admin'];

  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'List payments, newest first',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            status: Type.Optional(StatusSchema),
            provider: Type.Optional(ProviderSchema),
            userId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(AdminPaymentSchema), 400: Problem },
      },
    },
    async (request) => payments().adminList(request.query),
  );

  app.get(
    '/:id',
    {
      schema: { tags, summary: 'A payment with its status history', params: IdParams, response: { 200: AdminPaymentDetailSchema, 400: Problem, 404: Problem } },
    },
    async (request) => payments().adminGet(request.params.id),
  );

  app.post(
    '/:id/refund',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Refund an approved payment in full at its provider',
        description:
          'The credits it granted are clawed back (a debt entry when already spent) once the provider confirms the ' +
          'refund: at once when it answers so, else by its webhook. 409 payment_not_refundable unless approved.',
        params: IdParams,
        response: { 200: RefundAnswerSchema, 400: Problem, 404: Problem, 409: Problem, 422: Problem, 502: Problem },
      },
    },
    async (request) => payments().refund(request.params.id, { idempotency: request.idempotency }),
  );

  app.post(
    '/reconcile',
    {
      schema: {
        tags,
        summary: 'Run the reconciliation now',
        description: 'Asks each provider about recent pending or rejected payments and applies what webhooks missed.',
        response: {
          200: Type.Object({
            checked: Type.Integer(),
            errors: Type.Integer(),
            corrected: Type.Array(Type.Object({ paymentId: Type.String(), provider: Type.String(), from: Type.String(), to: Type.String(), providerPaymentId: Type.String() })),
          }),
        },
      },
    },
    async () => payments().reconcile(),
  );
}
