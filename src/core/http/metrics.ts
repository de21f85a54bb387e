import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AppConfig } from '../config/schema.js';
import { safeEqual } from '../crypto.js';
import type { App } from '../module.js';
import { HttpProblem } from './problem.js';

/** A registry per app (tests run several apps in one process), with process metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: { method: string; route: string; status_code: number };
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The request-duration histogram, recorded on every request. prom-client's Histogram hashes
 * the label object on every observation; this keeps one series per label combination found by
 * a string key and hands prom-client's registry the same exposition data when scraped.
 */
export class RequestHistogram {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'HTTP request duration by method, route template and status code';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { method, route, status_code: status }, counts: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]) {
        s.counts[i]++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  /** The shape prom-client's Registry formats (cumulative buckets, +Inf, sum, count). */
  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.series.values()) {
      let acc = 0;
      BUCKETS.forEach((le, i) => {
        acc += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

export interface MetricsListener {
  /** Starts the separate metrics listener when `metrics.port` is set; its address, else null. */
  listen(): Promise<string | null>;
  close(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Request duration by route template (never the raw URL: bounded cardinality) and status, and
 * the exposition: on a separate listener (`metrics.port`), behind a bearer token
 * (`metrics.token`), public outside production, or not at all on the API port in production.
 */
export function installHttpMetrics(app: App, registry: Registry, config: Pick<AppConfig, 'env' | 'metrics' | 'server'>): MetricsListener {
  const histogram = new RequestHistogram();
  registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  app.addHook('onResponse', (request, reply, done) => {
    histogram.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const { token, port, host } = config.metrics;
  if (port !== null) return separateListener(registry, host ?? config.server.host, port);
  if (token !== null || config.env !== 'production') {
    // Hashed before comparing, so neither the token's length nor its bytes leak through timing.
    const expected = token === null ? null : sha256(token);
    app.get('/metrics', { config: { scope: 'public' }, schema: { hide: true } }, async (request, reply) => {
      if (expected) {
        const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (!given || !safeEqual(sha256(given), expected)) {
          throw new HttpProblem(401, 'authentication_required', { headers: { 'www-authenticate': 'Bearer realm="metrics"' } });
        }
      }
      reply.type(registry.contentType);
      return registry.metrics();
    });
  }
  return { listen: async () => null, close: async () => {} };
}

/** GET /metrics (only) on its own port, for a monitoring network the public never reaches. */
function separateListener(registry: Registry, host: string, port: number): MetricsListener {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  let listening = false;
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          listening = true;
          const address = server.address() as AddressInfo;
          resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
