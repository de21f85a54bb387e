import type { Cache } from './cache/contract.js';
import type { RateLimiter } from './ratelimit/contract.js';
import type { LockManager } from './lock/contract.js';
import type { PubSub } from './pubsub/contract.js';
import type { PubSubOptions } from './pubsub/shared.js';
import type { Redis, RedisSource } from './redis-connection.js';
import { MemoryCache } from './cache/memory.js';
import { RedisCache } from './cache/redis.js';
import { MemoryRateLimiter } from './ratelimit/memory.js';
import { RedisRateLimiter } from './ratelimit/redis.js';
import { MemoryLockManager } from './lock/memory.js';
import { RedisLockManager } from './lock/redis.js';
import { MemoryPubSub } from './pubsub/memory.js';
import { RedisPubSub } from './pubsub/redis.js';

export { MemoryCache, RedisCache, MemoryRateLimiter, RedisRateLimiter, MemoryLockManager, RedisLockManager };
export { MemoryPubSub, RedisPubSub };
export { createRedis, closeRedis } from './redis-connection.js';
export type { Cache, RateLimiter, LockManager, PubSub, PubSubOptions };

export interface KvOptions {
  /** Redis when set (the scaled shape), in-process otherwise (the embedded shape). */
  redisUrl: string | null;
  /** Deployment-wide prefix, e.g. `neptuno:` or `myapp:prod:`; each driver adds its own namespace. */
  prefix: string;
  /** Optional shared connection (cache, rate limits and locks can use one). Drivers never close it. */
  redis?: Redis;
}

/**
 * Each driver gets its own namespace under the deployment prefix, so `cache.deleteByPrefix('')`
 * can never wipe locks or rate-limit counters living in the same Redis.
 */
export const kvNamespaces = { cache: 'cache:', ratelimit: 'rl:', lock: 'lock:', pubsub: 'ps:' } as const;

function redisSource(opts: KvOptions): RedisSource | null {
  if (opts.redis) return { client: opts.redis };
  if (opts.redisUrl) return { url: opts.redisUrl };
  return null;
}

export function createCache(opts: KvOptions & { maxEntries?: number }): Cache {
  const source = redisSource(opts);
  if (!source) return new MemoryCache({ maxEntries: opts.maxEntries });
  return new RedisCache({ ...source, prefix: opts.prefix + kvNamespaces.cache });
}

export function createRateLimiter(opts: KvOptions): RateLimiter {
  const source = redisSource(opts);
  if (!source) return new MemoryRateLimiter();
  return new RedisRateLimiter({ ...source, prefix: opts.prefix + kvNamespaces.ratelimit });
}

export function createLockManager(opts: KvOptions): LockManager {
  const source = redisSource(opts);
  if (!source) return new MemoryLockManager();
  return new RedisLockManager({ ...source, prefix: opts.prefix + kvNamespaces.lock });
}

export function createPubSub(opts: KvOptions & PubSubOptions): PubSub {
  const source = redisSource(opts);
  if (!source) return new MemoryPubSub({ onError: opts.onError });
  return new RedisPubSub({ ...source, prefix: opts.prefix + kvNamespaces.pubsub, onError: opts.onError });
}
