import { Type, type TSchema } from 'typebox';

/** `{ type: [t, 'null'] }`: see coupons/api.ts (Ajv's coercion leaves null alone this way). */
function Nullable<T>(schema: TSchema & { type: string }) {
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const Names = Type.Object({ es: Type.String(), en: Type.String() });
const Limits = Type.Record(Type.String(), Type.Integer());

/** A plan in the public catalog, in the caller's language. */
export const CatalogPlanSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  names: Names,
  price: Type.Object({ amount: Type.Integer(), currency: Type.String(), formatted: Type.String() }),
  interval: Type.Union([Type.Literal('month'), Type.Literal('year')]),
  trialDays: Type.Integer(),
  limits: Limits,
  features: Type.Array(Type.String()),
});

/** A plan as admins see it. */
export const PlanSchema = Type.Object({
  key: Type.String(),
  names: Names,
  price: Type.Object({ amount: Type.Integer(), currency: Type.String() }),
  interval: Type.Union([Type.Literal('month'), Type.Literal('year')]),
  trialDays: Type.Integer(),
  limits: Limits,
  features: Type.Array(Type.String()),
  providers: Type.Optional(Type.Object({ stripe: Type.Optional(Type.Object({ priceId: Type.Optional(Type.String()) })) })),
  active: Type.Boolean(),
  order: Type.Integer(),
  source: Type.Union([Type.Literal('config'), Type.Literal('admin')]),
  updatedAt: Nullable<string>(Type.String({ format: 'date-time' })),
});

const Status = Type.Union([Type.Literal('trialing'), Type.Literal('active'), Type.Literal('past_due'), Type.Literal('canceled')]);

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  owner: Type.Object({ type: Type.Union([Type.Literal('tenant'), Type.Literal('user')]), id: Type.String() }),
  planKey: Type.String(),
  provider: Type.String(),
  providerSubscriptionId: Type.String(),
  status: Status,
  currentPeriodEnd: Nullable<string>(Type.String({ format: 'date-time' })),
  trialEnd: Nullable<string>(Type.String({ format: 'date-time' })),
  cancelAtPeriodEnd: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const UsageItemSchema = Type.Object({
  metric: Type.String(),
  period: Type.String(),
  usage: Type.Integer(),
  limit: Nullable<number>(Type.Integer()),
  limitName: Nullable<string>(Type.String()),
  resetAt: Nullable<string>(Type.String({ format: 'date-time' })),
  mode: Type.Union([Type.Literal('hard'), Type.Literal('soft')]),
  over: Type.Boolean(),
});

/** The caller's view: current plan (localized), the subscription behind it (or null: default plan). */
export const MySubscriptionSchema = Type.Object({
  owner: Type.Object({ type: Type.Union([Type.Literal('tenant'), Type.Literal('user')]), id: Type.String() }),
  plan: Type.Union([CatalogPlanSchema, Type.Null()]),
  subscription: Type.Union([SubscriptionSchema, Type.Null()]),
});

export const MyUsageSchema = Type.Object({
  owner: Type.Object({ type: Type.Union([Type.Literal('tenant'), Type.Literal('user')]), id: Type.String() }),
  planKey: Nullable<string>(Type.String()),
  usage: Type.Array(UsageItemSchema),
});

export const PlanKeyParams = Type.Object({ key: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }) }, { additionalProperties: false });
