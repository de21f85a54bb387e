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
