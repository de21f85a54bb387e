import { Counter, type Registry } from 'prom-client';

/**
 * `neptuno_notification_deliveries_total{channel,status}`: every status a delivery takes
 * (queued, sent, delivered, failed, bounced, dead, suppressed_preference, held_quiet_hours).
 */
export function deliveryCounter(registry: Registry): Counter<'channel' | 'status'> {
  const name = 'neptuno_notification_deliveries_total';
  // A restarted app in tests (or a second app) on one registry shares the counter.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'channel' | 'status'>;
  return new Counter({ name, help: 'Notification delivery status changes, by channel and status', labelNames: ['channel', 'status'], registers: [registry] });
}

/**
 * `neptuno_notification_push_targets_removed_total{channel,reason}`: browser subscriptions and
 * device tokens dropped because the provider said they are gone (`gone`: 404/410, UNREGISTERED,
 * invalid ids) — a rising rate means an app build that stopped registering, or a key change.
 */
export function pushTargetsRemovedCounter(registry: Registry): Counter<'channel' | 'reason'> {
  const name = 'neptuno_notification_push_targets_removed_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'channel' | 'reason'>;
  return new Counter({ name, help: 'Push subscriptions and device tokens removed, by channel and reason', labelNames: ['channel', 'reason'], registers: [registry] });
}
