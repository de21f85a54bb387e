import { Type, type TSchema } from 'typebox';

/** TypeBox shapes of the catalog's HTTP answers (OpenAPI and fast serialization). */

function Nullable<T>(schema: TSchema & { type: string }) {
  // A type list, not a union with Null: Ajv's coerceTypes would turn null into 0 in a union's first branch.
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

const NullableStr = Nullable<string>(Type.String());
const NullableInt = Nullable<number>(Type.Integer());
const NullableDate = Nullable<string>(Type.String({ format: 'date-time' }));
const Names = Type.Object({ es: Type.String(), en: Type.String() });
const Descriptions = Type.Unsafe<{ es?: string; en?: string } | null>({
  type: ['object', 'null'],
  properties: { es: { type: 'string' }, en: { type: 'string' } },
});
const OwnerTypeSchema = Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('tenant')]);

export const PackageViewSchema = Type.Object({
  key: Type.String(),
  credits: Type.Integer(),
  name: Type.String(),
  description: NullableStr,
  price: Type.Object({ amount: Type.Integer(), currency: Type.String(), formatted: Type.String() }),
  startsAt: NullableDate,
  endsAt: NullableDate,
});

export const ItemViewSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: NullableStr,
  price: Type.Integer({ description: 'Credits' }),
  remaining: Type.Unsafe<number | null>({ type: ['integer', 'null'], description: 'Units left; null: unlimited' }),
  perUserLimit: NullableInt,
});

const Meta = {
  key: Type.String(),
  names: Names,
  descriptions: Descriptions,
  active: Type.Boolean({ description: 'Effective: the flag and, for packages, the window' }),
  enabled: Type.Boolean({ description: 'The admin flag alone' }),
  sort: Type.Integer(),
  source: Type.Union([Type.Literal('yaml'), Type.Literal('admin')]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const PackageSchema = Type.Object({
  ...Meta,
  credits: Type.Integer(),
  price: Type.Object({ amount: Type.Integer(), currency: Type.String() }),
  startsAt: NullableDate,
  endsAt: NullableDate,
});

export const ItemSchema = Type.Object({
  ...Meta,
  price: Type.Integer(),
  stock: NullableInt,
  sold: Type.Integer(),
  remaining: NullableInt,
  perUserLimit: NullableInt,
});

export const PurchaseSchema = Type.Object({
  id: Type.String(),
  ownerType: OwnerTypeSchema,
  ownerId: Type.String(),
  itemKey: Type.String(),
  price: Type.Integer(),
  status: Type.Union([Type.Literal('owned'), Type.Literal('refunded')]),
  transferId: Type.String(),
  refundTransferId: NullableStr,
  refundedAt: NullableDate,
  refundedBy: NullableStr,
  refundReason: NullableStr,
  createdAt: Type.String({ format: 'date-time' }),
});

export const InventoryEntrySchema = Type.Object({ ...PurchaseSchema.properties, name: Type.String() });

export const PurchaseResultSchema = Type.Object({ purchase: PurchaseSchema, balance: Type.Integer() });
