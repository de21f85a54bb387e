import { describe, expect, it } from 'vitest';
import { createCache, createLockManager, createPubSub, createRateLimiter, createRedis, closeRedis } from './kv.js';
import { MemoryCache, MemoryLockManager, MemoryPubSub, MemoryRateLimiter } from './kv.js';
import { RedisCache, RedisLockManager, RedisPubSub, RedisRateLimiter } from './kv.js';
import { testRedisUrl, uniquePrefix } from '../../testing/targets.js';

describe('kv driver factories', () => {
  it('build in-process drivers when no Redis URL is set', async () => {
    const opts = { redisUrl: null, prefix: 'x:' };
    const drivers = [createCache(opts), createRateLimiter(opts), createLockManager(opts), createPubSub(opts)];
    expect(drivers[0]).toBeInstanceOf(MemoryCache);
    expect(drivers[1]).toBeInstanceOf(MemoryRateLimiter);
    expect(drivers[2]).toBeInstanceOf(MemoryLockManager);
    expect(drivers[3]).toBeInstanceOf(MemoryPubSub);
    await Promise.all(drivers.map((d) => d.close()));
  });

  if (!testRedisUrl) it.skip('redis factories: NEPTUNO_TEST_REDIS_URL not set', () => {});

  it.runIf(testRedisUrl)('build Redis drivers, each in its own namespace, sharing a passed client', async () => {
    const shared = createRedis(testRedisUrl!);
    const opts = { redisUrl: testRedisUrl, prefix: uniquePrefix(), redis: shared };
    const cache = createCache(opts);
    const limiter = createRateLimiter(opts);
    const locks = createLockManager(opts);
    const pubsub = createPubSub(opts);
    try {
      expect(cache).toBeInstanceOf(RedisCache);
      expect(limiter).toBeInstanceOf(RedisRateLimiter);
      expect(locks).toBeInstanceOf(RedisLockManager);
      expect(pubsub).toBeInstanceOf(RedisPubSub);
      const lock = await locks.acquire('same', { ttlMs: 10_000 });
      await limiter.hit('same', { limit: 5, windowMs: 10_000 });
      await cache.set('same', 1);
      // Wiping the whole cache namespace leaves locks and counters alone.
      expect(await cache.deleteByPrefix('')).toBe(1);
      expect(await locks.acquire('same', { ttlMs: 10_000 })).toBeNull();
      expect((await limiter.hit('same', { limit: 5, windowMs: 10_000 })).remaining).toBe(3);
      expect(await lock!.release()).toBe(true);
      await limiter.reset('same');
    } finally {
      await Promise.all([cache.close(), limiter.close(), locks.close(), pubsub.close()]);
    }
    expect(await shared.ping()).toBe('PONG');
    await closeRedis(shared);
  });
});
