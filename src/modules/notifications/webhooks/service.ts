import type { ModuleContext } from '../../../core/module.js';
import type { NotificationChannel } from '../channels/contract.js';
import type { NotificationsConfig } from '../config.js';
import type { TypeRegistry } from '../types.js';
import { WebhookDeliveries } from './deliveries.js';
import { Endpoints } from './endpoints.js';

/** Payload fields that go out with every event: ids and their kinds, never names, emails or amounts. */
const ID_FIELD = /^(id|.+Id|.+Ids|.+Type)$/;

/** The domain event's payload reduced to ids plus the fields the configuration lists. */
export function webhookData(payload: unknown, fields: string[]): Record<string, unknown> {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (ID_FIELD.test(k) || fields.includes(k)) out[k] = v;
  return out;
}

/**
 * Outgoing webhooks (`ctx.services.notifications.webhooks`): endpoints, deliveries, the outbox
 * subscriptions of the offered domain events, and the `webhook` notification channel.
 */
export class Webhooks {
  readonly endpoints: Endpoints;
  readonly deliveries: WebhookDeliveries;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    private readonly types: TypeRegistry,
  ) {
    this.endpoints = new Endpoints(ctx, () => this.offered());
    this.deliveries = new WebhookDeliveries(ctx, this.endpoints);
    types.define('webhook_disabled', {
      channels: ['inapp', 'email'],
      optOut: false,
      critical: true,
      templates: {
        es: { title: 'Webhook desactivado', body: 'El endpoint {{url}} se desactivó: {{reason}}' },
        en: { title: 'Webhook disabled', body: 'The endpoint {{url}} was switched off: {{reason}}' },
      },
    });
    if (!ctx.config.webhooks.enabled) return;
    for (const [event, def] of Object.entries(ctx.config.webhooks.events)) {
      // A handler of its own (not the wiring's): one delivery per event across replicas, retried by the outbox.
      ctx.outbox.subscribe('notifications-webhooks', event, async (payload, meta) => {
        const tenantId = payload && typeof payload === 'object' && typeof (payload as { tenantId?: unknown }).tenantId === 'string' ? (payload as { tenantId: string }).tenantId : null;
        await this.deliveries.dispatch(event, webhookData(payload, def.fields), `msg_${meta.eventId}`, tenantId);
      });
    }
  }

  /** Event types endpoints may subscribe to: the offered domain events and `notification.<type>`. */
  offered(): Set<string> {
    return new Set([...Object.keys(this.ctx.config.webhooks.events), ...this.types.names().map((t) => `notification.${t}`)]);
  }

  /**
   * The `webhook` channel: a notification of a type that lists it (or a send or wiring that names
   * it) becomes a `notification.<type>` message per recipient, with ids only. Delivered once it is
   * queued for the endpoints; the endpoints' own retries and log take it from there.
   */
  channel(): NotificationChannel {
    return {
      name: 'webhook',
      quietHours: false,
      // Never a bare address (a one-time code's email or number) to a third party.
      canReach: (r) => r.kind !== 'address',
      send: async (d) => {
        const data = { notificationId: d.notificationId, deliveryId: d.id, type: d.type, recipient: { type: d.recipient.kind, id: d.recipient.id } };
        const count = await this.deliveries.dispatch(`notification.${d.type}`, data, `msg_${d.id}`, null);
        return { status: 'delivered', providerMessageId: `msg_${d.id}`, ...(count ? {} : { error: 'no endpoint subscribed' }) };
      },
    };
  }
}
