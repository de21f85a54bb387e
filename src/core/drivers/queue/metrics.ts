import { Counter, type Registry } from 'prom-client';
import type { QueueMetrics } from './shared.js';

function counter(registry: Registry, name: string, help: string): Counter<'name'> {
  // Two queues (or a restarted app in tests) on one registry share the counters instead of
  // failing on a duplicate registration.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'name'>;
  return new Counter({ name, help, labelNames: ['name'], registers: [registry] });
}

/**
 * Job counters by job name on a prom-client registry, returned as the hook the queue
 * drivers call: `createQueue({ ..., metrics: queueMetrics(registry) })`.
 *   neptuno_jobs_completed_total{name}  handler succeeded
 *   neptuno_jobs_failed_total{name}     an attempt threw (retried or not)
 *   neptuno_jobs_dead_total{name}       attempts exhausted, job moved to the dead-letter state
 */
export function queueMetrics(registry: Registry): QueueMetrics {
  const completed = counter(registry, 'neptuno_jobs_completed_total', 'Jobs whose handler succeeded, by job name');
  const failed = counter(registry, 'neptuno_jobs_failed_total', 'Job attempts that threw, by job name');
  const dead = counter(registry, 'neptuno_jobs_dead_total', 'Jobs moved to the dead-letter state, by job name');
  return {
    onCompleted: (name) => completed.inc({ name }),
    onFailed: (name) => failed.inc({ name }),
    onDead: (name) => dead.inc({ name }),
  };
}
