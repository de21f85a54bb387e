import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { App } from '../module.js';

/** A registry per app (tests run several apps in one process), with process metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Request duration by route template (never the raw URL: bounded cardinality) and status. */
export function installHttpMetrics(app: App, registry: Registry) {
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // One child per label combination, found by a string key: prom-client would otherwise hash
  // the label object on every observation.
  const children = new Map<string, ReturnType<typeof histogram.labels>>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = histogram.labels({ method: request.method, route, status_code: reply.statusCode });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
