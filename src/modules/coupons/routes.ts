import { Type } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import { Page, PageQuery } from '../../core/db/paginate.js';
import { MineEntrySchema, Problem, RedemptionSchema } from './api.js';
import { normalizeCode } from './codes.js';
import type { CouponsConfig } from './config.js';
import type { CouponService } from './service.js';

/** Mounted under /v1/coupons: guests and users. */
export async function couponRoutes(app: App, ctx: ModuleContext<CouponsConfig>) {
  const coupons = () => ctx.services.coupons as CouponService;

  app.post(
    '/redeem',
    {
      preHandler: ctx.access.requireActor,
      // The kernel's Idempotency-Key; codes are case-insensitive, so the key's fingerprint is the normalized code.
      config: { scope: 'coupons:redeem', idempotent: { ttlMs: ctx.config.idempotencyTtlHours * 3_600_000, fingerprint: (r) => normalizeCode((r.body as { code: string }).code) } },
      schema: {
        tags: ['coupons'],
        summary: 'Redeem a coupon code',
        description:
          'Codes are case-insensitive. With an Idempotency-Key header the same key returns the stored answer ' +
          '(Idempotent-Replayed: true); the same key with another code answers 422 idempotency_key_reused. ' +
          'Unknown, withdrawn or other-tenant codes: 404 coupon_not_found; outside the validity window: 422 ' +
          'coupon_not_started / coupon_expired; no redemptions left: 409 coupon_exhausted; per-user limit reached: ' +
          '409 coupon_already_redeemed. The answer says what to apply (type, value, currency, itemKey).',
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 201: RedemptionSchema, 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const actor = (await request.actor())!;
      const result = await coupons().redeem({ code: request.body.code, actor, idempotency: request.idempotency });
      return reply.code(result.status as 201).send(result.redemption);
    },
  );

  app.get(
    '/mine',
    {
      config: { scope: 'coupons:read' },
      preHandler: ctx.access.requireActor,
      schema: {
        tags: ['coupons'],
        summary: "The caller's redemptions and granted reward coupons, newest first",
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            kind: Type.Optional(Type.Union([Type.Literal('redemption'), Type.Literal('grant')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(MineEntrySchema), 400: Problem, 401: Problem },
      },
    },
    async (request) => {
      const actor = (await request.actor())!;
      return coupons().listMine(actor, request.query);
    },
  );
}
