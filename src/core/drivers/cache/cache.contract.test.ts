import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cache } from './contract.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';
import { testRedisUrl, uniquePrefix } from '../../../testing/targets.js';

interface Impl {
  name: string;
  make(opts?: { maxEntries?: number }): Cache;
}

const impls: Impl[] = [
  { name: 'memory', make: (opts) => new MemoryCache(opts) },
  ...(testRedisUrl ? [{ name: 'redis', make: () => new RedisCache({ url: testRedisUrl!, prefix: uniquePrefix() }) }] : []),
];

if (!testRedisUrl) describe.skip('cache contract on redis: NEPTUNO_TEST_REDIS_URL not set', () => it('not run'));

describe.each(impls)('cache contract on $name', (impl) => {
  let open: Cache[] = [];
  const cache = () => {
    const c = impl.make();
    open.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of open) {
      await c.deleteByPrefix('');
      await c.close();
    }
    open = [];
  });

  it('round-trips JSON values and reports misses as undefined', async () => {
    const c = cache();
    const value = { name: 'Ana', tags: ['a', 'b'], nested: { n: 1, ok: true, none: null } };
    await c.set('user:1', value);
    expect(await c.get('user:1')).toEqual(value);
    await c.set('zero', 0);
    await c.set('null', null);
    expect(await c.get('zero')).toBe(0);
    expect(await c.get('null')).toBeNull();
    expect(await c.get('missing')).toBeUndefined();
  });

  it('returns a copy: mutating what get() returned does not change the cache', async () => {
    const c = cache();
    await c.set('k', { n: 1 });
    const got = await c.get<{ n: number }>('k');
    got!.n = 2;
    expect(await c.get('k')).toEqual({ n: 1 });
  });

  it('expires entries after their TTL and keeps entries without one', async () => {
    const c = cache();
    await c.set('short', 'x', 50);
    await c.set('forever', 'y');
    expect(await c.get('short')).toBe('x');
    await sleep(150);
    expect(await c.get('short')).toBeUndefined();
    expect(await c.get('forever')).toBe('y');
  });

  it('overwrites a value and its TTL on set', async () => {
    const c = cache();
    await c.set('k', 1, 50);
    await c.set('k', 2);
    await sleep(150);
    expect(await c.get('k')).toBe(2);
  });

  it('deletes one key', async () => {
    const c = cache();
    await c.set('a', 1);
    await c.set('b', 2);
    await c.delete('a');
    await c.delete('never-set');
    expect(await c.get('a')).toBeUndefined();
    expect(await c.get('b')).toBe(2);
  });

  it('deletes by prefix, counts what it deleted and leaves other keys', async () => {
    const c = cache();
    for (let i = 0; i < 1200; i++) await c.set(`settings:${i}`, i);
    await c.set('settingsX', 'keep');
    await c.set('user:1', 'keep');
    await c.set('set*tings:1', 'literal');
    expect(await c.deleteByPrefix('settings:')).toBe(1200);
    expect(await c.get('settings:7')).toBeUndefined();
    expect(await c.get('settingsX')).toBe('keep');
    expect(await c.get('user:1')).toBe('keep');
    // Glob characters in the prefix are literal.
    expect(await c.deleteByPrefix('set*')).toBe(1);
    expect(await c.get('settingsX')).toBe('keep');
    expect(await c.deleteByPrefix('nothing:')).toBe(0);
  });

  it('getOrSet loads once for concurrent callers and caches the value', async () => {
    const c = cache();
    let calls = 0;
    const loader = async () => {
      calls++;
      await sleep(50);
      return { v: 'loaded' };
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => c.getOrSet('k', 10_000, loader)));
    expect(results.every((r) => r.v === 'loaded')).toBe(true);
    expect(calls).toBe(1);
    expect(await c.get('k')).toEqual({ v: 'loaded' });
    expect(await c.getOrSet('k', 10_000, loader)).toEqual({ v: 'loaded' });
    expect(calls).toBe(1);
  });

  it('getOrSet stores nothing when the loader fails, and the next call retries', async () => {
    const c = cache();
    const failing = Promise.all(
      Array.from({ length: 5 }, () =>
        c.getOrSet('k', undefined, async () => {
          await sleep(10);
          throw new Error('db down');
        }),
      ),
    );
    await expect(failing).rejects.toThrow('db down');
    expect(await c.get('k')).toBeUndefined();
    expect(await c.getOrSet('k', undefined, async () => 'ok')).toBe('ok');
  });

  it('getOrSet does not store a value loaded before a concurrent delete', async () => {
    const c = cache();
    const loading = c.getOrSet('k', undefined, async () => {
      await sleep(50);
      return 'old';
    });
    await sleep(10);
    await c.delete('k');
    expect(await loading).toBe('old');
    expect(await c.get('k')).toBeUndefined();
  });

  it('rejects a non-positive TTL', async () => {
    const c = cache();
    await expect(c.set('k', 1, 0)).rejects.toThrow(RangeError);
    await expect(c.getOrSet('k', -5, async () => 1)).rejects.toThrow(RangeError);
  });
});

describe('memory cache eviction', () => {
  it('evicts the least recently used entry past maxEntries', async () => {
    const c = new MemoryCache({ maxEntries: 2 });
    await c.set('a', 1);
    await c.set('b', 2);
    await c.get('a');
    await c.set('c', 3);
    expect(await c.get('a')).toBe(1);
    expect(await c.get('b')).toBeUndefined();
    expect(await c.get('c')).toBe(3);
    await c.close();
  });
});
