import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { RequestHistogram } from './metrics.js';

describe('RequestHistogram', () => {
  it('exposes exactly what prom-client\'s own Histogram would for the same observations', async () => {
    const ours = new Registry();
    const fast = new RequestHistogram();
    ours.registerMetric(fast as unknown as Parameters<Registry['registerMetric']>[0]);
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [theirs],
    });
    const samples: Array<[string, string, number, number]> = [
      ['GET', '/v1/x/:id', 200, 0.002],
      ['GET', '/v1/x/:id', 200, 0.03],
      ['GET', '/v1/x/:id', 404, 7],
      ['POST', '/v1/y', 201, 0.25],
      ['GET', 'unmatched', 404, 0.0001],
    ];
    for (const [method, route, status, seconds] of samples) {
      fast.observe(method, route, status, seconds);
      reference.observe({ method, route, status_code: status }, seconds);
    }
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
  });
});
