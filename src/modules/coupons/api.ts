import { DateTime } from '../../core/http/datetime.js';
import { Type, type TSchema } from 'typebox';

/**
 * `{ type: [t, 'null'] }` rather than a union with Null: with Ajv's coerceTypes a union would
 * coerce null into 0 in its first branch; a type list leaves null alone. OpenAPI 3.1 reads it as is.
 */
export function Nullable<T>(schema: TSchema & { type: string }) {
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const CouponTypeSchema = Type.Union([Type.Literal('percentage'), Type.Literal('fixed_amount'), Type.Literal('credits'), Type.Literal('free_item')]);
const ActorTypeSchema = Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('service')]);
const Str = Type.String();
const NullableStr = Nullable<string>(Type.String());
const NullableInt = Nullable<number>(Type.Integer());
const NullableDate = Nullable<string>(Type.String({ format: 'date-time' }));
const NullableDateIn = Nullable<string>(DateTime());

export const CouponSchema = Type.Object({
  id: Str,
  code: Str,
  kind: Type.Union([Type.Literal('code'), Type.Literal('template'), Type.Literal('personal')]),
  type: CouponTypeSchema,
  value: NullableInt,
  currency: NullableStr,
  itemKey: NullableStr,
  description: NullableStr,
  maxRedemptions: NullableInt,
  perUserLimit: NullableInt,
  redemptionsCount: Type.Integer(),
  startsAt: NullableDate,
  endsAt: NullableDate,
  tenantId: NullableStr,
  active: Type.Boolean(),
  ownerActorType: Nullable<string>(Type.String()),
  ownerActorId: NullableStr,
  templateId: NullableStr,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const RedemptionSchema = Type.Object({
  id: Str,
  couponId: Str,
  code: Str,
  type: CouponTypeSchema,
  value: NullableInt,
  currency: NullableStr,
  itemKey: NullableStr,
  actorType: ActorTypeSchema,
  actorId: Str,
  redeemedAt: Type.String({ format: 'date-time' }),
});

export const GrantSchema = Type.Object({
  id: Str,
  source: Str,
  actorType: ActorTypeSchema,
  actorId: Str,
  templateId: Str,
  couponId: Str,
  code: Str,
  type: CouponTypeSchema,
  value: NullableInt,
  currency: NullableStr,
  itemKey: NullableStr,
  endsAt: NullableDate,
  status: Type.Union([Type.Literal('available'), Type.Literal('redeemed'), Type.Literal('expired'), Type.Literal('revoked')]),
  grantedAt: Type.String({ format: 'date-time' }),
});

export const MineEntrySchema = Type.Object({
  kind: Type.Union([Type.Literal('redemption'), Type.Literal('grant')]),
  id: Str,
  at: Type.String({ format: 'date-time' }),
  redemption: Type.Optional(RedemptionSchema),
  grant: Type.Optional(GrantSchema),
});

const Limit = Nullable<number>(Type.Integer({ minimum: 1, maximum: 1_000_000_000 }));

/** Body of POST /v1/admin/coupons. Cross-field rules (percentage ≤ 100, currency, window) live in validate.ts. */
export const CouponCreateBody = Type.Object(
  {
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    kind: Type.Optional(Type.Union([Type.Literal('code'), Type.Literal('template')])),
    type: CouponTypeSchema,
    value: Type.Optional(Nullable<number>(Type.Integer({ minimum: 1, maximum: 1_000_000_000 }))),
    currency: Type.Optional(Nullable<string>(Type.String({ pattern: '^[A-Za-z]{3}$' }))),
    itemKey: Type.Optional(Nullable<string>(Type.String({ minLength: 1, maxLength: 100 }))),
    description: Type.Optional(Nullable<string>(Type.String({ maxLength: 500 }))),
    maxRedemptions: Type.Optional(Limit),
    perUserLimit: Type.Optional(Limit),
    startsAt: Type.Optional(NullableDateIn),
    endsAt: Type.Optional(NullableDateIn),
    tenantId: Type.Optional(Nullable<string>(Type.String({ minLength: 1, maxLength: 64 }))),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const CouponPatchBody = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    description: Type.Optional(Nullable<string>(Type.String({ maxLength: 500 }))),
    maxRedemptions: Type.Optional(Limit),
    perUserLimit: Type.Optional(Limit),
    startsAt: Type.Optional(NullableDateIn),
    endsAt: Type.Optional(NullableDateIn),
    tenantId: Type.Optional(Nullable<string>(Type.String({ minLength: 1, maxLength: 64 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
