/** A held lock. Only this object can release or extend it: the key and owner token travel together. */
export interface Lock {
  readonly key: string;
  /** Releases the lock if still owned; false when it had expired and someone else may hold it. */
  release(): Promise<boolean>;
  /** Pushes the expiry to now + ttlMs if still owned. */
  extend(ttlMs: number): Promise<boolean>;
}

export interface AcquireOptions {
  ttlMs: number;
  /** How long to keep retrying before giving up; 0 (default) tries once. */
  waitMs?: number;
}

export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`Could not acquire lock "${key}"`);
    this.name = 'LockTimeoutError';
  }
}

/** Mutual exclusion with owner tokens and TTL. Embedded: in-process. Scale: Redis (SET NX PX + checked release). */
export interface LockManager {
  acquire(key: string, opts: AcquireOptions): Promise<Lock | null>;
  /** Runs fn while holding the lock; throws LockTimeoutError when it cannot be acquired. */
  withLock<T>(key: string, opts: AcquireOptions, fn: (lock: Lock) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
