import { Type, type TSchema } from 'typebox';

/** `{ type: [t, 'null'] }`: with Ajv's coerceTypes a union with Null would coerce null into its first branch. */
function Nullable<T>(schema: TSchema & { type: string }) {
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

export const ProviderSchema = Type.Union([Type.Literal('mercadopago'), Type.Literal('stripe'), Type.Literal('wompi')]);
export const StatusSchema = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('refunded'), Type.Literal('charged_back')]);
const Key = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });

export const CheckoutBody = Type.Object(
  {
    provider: ProviderSchema,
    package: Type.Optional(Key),
    plan: Type.Optional(Key),
  },
  { additionalProperties: false },
);

export const CheckoutAnswerSchema = Type.Object({
  paymentId: Type.String(),
  redirectUrl: Type.String(),
});

export const PaymentSchema = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  purpose: Type.Object({ kind: Type.Union([Type.Literal('package'), Type.Literal('plan')]), key: Type.String() }),
  title: Type.String(),
  amount: Type.Integer({ description: 'Minor units' }),
  currency: Type.String(),
  credits: Nullable<number>(Type.Integer()),
  status: StatusSchema,
  redirectUrl: Nullable<string>(Type.String()),
  providerPaymentId: Nullable<string>(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const AdminPaymentSchema = Type.Object({
  ...PaymentSchema.properties,
  userId: Type.String(),
  tenantId: Nullable<string>(Type.String()),
  providerCheckoutId: Nullable<string>(Type.String()),
  providerStatus: Nullable<string>(Type.String()),
});

export const HistoryEntrySchema = Type.Object({
  from: Nullable<string>(Type.String()),
  to: StatusSchema,
  cause: Type.String(),
  providerPaymentId: Nullable<string>(Type.String()),
  providerStatus: Nullable<string>(Type.String()),
  eventId: Nullable<string>(Type.String()),
  at: Type.String({ format: 'date-time' }),
});

export const AdminPaymentDetailSchema = Type.Object({ ...AdminPaymentSchema.properties, history: Type.Array(HistoryEntrySchema) });

export const RefundAnswerSchema = Type.Object({
  payment: PaymentSchema,
  refund: Type.Object({ providerRefundId: Type.String(), status: Type.String() }),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });
