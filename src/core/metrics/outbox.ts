import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxStore } from '../outbox/store.js';
import { scrapeBounded } from './scrape.js';

/**
 *   neptuno_outbox_pending                           event deliveries not finished + jobs not yet handed to the queue
 *   neptuno_outbox_oldest_pending_seconds            age of the oldest of those (0: none)
 *   neptuno_outbox_handler_failures_total{module,event}  an event handler threw (it is retried)
 * Returns the hook the outbox calls when a handler fails. Module and event names are fixed by
 * code, so the labels are bounded.
 */
export function outboxMetrics(registry: Registry, store: OutboxStore): (module: string, event: string) => void {
  const read = () => scrapeBounded(store.backlog());
  let last: Promise<Awaited<ReturnType<typeof read>>> | null = null;
  // One query per scrape feeds both gauges.
  const backlog = () => (last ??= read().finally(() => setImmediate(() => (last = null))));
  new Gauge({
    name: 'neptuno_outbox_pending',
    help: 'Outbox rows waiting: event deliveries not finished, jobs not yet handed to the queue',
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b) this.set(b.count);
    },
  });
  new Gauge({
    name: 'neptuno_outbox_oldest_pending_seconds',
    help: 'Age of the oldest outbox row still waiting (0 when none)',
    registers: [registry],
    async collect() {
      const b = await backlog();
      if (b) this.set(b.oldest === null ? 0 : Math.max(0, (Date.now() - b.oldest) / 1000));
    },
  });
  const failures = new Counter({
    name: 'neptuno_outbox_handler_failures_total',
    help: 'Event handler runs that threw (the delivery is retried), by module and event',
    labelNames: ['module', 'event'],
    registers: [registry],
  });
  return (module, event) => failures.inc({ module, event });
}
