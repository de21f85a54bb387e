import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { CuttableRelay, PrivateRedis, freePort } from '../../testing/servers.js';
import { builtinModules } from '../../modules/index.js';

const pgUrl = process.env.NEPTUNO_TEST_DATABASE_URL || null;

/** Polls readiness until it answers 200 (the app reconnects by itself; nothing here pokes it). */
async function untilReady(t: TestApp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the app never became ready again');
}

const createGuest = (t: TestApp, lang = 'en') =>
  t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { 'accept-language': lang } });

function expectUnavailable(res: Awaited<ReturnType<typeof createGuest>>, title: string) {
  expect(res.statusCode).toBe(503);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toMatchObject({ status: 503, code: 'dependency_unavailable', title });
}

describe('Redis unreachable at run time', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await createTestApp({ target: { name: 'sqlite', redisUrl: redis.url }, modules: builtinModules });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  it('answers 503 dependency_unavailable with Retry-After, in es and en, and recovers on its own', async () => {
    const before = await createGuest(t);
    expect(before.statusCode).toBe(201);
    const cookie = before.headers['set-cookie'] as string;

    await redis.kill();
    expectUnavailable(await createGuest(t), 'Temporarily unavailable');
    expectUnavailable(await createGuest(t, 'es'), 'No disponible por el momento');
    // A read that resolves the guest through the cache.
    const read = await t.app.inject({ method: 'GET', url: '/v1/public/whoami', headers: { cookie, 'accept-language': 'en' } });
    expect([200, 503]).toContain(read.statusCode);
    if (read.statusCode === 503) expect(read.json().code).toBe('dependency_unavailable');
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.redis).toMatch(/^fail/);

    await redis.start();
    await untilReady(t);
    expect((await createGuest(t)).statusCode).toBe(201);
  });

  it('refuses to start with a wrong REDIS_URL, naming Redis and the URL without its password', async () => {
    const url = `redis://:hunter2-secret@127.0.0.1:${await freePort()}`;
    const failed = createTestApp({ target: { name: 'sqlite', redisUrl: url }, modules: [] });
    await expect(failed).rejects.toThrow(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is not reachable \(.*ECONNREFUSED.*\)\. Check REDIS_URL/);
    await expect(failed).rejects.not.toThrow(/hunter2/);
  });
});

describe.runIf(pgUrl)('PostgreSQL unreachable at run time', { timeout: 120_000 }, () => {
  let relay: CuttableRelay;
  let t: TestApp;
  beforeAll(async () => {
    const target = new URL(pgUrl!);
    relay = await CuttableRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${relay.port}`;
    // The app reaches PostgreSQL only through the relay; cutting it is the database vanishing.
    t = await createTestApp({ target: { name: 'postgres', redisUrl: null }, modules: builtinModules, config: { database: { url: target.toString() } } });
  });
  afterAll(async () => {
    await relay?.restore().catch(() => {});
    await t?.close();
    await relay?.cut();
  });

  it('answers 503 dependency_unavailable instead of 500, and recovers on its own', async () => {
    expect((await createGuest(t)).statusCode).toBe(201);
    await relay.cut();
    expectUnavailable(await createGuest(t), 'Temporarily unavailable');
    await relay.restore();
    await untilReady(t);
    expect((await createGuest(t)).statusCode).toBe(201);
  });
});
