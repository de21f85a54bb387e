import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { notFound } from '../../core/http/problem.js';
import { CouponCreateBody, CouponPatchBody, CouponSchema, Problem } from './api.js';
import type { CouponsConfig } from './config.js';
import type { CouponService } from './service.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) });

/** Mounted under /v1/admin/coupons; the kernel requires the admin role on every route. */
export async function couponAdminRoutes(app: App, ctx: ModuleContext<CouponsConfig>) {
  const coupons = () => ctx.services.coupons as CouponService;
  const tags = ['coupons', 'admin'];

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Create a coupon (code generated when omitted)',
        body: CouponCreateBody,
        response: { 201: CouponSchema, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await coupons().create(request.body)),
  );

  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'List coupons, newest first',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            type: Type.Optional(Type.Union([Type.Literal('percentage'), Type.Literal('fixed_amount'), Type.Literal('credits'), Type.Literal('free_item')])),
            kind: Type.Optional(Type.Union([Type.Literal('code'), Type.Literal('template'), Type.Literal('personal')])),
            active: Type.Optional(Type.Boolean()),
            tenantId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            codePrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(CouponSchema), 400: Problem },
      },
    },
    async (request) => coupons().list(request.query),
  );

  app.get(
    '/:id',
    { schema: { tags, summary: 'Get a coupon', params: IdParams, response: { 200: CouponSchema, 404: Problem } } },
    async (request) => {
      const coupon = await coupons().get(request.params.id);
      if (!coupon) throw notFound('coupon_not_found');
      return coupon;
    },
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        summary: 'Change a coupon (type, value and code are fixed: create a new coupon instead)',
        params: IdParams,
        body: CouponPatchBody,
        response: { 200: CouponSchema, 400: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => coupons().update(request.params.id, request.body),
  );

  app.post(
    '/:id/deactivate',
    { schema: { tags, summary: 'Withdraw a coupon: it stops being redeemable at once', params: IdParams, response: { 200: CouponSchema, 404: Problem } } },
    async (request) => coupons().update(request.params.id, { active: false }),
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        summary: 'Delete a coupon never redeemed nor granted (otherwise 409 coupon_in_use: deactivate it)',
        params: IdParams,
        response: { 204: Type.Null(), 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      await coupons().remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
