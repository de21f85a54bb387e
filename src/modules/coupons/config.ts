import { Type, type Static } from 'typebox';

/** `modules.coupons` in neptuno.yaml. */
export const CouponsConfigSchema = Type.Object(
  {
    /** Length of generated codes (admin create without `code`, and personal reward codes). */
    codeLength: Type.Integer({ minimum: 6, maximum: 32, default: 10 }),
    /** Per-user limit of a new coupon when the admin gives none (null in the body means unlimited). */
    defaultPerUserLimit: Type.Integer({ minimum: 1, default: 1 }),
    /** Redeem answers stored for an Idempotency-Key are kept this long (the kernel's hourly cron prunes them). */
    idempotencyTtlHours: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24 }),
  },
  { additionalProperties: false, default: {} },
);

export type CouponsConfig = Static<typeof CouponsConfigSchema>;
