import { Counter, type Registry } from 'prom-client';
import type { Cache } from '../drivers/cache/contract.js';
import type { RateLimiter, RateLimitResult, RateLimitRule } from '../drivers/ratelimit/contract.js';

/**
 * Counts cache hits and misses in plain numbers (the cache sits on hot paths: sessions,
 * settings); handed to `neptuno_cache_requests_total{result}` when scraped.
 */
export class CountedCache implements Cache {
  hits = 0;
  misses = 0;

  constructor(private readonly inner: Cache) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const value = await this.inner.get<T>(key);
    if (value === undefined) this.misses++;
    else this.hits++;
    return value;
  }

  set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void> {
    return this.inner.set(key, value, ttlMs);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deleteByPrefix(prefix: string): Promise<number> {
    return this.inner.deleteByPrefix(prefix);
  }

  async getOrSet<T>(key: string, ttlMs: number | undefined, loader: () => Promise<T>): Promise<T> {
    let loaded = false;
    const value = await this.inner.getOrSet(key, ttlMs, () => {
      loaded = true;
      return loader();
    });
    if (loaded) this.misses++;
    else this.hits++;
    return value;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Distinct `limiter` labels kept; later new ones count as `other` (a hard bound on cardinality). */
const MAX_LIMITERS = 50;

/**
 * The bounded name of a rate-limit key: its first segment, plus the second when that is a plain
 * word (`auth:signIn:ip:1.2.3.4` -> `auth:signIn`, `api-key:<id>` -> `api-key`,
 * `realtime:connect:<ip>` -> `realtime:connect`). Ids, IPs and hashes never become labels.
 */
export function limiterName(key: string): string {
  const [first, second] = key.split(':');
  if (!first || !/^[a-zA-Z][a-zA-Z_-]{0,31}$/.test(first)) return 'other';
  return second && /^[a-zA-Z][a-zA-Z_]{2,31}$/.test(second) ? `${first}:${second}` : first;
}

/** Counts refused hits by limiter; handed to `neptuno_ratelimit_refusals_total{limiter}` when scraped. */
export class CountedRateLimiter implements RateLimiter {
  readonly refusals = new Map<string, number>();

  constructor(private readonly inner: RateLimiter) {}

  async hit(key: string, rule: RateLimitRule, cost?: number): Promise<RateLimitResult> {
    const result = await this.inner.hit(key, rule, cost);
    if (!result.allowed) {
      let name = limiterName(key);
      if (!this.refusals.has(name) && this.refusals.size >= MAX_LIMITERS) name = 'other';
      this.refusals.set(name, (this.refusals.get(name) ?? 0) + 1);
    }
    return result;
  }

  reset(key: string): Promise<void> {
    return this.inner.reset(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 *   neptuno_cache_requests_total{result}        cache reads: hit or miss (get and getOrSet)
 *   neptuno_ratelimit_refusals_total{limiter}   requests refused by a rate limit, by limiter
 */
export function kvMetrics(registry: Registry, cache: CountedCache, limiter: CountedRateLimiter): void {
  const requests = new Counter({
    name: 'neptuno_cache_requests_total',
    help: 'Cache reads by result (hit, miss)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      requests.inc({ result: 'hit' }, cache.hits);
      requests.inc({ result: 'miss' }, cache.misses);
      cache.hits = 0;
      cache.misses = 0;
    },
  });
  const refusals = new Counter({
    name: 'neptuno_ratelimit_refusals_total',
    help: 'Requests refused by a rate limit, by limiter (the key without its ids)',
    labelNames: ['limiter'],
    registers: [registry],
    collect() {
      for (const [name, n] of limiter.refusals) if (n > 0) refusals.inc({ limiter: name }, n);
      // Names stay (with 0) so the cap counts distinct names ever seen.
      for (const name of limiter.refusals.keys()) limiter.refusals.set(name, 0);
    },
  });
}
