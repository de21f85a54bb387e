/** Key/value cache with TTL. Embedded: in-process LRU. Scale: Redis (shared by replicas). */
export interface Cache {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlMs omitted: kept until evicted or deleted. Values must be JSON-serializable. */
  set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every key starting with prefix; returns how many were deleted. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Returns the cached value, or loads, stores and returns it. */
  getOrSet<T>(key: string, ttlMs: number | undefined, loader: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
