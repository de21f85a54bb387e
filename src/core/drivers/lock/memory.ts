import type { AcquireOptions, Lock, LockManager } from './contract.js';
import { acquireWithRetry, checkAcquireOptions, newOwnerToken, runWithLock } from './shared.js';

interface Held {
  token: string;
  expiresAt: number;
}

/**
 * In-process locks for the embedded shape (one process). Expiry is checked lazily on access,
 * so there are no timers to leak; expired entries are swept now and then.
 */
export class MemoryLockManager implements LockManager {
  private readonly held = new Map<string, Held>();
  private lastSweep = Date.now();

  async acquire(key: string, opts: AcquireOptions): Promise<Lock | null> {
    checkAcquireOptions(key, opts);
    return acquireWithRetry(async () => this.tryAcquire(key, opts.ttlMs), opts.waitMs);
  }

  withLock<T>(key: string, opts: AcquireOptions, fn: (lock: Lock) => Promise<T>): Promise<T> {
    return runWithLock(() => this.acquire(key, opts), key, fn);
  }

  async close(): Promise<void> {
    this.held.clear();
  }

  private tryAcquire(key: string, ttlMs: number): Lock | null {
    const now = Date.now();
    this.sweep(now);
    const current = this.held.get(key);
    if (current && current.expiresAt > now) return null;
    const token = newOwnerToken();
    this.held.set(key, { token, expiresAt: now + ttlMs });
    return this.lockObject(key, token);
  }

  /** The entry only if it still belongs to `token` and has not expired. */
  private owned(key: string, token: string): Held | undefined {
    const current = this.held.get(key);
    if (!current || current.token !== token) return undefined;
    if (current.expiresAt <= Date.now()) {
      this.held.delete(key);
      return undefined;
    }
    return current;
  }

  private lockObject(key: string, token: string): Lock {
    return {
      key,
      release: async () => {
        if (!this.owned(key, token)) return false;
        this.held.delete(key);
        return true;
      },
      extend: async (ttlMs: number) => {
        if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError('Lock ttlMs must be >= 1');
        const current = this.owned(key, token);
        if (!current) return false;
        current.expiresAt = Date.now() + ttlMs;
        return true;
      },
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, entry] of this.held) if (entry.expiresAt <= now) this.held.delete(key);
  }
}
