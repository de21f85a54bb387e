import { Type } from 'typebox';
import { Nullable } from '../api.js';

const NullableStr = Nullable<string>(Type.String());
const EventType = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,119}$' });
const Url = Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' });

export const EndpointParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const DeliveryParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), deliveryId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const EndpointCreateBody = Type.Object(
  {
    url: Url,
    eventTypes: Type.Array(EventType, { minItems: 1, maxItems: 100, uniqueItems: true }),
    description: Type.Optional(Nullable<string>(Type.String({ maxLength: 500 }))),
    /** The tenant whose messages this endpoint gets (tenants on); absent: the app's own endpoint. */
    tenantId: Type.Optional(Nullable<string>(Type.String({ minLength: 1, maxLength: 255 }))),
  },
  { additionalProperties: false },
);

export const EndpointPatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    eventTypes: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: 100, uniqueItems: true })),
    description: Type.Optional(Nullable<string>(Type.String({ maxLength: 500 }))),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const EndpointSchema = Type.Object({
  id: Type.String(),
  tenantId: NullableStr,
  url: Type.String(),
  description: NullableStr,
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: NullableStr,
  disabledAt: NullableStr,
  failures: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const EndpointWithSecret = Type.Object({ ...EndpointSchema.properties, secret: Type.String() });

export const EndpointQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    tenantId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);

const Status = Type.Union(['pending', 'retrying', 'succeeded', 'dead'].map((s) => Type.Literal(s)));

export const WebhookDeliveryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

export const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  endpointId: Type.String(),
  eventType: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  nextAt: NullableStr,
  lastStatusCode: Nullable<number>(Type.Integer()),
  lastError: NullableStr,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const WebhookDeliveryDetail = Type.Object({
  ...WebhookDeliverySchema.properties,
  body: Type.Unknown(),
  attemptsLog: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      statusCode: Nullable<number>(Type.Integer()),
      durationMs: Type.Integer(),
      responseBody: NullableStr,
      error: NullableStr,
      at: Type.String(),
    }),
  ),
});
