import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError, type LockManager } from './contract.js';
import { MemoryLockManager } from './memory.js';
import { RedisLockManager } from './redis.js';
import { isolatedDatabase, targets, testRedisUrl, uniquePrefix } from '../../../testing/targets.js';
import { createDatabase } from '../../db/database.js';
import { SqlLockManager, lockMigrations } from './sql.js';

interface Impl {
  name: string;
  /**
   * `n` managers as `n` replicas would hold them. Embedded: one process is one replica, so the
   * same instance n times. Redis: n instances with their own connections sharing a prefix.
   */
  replicas(n: number): LockManager[] | Promise<LockManager[]>;
}

const impls: Impl[] = [
  {
    name: 'memory',
    replicas: (n) => {
      const one = new MemoryLockManager();
      return Array.from({ length: n }, () => one);
    },
  },
  // SQL locks: each replica its own connection to one database (a SQLite file, or a PostgreSQL schema).
  ...targets.map((target) => ({
    name: `sql on ${target.name}`,
    replicas: async (n: number) => {
      const isolated = await isolatedDatabase(target);
      const dbs = Array.from({ length: n }, () => createDatabase({ url: isolated.url, schema: isolated.schema }));
      await lockMigrations.locks_0001_locks.up(dbs[0].db);
      return dbs.map((database, i) => {
        const manager = new SqlLockManager(database);
        // The last replica to close drops the database.
        manager.close = async () => {
          await database.destroy();
          if (i === n - 1) await isolated.cleanup();
        };
        return manager;
      });
    },
  })),
  ...(testRedisUrl
    ? [
        {
          name: 'redis',
          replicas: (n: number) => {
            const prefix = uniquePrefix();
            return Array.from({ length: n }, () => new RedisLockManager({ url: testRedisUrl!, prefix }));
          },
        },
      ]
    : []),
];

if (!testRedisUrl) describe.skip('lock contract on redis: NEPTUNO_TEST_REDIS_URL not set', () => it('not run'));

/** Waits until `key` can be taken again by someone (the TTL expired), then returns that lock. */
async function takeOverAfterExpiry(manager: LockManager, key: string) {
  const lock = await manager.acquire(key, { ttlMs: 10_000, waitMs: 5_000 });
  expect(lock).not.toBeNull();
  return lock!;
}

describe.each(impls)('lock contract on $name', (impl) => {
  let open: LockManager[] = [];
  const managers = async (n: number) => {
    const ms = await impl.replicas(n);
    open.push(...ms);
    return ms;
  };
  afterEach(async () => {
    await Promise.all([...new Set(open)].map((m) => m.close()));
    open = [];
  });

  it('gives a key to exactly one of many concurrent acquirers, across replicas', async () => {
    const [a, b] = await managers(2);
    const attempts = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).acquire('job', { ttlMs: 10_000 }));
    const locks = await Promise.all(attempts);
    const winners = locks.filter((l) => l !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.key).toBe('job');
  });

  it('keeps different keys independent', async () => {
    const [m] = await managers(1);
    const x = await m.acquire('x', { ttlMs: 10_000 });
    const y = await m.acquire('y', { ttlMs: 10_000 });
    expect(x).not.toBeNull();
    expect(y).not.toBeNull();
  });

  it('lets the owner release, after which another replica can acquire', async () => {
    const [a, b] = await managers(2);
    const lock = await a.acquire('k', { ttlMs: 10_000 });
    expect(lock).not.toBeNull();
    expect(await b.acquire('k', { ttlMs: 10_000 })).toBeNull();
    expect(await lock!.release()).toBe(true);
    expect(await lock!.release()).toBe(false);
    const next = await b.acquire('k', { ttlMs: 10_000 });
    expect(next).not.toBeNull();
  });

  it('does not let a stale owner release or extend the new owner lock', async () => {
    const [a, b] = await managers(2);
    const old = await a.acquire('k', { ttlMs: 50 });
    expect(old).not.toBeNull();
    const fresh = await takeOverAfterExpiry(b, 'k');
    expect(await old!.release()).toBe(false);
    expect(await old!.extend(10_000)).toBe(false);
    // The new owner still holds it.
    expect(await a.acquire('k', { ttlMs: 10_000 })).toBeNull();
    expect(await fresh.release()).toBe(true);
  });

  it('extends a held lock so it outlives its first TTL', async () => {
    const [a, b] = await managers(2);
    const lock = await a.acquire('k', { ttlMs: 100 });
    expect(await lock!.extend(10_000)).toBe(true);
    await sleep(250);
    expect(await b.acquire('k', { ttlMs: 10_000 })).toBeNull();
    expect(await lock!.release()).toBe(true);
  });

  it('tries once by default and returns null when busy', async () => {
    const [m] = await managers(1);
    await m.acquire('k', { ttlMs: 10_000 });
    expect(await m.acquire('k', { ttlMs: 10_000 })).toBeNull();
    expect(await m.acquire('k', { ttlMs: 10_000, waitMs: 0 })).toBeNull();
  });

  it('with waitMs, acquires once the holder releases', async () => {
    const [a, b] = await managers(2);
    const held = await a.acquire('k', { ttlMs: 10_000 });
    const waiting = b.acquire('k', { ttlMs: 10_000, waitMs: 10_000 });
    await sleep(100);
    await held!.release();
    const got = await waiting;
    expect(got).not.toBeNull();
    expect(await got!.release()).toBe(true);
  });

  it('withLock returns the result and releases the lock', async () => {
    const [m] = await managers(1);
    const result = await m.withLock('k', { ttlMs: 10_000 }, async (lock) => {
      expect(lock.key).toBe('k');
      expect(await m.acquire('k', { ttlMs: 10_000 })).toBeNull();
      return 42;
    });
    expect(result).toBe(42);
    expect(await m.acquire('k', { ttlMs: 10_000 })).not.toBeNull();
  });

  it('withLock releases the lock when fn throws', async () => {
    const [m] = await managers(1);
    await expect(
      m.withLock('k', { ttlMs: 10_000 }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await m.acquire('k', { ttlMs: 10_000 })).not.toBeNull();
  });

  it('withLock throws LockTimeoutError when the lock is busy', async () => {
    const [a, b] = await managers(2);
    await a.acquire('k', { ttlMs: 10_000 });
    let ran = false;
    const err = await b
      .withLock('k', { ttlMs: 10_000, waitMs: 100 }, async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as LockTimeoutError).key).toBe('k');
    expect(ran).toBe(false);
  });

  it('rejects nonsense options', async () => {
    const [m] = await managers(1);
    await expect(m.acquire('k', { ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(m.acquire('', { ttlMs: 1000 })).rejects.toThrow(TypeError);
  });
});
