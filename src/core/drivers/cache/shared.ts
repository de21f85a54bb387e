import type { Cache } from './contract.js';

/** Values travel as JSON on both shapes, so code cannot come to rely on in-memory object identity. */
export function encode(value: unknown): string | undefined {
  return JSON.stringify(value);
}

export function decode<T>(raw: string | null | undefined): T | undefined {
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as T);
}

export function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError('Cache ttlMs must be >= 1 (or omitted)');
  return Math.ceil(ttlMs);
}

interface Inflight {
  promise: Promise<unknown>;
  /** Set when the key is deleted mid-load: the loaded value may predate the delete, so it is not stored. */
  stale: boolean;
}

/**
 * getOrSet without a stampede inside one process: concurrent callers for a key share one
 * loader call. Across replicas each process may load once; that is accepted (loads are reads).
 */
export class InflightLoads {
  private readonly loads = new Map<string, Inflight>();

  /** The whole `Cache.getOrSet` of a driver, given the driver's own get and set. */
  getOrSet<T>(cache: Pick<Cache, 'get' | 'set'>, key: string, ttlMs: number | undefined, loader: () => Promise<T>): Promise<T> {
    checkTtl(ttlMs);
    return this.run(
      key,
      () => cache.get<T>(key),
      loader,
      (value) => cache.set(key, value, ttlMs),
    );
  }

  run<T>(
    key: string,
    lookup: () => Promise<T | undefined>,
    loader: () => Promise<T>,
    store: (value: T) => Promise<void>,
  ): Promise<T> {
    const existing = this.loads.get(key);
    if (existing) return existing.promise as Promise<T>;
    const entry: Inflight = { promise: Promise.resolve(), stale: false };
    entry.promise = (async () => {
      try {
        const cached = await lookup();
        if (cached !== undefined) return cached;
        const value = await loader();
        // undefined cannot be stored as JSON; hand it back uncached.
        if (value !== undefined && !entry.stale) await store(value);
        return value;
      } finally {
        if (this.loads.get(key) === entry) this.loads.delete(key);
      }
    })();
    this.loads.set(key, entry);
    return entry.promise as Promise<T>;
  }

  /** Marks loads for `key` (or every key starting with `prefix`) so they do not store what they load. */
  invalidate(key: string, byPrefix = false): void {
    for (const [k, entry] of this.loads) {
      if (byPrefix ? k.startsWith(key) : k === key) {
        entry.stale = true;
        this.loads.delete(k);
      }
    }
  }
}
