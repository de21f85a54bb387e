import { LRUCache } from 'lru-cache';
import type { Cache } from './contract.js';
import { checkTtl, decode, encode, InflightLoads } from './shared.js';

export interface MemoryCacheOptions {
  /** Least recently used entries are evicted past this count (default 10 000). */
  maxEntries?: number;
}

/** In-process LRU with per-entry TTL, for the embedded shape. */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>;
  private readonly inflight = new InflightLoads();

  constructor(opts: MemoryCacheOptions = {}) {
    const max = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('Cache maxEntries must be an integer >= 1');
    this.lru = new LRUCache<string, string>({ max });
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return decode<T>(this.lru.get(key));
  }

  async set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void> {
    const ttl = checkTtl(ttlMs);
    const raw = encode(value);
    if (raw === undefined) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, raw, { ttl: ttl ?? 0 });
  }

  async delete(key: string): Promise<void> {
    this.inflight.invalidate(key);
    this.lru.delete(key);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    this.inflight.invalidate(prefix, true);
    this.lru.purgeStale();
    const doomed = [...this.lru.keys()].filter((k) => k.startsWith(prefix));
    for (const k of doomed) this.lru.delete(k);
    return doomed.length;
  }

  async getOrSet<T>(key: string, ttlMs: number | undefined, loader: () => Promise<T>): Promise<T> {
    return this.inflight.getOrSet(this, key, ttlMs, loader);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
