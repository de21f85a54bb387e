import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { badRequest, type FieldError } from '../../core/http/problem.js';
import { MAX_CREDITS } from './ledger-validate.js';

/** Route schemas of the ledger's routes (routes.ts). */

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const Credits = (min = 1) => Type.Integer({ minimum: min, maximum: MAX_CREDITS });
const DateStr = Type.String({ format: 'date-time' });
const NullableStr = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const NullableInt = Type.Unsafe<number | null>({ type: ['integer', 'null'] });

export const BucketSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('paid'), Type.Literal('promotional')]),
  granted: Type.Integer(),
  remaining: Type.Integer(),
  priority: Type.Integer(),
  expiresAt: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  transferId: Type.String(),
  createdAt: DateStr,
});

export const BalanceSchema = Type.Object({
  balance: Type.Integer(),
  available: Type.Integer(),
  held: Type.Integer(),
  debt: Type.Integer(),
  buckets: Type.Array(BucketSchema),
  nextExpiry: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
});

export const TransactionSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  amount: Type.Integer(),
  debtChange: Type.Integer(),
  counterparty: Type.String(),
  reason: Type.String(),
  source: NullableStr,
  ref: NullableStr,
  metadata: Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'], additionalProperties: true }),
  createdAt: DateStr,
});

export const SpendBody = Type.Object(
  { amount: Credits(), reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

export const SpendAnswer = Type.Object({ transferId: Type.String(), balance: Type.Integer(), available: Type.Integer() });

export const HoldBody = Type.Object(
  {
    amount: Credits(),
    /** How long the hold lasts before it releases itself. */
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const HoldSchema = Type.Object({
  id: Type.String(),
  amount: Type.Integer(),
  captured: NullableInt,
  status: Type.Union([Type.Literal('active'), Type.Literal('captured'), Type.Literal('released'), Type.Literal('expired')]),
  reason: Type.String(),
  expiresAt: DateStr,
  createdAt: DateStr,
  resolvedAt: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  transferId: NullableStr,
});

export const HoldCreated = Type.Object({ ...HoldSchema.properties, available: Type.Integer() });
export const HoldCaptured = Type.Object({ ...HoldSchema.properties, balance: Type.Integer() });

export const CaptureBody = Type.Object({ amount: Type.Optional(Credits(0)) }, { additionalProperties: false });
export const HoldParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9a-f]+$' }) }, { additionalProperties: false });

type JsonType = 'integer' | 'number' | 'string' | 'boolean';

/**
 * A preValidation hook refusing body fields of the wrong JSON type before the kernel's Ajv
 * coerces them (`coerceTypes` would turn `"5"` or `true` into a credit amount): on routes
 * that move credits, `{"amount": true}` is a 400, never a spend of 1.
 */
export function strictBody(fields: Record<string, JsonType>) {
  return async (request: FastifyRequest) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    const errors: FieldError[] = [];
    for (const [name, type] of Object.entries(fields)) {
      if (!(name in body)) continue;
      const v = body[name];
      const ok = type === 'string' || type === 'boolean' ? typeof v === type : typeof v === 'number' && (type === 'number' || Number.isInteger(v));
      if (!ok) errors.push({ pointer: `/body/${name}`, code: 'type', detail: `must be ${type === 'integer' ? 'an integer' : `a ${type}`}` });
    }
    if (errors.length) throw badRequest('invalid_wallet_input', { errors });
  };
}
