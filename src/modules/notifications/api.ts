import { Type, type TSchema } from 'typebox';
import { DateTime } from '../../core/http/datetime.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from './schema.js';

/** `{ type: [t, 'null'] }`: Ajv's coerceTypes would turn null into 0 in a union's first branch. */
export function Nullable<T>(schema: TSchema & { type: string }) {
  return Type.Unsafe<T | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { additionalProperties: true });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

const NullableStr = Nullable<string>(Type.String());

export const InboxItemSchema = Type.Object({
  id: Type.String(),
  notificationId: Type.String(),
  type: Type.String(),
  title: Type.String(),
  body: Type.String(),
  url: NullableStr,
  data: Type.Record(Type.String(), Type.Unknown()),
  read: Type.Boolean(),
  readAt: NullableStr,
  createdAt: Type.String(),
});

export const InboxPage = Type.Object({ data: Type.Array(InboxItemSchema), nextCursor: NullableStr, unread: Type.Integer() });

const ChannelName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' });
const TypeName = Type.String({ pattern: '^([a-z][a-z0-9_-]{0,63}|\\*)$' });

export const PreferencesSchema = Type.Object({
  data: Type.Array(Type.Object({ type: Type.String(), optOut: Type.Boolean(), channels: Type.Record(Type.String(), Type.Boolean()) })),
});

export const PreferencesPatch = Type.Object(
  {
    changes: Type.Array(Type.Object({ type: TypeName, channel: ChannelName, enabled: Type.Boolean() }, { additionalProperties: false }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

const Id = Type.String({ minLength: 1, maxLength: 255 });

export const SendBody = Type.Object(
  {
    to: Type.Union([
      Type.Object({ userId: Id }, { additionalProperties: false }),
      Type.Object({ guestId: Id }, { additionalProperties: false }),
      Type.Object({ tenantId: Id }, { additionalProperties: false }),
      Type.Object({ segment: Type.String({ pattern: '^(users|role:[a-z0-9_-]{1,64})$' }) }, { additionalProperties: false }),
    ]),
    type: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100 })),
    channels: Type.Optional(Type.Array(ChannelName, { minItems: 1, maxItems: 20, uniqueItems: true })),
    critical: Type.Optional(Type.Boolean()),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const SendAnswer = Type.Object({ id: Type.String(), created: Type.Boolean() });

const Status = Type.Unsafe<DeliveryStatus>(Type.String({ enum: [...DELIVERY_STATUSES] }));

export const DeliverySchema = Type.Object({
  id: Type.String(),
  notificationId: Type.String(),
  type: Type.String(),
  recipientType: Type.String(),
  recipientId: Type.String(),
  channel: Type.String(),
  status: Status,
  attempts: Type.Integer(),
  lastError: NullableStr,
  providerMessageId: NullableStr,
  nextAt: NullableStr,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const DeliveryDetail = Type.Object({
  ...DeliverySchema.properties,
  attemptsLog: Type.Array(
    Type.Object({ status: Status, attempt: Type.Integer(), error: NullableStr, providerMessageId: NullableStr, at: Type.String() }),
  ),
});

export const DeliveryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    status: Type.Optional(Status),
    channel: Type.Optional(ChannelName),
    notificationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const LocalizedIn = (max: number) =>
  Type.Object({ es: Type.Optional(Type.String({ minLength: 1, maxLength: max })), en: Type.Optional(Type.String({ minLength: 1, maxLength: max })) }, { additionalProperties: false });
const Audience = Type.Union(['everyone', 'guests', 'users', 'role', 'tenant'].map((a) => Type.Literal(a)));
const Link = Nullable<string>(Type.String({ maxLength: 2000, pattern: '^(https?://|/)' }));
const NullableDateIn = Nullable<string>(DateTime());

export const NewsCreateBody = Type.Object(
  {
    title: LocalizedIn(200),
    body: LocalizedIn(2000),
    link: Type.Optional(Link),
    audience: Type.Optional(Audience),
    audienceValue: Type.Optional(Nullable<string>(Type.String({ minLength: 1, maxLength: 255 }))),
    startsAt: Type.Optional(NullableDateIn),
    endsAt: Type.Optional(NullableDateIn),
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
    dismissible: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const NewsPatchBody = Type.Partial(NewsCreateBody, { additionalProperties: false });

const Localized = Type.Object({ es: Type.Optional(Type.String()), en: Type.Optional(Type.String()) });

export const NewsSchema = Type.Object({
  id: Type.String(),
  title: Localized,
  body: Localized,
  link: NullableStr,
  audience: Type.String(),
  audienceValue: NullableStr,
  startsAt: NullableStr,
  endsAt: NullableStr,
  priority: Type.Integer(),
  dismissible: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const PublicNewsSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  body: Type.String(),
  link: NullableStr,
  priority: Type.Integer(),
  dismissible: Type.Boolean(),
  startsAt: NullableStr,
});
