import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimiter } from './contract.js';
import { MemoryRateLimiter } from './memory.js';
import { RedisRateLimiter } from './redis.js';
import { testRedisUrl, uniquePrefix } from '../../../testing/targets.js';

interface Impl {
  name: string;
  /** Embedded: one process is one replica (same instance). Redis: separate instances sharing a prefix. */
  replicas(n: number): RateLimiter[];
}

const impls: Impl[] = [
  {
    name: 'memory',
    replicas: (n) => {
      const one = new MemoryRateLimiter();
      return Array.from({ length: n }, () => one);
    },
  },
  ...(testRedisUrl
    ? [
        {
          name: 'redis',
          replicas: (n: number) => {
            const prefix = uniquePrefix();
            return Array.from({ length: n }, () => new RedisRateLimiter({ url: testRedisUrl!, prefix }));
          },
        },
      ]
    : []),
];

if (!testRedisUrl) describe.skip('rate limit contract on redis: NEPTUNO_TEST_REDIS_URL not set', () => it('not run'));

describe.each(impls)('rate limit contract on $name', (impl) => {
  let open: RateLimiter[] = [];
  const limiters = (n: number) => {
    const ls = impl.replicas(n);
    open.push(...ls);
    return ls;
  };
  afterEach(async () => {
    await Promise.all([...new Set(open)].map((l) => l.close()));
    open = [];
  });

  it('allows exactly `limit` of many concurrent hits, in total across replicas', async () => {
    const [a, b] = limiters(2);
    const rule = { limit: 10, windowMs: 60_000 };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('ip:1', rule)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed)).toHaveLength(40);
  });

  it('counts remaining down and reports sane reset and retry times', async () => {
    const [l] = limiters(1);
    const rule = { limit: 3, windowMs: 60_000 };
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await l.hit('k', rule));
    expect(seen.map((r) => r.remaining)).toEqual([2, 1, 0]);
    for (const r of seen) {
      expect(r).toMatchObject({ allowed: true, limit: 3, retryAfterMs: 0 });
      expect(r.resetMs).toBeGreaterThan(0);
      expect(r.resetMs).toBeLessThanOrEqual(60_000);
    }
    const refused = await l.hit('k', rule);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
  });

  it('does not consume units on a refused hit', async () => {
    const [l] = limiters(1);
    const rule = { limit: 3, windowMs: 60_000 };
    expect(await l.hit('k', rule, 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await l.hit('k', rule, 2)).toMatchObject({ allowed: false, remaining: 0 });
    expect(await l.hit('k', rule, 1)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await l.hit('k', rule, 1)).allowed).toBe(false);
  });

  it('refuses a cost larger than the limit without creating a window', async () => {
    const [l] = limiters(1);
    const rule = { limit: 2, windowMs: 60_000 };
    expect((await l.hit('k', rule, 5)).allowed).toBe(false);
    expect(await l.hit('k', rule, 2)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('opens a fresh window after the old one ends', async () => {
    const [l] = limiters(1);
    const rule = { limit: 2, windowMs: 100 };
    await l.hit('k', rule);
    await l.hit('k', rule);
    const refused = await l.hit('k', rule);
    expect(refused.allowed).toBe(false);
    await sleep(refused.retryAfterMs + 50);
    expect(await l.hit('k', rule)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('keeps keys apart and reset() clears one key', async () => {
    const [l] = limiters(1);
    const rule = { limit: 1, windowMs: 60_000 };
    expect((await l.hit('a', rule)).allowed).toBe(true);
    expect((await l.hit('b', rule)).allowed).toBe(true);
    expect((await l.hit('a', rule)).allowed).toBe(false);
    await l.reset('a');
    expect((await l.hit('a', rule)).allowed).toBe(true);
    expect((await l.hit('b', rule)).allowed).toBe(false);
  });

  it('rejects nonsense rules instead of allowing everything', async () => {
    const [l] = limiters(1);
    await expect(l.hit('k', { limit: 1, windowMs: 0 })).rejects.toThrow(RangeError);
    await expect(l.hit('k', { limit: -1, windowMs: 1000 })).rejects.toThrow(RangeError);
    await expect(l.hit('k', { limit: 1, windowMs: 1000 }, 0)).rejects.toThrow(RangeError);
  });
});
