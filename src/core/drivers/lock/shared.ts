import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { LockTimeoutError, type AcquireOptions, type Lock } from './contract.js';

/** An unguessable owner token: a stale owner can never forge the current owner's token. */
export const newOwnerToken = () => randomBytes(16).toString('base64url');

export function checkAcquireOptions(key: string, opts: AcquireOptions): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('Lock key must be a non-empty string');
  if (!Number.isFinite(opts.ttlMs) || opts.ttlMs < 1) throw new RangeError('Lock ttlMs must be >= 1');
  if (opts.waitMs !== undefined && (!Number.isFinite(opts.waitMs) || opts.waitMs < 0)) {
    throw new RangeError('Lock waitMs must be >= 0');
  }
}

/** Polling interval while waiting; jitter keeps waiting replicas from retrying in lockstep. */
const RETRY_MIN_MS = 10;
const RETRY_MAX_MS = 50;

/**
 * Tries `tryOnce` until it yields a lock or `waitMs` has passed. Shared by every LockManager
 * so waiting behaves the same on both shapes.
 */
export async function acquireWithRetry(
  tryOnce: () => Promise<Lock | null>,
  waitMs: number | undefined,
): Promise<Lock | null> {
  const deadline = Date.now() + (waitMs ?? 0);
  for (;;) {
    const lock = await tryOnce();
    if (lock) return lock;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const jittered = RETRY_MIN_MS + Math.random() * (RETRY_MAX_MS - RETRY_MIN_MS);
    await sleep(Math.min(jittered, left));
  }
}

/** Runs fn under the lock and always releases it, also when fn throws. */
export async function runWithLock<T>(
  acquire: () => Promise<Lock | null>,
  key: string,
  fn: (lock: Lock) => Promise<T>,
): Promise<T> {
  const lock = await acquire();
  if (!lock) throw new LockTimeoutError(key);
  try {
    return await fn(lock);
  } finally {
    await lock.release().catch(() => false);
  }
}
