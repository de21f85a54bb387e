import { Counter, Gauge, type Registry } from 'prom-client';
import type { Queue } from './contract.js';
import { JOB_STATES, type QueueMetrics } from './shared.js';
import { scrapeBounded } from '../../metrics/scrape.js';

function counter(registry: Registry, name: string, help: string): Counter<'name'> {
  // Two queues (or a restarted app in tests) on one registry share the counters instead of
  // failing on a duplicate registration.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'name'>;
  return new Counter({ name, help, labelNames: ['name'], registers: [registry] });
}

/**
 * Job counters by job name on a prom-client registry, returned as the hook the queue
 * drivers call: `createQueue({ ..., metrics: queueMetrics(registry) })`. Job names are fixed by
 * code (`<module>.<job>`, `<module>.on.<event>`), so the label set is bounded.
 *   neptuno_jobs_completed_total{name}  handler succeeded
 *   neptuno_jobs_failed_total{name}     an attempt threw (retried or not)
 *   neptuno_jobs_retries_total{name}    an attempt threw and the job will run again
 *   neptuno_jobs_dead_total{name}       attempts exhausted, job moved to the dead-letter state
 */
export function queueMetrics(registry: Registry): QueueMetrics {
  const completed = counter(registry, 'neptuno_jobs_completed_total', 'Jobs whose handler succeeded, by job name');
  const failed = counter(registry, 'neptuno_jobs_failed_total', 'Job attempts that threw, by job name');
  const retries = counter(registry, 'neptuno_jobs_retries_total', 'Failed job attempts that will be retried, by job name');
  const dead = counter(registry, 'neptuno_jobs_dead_total', 'Jobs moved to the dead-letter state, by job name');
  return {
    onCompleted: (name) => completed.inc({ name }),
    onFailed: (name) => failed.inc({ name }),
    onRetry: (name) => retries.inc({ name }),
    onDead: (name) => dead.inc({ name }),
  };
}

/**
 * Read from the queue when /metrics is scraped (never on the job path):
 *   neptuno_queue_jobs{state}                 jobs by state (waiting, delayed, active, completed, dead)
 *   neptuno_queue_oldest_waiting_seconds      how long the longest-waiting due job has waited (0: none)
 * A queue that does not answer within the scrape bound leaves the previous values.
 */
export function queueGauges(registry: Registry, queue: Queue): void {
  if (registry.getSingleMetric('neptuno_queue_jobs')) return;
  new Gauge({
    name: 'neptuno_queue_jobs',
    help: 'Jobs in the queue by state (dead: the dead-letter list)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await scrapeBounded(queue.counts());
      if (counts) for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'neptuno_queue_oldest_waiting_seconds',
    help: 'Seconds the longest-waiting due job has waited to be taken (0 when none waits)',
    registers: [registry],
    async collect() {
      const at = await scrapeBounded(queue.oldestDue());
      if (at !== undefined) this.set(at === null ? 0 : Math.max(0, (Date.now() - at) / 1000));
    },
  });
}
