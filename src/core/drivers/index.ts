import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { createCache, createLockManager, createPubSub, createRateLimiter } from './kv.js';
import { createRedis, closeRedis, type Redis } from './redis-connection.js';
import { SqlLockManager } from './lock/sql.js';
import { createQueue } from './queue/index.js';
import { queueGauges, queueMetrics } from './queue/metrics.js';
import { CountedCache, CountedRateLimiter, kvMetrics } from '../metrics/kv.js';
import { SqlQueue } from './queue/sql.js';
import { CronScheduler } from './cron/scheduler.js';
import type { Cache } from './cache/contract.js';
import type { RateLimiter } from './ratelimit/contract.js';
import type { LockManager } from './lock/contract.js';
import type { PubSub } from './pubsub/contract.js';
import type { Queue } from './queue/contract.js';

export interface Drivers {
  /** The shared Redis client, when REDIS_URL is set. */
  redis?: Redis;
  cache: Cache;
  rateLimiter: RateLimiter;
  locks: LockManager;
  pubsub: PubSub;
  queue: Queue;
  cron: CronScheduler;
  /** Closes everything, queue and crons first. */
  close(): Promise<void>;
}

/**
 * The embedded or the Redis implementation of every driver, chosen by configuration alone:
 * REDIS_URL set means shared cache, limits, locks, pub/sub and BullMQ across replicas.
 */
export function createDrivers(config: AppConfig, database: Database, log: Logger, metrics: Registry): Drivers {
  const redisUrl = config.redis.url;
  const prefix = config.redis.prefix;
  // One shared client for cache, limits and locks (pub/sub adds its own subscriber connection).
  const redis = redisUrl ? createRedis(redisUrl, { name: 'neptuno', onError: (err) => log.warn({ err }, 'redis connection error') }) : undefined;
  // Counted for /metrics: hits and misses, refusals (plain additions on the hot path).
  const cache = new CountedCache(createCache({ redisUrl, redis, prefix }));
  const rateLimiter = new CountedRateLimiter(createRateLimiter({ redisUrl, redis, prefix }));
  kvMetrics(metrics, cache, rateLimiter);
  // Replicas sharing PostgreSQL without Redis still need one owner per lock (crons): a table.
  const locks = !redis && database.dialect === 'postgres' ? new SqlLockManager(database) : createLockManager({ redisUrl, redis, prefix });
  const pubsub = createPubSub({ redisUrl, redis, prefix, onError: (err, channel) => log.error({ err, channel }, 'pubsub handler failed') });
  const queue = createQueue({
    database,
    redisUrl,
    prefix: `${prefix}q`,
    concurrency: config.jobs.concurrency,
    pollIntervalMs: config.jobs.pollIntervalMs,
    visibilityTimeoutMs: config.jobs.visibilityTimeoutMs,
    log: log.child({ component: 'queue' }),
    metrics: queueMetrics(metrics),
  });
  queueGauges(metrics, queue);
  const cron = new CronScheduler({ locks, log: log.child({ component: 'cron' }) });
  if (queue instanceof SqlQueue) {
    // BullMQ trims finished jobs itself; the SQL queue keeps a week of them for inspection.
    cron.add({ name: 'core.prune-jobs', schedule: '17 3 * * *', run: async () => void (await queue.prune(7 * 86_400_000)) });
  }
  return {
    redis,
    cache,
    rateLimiter,
    locks,
    pubsub,
    queue,
    cron,
    async close() {
      for (const close of [() => cron.stop(), () => queue.close(), () => pubsub.close(), () => locks.close(), () => rateLimiter.close(), () => cache.close()]) {
        await close().catch((err: unknown) => log.warn({ err }, 'error while closing a driver'));
      }
      if (redis) await closeRedis(redis);
    },
  };
}
