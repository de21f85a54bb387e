import { Type, type Static } from 'typebox';

/** A domain event offered to webhook endpoints, and which payload fields go out with it. */
const OfferedEvent = Type.Object(
  {
    /**
     * Payload fields sent besides the ids (fields named `id` or ending in `Id`/`Ids`, always
     * sent). Default none: no personal data leaves unless listed here (`amount`, `currency`…).
     */
    fields: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { default: [], maxItems: 100 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * `modules.notifications.webhooks`: outgoing webhooks (Standard Webhooks signatures) to endpoints
 * registered by admins per event type.
 */
export const WebhooksConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /**
     * Domain events endpoints may subscribe to, by name (`payment.succeeded`, `badge.awarded`,
     * `user.registered`…). Notification types are offered as `notification.<type>` to types (or
     * sends, or wirings) that list the `webhook` channel.
     */
    events: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$' }), OfferedEvent, { default: {} }),
    /** Tries per message and endpoint before it is dead (manual redelivery still works). */
    attempts: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
    /** First retry delay, doubled each time plus up to as much again of jitter, capped at maxBackoffMs. */
    backoffMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 30_000 }),
    maxBackoffMs: Type.Integer({ minimum: 1, maximum: 7 * 86_400_000, default: 6 * 3_600_000 }),
    /** Bound on one delivery (connect + answer). */
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
    /** An endpoint is switched off after this many failed attempts in a row (any success resets it); the reason is kept. */
    disableAfterFailures: Type.Integer({ minimum: 1, maximum: 10_000, default: 40 }),
    /** After a secret rotation, deliveries are signed with the old secret too for this long. */
    previousSecretHours: Type.Integer({ minimum: 0, maximum: 720, default: 24 }),
    /**
     * Deliver to loopback, private, link-local and other non-public addresses. Default: only
     * with `env: development`. Production refuses them (server-side request forgery), checked on
     * the address actually connected to, so DNS cannot point a public name inside.
     */
    allowPrivateNetworks: Type.Optional(Type.Boolean()),
    /** Where admins are told when an endpoint is switched off (notification type `webhook_disabled`). */
    notifyAdminsSegment: Type.String({ pattern: '^(users|role:[a-z0-9_-]{1,64})$', default: 'role:admin' }),
  },
  { additionalProperties: false, default: {} },
);

export type WebhooksConfig = Static<typeof WebhooksConfigSchema>;
