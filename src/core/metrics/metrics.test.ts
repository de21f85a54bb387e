import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { scrapeMetrics, type Scrape } from '../../testing/metrics.js';
import { waitFor } from '../../testing/wait.js';
import { PrivateRedis } from '../../testing/servers.js';
import { opsHooks, opsModule } from './ops.fixture.js';

/**
 * Scrapes until `ok` holds. Scrape-time reads (queue, outbox, health checks) that miss their bound
 * on a loaded machine keep the previous value for that scrape; the next one catches up.
 */
const scraped = (t: TestApp, ok: (s: Scrape) => boolean) =>
  waitFor(async () => {
    const s = await scrapeMetrics(t.app);
    return ok(s) ? s : null;
  }, 'the metrics to show it');

describe.each(targets)('operator metrics ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [opsModule], workers: true, config: { metrics: { tenants: ['acme'] }, health: { timeoutMs: 1000 }, events: { recoveryDelayMs: 600_000 } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts retries and dead letters per job name, and the dead-letter list', async () => {
    const id = await t.ctx.queue.enqueue('ops.flaky', {}, { attempts: 2, backoffMs: 0 });
    await waitFor(async () => (await t.ctx.queue.get(id))?.state === 'dead' || null, 'the job to die');
    const m = await scraped(t, (s) => s.value('neptuno_jobs_dead_total', { name: 'ops.flaky' }) === 1 && s.value('neptuno_queue_jobs', { state: 'dead' }) === 1);
    expect(m.value('neptuno_jobs_retries_total', { name: 'ops.flaky' })).toBe(1);
    expect(m.value('neptuno_jobs_failed_total', { name: 'ops.flaky' })).toBe(2);
    expect(m.value('neptuno_queue_jobs', { state: 'dead' })).toBe(1);
  });

  it('counts event handler failures and the outbox backlog', async () => {
    opsHooks.handlerFails = 1;
    opsHooks.handlerCalls = 0;
    await t.ctx.tx(async (trx) => void trx.emit('ops.happened', { n: 1 }), { awaitDelivery: true });
    // The failed delivery waits for its retry job: it is the backlog. (Polled: a scrape-time read
    // slower than its bound on a loaded machine leaves the previous value for that scrape.)
    const m = await scraped(t, (s) => s.value('neptuno_outbox_pending') >= 1);
    expect(m.value('neptuno_outbox_handler_failures_total', { module: 'ops', event: 'ops.happened' })).toBe(1);
    expect(m.names.has('neptuno_outbox_oldest_pending_seconds')).toBe(true);
  });

  it('counts cache hits and misses and rate-limit refusals by limiter, never by key', async () => {
    const before = await scrapeMetrics(t.app);
    await t.ctx.cache.get('ops:absent');
    await t.ctx.cache.set('ops:present', 1);
    await t.ctx.cache.get('ops:present');
    await t.ctx.cache.getOrSet('ops:loaded', 1000, async () => 2);
    await t.ctx.cache.getOrSet('ops:loaded', 1000, async () => 3);
    const rule = { limit: 1, windowMs: 60_000 };
    for (let i = 0; i < 3; i++) await t.ctx.rateLimiter.hit('ops:burst:203.0.113.9', rule);
    await t.ctx.rateLimiter.hit('ops-key:0f8fad5b-d9cb-469f-a165-70867728950e', rule);
    await t.ctx.rateLimiter.hit('ops-key:0f8fad5b-d9cb-469f-a165-70867728950e', rule);
    const m = await scrapeMetrics(t.app);
    const diff = (name: string, labels: Record<string, string>) => m.value(name, labels) - before.value(name, labels);
    expect(diff('neptuno_cache_requests_total', { result: 'hit' })).toBe(2);
    expect(diff('neptuno_cache_requests_total', { result: 'miss' })).toBe(2);
    expect(m.value('neptuno_ratelimit_refusals_total', { limiter: 'ops:burst' })).toBe(2);
    expect(m.value('neptuno_ratelimit_refusals_total', { limiter: 'ops-key' })).toBe(1);
    expect(m.text).not.toContain('203.0.113.9');
    expect(m.text).not.toContain('0f8fad5b');
  });

  it('counts slow statements by kind past database.slowStatementMs', async () => {
    const before = await scrapeMetrics(t.app);
    t.ctx.database.stats.slowMs = 0;
    try {
      expect((await t.app.inject({ method: 'GET', url: '/v1/ops/count' })).statusCode).toBe(200);
    } finally {
      t.ctx.database.stats.slowMs = 500;
    }
    const m = await scrapeMetrics(t.app);
    expect(m.value('neptuno_db_slow_statements_total', { kind: 'select' })).toBeGreaterThan(before.value('neptuno_db_slow_statements_total', { kind: 'select' }));
  });

  it('counts requests of the listed tenants by name and the others as other', async () => {
    for (const tenant of ['acme', 'acme', 'org_123']) {
      expect((await t.app.inject({ method: 'GET', url: '/v1/ops/whoami', headers: { 'x-test-tenant': tenant } })).json()).toEqual({ tenant });
    }
    await t.app.inject({ method: 'GET', url: '/v1/ops/whoami' });
    const m = await scraped(t, (s) => s.value('neptuno_tenant_requests_total', { tenant: 'other' }) === 1);
    expect(m.value('neptuno_tenant_requests_total', { tenant: 'acme' })).toBe(2);
    expect(m.text).not.toContain('org_123');
  });

  it('reports each dependency up, the disk free for the data folder, and readiness naming what failed', async () => {
    const up = (s: Scrape, dependency: string) => s.value('neptuno_dependency_up', { dependency }) === 1;
    const m = await scraped(t, (s) => up(s, 'database') && up(s, 'queue') && (!target.redisUrl || up(s, 'redis')));
    expect(m.value('neptuno_disk_free_bytes', { volume: 'data' })).toBeGreaterThan(0);
    expect(m.value('neptuno_disk_free_bytes', { volume: 'data' })).toBeLessThanOrEqual(m.value('neptuno_disk_size_bytes', { volume: 'data' }));
    if (target.name === 'sqlite') expect(m.value('neptuno_disk_free_bytes', { volume: 'database' })).toBeGreaterThan(0);

    // A provider that is down degrades readiness without failing it; a critical dependency fails it.
    t.ctx.health.add('provider', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED https://user:hunter2@provider.example'), { code: 'ECONNREFUSED' });
    }, { critical: false });
    const ready = () => t.app.inject({ method: 'GET', url: '/health/ready' });
    let res = await waitFor(async () => {
      const r = await ready();
      return r.statusCode === 200 ? r : null;
    }, 'readiness, degraded');
    expect(res.json()).toMatchObject({ status: 'degraded', checks: { provider: 'fail: ECONNREFUSED' } });
    t.ctx.health.add('storage', () => new Promise(() => {}));
    res = await ready();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'not_ready', checks: { storage: 'fail: timed out', provider: 'fail: ECONNREFUSED' } });
    expect(res.json().detail).toMatch(/^Failing checks: .*storage/);
    expect(res.body).not.toContain('hunter2');
    await scraped(t, (s) => s.value('neptuno_dependency_up', { dependency: 'storage' }) === 0 && up(s, 'database'));
  });
});

describe.each(targets)('database connection metrics ($name)', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // One connection on both shapes, so a second query has to wait for it.
    t = await createTestApp({ target, config: { database: { poolSize: 1 }, health: { timeoutMs: 200 } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const gauge = async (name: string) => {
    const text = await t.ctx.metrics.getSingleMetricAsString(name);
    return Number(/\s(\S+)\s*$/.exec(text.trim())![1]);
  };

  it('shows connections in use and queries waiting for one', async () => {
    expect(await gauge('neptuno_db_connections_max')).toBe(1);
    expect(await gauge('neptuno_db_connections_in_use')).toBe(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const held = t.ctx.tx(async (trx) => {
      await trx.selectFrom('neptuno_jobs').select('id').execute();
      entered();
      await gate;
    });
    await inside;
    expect(await gauge('neptuno_db_connections_in_use')).toBe(1);
    const waiting = t.ctx.db.selectFrom('neptuno_jobs').select('id').execute();
    await waitFor(async () => (await gauge('neptuno_db_connections_waiting')) === 1 || null, 'a waiting query');
    release();
    await held;
    await waiting;
    expect(await gauge('neptuno_db_connections_waiting')).toBe(0);
    expect(await gauge('neptuno_db_connections_in_use')).toBe(0);
  });

});

describe.each(targets)('Redis availability ($name)', { timeout: 60_000 }, (target) => {
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await createTestApp({ target: { ...target, redisUrl: redis.url }, config: { health: { timeoutMs: 1000 } } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  it('turns neptuno_dependency_up{dependency="redis"} to 0 while Redis is gone, and back', async () => {
    const redisUp = (s: Scrape) => s.value('neptuno_dependency_up', { dependency: 'redis' });
    await scraped(t, (s) => redisUp(s) === 1);
    await redis.kill();
    await scraped(t, (s) => redisUp(s) === 0 && s.value('neptuno_dependency_up', { dependency: 'database' }) === 1);
    await redis.start();
    await scraped(t, (s) => redisUp(s) === 1);
  });
});
