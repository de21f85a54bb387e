import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { freePort } from '../../testing/servers.js';
import { targets } from '../../testing/targets.js';

const TOKEN = 'metrics-token-metrics-token-0123456789';

/** /docs and /metrics: each configurable, and neither public in production unless asked. */
describe.each(targets)('docs and metrics exposure on %s', (target) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const get = (url: string, headers: Record<string, string> = {}) => t!.app.inject({ method: 'GET', url, headers });

  it('in production serves neither by default, while the CLI can still write the document', async () => {
    t = await createTestApp({ target, config: { env: 'production' } });
    expect((await get('/metrics')).statusCode).toBe(404);
    expect((await get('/docs/')).statusCode).toBe(404);
    expect((await get('/openapi.json')).statusCode).toBe(404);
    expect((t.app.swagger() as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('serves the docs in production when server.docs is true, and hides them anywhere when false', async () => {
    t = await createTestApp({ target, config: { env: 'production', server: { docs: true } } });
    expect((await get('/docs/')).statusCode).toBe(200);
    expect((await get('/openapi.json')).statusCode).toBe(200);
    await t.close();
    t = await createTestApp({ target, config: { env: 'development', server: { docs: false } } });
    expect((await get('/docs/')).statusCode).toBe(404);
    expect((await get('/openapi.json')).statusCode).toBe(404);
  });

  it('puts /metrics behind metrics.token', async () => {
    t = await createTestApp({ target, config: { env: 'production', metrics: { token: TOKEN } } });
    const none = await get('/metrics');
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect((await get('/metrics', { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await get('/metrics', { authorization: `Bearer ${TOKEN}é` })).statusCode).toBe(401);
    const ok = await get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('process_cpu_user_seconds_total');
  });

  it('serves /metrics only on the separate listener when metrics.port is set', async () => {
    const port = await freePort();
    t = await createTestApp({ target, config: { env: 'development', server: { host: '127.0.0.1', port: 0 }, metrics: { port } } });
    const api = await t.neptuno.listen();
    expect((await fetch(`${api}/metrics`)).status).toBe(404);
    await fetch(`${api}/health/live`);
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('http_request_duration_seconds_count{method="GET",route="/health/live",status_code="200"}');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
